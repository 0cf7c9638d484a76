// Measures: what one case contributes to each day and group, and the arithmetic of Measures.
// Pure functions of a CaseRecord and the working calendar, so that a recomputation from the
// same records gives the same numbers.
//
// Each measure counts on the local day (in the calendar's time zone) of the fact behind it:
// received on the submission day, accepted / refused / withdrawn on theirs, completed, on
// time, overdue, same-day, working time used and saved and fees on the completion day,
// yellow and red on the day the case clock first turned so, supplement requests, special
// procedures (started; their time on the day they ended), extensions, notices (issued;
// accepted or escalated on the decision day) and anomalies on theirs.
#ifndef SUNLIGHT_SERVICES_SCORING_SCORING_MEASURES_H_
#define SUNLIGHT_SERVICES_SCORING_SCORING_MEASURES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/scoring/v1/scoring.pb.h"

namespace sunlight::scoring {

// a += sign * b, field by field (every field of Measures is an integer).
void AddMeasures(v1::Measures& a, const v1::Measures& b, int sign = 1);
bool IsZero(const v1::Measures& m);

// yyyymmdd and yyyymm of a civil day; the day of a yyyymmdd.
int64_t DayNumber(absl::CivilDay day);
int64_t MonthNumber(int64_t day_number);
absl::CivilDay DayOf(int64_t day_number);

// The case's measures per local day, and the groups (center, department, window, person,
// item, category, channel) they belong to; groups with an unknown value are left out.
v1::Contribution Contribute(const v1::CaseRecord& record,
                            const calendar::WorkingCalendar& calendar);

// Rates in basis points; nullopt-like -1 when nothing was completed.
int64_t OnTimeRateBp(const v1::Measures& m);
int64_t SameDayRateBp(const v1::Measures& m);

// "2026-11-03", "2026-W45", "2026-11", "2026-Q4", "2026" of the period holding `day`.
std::string PeriodLabel(v1::Period period, absl::CivilDay day);
// The first day of the period before / a year before the one holding `day`.
absl::CivilDay PreviousPeriodStart(v1::Period period, absl::CivilDay day);
absl::CivilDay PeriodStart(v1::Period period, absl::CivilDay day);

// "YYYY-MM" of a month number and back (0 when malformed).
std::string MonthLabel(int64_t month_number);
int64_t ParseMonth(const std::string& label);
// ParseMonth, or INVALID_ARGUMENT "<field>: a month YYYY-MM".
absl::StatusOr<int64_t> RequireMonth(const std::string& label, const std::string& field = "month");
// The month before, and the same month a year before.
int64_t PreviousMonth(int64_t month_number);

}  // namespace sunlight::scoring

#endif  // SUNLIGHT_SERVICES_SCORING_SCORING_MEASURES_H_
