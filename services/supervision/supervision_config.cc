// Configuration: the rule set and the calendar; a change re-plans the open clocks it can move.
#include "supervision_internal.h"

#include "sunlight/base/log.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/eventlog/case_event.h"

namespace sunlight::supervision {

v1::RuleSet DefaultRules() {
  v1::RuleSet rules;
  rules.set_version("r1");
  rules.mutable_yellow()->set_reference(v1::REFERENCE_LIMIT);
  rules.mutable_yellow()->set_offset_working_days(-1);
  rules.set_use_item_margin(true);
  rules.mutable_red()->set_reference(v1::REFERENCE_LIMIT);
  rules.mutable_red()->set_offset_working_days(0);
  rules.set_long_gap_hours(48);
  rules.set_repeated_procedures(2);
  rules.set_appeal_decision_working_days(5);
  return rules;
}

absl::StatusOr<size_t> Supervision::ReplanAll(const std::string& reason,
                                              const std::vector<absl::CivilDay>* changed_days) {
  const absl::Time began = absl::Now();
  absl::StatusOr<size_t> replanned = ReplanChunks(reason, changed_days);
  gauges_.replans.Increment();
  gauges_.replan_duration.Observe(absl::ToDoubleSeconds(absl::Now() - began));
  return replanned;
}

absl::Status Supervision::ReplanClocks(const std::vector<std::string>& ids) {
  // One chunk at a time under the writer lock, so ingestion and firing go on between
  // chunks (FireDue re-plans any clock it fires, so it never fires on old instants).
  std::lock_guard lock(write_mu_);
  Mutation m(this, clock_->Now());
  for (const auto& id : ids) {
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(id));
    if (clock != nullptr) SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
  }
  return Commit(m);
}

absl::StatusOr<size_t> Supervision::ReplanChunks(const std::string& reason,
                                                 const std::vector<absl::CivilDay>* changed_days) {
  constexpr size_t kChunk = 2048;  // memory stays bounded with millions of open clocks
  size_t replanned = 0;
  if (changed_days == nullptr) {
    SUNLIGHT_RETURN_IF_ERROR(
        ForEachOpenClockChunk(kChunk, [&](const std::vector<std::string>& ids) {
          replanned += ids.size();
          return ReplanClocks(ids);
        }));
  } else if (!changed_days->empty()) {
    // The clocks whose window holds a changed day: windows ending before the first changed
    // day are not read at all. Collected first, because re-planning moves a clock's window
    // key (a later holiday moves it further on, where the scan would meet it again).
    std::vector<uint64_t> days;
    for (absl::CivilDay day : *changed_days) days.push_back(store::PlanDay(day));
    std::vector<std::string> affected;
    absl::Status corrupt;
    SUNLIGHT_RETURN_IF_ERROR(
        store_->Scan(store::kPlanWindows, store::PlanWindow::Prefix(days.front()), "",
                     [&](std::string_view key, std::string_view value) {
                       auto parts = store::PlanWindow::Decode(key);
                       if (!parts.has_value() || value.size() != 8) {
                         corrupt = absl::DataLossError("supervision: malformed plan window");
                         return false;
                       }
                       const auto& [last_day, clock_id] = *parts;
                       auto first_changed =
                           std::lower_bound(days.begin(), days.end(), storage::DecodeU64(value));
                       if (first_changed != days.end() && *first_changed <= last_day) {
                         affected.push_back(clock_id);
                       }
                       return true;
                     }));
    SUNLIGHT_RETURN_IF_ERROR(corrupt);
    for (size_t at = 0; at < affected.size(); at += kChunk) {
      std::vector<std::string> ids(affected.begin() + at,
                                   affected.begin() + std::min(affected.size(), at + kChunk));
      SUNLIGHT_RETURN_IF_ERROR(ReplanClocks(ids));
      replanned += ids.size();
    }
  }
  LogInfo("supervision", absl::StrCat("re-planned ", replanned, " open clocks: ", reason));
  return replanned;
}

absl::StatusOr<v1::ReplanResponse> Supervision::SetRuleSet(const v1::SetRuleSetRequest& request) {
  if (request.actor().id().empty()) return InvalidField("actor.id", "required");
  v1::RuleSet rules_in = request.rules();
  for (const auto& [name, threshold] :
       {std::pair{"rules.yellow", rules_in.yellow()}, std::pair{"rules.red", rules_in.red()}}) {
    if (threshold.reference() == v1::REFERENCE_UNSPECIFIED ||
        !v1::Reference_IsValid(threshold.reference())) {
      return InvalidField(absl::StrCat(name, ".reference"), "must be LIMIT or STATUTORY");
    }
    if (threshold.offset_working_days() < -60 || threshold.offset_working_days() > 60) {
      return InvalidField(absl::StrCat(name, ".offset_working_days"), "must be within +-60");
    }
  }
  bool thresholds_changed = true;
  {
    std::lock_guard lock(write_mu_);
    std::lock_guard config(config_mu_);
    // Only the thresholds move instants; a change of the anomaly rules re-plans nothing.
    thresholds_changed =
        rules_.yellow().SerializeAsString() != rules_in.yellow().SerializeAsString() ||
        rules_.red().SerializeAsString() != rules_in.red().SerializeAsString() ||
        rules_.use_item_margin() != rules_in.use_item_margin();
    uint64_t n = 1;
    if (rules_.version().size() > 1) n = std::stoull(rules_.version().substr(1)) + 1;
    rules_in.set_version(absl::StrCat("r", n));
    storage::WriteBatch batch;
    batch.Put(store::kMeta, store::kRulesKey, rules_in.SerializeAsString());
    v1::RulesChanged payload;
    *payload.mutable_rules() = rules_in;
    CaseEvent event = eventlog::NewEvent("supervision.rules.changed", "", request.actor(),
                                         clock_->Now(), payload);
    SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(batch), {std::move(event)}).status());
    rules_ = rules_in;
  }
  size_t replanned = 0;
  if (thresholds_changed) {
    SUNLIGHT_ASSIGN_OR_RETURN(replanned, ReplanAll(absl::StrCat("rules ", rules_in.version())));
  }
  v1::ReplanResponse response;
  response.set_rule_version(rules_in.version());
  response.set_replanned(replanned);
  return response;
}

absl::StatusOr<v1::SetCalendarResponse> Supervision::SetCalendar(
    const v1::SetCalendarRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  // A calendar in force must say something about some year (a file may be weekends-only).
  if (request.calendar().years().empty() && request.calendar().provisional_years().empty()) {
    return InvalidField("calendar.years",
                        "required: at least one year's published arrangement (or "
                        "provisional_years)");
  }
  auto parsed = calendar::WorkingCalendar::FromProto(request.calendar());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("calendar.", parsed.status().message()));
  }
  std::optional<std::vector<absl::CivilDay>> changed_days;
  {
    std::lock_guard lock(write_mu_);
    std::lock_guard config(config_mu_);
    if ((*parsed)->versioned_name() == calendar_->versioned_name()) {
      return absl::AlreadyExistsError(
          absl::StrCat("calendar ", calendar_->versioned_name(), " is already in force"));
    }
    storage::WriteBatch batch;
    batch.Put(store::kMeta, store::kCalendarKey, request.calendar().SerializeAsString());
    v1::CalendarChanged payload;
    payload.set_calendar_version((*parsed)->versioned_name());
    CaseEvent event = eventlog::NewEvent("supervision.calendar.changed", "", request.actor(),
                                         clock_->Now(), payload);
    changed_days = calendar_->DaysThatDiffer(**parsed);
    SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(batch), {std::move(event)}).status());
    calendar_ = *parsed;
  }
  // Only the clocks whose instants count a reclassified day (all of them when the zone moved).
  SUNLIGHT_ASSIGN_OR_RETURN(size_t replanned,
                            ReplanAll(absl::StrCat("calendar ", (*parsed)->versioned_name()),
                                      changed_days.has_value() ? &*changed_days : nullptr));
  v1::SetCalendarResponse response;
  response.set_calendar_version((*parsed)->versioned_name());
  response.set_replanned(replanned);
  return response;
}

}  // namespace sunlight::supervision
