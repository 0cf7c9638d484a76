// Opening the store and the one commit path of every change (Supervision, supervision.h).
#include "supervision_internal.h"

#include "sunlight/eventlog/case_event.h"
#include "sunlight/eventlog/cursor.h"

namespace sunlight::supervision {

std::vector<std::string> SupervisionColumnFamilies() {
  return {store::kAnomaliesByDepartment,
          store::kClocks,
          store::kClocksByCase,
          store::kFacts,
          store::kSchedule,
          store::kBoard,
          store::kAlerts,
          store::kAlertIds,
          store::kAlertsByCase,
          store::kOutbox,
          store::kNotices,
          store::kMeta};
}

absl::StatusOr<std::unique_ptr<Supervision>> Supervision::Open(
    storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
    const Clock* clock) {
  if (calendar == nullptr) return absl::InvalidArgumentError("calendar: required");
  SUNLIGHT_ASSIGN_OR_RETURN(auto log, eventlog::EventLog::Open(store, "supervision"));
  SUNLIGHT_ASSIGN_OR_RETURN(
      auto rules, storage::LoadProto<v1::RuleSet>(*store, store::kMeta, store::kRulesKey));
  // A calendar set through SetCalendar outlives restarts and wins over the file.
  SUNLIGHT_ASSIGN_OR_RETURN(auto stored_calendar,
                            storage::LoadProto<calendar::v1::HolidayCalendarFile>(
                                *store, store::kMeta, store::kCalendarKey));
  if (stored_calendar.has_value()) {
    SUNLIGHT_ASSIGN_OR_RETURN(calendar, calendar::WorkingCalendar::FromProto(*stored_calendar));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto last_alert, store->Last(store::kAlerts));
  SUNLIGHT_ASSIGN_OR_RETURN(auto last_notice, store->Last(store::kNotices));
  return std::unique_ptr<Supervision>(
      new Supervision(store, std::move(log), std::move(calendar), clock,
                      rules.has_value() ? *rules : DefaultRules(),
                      last_alert.has_value() ? store::DecodeNumberKey(last_alert->first) : 0,
                      last_notice.has_value() ? store::DecodeNumberKey(last_notice->first) : 0));
}

Supervision::Supervision(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
                         std::shared_ptr<const calendar::WorkingCalendar> calendar,
                         const Clock* clock, v1::RuleSet rules, uint64_t last_alert,
                         uint64_t last_notice)
    : store_(store),
      log_(std::move(log)),
      clock_(clock),
      calendar_(std::move(calendar)),
      rules_(std::move(rules)),
      last_alert_(last_alert),
      last_notice_(last_notice) {}

std::shared_ptr<const calendar::WorkingCalendar> Supervision::calendar() const {
  std::lock_guard lock(config_mu_);
  return calendar_;
}

v1::RuleSet Supervision::rules() const {
  std::lock_guard lock(config_mu_);
  return rules_;
}

v1::RuleSet Supervision::GetRuleSet() const { return rules(); }

absl::StatusOr<uint64_t> Supervision::Cursor(const std::string& stream) const {
  return eventlog::ReadCursor(*store_, stream);
}

absl::Status Supervision::Commit(Mutation& m) {
  for (auto& [id, entry] : m.clocks) {
    const auto& [before, after] = entry;
    prepared_.erase(id);  // may be about to change: load it afresh when next needed
    if (!after.has_value()) continue;
    if (before.has_value()) {
      if (before->SerializeAsString() == after->SerializeAsString()) continue;
      for (const auto& key : ScheduleEntries(*before)) m.batch.Delete(store::kSchedule, key);
      if (!Finished(*before)) m.batch.Delete(store::kBoard, store::BoardKey(*before));
    } else if (!after->case_id().empty()) {  // a clock of no case has no case index entry
      m.batch.Put(store::kClocksByCase, store::CaseClockKey(after->case_id(), id), "");
    }
    for (const auto& key : ScheduleEntries(*after)) {
      m.batch.Put(store::kSchedule, key, "");
      if (key < schedule_floor_) schedule_floor_ = key;
    }
    if (!Finished(*after)) m.batch.Put(store::kBoard, store::BoardKey(*after), "");
    m.batch.Put(store::kClocks, id, after->SerializeAsString());
    v1::Light from = before.has_value() ? before->light() : v1::LIGHT_UNSPECIFIED;
    if (from != after->light()) {
      v1::LightChanged payload;
      *payload.mutable_clock() = *after;
      payload.set_from(from);
      payload.set_to(after->light());
      m.events.push_back(eventlog::NewEvent("supervision.light.changed", after->case_id(),
                                            eventlog::ServiceActor("supervision"), m.now, payload));
    }
  }
  for (const std::string& case_id : m.facts_dirty) {
    m.batch.Put(store::kFacts, case_id, m.facts[case_id].SerializeAsString());
  }
  size_t raised = 0;
  for (auto& alert : m.alerts) {
    // A light alert is deduplicated by its clock's alert_ids (written in this same batch);
    // an anomaly, which has no clock, by the alert id index.
    if (alert.kind() == v1::ALERT_KIND_ANOMALY) {
      SUNLIGHT_ASSIGN_OR_RETURN(auto existing, store_->Get(store::kAlertIds, alert.alert_id()));
      if (existing.has_value()) continue;  // raised before (a replay or a restart)
    }
    uint64_t number = ++last_alert_;
    ++raised;
    std::string key = store::NumberKey(number);
    std::string bytes = alert.SerializeAsString();
    m.batch.Put(store::kAlerts, key, bytes);
    m.batch.Put(store::kAlertIds, alert.alert_id(), key);
    if (!alert.case_id().empty()) {
      m.batch.Put(store::kAlertsByCase, store::CaseAlertKey(alert.case_id(), number), "");
    }
    if (alert.kind() == v1::ALERT_KIND_ANOMALY) {
      m.batch.Put(store::kAnomaliesByDepartment,
                  store::DepartmentAlertKey(alert.department_id(), number), "");
    }
    m.batch.Put(store::kOutbox, key, bytes);
    v1::AlertRaised payload;
    *payload.mutable_alert() = alert;
    m.events.push_back(eventlog::NewEvent("supervision.alert.raised", alert.case_id(),
                                          eventlog::ServiceActor("supervision"), m.now, payload));
  }
  for (auto& [key, notice] : m.notices)
    m.batch.Put(store::kNotices, key, notice.SerializeAsString());
  // Per-case versions of supervision events: numbered within this commit by the log's
  // sequence; supervision events are facts about clocks, not a case's own history.
  if (m.batch.empty() && m.events.empty()) return absl::OkStatus();
  SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(m.batch), std::move(m.events)).status());
  metrics_.alerts_raised.Increment(static_cast<double>(raised));
  return absl::OkStatus();
}

}  // namespace sunlight::supervision
