// What the files of the Supervision class share: its unit of work (Mutation), the instants
// of a clock (Thresholds) and the small rules about clocks and lights.
#ifndef SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_INTERNAL_H_
#define SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_INTERNAL_H_

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/storage/proto_record.h"
#include "sunlight/supervision/supervision.h"
#include "supervision_store.h"

namespace sunlight::supervision {

using common::v1::Actor;
using events::v1::CaseEvent;
// The rule set in force before any SetRuleSet (supervision_config.cc).
v1::RuleSet DefaultRules();

inline std::string LightName(v1::Light light) {
  switch (light) {
    case v1::LIGHT_GREEN:
      return "green";
    case v1::LIGHT_YELLOW:
      return "yellow";
    case v1::LIGHT_RED:
      return "red";
    default:
      return "none";
  }
}

inline bool Finished(const v1::Clock& clock) { return clock.has_finished_at(); }

// Whether a clock of a case is re-planned from the case's facts (ReplanCase): pauses,
// extensions, completion, withdrawal. A complaint's or a rectification's clock is the
// public's matter with the department, not the case's time: it runs on after the case is
// withdrawn or completed.
inline bool FollowsCaseFacts(v1::ClockKind kind) {
  return kind != v1::CLOCK_KIND_RECTIFICATION && kind != v1::CLOCK_KIND_COMPLAINT_ACCEPTANCE &&
         kind != v1::CLOCK_KIND_COMPLAINT;
}

inline std::string LightAlertId(const v1::Clock& clock, v1::Light light, absl::Time at) {
  return absl::StrCat(clock.clock_id(), "/", LightName(light), "@", absl::ToUnixMicros(at));
}

inline bool Alerted(const v1::Clock& clock, const std::string& id) {
  return std::find(clock.alert_ids().begin(), clock.alert_ids().end(), id) !=
         clock.alert_ids().end();
}

// The schedule entries a stored clock state implies (the invariant every write keeps): for
// an open clock, its next transitions; for a finished one, the transitions it passed before
// finishing that have not been alerted yet. FireDue acts on them, so alerts are raised only
// after every fact delivered so far has been applied.
inline std::vector<std::string> ScheduleEntries(const v1::Clock& clock) {
  std::vector<std::string> keys;
  if (!clock.has_red_at()) return keys;
  absl::Time yellow = FromProto(clock.yellow_at());
  absl::Time red = FromProto(clock.red_at());
  if (Finished(clock)) {
    if (clock.light() >= v1::LIGHT_YELLOW && yellow < red &&
        !Alerted(clock, LightAlertId(clock, v1::LIGHT_YELLOW, yellow))) {
      keys.push_back(store::ScheduleKey(yellow, clock.clock_id(), v1::LIGHT_YELLOW));
    }
    if (clock.light() == v1::LIGHT_RED &&
        !Alerted(clock, LightAlertId(clock, v1::LIGHT_RED, red))) {
      keys.push_back(store::ScheduleKey(red, clock.clock_id(), v1::LIGHT_RED));
    }
    return keys;
  }
  if (clock.light() < v1::LIGHT_YELLOW && yellow < red) {
    keys.push_back(store::ScheduleKey(yellow, clock.clock_id(), v1::LIGHT_YELLOW));
  }
  if (clock.light() < v1::LIGHT_RED)
    keys.push_back(store::ScheduleKey(red, clock.clock_id(), v1::LIGHT_RED));
  return keys;
}

inline v1::Light LightAt(absl::Time t, absl::Time yellow_at, absl::Time red_at) {
  if (t >= red_at) return v1::LIGHT_RED;
  if (t >= yellow_at) return v1::LIGHT_YELLOW;
  return v1::LIGHT_GREEN;
}

struct Supervision::Thresholds {
  absl::Time due;
  absl::Time yellow_at;
  absl::Time red_at;
  bool paused = false;
};

// One unit of work: clocks and facts as loaded and as changed, alerts raised, events; all
// written by Commit in one batch.
class Supervision::Mutation {
 public:
  // The calendar and rules in force are taken once (a change of either takes the writer
  // lock that every mutation holds).
  Mutation(const Supervision* owner, absl::Time now)
      : owner_(owner), now(now), calendar(owner->calendar()), rules(owner->rules()) {}

  // The clock as changed so far in this mutation, or as stored; nullptr when absent.
  absl::StatusOr<v1::Clock*> GetClock(const std::string& id) {
    auto it = clocks.find(id);
    if (it == clocks.end()) {
      SUNLIGHT_ASSIGN_OR_RETURN(auto stored,
                                storage::LoadProto<v1::Clock>(*owner_->store_, store::kClocks, id));
      it = clocks.emplace(id, std::make_pair(stored, stored)).first;
    }
    return it->second.second.has_value() ? &*it->second.second : nullptr;
  }

  // Takes `clock` as the stored state of `id` (a clock loaded ahead by PrepareDue), unless
  // this mutation has it already.
  void Preload(const std::string& id, v1::Clock clock) {
    if (clocks.contains(id)) return;
    std::optional<v1::Clock> stored(std::move(clock));
    clocks.emplace(id, std::make_pair(stored, stored));
  }

  v1::Clock* NewClock(const std::string& id) {
    auto& entry = clocks[id];
    entry.second.emplace();
    entry.second->set_clock_id(id);
    return &*entry.second;
  }

  absl::StatusOr<v1::CaseFacts*> Facts(const std::string& case_id) {
    auto it = facts.find(case_id);
    if (it == facts.end()) {
      SUNLIGHT_ASSIGN_OR_RETURN(
          auto stored, storage::LoadProto<v1::CaseFacts>(*owner_->store_, store::kFacts, case_id));
      v1::CaseFacts f = stored.has_value() ? *std::move(stored) : v1::CaseFacts();
      f.set_case_id(case_id);
      it = facts.emplace(case_id, std::move(f)).first;
    }
    facts_dirty.insert(case_id);
    return &it->second;
  }

  // Ids of every clock of a case: stored ones and ones created in this mutation. None for
  // no case: clocks of no case are not indexed by case.
  absl::StatusOr<std::vector<std::string>> CaseClockIds(const std::string& case_id) {
    if (case_id.empty()) return std::vector<std::string>();
    std::set<std::string> ids;
    std::string prefix = store::CasePrefix(case_id);
    SUNLIGHT_RETURN_IF_ERROR(
        owner_->store_->Scan(store::kClocksByCase, prefix, storage::PrefixSuccessor(prefix),
                             [&](std::string_view key, std::string_view) {
                               if (auto id = store::DecodeCaseClockKey(key); id.has_value())
                                 ids.insert(*id);
                               return true;
                             }));
    for (const auto& [id, entry] : clocks) {
      if (entry.second.has_value() && entry.second->case_id() == case_id) ids.insert(id);
    }
    return std::vector<std::string>(ids.begin(), ids.end());
  }

  const Supervision* owner_;
  absl::Time now;
  const std::shared_ptr<const calendar::WorkingCalendar> calendar;
  const v1::RuleSet rules;
  std::map<std::string, std::pair<std::optional<v1::Clock>, std::optional<v1::Clock>>> clocks;
  std::map<std::string, v1::CaseFacts> facts;
  std::set<std::string> facts_dirty;
  std::set<std::string> raised;
  std::vector<v1::Alert> alerts;
  std::vector<std::pair<std::string, v1::Notice>> notices;
  storage::WriteBatch batch;
  std::vector<CaseEvent> events;
};

}  // namespace sunlight::supervision

#endif  // SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_INTERNAL_H_
