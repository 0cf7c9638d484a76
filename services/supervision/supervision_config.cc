// Configuration: the rule set and the calendar; both re-plan every open clock.
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

absl::StatusOr<size_t> Supervision::ReplanAll(const std::string& reason) {
  const absl::Time began = absl::Now();
  absl::StatusOr<size_t> replanned = ReplanChunks(reason);
  gauges_.replans.Increment();
  gauges_.replan_duration.Observe(absl::ToDoubleSeconds(absl::Now() - began));
  return replanned;
}

absl::StatusOr<size_t> Supervision::ReplanChunks(const std::string& reason) {
  // In chunks, so memory stays bounded with millions of open clocks.
  size_t replanned = 0;
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
          return ids.size() < 2048;
        }));
    if (ids.empty()) break;
    // One chunk at a time under the writer lock, so ingestion and firing go on between
    // chunks (FireDue re-plans any clock it fires, so it never fires on old instants).
    std::lock_guard lock(write_mu_);
    Mutation m(this, clock_->Now());
    for (const auto& id : ids) {
      SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(id));
      if (clock != nullptr) SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
    }
    SUNLIGHT_RETURN_IF_ERROR(Commit(m));
    replanned += ids.size();
    lower = last;
    lower.push_back('\0');
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
  {
    std::lock_guard lock(write_mu_);
    std::lock_guard config(config_mu_);
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
  SUNLIGHT_ASSIGN_OR_RETURN(size_t replanned,
                            ReplanAll(absl::StrCat("rules ", rules_in.version())));
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
    SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(batch), {std::move(event)}).status());
    calendar_ = *parsed;
  }
  SUNLIGHT_ASSIGN_OR_RETURN(size_t replanned,
                            ReplanAll(absl::StrCat("calendar ", (*parsed)->versioned_name())));
  v1::SetCalendarResponse response;
  response.set_calendar_version((*parsed)->versioned_name());
  response.set_replanned(replanned);
  return response;
}

}  // namespace sunlight::supervision
