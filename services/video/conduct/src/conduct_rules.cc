#include "sunlight/video/conduct_rules.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sunlight::video {

WorkingHours WorkingHoursFromIntervals(std::vector<WorkingInterval> intervals) {
  return [intervals = std::move(intervals)](absl::Time at) {
    return std::any_of(intervals.begin(), intervals.end(),
                       [at](const WorkingInterval& i) { return i.start <= at && at < i.end; });
  };
}

WorkingHours AlwaysWorking() {
  return [](absl::Time) { return true; };
}

const char* ConductRuleName(ConductRule rule) {
  switch (rule) {
    case ConductRule::kAbsentFromPost:
      return "absent_from_post";
    case ConductRule::kCrowding:
      return "crowding";
  }
  return "unknown";
}

absl::StatusOr<ConductRuleEngine> ConductRuleEngine::Create(std::vector<ConductZone> zones,
                                                            WorkingHours working_hours,
                                                            ConductRuleOptions options) {
  if (!working_hours) return absl::InvalidArgumentError("working_hours: empty");
  if (options.smoothing <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("options.smoothing: not positive");
  }
  if (options.max_frame_gap <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("options.max_frame_gap: not positive");
  }
  std::set<std::string> ids;
  for (const ConductZone& zone : zones) {
    if (absl::Status valid = ValidateZone(zone); !valid.ok()) return valid;
    if (!ids.insert(zone.id).second) {
      return absl::InvalidArgumentError(absl::StrCat("zone ", zone.id, ": id: not unique"));
    }
    if (zone.hold <= options.smoothing) {
      return absl::InvalidArgumentError(
          absl::StrCat("zone ", zone.id, ": hold: not longer than options.smoothing"));
    }
  }
  return ConductRuleEngine(std::move(zones), std::move(working_hours), options);
}

ConductRuleEngine::ConductRuleEngine(std::vector<ConductZone> zones, WorkingHours working_hours,
                                     ConductRuleOptions options)
    : zones_(std::move(zones)),
      working_hours_(std::move(working_hours)),
      options_(options),
      states_(zones_.size()) {}

absl::StatusOr<std::vector<ConductTransition>> ConductRuleEngine::Observe(
    absl::Time at, const std::vector<PersonBox>& people) {
  if (last_frame_.has_value() && at <= *last_frame_) {
    return absl::InvalidArgumentError(absl::StrCat("frame time ", absl::FormatTime(at),
                                                   " not after the previous frame's ",
                                                   absl::FormatTime(*last_frame_)));
  }
  std::vector<ConductTransition> closed, opened;
  if (last_frame_.has_value() && at - *last_frame_ > options_.max_frame_gap) {
    ResetAll(*last_frame_, closed);
  }
  last_frame_ = at;
  const bool working = working_hours_(at);
  if (!working) {
    working_since_.reset();
  } else if (!working_since_.has_value()) {
    working_since_ = at;
  }
  for (size_t i = 0; i < zones_.size(); ++i) {
    ObserveZone(i, at, working, zones_[i].CountPeople(people), closed, opened);
  }
  closed.insert(closed.end(), std::make_move_iterator(opened.begin()),
                std::make_move_iterator(opened.end()));
  return closed;
}

void ConductRuleEngine::ObserveZone(size_t index, absl::Time at, bool working, int count,
                                    std::vector<ConductTransition>& closed,
                                    std::vector<ConductTransition>& opened) {
  const ConductZone& zone = zones_[index];
  ZoneState& state = states_[index];
  const bool staff = zone.kind == ZoneKind::kStaff;

  // The raw test of this frame, then the smoothed one: a sighting counts for `smoothing`.
  const bool seen_now = staff ? count >= 1 : count >= zone.min_people;
  if (seen_now) {
    state.last_seen = at;
    state.first_after_seen.reset();
  } else if (state.last_seen.has_value() && !state.first_after_seen.has_value()) {
    state.first_after_seen = at;
  }
  const bool seen = state.last_seen.has_value() && at - *state.last_seen < options_.smoothing;
  const bool condition = staff ? working && !seen : seen;

  if (!condition) {
    if (!state.condition_since.has_value()) return;
    // An absence ends at the frame that ends it; a crowd at the first frame without it (the
    // smoothed test only noticed now).
    if (state.event.has_value()) {
      state.event->end = staff ? at : state.first_after_seen.value_or(at);
      closed.push_back({ConductTransition::kClosed, *std::move(state.event)});
    }
    state = ZoneState{state.last_seen, state.first_after_seen};
    return;
  }

  if (!state.condition_since.has_value()) {
    if (staff) {
      // Nobody since the frame after the last sighting, counted from when working hours began.
      absl::Time since = *working_since_;
      if (state.first_after_seen.has_value()) since = std::max(since, *state.first_after_seen);
      state.condition_since = since;
    } else {
      state.condition_since = at;
    }
    state.run_peak = 0;
  }
  if (!staff) state.run_peak = std::max(state.run_peak, count);

  if (state.event.has_value()) {
    state.event->peak_people = state.run_peak;
    return;
  }
  // A crowd opens only on a frame that sees it, never in the smoothing tail after it ended, so
  // that its end is always after start + hold.
  if (at - *state.condition_since >= zone.hold && (staff || seen_now)) {
    state.event = ConductEvent{
        .zone_id = zone.id,
        .rule = staff ? ConductRule::kAbsentFromPost : ConductRule::kCrowding,
        .start = *state.condition_since,
        .peak_people = state.run_peak,
        .snapshot_at = at,
    };
    opened.push_back({ConductTransition::kOpened, *state.event});
  }
}

void ConductRuleEngine::ResetAll(absl::Time close_at, std::vector<ConductTransition>& closed) {
  for (ZoneState& state : states_) {
    if (state.event.has_value()) {
      state.event->end = close_at;
      closed.push_back({ConductTransition::kClosed, *std::move(state.event)});
    }
    state = ZoneState{};
  }
  working_since_.reset();
}

std::vector<ConductTransition> ConductRuleEngine::Finish() {
  std::vector<ConductTransition> closed;
  if (last_frame_.has_value()) ResetAll(*last_frame_, closed);
  last_frame_.reset();
  return closed;
}

std::vector<ConductEvent> ConductRuleEngine::OpenEvents() const {
  std::vector<ConductEvent> open;
  for (const ZoneState& state : states_) {
    if (state.event.has_value()) open.push_back(*state.event);
  }
  return open;
}

}  // namespace sunlight::video
