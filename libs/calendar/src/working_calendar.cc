#include "sunlight/calendar/working_calendar.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/base/message_text.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/base/utf8.h"

namespace sunlight::calendar {
namespace {

constexpr int kMinYear = 1000;
constexpr int kMaxYear = 9999;
// Longest calendar name, time zone or version, and most years in one calendar.
constexpr size_t kMaxNameBytes = 128;
constexpr int kMaxYears = 200;

bool IsWeekend(absl::CivilDay day) {
  const absl::Weekday weekday = absl::GetWeekday(day);
  return weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
}

bool AllDigits(absl::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isdigit(c); });
}

int ParseDigits(absl::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

// Strict YYYY-MM-DD: exactly ten characters, and a real date (absl::CivilDay normalizes
// 2025-02-30 to 2025-03-02, so a round trip detects impossible dates).
bool ParseDate(absl::string_view text, absl::CivilDay* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  const absl::string_view y = text.substr(0, 4), m = text.substr(5, 2), d = text.substr(8, 2);
  if (!AllDigits(y) || !AllDigits(m) || !AllDigits(d)) return false;
  const int year = ParseDigits(y), month = ParseDigits(m), dom = ParseDigits(d);
  const absl::CivilDay parsed(year, month, dom);
  if (parsed.year() != year || parsed.month() != month || parsed.day() != dom) return false;
  *day = parsed;
  return true;
}

// Every Saturday and Sunday off, every other day working: the base of every year.
std::vector<DayKind> WeekendsOnly(int64_t year) {
  const absl::CivilDay first(year, 1, 1);
  std::vector<DayKind> kinds(absl::CivilDay(year + 1, 1, 1) - first);
  for (size_t i = 0; i < kinds.size(); ++i) {
    kinds[i] = IsWeekend(first + i) ? DayKind::kWeekend : DayKind::kWorkingDay;
  }
  return kinds;
}

std::string YearField(const std::string& key) { return absl::StrCat("years[\"", key, "\"]"); }

// FNV-1a 64: tiny, fixed by specification, hence identical on every machine and release.
class Fnv1a64 {
 public:
  // Length-prefixed, so that no two different field sequences hash the same byte stream.
  void AddField(absl::string_view tag, absl::string_view value) {
    AddBytes(tag);
    AddBytes(absl::StrCat("=", value.size(), ":"));
    AddBytes(value);
    AddBytes("\n");
  }
  std::string Hex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 0; i < 16; ++i) out[15 - i] = kDigits[(hash_ >> (4 * i)) & 0xf];
    return out;
  }

 private:
  void AddBytes(absl::string_view bytes) {
    for (unsigned char c : bytes) {
      hash_ ^= c;
      hash_ *= 1099511628211ULL;
    }
  }
  uint64_t hash_ = 14695981039346656037ULL;
};

std::string JoinDays(const std::set<absl::CivilDay>& days) {
  std::string out;
  for (const absl::CivilDay& day : days) {
    if (!out.empty()) out += ',';
    out += absl::FormatCivilTime(day);
  }
  return out;
}

// Parses one list of dates under years["<key>"], checking each lies in `year`.
absl::Status ParseDateList(const std::string& key, int year, absl::string_view list_name,
                           const google::protobuf::RepeatedPtrField<std::string>& dates,
                           std::set<absl::CivilDay>* out) {
  for (int i = 0; i < dates.size(); ++i) {
    const std::string field = absl::StrCat(YearField(key), ".", list_name, "[", i, "]");
    absl::CivilDay day;
    if (!ParseDate(dates[i], &day)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": \"", dates[i], "\" is not a date in the form YYYY-MM-DD"));
    }
    if (day.year() != year) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", dates[i], " is not in the year ", key));
    }
    out->insert(day);
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view DayKindName(DayKind kind) {
  switch (kind) {
    case DayKind::kWorkingDay:
      return "working day";
    case DayKind::kMakeUpWorkingDay:
      return "make-up working day";
    case DayKind::kWeekend:
      return "weekend";
    case DayKind::kPublicHoliday:
      return "public holiday";
  }
  return "unknown day kind";
}

absl::StatusOr<std::shared_ptr<const WorkingCalendar>> WorkingCalendar::LoadFile(
    const std::string& path, const std::vector<int>& extra_provisional_years) {
  std::error_code exists_error;
  if (!std::filesystem::exists(path, exists_error)) {
    return absl::NotFoundError(absl::StrCat("calendar file ", path, ": no such file"));
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    const std::string reason =
        absl::StrCat("calendar file ", path,
                     ": cannot open: ", error != 0 ? std::strerror(error) : "unknown error");
    if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(reason);
    return absl::UnavailableError(reason);
  }
  std::stringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    return absl::UnavailableError(absl::StrCat("calendar file ", path, ": read failed"));
  }
  return FromJson(content.str(), absl::StrCat("calendar file ", path), extra_provisional_years);
}

absl::StatusOr<std::shared_ptr<const WorkingCalendar>> WorkingCalendar::FromJson(
    const std::string& json, const std::string& origin,
    const std::vector<int>& extra_provisional_years) {
  v1::HolidayCalendarFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &file, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": invalid JSON: ", parsed.message().ToString()));
  }
  for (int year : extra_provisional_years) {
    if (std::find(file.provisional_years().begin(), file.provisional_years().end(), year) ==
        file.provisional_years().end()) {
      file.add_provisional_years(year);
    }
  }
  auto calendar = FromProto(file);
  if (!calendar.ok()) {
    return absl::Status(calendar.status().code(),
                        absl::StrCat(origin, ": ", calendar.status().message()));
  }
  return calendar;
}

absl::StatusOr<std::shared_ptr<const WorkingCalendar>> WorkingCalendar::FromProto(
    const v1::HolidayCalendarFile& file) {
  if (file.name().empty()) return absl::InvalidArgumentError("name: must not be empty");
  if (file.timezone().empty()) return absl::InvalidArgumentError("timezone: must not be empty");
  // Text is checked before anything is read from it (files and requests alike).
  SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(file.name(), "name", kMaxNameBytes));
  SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(file.timezone(), "timezone", kMaxNameBytes));
  SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(file.version(), "version", kMaxNameBytes));
  SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(file.source(), "source", kMaxTextLength));
  SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(file.rule(), "rule", kMaxTextLength));
  SUNLIGHT_RETURN_IF_ERROR(ValidateMessageText(file, kMaxTextLength));
  if (file.years_size() > kMaxYears || file.provisional_years_size() > kMaxYears) {
    return absl::InvalidArgumentError(
        absl::StrCat("years: at most ", kMaxYears, " years in one calendar"));
  }
  absl::TimeZone time_zone;
  if (!absl::LoadTimeZone(file.timezone(), &time_zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("timezone: cannot load time zone \"", file.timezone(), "\""));
  }

  // Walk years in key order so that the first error reported does not depend on map order.
  std::map<std::string, const v1::YearArrangement*> by_key;
  for (const auto& [key, arrangement] : file.years()) by_key.emplace(key, &arrangement);
  struct YearDates {
    std::set<absl::CivilDay> off;
    std::set<absl::CivilDay> extra;
  };
  std::map<int, YearDates> years;
  for (const auto& [key, arrangement] : by_key) {
    if (key.size() != 4 || !AllDigits(key) || ParseDigits(key) < kMinYear) {
      return absl::InvalidArgumentError(
          absl::StrCat(YearField(key), ": the key must be a 4-digit year"));
    }
    const int year = ParseDigits(key);
    YearDates& dates = years[year];
    SUNLIGHT_RETURN_IF_ERROR(
        ParseDateList(key, year, "days_off", arrangement->days_off(), &dates.off));
    SUNLIGHT_RETURN_IF_ERROR(ParseDateList(key, year, "extra_working_days",
                                           arrangement->extra_working_days(), &dates.extra));
    for (const absl::CivilDay& day : dates.off) {
      if (dates.extra.count(day) > 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(YearField(key), ": ", absl::FormatCivilTime(day),
                         " is listed both in days_off and in extra_working_days"));
      }
    }
  }

  std::set<int64_t> provisional;
  for (int i = 0; i < file.provisional_years_size(); ++i) {
    const int year = file.provisional_years(i);
    const std::string field = absl::StrCat("provisional_years[", i, "]");
    if (year < kMinYear || year > kMaxYear) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": ", year, " is not a 4-digit year"));
    }
    if (years.count(year) > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", year, " has a published arrangement; it cannot be provisional"));
    }
    provisional.insert(year);
  }

  std::shared_ptr<WorkingCalendar> calendar(new WorkingCalendar());
  calendar->name_ = file.name();
  calendar->time_zone_ = time_zone;
  calendar->provisional_ = std::move(provisional);

  Fnv1a64 fingerprint;
  fingerprint.AddField("name", file.name());
  fingerprint.AddField("timezone", file.timezone());
  for (const auto& [year, dates] : years) {
    fingerprint.AddField("year", absl::StrCat(year));
    fingerprint.AddField("days_off", JoinDays(dates.off));
    fingerprint.AddField("extra_working_days", JoinDays(dates.extra));

    std::vector<DayKind> kinds = WeekendsOnly(year);
    const absl::CivilDay first(year, 1, 1);
    for (const absl::CivilDay& day : dates.off) kinds[day - first] = DayKind::kPublicHoliday;
    for (const absl::CivilDay& day : dates.extra) kinds[day - first] = DayKind::kMakeUpWorkingDay;
    calendar->years_.emplace(year, std::move(kinds));
  }
  std::string provisional_list;
  for (int64_t year : calendar->provisional_) {
    if (!provisional_list.empty()) provisional_list += ',';
    provisional_list += absl::StrCat(year);
    calendar->years_.emplace(year, WeekendsOnly(year));
  }
  fingerprint.AddField("provisional_years", provisional_list);

  calendar->version_ =
      file.version().empty() ? absl::StrCat("fp-", fingerprint.Hex()) : file.version();
  calendar->versioned_name_ = absl::StrCat(calendar->name_, "@", calendar->version_);
  return std::shared_ptr<const WorkingCalendar>(std::move(calendar));
}

bool WorkingCalendar::HasPublishedYear(int year) const {
  return years_.count(year) > 0 && provisional_.count(year) == 0;
}

bool WorkingCalendar::IsProvisionalYear(int year) const { return provisional_.count(year) > 0; }

absl::Status WorkingCalendar::NoArrangement(int64_t year) const {
  return absl::FailedPreconditionError(absl::StrCat("no published holiday arrangement for ", year,
                                                    " in calendar ", versioned_name_));
}

absl::StatusOr<DayKind> WorkingCalendar::Classify(absl::CivilDay day) const {
  const auto year = years_.find(day.year());
  if (year == years_.end()) return NoArrangement(day.year());
  return year->second[day - absl::CivilDay(day.year(), 1, 1)];
}

absl::StatusOr<absl::Span<const DayKind>> WorkingCalendar::ClassifyYear(int64_t year) const {
  const auto found = years_.find(year);
  if (found == years_.end()) return NoArrangement(year);
  return absl::Span<const DayKind>(found->second);
}

std::optional<std::vector<absl::CivilDay>> WorkingCalendar::DaysThatDiffer(
    const WorkingCalendar& other) const {
  if (time_zone_ != other.time_zone_) return std::nullopt;
  std::set<int64_t> years;
  for (const auto& [year, kinds] : years_) years.insert(year);
  for (const auto& [year, kinds] : other.years_) years.insert(year);
  std::vector<absl::CivilDay> days;
  for (int64_t year : years) {
    const auto mine = years_.find(year);
    const auto theirs = other.years_.find(year);
    const absl::CivilDay first(year, 1, 1);
    const int64_t length = absl::CivilDay(year + 1, 1, 1) - first;
    for (int64_t i = 0; i < length; ++i) {
      if (mine == years_.end() || theirs == other.years_.end() ||
          mine->second[i] != theirs->second[i]) {
        days.push_back(first + i);
      }
    }
  }
  return days;
}

absl::StatusOr<std::vector<int>> ParseProvisionalYears(absl::string_view csv) {
  std::vector<int> years;
  if (csv.empty()) return years;
  for (absl::string_view part : absl::StrSplit(csv, ',')) {
    int year = 0;
    if (!absl::SimpleAtoi(part, &year) || year < 1900 || year > 9999) {
      return absl::InvalidArgumentError(
          absl::StrCat("--provisional_years: not a year: \"", std::string(part), "\""));
    }
    years.push_back(year);
  }
  return years;
}

}  // namespace sunlight::calendar
