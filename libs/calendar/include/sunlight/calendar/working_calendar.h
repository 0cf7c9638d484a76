// A jurisdiction's working calendar: which days are working days, in which time zone days
// begin and end, and which version of the published holiday arrangements says so.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(std::shared_ptr<const WorkingCalendar> cal,
//                             WorkingCalendar::LoadFile("data/calendars/cn-mainland.json"));
//   SUNLIGHT_ASSIGN_OR_RETURN(DayKind kind, cal->Classify(absl::CivilDay(2026, 2, 14)));
//   // kind == DayKind::kMakeUpWorkingDay: a Saturday worked in exchange for Spring Festival.
//
// The State Council publishes each year's arrangement in November, so next year's may not
// exist yet. A calendar never guesses: a year without published data fails with
// FAILED_PRECONDITION unless the file lists it in `provisional_years`, in which case it is
// classified weekends-only and every result that used it is marked provisional.
#ifndef SUNLIGHT_CALENDAR_WORKING_CALENDAR_H_
#define SUNLIGHT_CALENDAR_WORKING_CALENDAR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "sunlight/calendar/v1/calendar.pb.h"

namespace sunlight::calendar {

// What a calendar day is, in the sense that matters for counting working days.
enum class DayKind {
  kWorkingDay,        // Monday-Friday, not a public holiday.
  kMakeUpWorkingDay,  // A weekend day worked in exchange for a holiday (调休).
  kWeekend,           // Saturday or Sunday with no make-up work.
  kPublicHoliday,     // Listed as a day off (including weekend days inside a holiday period).
};

// True for the kinds that count towards a working-day limit.
constexpr bool IsWorkingDay(DayKind kind) {
  return kind == DayKind::kWorkingDay || kind == DayKind::kMakeUpWorkingDay;
}

// "working day", "make-up working day", "weekend", "public holiday".
absl::string_view DayKindName(DayKind kind);

// Immutable once built; every method is const and safe to call from any thread. Share it as
// std::shared_ptr<const WorkingCalendar> so a reload can swap in a new version while running
// computations keep the one they started with.
class WorkingCalendar {
 public:
  // Reads a JSON file in the JSON mapping of v1::HolidayCalendarFile (unknown fields are
  // ignored) and validates it with FromProto.
  // On error: NOT_FOUND when the file does not exist, PERMISSION_DENIED or UNAVAILABLE when
  // it cannot be read, INVALID_ARGUMENT naming the file and the parser's message when the JSON is
  // bad, and FromProto's error (prefixed with the file name) when the content is invalid.
  // `extra_provisional_years` are added to the file's provisional_years: the operator's
  // explicit permission (a service flag) to run weekends-only in a year not yet published.
  static absl::StatusOr<std::shared_ptr<const WorkingCalendar>> LoadFile(
      const std::string& path, const std::vector<int>& extra_provisional_years = {});

  // LoadFile's parsing and validation of a file's content; errors begin with `origin`
  // ("calendar file <path>").
  static absl::StatusOr<std::shared_ptr<const WorkingCalendar>> FromJson(
      const std::string& json, const std::string& origin,
      const std::vector<int>& extra_provisional_years = {});

  // Validates and indexes a calendar. Requirements, each failing with INVALID_ARGUMENT that
  // names the offending field: `name` is not empty; `timezone` loads with absl::LoadTimeZone;
  // every key of `years` is a 4-digit year; every date is YYYY-MM-DD, a real date, and lies
  // in the year it is listed under; no date is both a day off and an extra working day; every
  // provisional year is a 4-digit year without published data.
  // Duplicate dates within one list are accepted and counted once.
  // The version is `file.version()` when set, else "fp-" followed by 16 hex digits of the
  // FNV-1a 64-bit hash of the canonical content (name, timezone, each year's sorted dates,
  // sorted provisional years); the fingerprint is the same in every process and on every
  // machine and ignores the order of dates, `source` and `rule`.
  static absl::StatusOr<std::shared_ptr<const WorkingCalendar>> FromProto(
      const v1::HolidayCalendarFile& file);

  // Jurisdiction name, e.g. "cn-mainland-public-holidays".
  const std::string& name() const { return name_; }
  // The file's version, or the content fingerprint "fp-<16 hex digits>".
  const std::string& version() const { return version_; }
  // "<name>@<version>": what results record as the calendar they were computed with.
  const std::string& versioned_name() const { return versioned_name_; }
  // The zone in which days begin and end at 00:00.
  const absl::TimeZone& time_zone() const { return time_zone_; }

  // True when the file carries a published arrangement for `year`.
  bool HasPublishedYear(int year) const;
  // True when `year` has no published arrangement but is explicitly allowed weekends-only.
  bool IsProvisionalYear(int year) const;

  // The kind of `day`. A published year follows the file's rule: a date listed in days_off is
  // a public holiday, a date listed in extra_working_days is a make-up working day, any other
  // Saturday or Sunday is a weekend, and any other day is a working day. A provisional year
  // is weekends-only (Monday-Friday working). Any other year fails with FAILED_PRECONDITION
  // ("no published holiday arrangement for 2027 in calendar <name>@<version>").
  absl::StatusOr<DayKind> Classify(absl::CivilDay day) const;

  // The kinds of all days of `year`, index 0 being January 1, for callers that walk many days
  // (ComputeDeadline). Same rules and errors as Classify. The span lives as long as the
  // calendar.
  absl::StatusOr<absl::Span<const DayKind>> ClassifyYear(int64_t year) const;

  // The days whose kind differs between this calendar and `other` (a year one of them has no
  // arrangement for counts in full), in order; nullopt when their time zones differ, which
  // moves every instant. What a re-plan after a calendar change must look at: a deadline
  // that counts no day of this list is the same under both calendars.
  std::optional<std::vector<absl::CivilDay>> DaysThatDiffer(const WorkingCalendar& other) const;

 private:
  WorkingCalendar() = default;

  std::string name_;
  std::string version_;
  std::string versioned_name_;
  absl::TimeZone time_zone_;
  absl::Status NoArrangement(int64_t year) const;

  // Published and provisional years: the kind of each day, indexed by day of year (0-based).
  std::map<int64_t, std::vector<DayKind>> years_;
  std::set<int64_t> provisional_;
};

// Parses a comma-separated list of years ("2027,2028"; empty: none) as given on a service's
// --provisional_years flag. INVALID_ARGUMENT naming the flag for anything else.
absl::StatusOr<std::vector<int>> ParseProvisionalYears(absl::string_view csv);

}  // namespace sunlight::calendar

#endif  // SUNLIGHT_CALENDAR_WORKING_CALENDAR_H_
