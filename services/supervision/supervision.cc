// Opening the store and the one commit path of every change (Supervision, supervision.h).
#include "supervision_internal.h"

#include "sunlight/base/log.h"
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
          store::kPlanWindows,
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
  auto supervision = std::unique_ptr<Supervision>(
      new Supervision(store, std::move(log), std::move(calendar), clock,
                      rules.has_value() ? *rules : DefaultRules(),
                      last_alert.has_value() ? store::DecodeNumberKey(last_alert->first) : 0,
                      last_notice.has_value() ? store::DecodeNumberKey(last_notice->first) : 0));
  SUNLIGHT_RETURN_IF_ERROR(supervision->BuildPlanWindows());
  SUNLIGHT_RETURN_IF_ERROR(supervision->CountOpenClocks());
  return supervision;
}

absl::Status Supervision::ForEachOpenClockChunk(
    size_t chunk, const std::function<absl::Status(const std::vector<std::string>&)>& apply) {
  std::string lower;
  while (true) {
    std::vector<std::string> ids;
    std::string last;
    SUNLIGHT_RETURN_IF_ERROR(
        store_->Scan(store::kBoard, lower, "", [&](std::string_view key, std::string_view) {
          if (auto entry = store::DecodeBoardKey(key);
              entry.has_value() && !entry->clock_id.empty()) {
            ids.push_back(entry->clock_id);
          }
          last = std::string(key);
          return ids.size() < chunk;
        }));
    if (ids.empty()) return absl::OkStatus();
    SUNLIGHT_RETURN_IF_ERROR(apply(ids));
    lower = last;
    lower.push_back('\0');
  }
}

absl::Status Supervision::BuildPlanWindows() {
  SUNLIGHT_ASSIGN_OR_RETURN(auto built, store_->Get(store::kMeta, store::kPlanWindowsBuiltKey));
  if (built.has_value()) return absl::OkStatus();
  // A store from before the index: every open clock (the board) gets its window, in chunks.
  size_t indexed = 0;
  SUNLIGHT_RETURN_IF_ERROR(ForEachOpenClockChunk(4096, [&](const std::vector<std::string>& ids) {
    storage::WriteBatch batch;
    for (const std::string& id : ids) {
      SUNLIGHT_ASSIGN_OR_RETURN(auto clock,
                                storage::LoadProto<v1::Clock>(*store_, store::kClocks, id));
      if (!clock.has_value()) continue;
      batch.Put(store::kPlanWindows, store::PlanWindowKey(*clock), store::PlanWindowValue(*clock));
    }
    indexed += ids.size();
    return store_->Write(batch);
  }));
  storage::WriteBatch done;
  done.Put(store::kMeta, store::kPlanWindowsBuiltKey, "");
  SUNLIGHT_RETURN_IF_ERROR(store_->Write(done));
  if (indexed > 0) {
    LogInfo("supervision", absl::StrCat("indexed the plan windows of ", indexed, " open clocks"));
  }
  return absl::OkStatus();
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

absl::Status Supervision::CountOpenClocks() {
  std::map<std::pair<uint64_t, uint64_t>, int64_t> open;
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kBoard, "", "", [&](std::string_view key, std::string_view) {
        auto entry = store::DecodeBoardKey(key);
        if (!entry.has_value()) {
          error = absl::DataLossError("malformed board key");
          return false;
        }
        if (!entry->clock_id.empty()) ++open[{entry->kind, entry->light}];
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  std::lock_guard lock(open_mu_);
  open_clocks_ = std::move(open);
  return absl::OkStatus();
}

absl::Status Supervision::Commit(Mutation& m) {
  std::map<std::pair<uint64_t, uint64_t>, int64_t> opened;  // (kind, light) -> change
  for (auto& [id, entry] : m.clocks) {
    const auto& [before, after] = entry;
    prepared_.erase(id);  // may be about to change: load it afresh when next needed
    if (!after.has_value()) continue;
    if (before.has_value() && before->SerializeAsString() == after->SerializeAsString()) continue;
    if (!before.has_value() && !after->case_id().empty()) {
      // a clock of no case has no case index entry
      m.batch.Put(store::kClocksByCase, store::CaseClockKey(after->case_id(), id), "");
    }
    // Only the index keys that change are written: a re-plan that moves one instant rewrites
    // one schedule entry, not the clock's every key.
    const std::vector<std::string> old_entries =
        before.has_value() ? ScheduleEntries(*before) : std::vector<std::string>{};
    const std::vector<std::string> new_entries = ScheduleEntries(*after);
    auto contains = [](const std::vector<std::string>& keys, const std::string& key) {
      return std::find(keys.begin(), keys.end(), key) != keys.end();
    };
    for (const auto& key : old_entries) {
      if (!contains(new_entries, key)) m.batch.Delete(store::kSchedule, key);
    }
    for (const auto& key : new_entries) {
      if (contains(old_entries, key)) continue;
      m.batch.Put(store::kSchedule, key, "");
      if (key < schedule_floor_) schedule_floor_ = key;
      if (key < prepared_floor_) prepared_floor_ = key;
    }
    const bool was_open = before.has_value() && !Finished(*before);
    const bool is_open = !Finished(*after);
    if (was_open) --opened[{before->kind(), before->light()}];
    if (is_open) ++opened[{after->kind(), after->light()}];
    const std::string old_board = was_open ? store::BoardKey(*before) : "";
    const std::string new_board = is_open ? store::BoardKey(*after) : "";
    if (old_board != new_board) {
      if (was_open) m.batch.Delete(store::kBoard, old_board);
      if (is_open) m.batch.Put(store::kBoard, new_board, "");
    }
    const std::string old_window = was_open ? store::PlanWindowKey(*before) : "";
    const std::string new_window = is_open ? store::PlanWindowKey(*after) : "";
    if (was_open && old_window != new_window) m.batch.Delete(store::kPlanWindows, old_window);
    if (is_open && (!was_open || old_window != new_window ||
                    store::PlanWindowValue(*before) != store::PlanWindowValue(*after))) {
      m.batch.Put(store::kPlanWindows, new_window, store::PlanWindowValue(*after));
    }
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
  std::lock_guard lock(open_mu_);
  for (const auto& [kind_light, change] : opened) open_clocks_[kind_light] += change;
  return absl::OkStatus();
}

}  // namespace sunlight::supervision
