#include "sunlight/calendar/deadline.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "sunlight/base/status_macros.h"

namespace sunlight::calendar {
namespace {

using ::sunlight::common::v1::LimitUnit;
using ::sunlight::common::v1::TimeLimit;

constexpr uint32_t kMaxAmount = 3660;
// A guard against absurd inputs (as_of or a pause a century away), not a domain rule.
constexpr int kMaxWalkDays = 36525;

// Valid range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

absl::Status ValidateLimit(const TimeLimit& limit) {
  switch (limit.unit()) {
    case common::v1::LIMIT_UNIT_WORKING_DAYS:
    case common::v1::LIMIT_UNIT_NATURAL_DAYS:
      if (limit.amount() == 0) {
        return absl::InvalidArgumentError("limit.amount: must be at least 1 day");
      }
      if (limit.amount() > kMaxAmount) {
        return absl::InvalidArgumentError(
            absl::StrCat("limit.amount: ", limit.amount(), " exceeds the maximum of ", kMaxAmount));
      }
      return absl::OkStatus();
    case common::v1::LIMIT_UNIT_SAME_DAY:
      if (limit.amount() > 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "limit.amount: must be 0 or 1 for a same-day limit, got ", limit.amount()));
      }
      return absl::OkStatus();
    case common::v1::LIMIT_UNIT_UNSPECIFIED:
      return absl::InvalidArgumentError("limit.unit: must be specified");
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("limit.unit: unknown unit ", static_cast<int>(limit.unit())));
  }
}

bool IsFinite(absl::Time t) { return t != absl::InfiniteFuture() && t != absl::InfinitePast(); }

absl::Status ValidateRequest(const DeadlineRequest& req) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(req.limit));
  if (!IsFinite(req.accepted_at)) {
    return absl::InvalidArgumentError("accepted_at: must be a finite instant");
  }
  if (!IsFinite(req.as_of)) return absl::InvalidArgumentError("as_of: must be a finite instant");
  for (size_t i = 0; i < req.pauses.size(); ++i) {
    const PauseInterval& pause = req.pauses[i];
    if (!IsFinite(pause.start)) {
      return absl::InvalidArgumentError(
          absl::StrCat("pauses[", i, "].start: must be a finite instant"));
    }
    if (pause.end.has_value() && !IsFinite(*pause.end)) {
      return absl::InvalidArgumentError(
          absl::StrCat("pauses[", i, "].end: must be a finite instant"));
    }
    if (pause.end.has_value() && *pause.end < pause.start) {
      return absl::InvalidArgumentError(absl::StrCat("pauses[", i, "].end: is before its start"));
    }
  }
  return absl::OkStatus();
}

// A stretch of paused time after merging overlapping and touching pauses.
struct MergedPause {
  absl::Time start;
  absl::Time end;
  bool open = false;  // ends at as_of because an open pause is still running
  std::vector<std::string> reasons;
};

struct PausePlan {
  std::vector<MergedPause> merged;  // sorted by start, disjoint, non-empty
  std::vector<size_t> taken;        // indices of the request's pauses taken into account
  bool paused = false;
};

// Reasons are kept only for explanations.
PausePlan PlanPauses(const std::vector<PauseInterval>& pauses, absl::Time as_of,
                     bool keep_reasons) {
  PausePlan plan;
  std::vector<MergedPause> intervals;
  for (size_t i = 0; i < pauses.size(); ++i) {
    const PauseInterval& pause = pauses[i];
    const bool open = !pause.end.has_value();
    if (open && pause.start > as_of) continue;  // not begun yet
    plan.taken.push_back(i);
    const absl::Time end = open ? as_of : *pause.end;
    if (pause.start <= as_of && as_of < end) plan.paused = true;
    if (open && pause.start <= as_of) plan.paused = true;
    if (end == pause.start) continue;  // consumes nothing
    MergedPause interval{pause.start, end, open, {}};
    if (keep_reasons && !pause.reason.empty()) interval.reasons.push_back(pause.reason);
    intervals.push_back(std::move(interval));
  }
  std::sort(intervals.begin(), intervals.end(),
            [](const MergedPause& a, const MergedPause& b) { return a.start < b.start; });
  for (MergedPause& interval : intervals) {
    if (plan.merged.empty() || interval.start > plan.merged.back().end) {
      plan.merged.push_back(std::move(interval));
      continue;
    }
    MergedPause& last = plan.merged.back();
    if (interval.end > last.end) {
      last.end = interval.end;
      last.open = interval.open;
    } else if (interval.end == last.end) {
      last.open = last.open || interval.open;
    }
    for (std::string& reason : interval.reasons) {
      if (std::find(last.reasons.begin(), last.reasons.end(), reason) == last.reasons.end()) {
        last.reasons.push_back(std::move(reason));
      }
    }
  }
  return plan;
}

// Fractional seconds are printed only when present.
std::string FormatLocal(absl::Time t, const absl::TimeZone& tz) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E*S", t, tz);
}
std::string FormatInstant(absl::Time t, const absl::TimeZone& tz) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E*S %Ez", t, tz);
}

std::string DescribePause(const MergedPause& pause, const absl::TimeZone& tz) {
  std::string text = absl::StrCat("paused ", FormatLocal(pause.start, tz), " to ",
                                  pause.open ? "as_of " : "", FormatLocal(pause.end, tz));
  std::vector<std::string> details;
  if (pause.open) details.push_back("still open");
  details.insert(details.end(), pause.reasons.begin(), pause.reasons.end());
  if (!details.empty()) absl::StrAppend(&text, " (", absl::StrJoin(details, ", "), ")");
  return text;
}

std::string DescribeLimit(const TimeLimit& limit) {
  switch (limit.unit()) {
    case common::v1::LIMIT_UNIT_WORKING_DAYS:
      return absl::StrCat(limit.amount(), limit.amount() == 1 ? " working day" : " working days");
    case common::v1::LIMIT_UNIT_NATURAL_DAYS:
      return absl::StrCat(limit.amount(), limit.amount() == 1 ? " natural day" : " natural days");
    case common::v1::LIMIT_UNIT_SAME_DAY:
      return "same day";
    default:
      return "unknown";
  }
}

// One calendar day of the walk, kept only when explaining.
struct DayTrace {
  absl::CivilDay day;
  bool counted = false;
  std::string note;
  absl::Duration contributed;  // towards the budget
  absl::Duration paused;       // counted time lost to pauses before the due instant
};

struct Walk {
  Deadline deadline;
  PausePlan pauses;
  std::vector<DayTrace> days;  // acceptance day to due day, when explaining
};

// Walks day by day from the clock start until both the due instant is found and as_of is
// passed. Each counted day is split into the free segments between merged pauses; the pause
// cursor only moves forward, so the walk is O(days + pauses).
absl::StatusOr<Walk> WalkDays(const WorkingCalendar& cal, const DeadlineRequest& req,
                              bool explain) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateRequest(req));
  Walk walk;
  walk.pauses = PlanPauses(req.pauses, req.as_of, explain);
  const std::vector<MergedPause>& pauses = walk.pauses.merged;
  Deadline& result = walk.deadline;
  result.paused = walk.pauses.paused;
  result.calendar_version = cal.versioned_name();

  const absl::TimeZone& tz = cal.time_zone();
  const LimitUnit unit = req.limit.unit();
  const absl::CivilDay acceptance_day = absl::ToCivilDay(req.accepted_at, tz);
  absl::CivilDay first_day;
  if (unit == common::v1::LIMIT_UNIT_SAME_DAY) {
    first_day = acceptance_day;
    result.budget_start = req.accepted_at;
    result.budget = absl::FromCivil(acceptance_day + 1, tz) - req.accepted_at;
  } else {
    first_day = acceptance_day + 1;
    result.budget_start = absl::FromCivil(first_day, tz);
    result.budget = absl::Hours(24) * static_cast<int64_t>(req.limit.amount());
    if (explain) {
      walk.days.push_back({acceptance_day, false, "acceptance day (not counted)",
                           absl::ZeroDuration(), absl::ZeroDuration()});
    }
  }

  absl::Duration cumulative = absl::ZeroDuration();  // counted time minus pauses, so far
  absl::Duration consumed = absl::ZeroDuration();    // the same, before as_of
  bool due_found = false;
  size_t cursor = 0;  // first merged pause that may still overlap the current day
  // The kinds of the current year's days, fetched once per year rather than once per day.
  absl::Span<const DayKind> year_kinds;
  size_t day_of_year = 0;
  bool provisional_year = false;
  // Consecutive midnights are 24 h apart until the zone's next UTC offset change, so the
  // time zone is consulted only for the first day and around offset changes.
  absl::Time offset_stable_until = absl::InfinitePast();
  absl::Time day_start = result.budget_start;
  bool day_start_is_midnight = unit != common::v1::LIMIT_UNIT_SAME_DAY;
  for (int walked = 0;; ++walked) {
    // Civil-day arithmetic is comparatively slow, so the day is only built where needed.
    auto civil_day = [&] { return first_day + walked; };
    if (due_found && day_start >= req.as_of) break;
    if (walked > kMaxWalkDays) {
      return absl::OutOfRangeError(
          absl::StrCat("deadline computation spans more than ", kMaxWalkDays,
                       " days after the acceptance day; check as_of and the pauses"));
    }
    absl::Time day_end = day_start + absl::Hours(24);
    if (!day_start_is_midnight || day_end >= offset_stable_until) {
      day_end = absl::FromCivil(civil_day() + 1, tz);
      absl::TimeZone::CivilTransition transition;
      offset_stable_until = tz.NextTransition(day_end, &transition) ? tz.At(transition.to).trans
                                                                    : absl::InfiniteFuture();
    }
    // Notes are only written for days of an explanation (the hot path builds no strings).
    const bool traced = explain && !due_found;

    bool counted = true;
    std::string note;
    if (unit == common::v1::LIMIT_UNIT_WORKING_DAYS) {
      if (day_of_year >= year_kinds.size()) {  // the first day, or January 1
        const absl::CivilDay day = civil_day();
        SUNLIGHT_ASSIGN_OR_RETURN(year_kinds, cal.ClassifyYear(day.year()));
        day_of_year = day - absl::CivilDay(day.year(), 1, 1);
        provisional_year = cal.IsProvisionalYear(static_cast<int>(day.year()));
      }
      const DayKind kind = year_kinds[day_of_year++];
      counted = IsWorkingDay(kind);
      result.provisional = result.provisional || provisional_year;
      if (traced) {
        note = std::string(DayKindName(kind));
        if (provisional_year) note += " (provisional year: weekends only)";
      }
    } else if (traced) {
      if (unit == common::v1::LIMIT_UNIT_NATURAL_DAYS) {
        note = "natural day";
      } else if (walked == 0) {
        note = absl::StrCat("acceptance day (same-day limit, counted from ",
                            absl::FormatTime("%H:%M:%E*S", req.accepted_at, tz), ")");
      } else {
        note = "natural day (same-day limit carried over by pauses)";
      }
    }

    absl::Duration contributed = absl::ZeroDuration();
    absl::Time due_in_day = day_end;
    auto add_free_segment = [&](absl::Time from, absl::Time to) {
      const absl::Duration length = to - from;
      if (!due_found) {
        const absl::Duration missing = result.budget - cumulative;
        if (length >= missing) {
          due_found = true;
          result.due = from + missing;
          due_in_day = result.due;
          contributed += missing;
        } else {
          contributed += length;
        }
      }
      if (req.as_of > from) consumed += std::min(to, req.as_of) - from;
      cumulative += length;
    };

    if (counted) {
      while (cursor < pauses.size() && pauses[cursor].end <= day_start) ++cursor;
      absl::Time free_from = day_start;
      for (size_t i = cursor; i < pauses.size() && pauses[i].start < day_end; ++i) {
        if (traced) absl::StrAppend(&note, "; ", DescribePause(pauses[i], tz));
        if (pauses[i].start > free_from) add_free_segment(free_from, pauses[i].start);
        free_from = std::max(free_from, pauses[i].end);
        if (free_from >= day_end) break;
      }
      if (free_from < day_end) add_free_segment(free_from, day_end);
    }
    if (traced) {
      const absl::Duration paused =
          counted ? (due_in_day - day_start) - contributed : absl::ZeroDuration();
      walk.days.push_back({civil_day(), counted, std::move(note), contributed, paused});
    }
    day_start = day_end;
    day_start_is_midnight = true;
  }

  result.consumed = consumed;
  result.remaining = result.budget - consumed;
  return walk;
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds towards the past
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return out;
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  absl::Duration fraction;
  // Truncates towards zero, so seconds and nanos carry the same sign as the proto requires.
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &fraction);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(fraction / absl::Nanoseconds(1)));
  return out;
}

absl::StatusOr<absl::Time> FromProtoTimestamp(const google::protobuf::Timestamp& t,
                                              absl::string_view field, bool required) {
  if (required && t.seconds() == 0 && t.nanos() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be set"));
  }
  if (t.seconds() < kMinTimestampSeconds || t.seconds() > kMaxTimestampSeconds || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not a valid timestamp (seconds ",
                                                   t.seconds(), ", nanos ", t.nanos(), ")"));
  }
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

absl::StatusOr<Deadline> ComputeDeadline(const WorkingCalendar& cal, const DeadlineRequest& req) {
  SUNLIGHT_ASSIGN_OR_RETURN(Walk walk, WalkDays(cal, req, /*explain=*/false));
  return std::move(walk.deadline);
}

absl::StatusOr<v1::DeadlineExplanation> ExplainDeadline(const WorkingCalendar& cal,
                                                        const DeadlineRequest& req) {
  SUNLIGHT_ASSIGN_OR_RETURN(Walk walk, WalkDays(cal, req, /*explain=*/true));
  const Deadline& deadline = walk.deadline;
  const absl::TimeZone& tz = cal.time_zone();

  v1::DeadlineExplanation out;
  *out.mutable_due() = ToProtoTimestamp(deadline.due);
  *out.mutable_remaining() = ToProtoDuration(deadline.remaining);
  out.set_calendar_version(deadline.calendar_version);
  out.set_provisional(deadline.provisional);
  out.set_paused(deadline.paused);
  *out.mutable_as_of() = ToProtoTimestamp(req.as_of);
  *out.mutable_limit() = req.limit;

  std::vector<std::string> counted_days;
  absl::Duration paused_total = absl::ZeroDuration();
  for (const DayTrace& trace : walk.days) {
    v1::ExplainedDay* day = out.add_days();
    day->set_date(absl::FormatCivilTime(trace.day));
    day->set_counted(trace.counted);
    day->set_note(trace.note);
    *day->mutable_consumed() = ToProtoDuration(trace.contributed);
    if (trace.counted) counted_days.push_back(day->date());
    paused_total += trace.paused;
  }
  for (size_t index : walk.pauses.taken) {
    const PauseInterval& pause = req.pauses[index];
    v1::Pause* proto = out.add_pauses();
    *proto->mutable_start() = ToProtoTimestamp(pause.start);
    if (pause.end.has_value()) *proto->mutable_end() = ToProtoTimestamp(*pause.end);
    proto->set_reason(pause.reason);
  }

  std::string summary =
      absl::StrCat("Accepted ", FormatInstant(req.accepted_at, tz), "; limit ",
                   DescribeLimit(req.limit), "; counted days ", absl::StrJoin(counted_days, ", "));
  if (paused_total > absl::ZeroDuration()) {
    absl::StrAppend(&summary, "; pauses stopped the clock for ", absl::FormatDuration(paused_total),
                    " of counted time");
  }
  absl::StrAppend(&summary, "; due ", FormatInstant(deadline.due, tz), " (calendar ",
                  deadline.calendar_version, deadline.provisional ? ", provisional" : "", "). ");
  absl::StrAppend(&summary, "As of ", FormatInstant(req.as_of, tz), ": ");
  if (deadline.remaining >= absl::ZeroDuration()) {
    absl::StrAppend(&summary, absl::FormatDuration(deadline.remaining), " remaining");
  } else {
    absl::StrAppend(&summary, "overdue by ", absl::FormatDuration(-deadline.remaining));
  }
  absl::StrAppend(&summary, deadline.paused ? ", paused." : ".");
  out.set_summary(std::move(summary));
  return out;
}

absl::StatusOr<DeadlineRequest> DeadlineRequestFromProto(
    const google::protobuf::Timestamp& accepted_at, const sunlight::common::v1::TimeLimit& limit,
    const google::protobuf::RepeatedPtrField<v1::Pause>& pauses,
    const google::protobuf::Timestamp& as_of) {
  DeadlineRequest req;
  SUNLIGHT_ASSIGN_OR_RETURN(req.accepted_at,
                            FromProtoTimestamp(accepted_at, "accepted_at", /*required=*/true));
  SUNLIGHT_ASSIGN_OR_RETURN(req.as_of, FromProtoTimestamp(as_of, "as_of", /*required=*/true));
  req.limit = limit;
  for (int i = 0; i < pauses.size(); ++i) {
    const v1::Pause& pause = pauses[i];
    PauseInterval interval;
    SUNLIGHT_ASSIGN_OR_RETURN(
        interval.start,
        FromProtoTimestamp(pause.start(), absl::StrCat("pauses[", i, "].start"), true));
    if (pause.has_end()) {
      SUNLIGHT_ASSIGN_OR_RETURN(
          interval.end,
          FromProtoTimestamp(pause.end(), absl::StrCat("pauses[", i, "].end"), false));
    }
    interval.reason = pause.reason();
    req.pauses.push_back(std::move(interval));
  }
  SUNLIGHT_RETURN_IF_ERROR(ValidateRequest(req));
  return req;
}

std::vector<PauseInterval> PausesFromProto(
    const google::protobuf::RepeatedPtrField<v1::Pause>& pauses) {
  std::vector<PauseInterval> out;
  out.reserve(pauses.size());
  for (const auto& p : pauses) {
    PauseInterval interval{
        absl::FromUnixSeconds(p.start().seconds()) + absl::Nanoseconds(p.start().nanos()),
        std::nullopt, p.reason()};
    if (p.has_end()) {
      interval.end = absl::FromUnixSeconds(p.end().seconds()) + absl::Nanoseconds(p.end().nanos());
    }
    out.push_back(std::move(interval));
  }
  return out;
}

}  // namespace sunlight::calendar
