// Due instants of time limits: THE deadline convention of the project (DOMAIN.md section 5).
//
//   DeadlineRequest request;
//   request.accepted_at = absl::FromCivil(absl::CivilSecond(2026, 2, 13, 15, 0, 0), shanghai);
//   request.limit.set_amount(5);
//   request.limit.set_unit(sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS);
//   request.as_of = clock.Now();
//   SUNLIGHT_ASSIGN_OR_RETURN(Deadline deadline, ComputeDeadline(*calendar, request));
//   // deadline.due == 2026-02-28 00:00 +08:00: Feb 14 (a make-up Saturday), 24, 25, 26, 27.
//
// The convention, in full:
//  - Days begin and end at 00:00 in the calendar's time zone (Asia/Shanghai for the national
//    calendar). "24:00 of day D" is 00:00 of the day after D.
//  - Working-day limits: the acceptance day is not counted. The clock starts at 00:00 of the
//    day after the acceptance day (`budget_start`). Every working day (WorkingCalendar::
//    Classify gives a working or make-up working day) contributes its whole 24 hours of
//    working time; weekends and public holidays contribute none. A limit of N working days
//    is a budget of N x 24 h. The due instant is the earliest instant at which the consumed
//    working time reaches the budget; with no pauses that is 24:00 of the N-th working day
//    after the acceptance day.
//  - Natural-day limits: the same, except that every day counts. Natural-day and same-day
//    limits do not consult the calendar's holiday data, only its time zone.
//  - Same-day limits (amount 0 or 1): the clock starts at the acceptance instant and the
//    budget is the natural time from it to 24:00 of the acceptance day, so without pauses the
//    case is due at 24:00 of the acceptance day. Pauses push the due instant later by their
//    overlap, and the clock then runs on into the following days as natural time.
//  - A pause (special procedure, waiting for supplements) consumes no working time from its
//    start to its end, to the second (indeed to the nanosecond). Pauses may come in any
//    order and overlap; overlap is counted once. Only the part of a pause that overlaps
//    counted time matters (a pause on a weekend, or before the clock starts, changes
//    nothing). Taken literally, this means that a one-second pause on the last working day
//    before a weekend moves the due instant to 00:00:01 of the next working day.
//  - An open pause (no end) is taken to end at `as_of`: the due instant it yields is the one
//    that holds if the pause ended now, and it moves later while the pause stays open. An
//    open pause that starts after `as_of` has not begun and is ignored. `paused` is true when
//    `as_of` lies inside a pause: an open pause that started at or before `as_of`, or a
//    closed pause with start <= as_of < end. Closed pauses apply as given, even where they
//    lie after `as_of`.
//  - `consumed` is the working time consumed from `budget_start` to `as_of` (zero before the
//    clock starts; it keeps growing past the budget once overdue), and `remaining` is
//    `budget - consumed`, negative when overdue. While a pause is open, `remaining` stays
//    fixed as `as_of` advances.
//  - Never a guess: for a working-day limit, every day from the clock start to the later of
//    the due day and the `as_of` day is classified, and a day in a year the calendar has
//    neither published nor declared provisional fails the computation with
//    FAILED_PRECONDITION. `provisional` is true when a provisional year was used.
//  - In a zone with daylight saving time a day contributes its real length (23 or 25 h), so
//    the due instant can differ from 24:00 by the shift; Asia/Shanghai has none.
//
// Cost: O(days walked + pauses), no per-second or per-hour loops. The computation is pure and
// thread-safe (the calendar is immutable).
#ifndef SUNLIGHT_CALENDAR_DEADLINE_H_
#define SUNLIGHT_CALENDAR_DEADLINE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "sunlight/calendar/v1/calendar.pb.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/common/v1/common.pb.h"

namespace sunlight::calendar {

// An interval during which the clock stands still.
struct PauseInterval {
  absl::Time start;
  std::optional<absl::Time> end;  // nullopt while the pause is still open
  std::string reason;             // e.g. "supplement", "hearing"
};

struct DeadlineRequest {
  absl::Time accepted_at;
  sunlight::common::v1::TimeLimit limit;  // amount + unit
  std::vector<PauseInterval> pauses;      // any order, may overlap; overlap counted once
  absl::Time as_of;                       // "now", for `consumed`, `remaining` and open pauses
};

struct Deadline {
  absl::Time due;                // instant at which consumed working time reaches the budget
  absl::Time budget_start;       // 00:00 of the day after acceptance (same-day: acceptance instant)
  absl::Duration budget;         // N x 24 h (same-day: acceptance instant to 24:00 of that day)
  absl::Duration consumed;       // working time consumed at as_of; >= 0, may exceed the budget
  absl::Duration remaining;      // budget - consumed; negative when overdue
  bool provisional = false;      // a provisional (weekends-only) year was used
  bool paused = false;           // as_of lies inside a pause
  std::string calendar_version;  // WorkingCalendar::versioned_name(), "<name>@<version>"
};

// Applies the convention above.
// On error: INVALID_ARGUMENT naming the field — "limit.unit" (unspecified or unknown),
// "limit.amount" (0 for working or natural days, more than 3660, or more than 1 for a
// same-day limit), "accepted_at" / "as_of" / "pauses[i].start" / "pauses[i].end" (an infinite
// instant, or an end before its start); FAILED_PRECONDITION from WorkingCalendar::Classify
// when a needed day has no data; OUT_OF_RANGE when the computation would walk more than
// 100 years of days (an absurd as_of or pause).
absl::StatusOr<Deadline> ComputeDeadline(const WorkingCalendar& cal, const DeadlineRequest& req);

// ComputeDeadline plus an explanation a person can check by hand: one ExplainedDay per
// calendar day from the acceptance day to the due day inclusive (the due day is the day in
// which the budget runs out, so a due instant of 2026-02-28 00:00 ends the list at
// 2026-02-27). Each day says whether it is counted, why ("acceptance day (not counted)",
// "working day", "make-up working day", "weekend", "public holiday", "natural day", and the
// pauses that overlap it) and the working time it contributed towards the budget (these sum
// to the budget). `pauses` are the request's pauses as given, in the given order, minus open
// pauses that had not begun at as_of. Errors as for ComputeDeadline.
absl::StatusOr<sunlight::calendar::v1::DeadlineExplanation> ExplainDeadline(
    const WorkingCalendar& cal, const DeadlineRequest& req);

// Converts the RPC form for handlers, validating and naming fields (INVALID_ARGUMENT):
// "accepted_at" / "as_of" (unset, i.e. the Unix epoch, or outside 0001-9999 or nanos out of
// range), "pauses[i].start" (likewise), "pauses[i].end" (out of range or before its start; an
// unset end means an open pause), and the limit checks of ComputeDeadline.
absl::StatusOr<DeadlineRequest> DeadlineRequestFromProto(
    const google::protobuf::Timestamp& accepted_at, const sunlight::common::v1::TimeLimit& limit,
    const google::protobuf::RepeatedPtrField<v1::Pause>& pauses,
    const google::protobuf::Timestamp& as_of);

// The pauses of stored records (trusted: no validation): an unset end is a pause still open.
std::vector<PauseInterval> PausesFromProto(
    const google::protobuf::RepeatedPtrField<v1::Pause>& pauses);

}  // namespace sunlight::calendar

#endif  // SUNLIGHT_CALENDAR_DEADLINE_H_
