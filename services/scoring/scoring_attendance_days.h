// Attendance (考勤) as pure functions: a person's day judged from their post, the calendar's
// verdict on the day and the punches of that day (so that re-deriving a stored day gives the
// same bytes), and the checks and sums around it.
//
//   DayFacts facts{.person_id = "p1", .day = absl::CivilDay(2026, 3, 2),
//                  .assignment = AssignmentOn(assignments, day), .working_day = true,
//                  .closed = true, .punches = punches};
//   v1::AttendanceDay judged = JudgeDay(facts, LimitsOf(rules).attendance, zone);
//   // judged.counted() is what the day adds to the measures and the deductions.
//
// A day is judged against the periods of the assignment in force, on a working day of the
// calendar only. Punches count by their corrected instant; a punch of no kind is the sign-in
// when first, the sign-out when last, and leaves and returns in turn in between.
//  - late: the first sign-in (the first punch when none is a sign-in) is more than the grace
//    after the start of the first period; late_minutes is the whole delay, rounded up;
//  - left early (closed days only): the last punch is more than the grace before the end of
//    the last period; left_early_minutes is the whole shortfall, rounded up;
//  - absent: closed and no punch at all;
//  - away: each leave followed by a return whose overlap with the periods is longer than
//    away_gap_minutes adds that overlap (so a lunch break between periods costs nothing).
#ifndef SUNLIGHT_SERVICES_SCORING_SCORING_ATTENDANCE_DAYS_H_
#define SUNLIGHT_SERVICES_SCORING_SCORING_ATTENDANCE_DAYS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "sunlight/scoring/v1/scoring.pb.h"

namespace sunlight::scoring {

// Minutes after midnight of a local "HH:MM" (00:00 to 23:59); nullopt when malformed.
std::optional<int> ParseClockTime(const std::string& text);
// A day "YYYY-MM-DD" (1970 to 9999); nullopt when malformed. DayLabel is the inverse.
std::optional<absl::CivilDay> ParseDayLabel(const std::string& text);
std::string DayLabel(absl::CivilDay day);

// OK when the assignment's person (at most 64 bytes), department, window, hours (unless it
// ends the post: at least one period, each start before its end, in order, not overlapping)
// and effective_from are well formed; otherwise INVALID_ARGUMENT naming the field under
// "assignment." ("assignment.hours[1].start").
absl::Status ValidateAssignment(const v1::StaffAssignment& assignment);

// Of a person's assignments in ascending effective_from, the one in force on `day`; nullptr
// when none is, or the one in force ends the post.
const v1::StaffAssignment* AssignmentOn(const std::vector<v1::StaffAssignment>& assignments,
                                        absl::CivilDay day);
// Whether the person holds a post in `department_id` (any when empty) on some day of `month`
// (yyyymm).
bool AssignedInMonth(const std::vector<v1::StaffAssignment>& assignments, int64_t month,
                     const std::string& department_id);

// A batch's device clock skew: `now` - `device_time` in whole seconds (rounded). A skew of
// more than a day is FAILED_PRECONDITION naming device_time: a replayed batch (its old
// device_time would move every punch to now) or a clock to set.
absl::StatusOr<int64_t> SkewSeconds(absl::Time now, absl::Time device_time,
                                    const absl::TimeZone& zone);
// INVALID_ARGUMENT "<field>.person_id: ..." (or .device_sequence, .at, .kind) unless the
// punch has a person, a sequence from 1, an instant and a known kind.
absl::Status ValidatePunch(const v1::Punch& punch, const std::string& field);
// The same person and device instant: a retried punch, not a changed one.
bool SamePunch(const v1::Punch& a, const v1::Punch& b);

struct DayFacts {
  std::string person_id;
  absl::CivilDay day;
  const v1::StaffAssignment* assignment = nullptr;  // in force that day (AssignmentOn)
  bool working_day = false;                         // per the working calendar
  bool closed = false;                              // the local day has ended
  std::vector<v1::StoredPunch> punches;             // of that day, in any order
};

// The day as judged by `rules` with the periods in `zone` (see the top of this file). An
// unscheduled day (no assignment, not a working day) has no hours, no faults and an empty
// `counted`; a scheduled one counts 1 attendance day and its faults, each fault kind one
// "attendance_fault" event.
v1::AttendanceDay JudgeDay(DayFacts facts, const v1::AttendanceRules& rules,
                           const absl::TimeZone& zone);

// The points the day's faults cost in the monthly attendance score.
int64_t FaultCentipoints(const v1::AttendanceDay& day, const v1::AttendanceRules& rules);

// A person's sheet of `month` (yyyymm) over its `days`: the scheduled ones counted (present:
// with a punch), the score the base less each day's FaultCentipoints, clamped at 0; the
// department and window of the latest day that has them.
v1::AttendanceSheet SheetOfDays(int64_t month, const std::string& person,
                                std::vector<v1::AttendanceDay> days,
                                const v1::AttendanceRules& rules);

// OK when a punch at `at` may still be recorded at `now`: at most `window_days` before it and
// at most 5 minutes after. Otherwise FAILED_PRECONDITION "<field>: ..." (an older missed punch
// is a correction, 补卡), with the instants shown in `zone`.
absl::Status RequireRecent(absl::Time at, absl::Time now, uint32_t window_days,
                           const std::string& field, const absl::TimeZone& zone);

}  // namespace sunlight::scoring

#endif  // SUNLIGHT_SERVICES_SCORING_SCORING_ATTENDANCE_DAYS_H_
