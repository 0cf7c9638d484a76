#include "sunlight/calendar/working_calendar.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include "calendar_test_data.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace sunlight::calendar {
namespace {

// A small valid calendar to mutate in validation tests.
v1::HolidayCalendarFile SmallCalendar() {
  v1::HolidayCalendarFile file;
  file.set_name("test-calendar");
  file.set_timezone("Asia/Shanghai");
  v1::YearArrangement& year = (*file.mutable_years())["2025"];
  year.add_days_off("2025-01-01");
  year.add_days_off("2025-01-28");
  year.add_days_off("2025-01-29");
  year.add_extra_working_days("2025-01-26");
  return file;
}

// A file in the test's temporary directory, removed when the object goes out of scope.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& content)
      : path_(std::filesystem::temp_directory_path() /
              absl::StrCat("sunlight_calendar_test_", getpid(), "_", name)) {
    std::ofstream out(path_);
    out << content;
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

DayKind KindOf(const WorkingCalendar& calendar, absl::CivilDay day) {
  auto kind = calendar.Classify(day);
  REQUIRE(kind.ok());
  return *kind;
}

TEST_CASE(
    "the national calendar file loads with a content fingerprint that is the same on every load",
    "[calendar]") {
  auto first = WorkingCalendar::LoadFile(kCalendarFile);
  auto second = WorkingCalendar::LoadFile(kCalendarFile);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  const WorkingCalendar& calendar = **first;
  CHECK(calendar.name() == "cn-mainland-public-holidays");
  CHECK(calendar.time_zone().name() == "Asia/Shanghai");
  CHECK(calendar.version() == (*second)->version());
  REQUIRE(calendar.version().size() == 19);
  CHECK(calendar.version().substr(0, 3) == "fp-");
  CHECK(calendar.version().find_first_not_of("0123456789abcdef", 3) == std::string::npos);
  CHECK(calendar.versioned_name() == "cn-mainland-public-holidays@" + calendar.version());
  CHECK(calendar.HasPublishedYear(2024));
  CHECK(calendar.HasPublishedYear(2025));
  CHECK(calendar.HasPublishedYear(2026));
  CHECK_FALSE(calendar.HasPublishedYear(2027));
  CHECK_FALSE(calendar.IsProvisionalYear(2027));
}

TEST_CASE("the national calendar classifies make-up days, holidays and weekends", "[calendar]") {
  const WorkingCalendar& cal = *National();
  CHECK(KindOf(cal, absl::CivilDay(2026, 2, 14)) == DayKind::kMakeUpWorkingDay);   // Saturday
  CHECK(KindOf(cal, absl::CivilDay(2026, 10, 1)) == DayKind::kPublicHoliday);      // Thursday
  CHECK(KindOf(cal, absl::CivilDay(2026, 2, 16)) == DayKind::kPublicHoliday);      // Monday
  CHECK(KindOf(cal, absl::CivilDay(2026, 2, 21)) == DayKind::kPublicHoliday);      // Sat in holiday
  CHECK(KindOf(cal, absl::CivilDay(2026, 2, 13)) == DayKind::kWorkingDay);         // Friday
  CHECK(KindOf(cal, absl::CivilDay(2026, 3, 7)) == DayKind::kWeekend);             // Saturday
  CHECK(KindOf(cal, absl::CivilDay(2025, 1, 26)) == DayKind::kMakeUpWorkingDay);   // Sunday
  CHECK(KindOf(cal, absl::CivilDay(2025, 2, 8)) == DayKind::kMakeUpWorkingDay);    // Saturday
  CHECK(KindOf(cal, absl::CivilDay(2025, 10, 11)) == DayKind::kMakeUpWorkingDay);  // Saturday
  CHECK(KindOf(cal, absl::CivilDay(2024, 12, 31)) == DayKind::kWorkingDay);
  CHECK(KindOf(cal, absl::CivilDay(2024, 1, 1)) == DayKind::kPublicHoliday);
}

TEST_CASE("only working and make-up working days are working days", "[calendar]") {
  CHECK(IsWorkingDay(DayKind::kWorkingDay));
  CHECK(IsWorkingDay(DayKind::kMakeUpWorkingDay));
  CHECK_FALSE(IsWorkingDay(DayKind::kWeekend));
  CHECK_FALSE(IsWorkingDay(DayKind::kPublicHoliday));
  CHECK(DayKindName(DayKind::kMakeUpWorkingDay) == "make-up working day");
}

TEST_CASE("a year without published data fails with FAILED_PRECONDITION instead of a guess",
          "[calendar]") {
  const WorkingCalendar& cal = *National();
  auto kind = cal.Classify(absl::CivilDay(2027, 1, 4));
  REQUIRE(kind.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(kind.status().message(), "no published holiday arrangement for 2027"));
  CHECK(absl::StrContains(kind.status().message(), cal.versioned_name()));
  CHECK(cal.Classify(absl::CivilDay(2023, 12, 29)).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("DaysThatDiffer lists the days a change reclassifies, a whole year added, or nothing",
          "[calendar]") {
  auto before = WorkingCalendar::FromProto(SmallCalendar());
  REQUIRE(before.ok());
  v1::HolidayCalendarFile changed = SmallCalendar();
  (*changed.mutable_years())["2025"].add_days_off("2025-03-03");            // a Monday off
  (*changed.mutable_years())["2025"].add_extra_working_days("2025-01-25");  // a Saturday worked
  auto after = WorkingCalendar::FromProto(changed);
  REQUIRE(after.ok());
  auto days = (*before)->DaysThatDiffer(**after);
  REQUIRE(days.has_value());
  CHECK(*days ==
        std::vector<absl::CivilDay>{absl::CivilDay(2025, 1, 25), absl::CivilDay(2025, 3, 3)});
  CHECK((*after)->DaysThatDiffer(**before) == days);
  CHECK((*before)->DaysThatDiffer(**before)->empty());

  v1::HolidayCalendarFile next_year = SmallCalendar();
  next_year.add_provisional_years(2026);
  auto with_2026 = WorkingCalendar::FromProto(next_year);
  REQUIRE(with_2026.ok());
  auto added = (*before)->DaysThatDiffer(**with_2026);
  REQUIRE(added.has_value());
  REQUIRE(added->size() == 365);
  CHECK(added->front() == absl::CivilDay(2026, 1, 1));
  CHECK(added->back() == absl::CivilDay(2026, 12, 31));

  v1::HolidayCalendarFile elsewhere = SmallCalendar();
  elsewhere.set_timezone("Europe/Berlin");
  auto zone = WorkingCalendar::FromProto(elsewhere);
  REQUIRE(zone.ok());
  CHECK_FALSE((*before)->DaysThatDiffer(**zone).has_value());
}

TEST_CASE("a provisional year is classified weekends-only", "[calendar]") {
  v1::HolidayCalendarFile file = SmallCalendar();
  file.add_provisional_years(2027);
  auto calendar = WorkingCalendar::FromProto(file);
  REQUIRE(calendar.ok());
  const WorkingCalendar& cal = **calendar;
  CHECK(cal.IsProvisionalYear(2027));
  CHECK_FALSE(cal.HasPublishedYear(2027));
  CHECK_FALSE(cal.IsProvisionalYear(2025));
  CHECK(KindOf(cal, absl::CivilDay(2027, 1, 1)) == DayKind::kWorkingDay);  // Friday, no data
  CHECK(KindOf(cal, absl::CivilDay(2027, 1, 2)) == DayKind::kWeekend);
  CHECK(cal.Classify(absl::CivilDay(2026, 6, 1)).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("the fingerprint ignores date order, source and rule but follows the content",
          "[calendar]") {
  auto base = WorkingCalendar::FromProto(SmallCalendar());
  REQUIRE(base.ok());

  v1::HolidayCalendarFile reordered = SmallCalendar();
  v1::YearArrangement& year = (*reordered.mutable_years())["2025"];
  year.clear_days_off();
  year.add_days_off("2025-01-29");
  year.add_days_off("2025-01-01");
  year.add_days_off("2025-01-28");
  reordered.set_source("another notice");
  reordered.set_rule("the same rule in other words");
  auto same = WorkingCalendar::FromProto(reordered);
  REQUIRE(same.ok());
  CHECK((*same)->version() == (*base)->version());

  v1::HolidayCalendarFile changed = SmallCalendar();
  (*changed.mutable_years())["2025"].add_days_off("2025-01-30");
  auto other = WorkingCalendar::FromProto(changed);
  REQUIRE(other.ok());
  CHECK((*other)->version() != (*base)->version());

  v1::HolidayCalendarFile with_provisional = SmallCalendar();
  with_provisional.add_provisional_years(2026);
  auto provisional = WorkingCalendar::FromProto(with_provisional);
  REQUIRE(provisional.ok());
  CHECK((*provisional)->version() != (*base)->version());
}

TEST_CASE("an explicit version is used as given", "[calendar]") {
  v1::HolidayCalendarFile file = SmallCalendar();
  file.set_version("2025-11-04");
  auto calendar = WorkingCalendar::FromProto(file);
  REQUIRE(calendar.ok());
  CHECK((*calendar)->version() == "2025-11-04");
  CHECK((*calendar)->versioned_name() == "test-calendar@2025-11-04");
}

TEST_CASE("invalid calendar content is rejected with INVALID_ARGUMENT naming the field",
          "[calendar]") {
  auto expect_invalid = [](const v1::HolidayCalendarFile& file, const std::string& field) {
    auto calendar = WorkingCalendar::FromProto(file);
    INFO("expected field " << field << ", got " << calendar.status().ToString());
    REQUIRE(calendar.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(calendar.status().message(), field));
  };

  SECTION("empty name") {
    v1::HolidayCalendarFile file = SmallCalendar();
    file.clear_name();
    expect_invalid(file, "name");
  }
  SECTION("unknown time zone") {
    v1::HolidayCalendarFile file = SmallCalendar();
    file.set_timezone("Mars/Olympus_Mons");
    expect_invalid(file, "timezone: ");
  }
  SECTION("year key that is not a 4-digit year") {
    v1::HolidayCalendarFile file = SmallCalendar();
    (*file.mutable_years())["25"].add_days_off("2025-05-01");
    expect_invalid(file, "years[\"25\"]");
  }
  SECTION("impossible date") {
    v1::HolidayCalendarFile file = SmallCalendar();
    (*file.mutable_years())["2025"].add_days_off("2025-02-30");
    expect_invalid(file, "years[\"2025\"].days_off[3]");
  }
  SECTION("date not in YYYY-MM-DD form") {
    v1::HolidayCalendarFile file = SmallCalendar();
    (*file.mutable_years())["2025"].add_extra_working_days("2025-2-8");
    expect_invalid(file, "years[\"2025\"].extra_working_days[1]");
  }
  SECTION("date outside its year") {
    v1::HolidayCalendarFile file = SmallCalendar();
    (*file.mutable_years())["2025"].add_days_off("2024-12-31");
    expect_invalid(file, "years[\"2025\"].days_off[3]");
  }
  SECTION("date both off and extra") {
    v1::HolidayCalendarFile file = SmallCalendar();
    (*file.mutable_years())["2025"].add_extra_working_days("2025-01-28");
    expect_invalid(file, "2025-01-28 is listed both in days_off and in extra_working_days");
  }
  SECTION("provisional year that has published data") {
    v1::HolidayCalendarFile file = SmallCalendar();
    file.add_provisional_years(2025);
    expect_invalid(file, "provisional_years[0]");
  }
  SECTION("provisional year that is not a 4-digit year") {
    v1::HolidayCalendarFile file = SmallCalendar();
    file.add_provisional_years(2027);
    file.add_provisional_years(27);
    expect_invalid(file, "provisional_years[1]");
  }
}

TEST_CASE("loading a missing calendar file fails with NOT_FOUND", "[calendar]") {
  auto calendar = WorkingCalendar::LoadFile("/nonexistent/sunlight/calendar.json");
  REQUIRE(calendar.status().code() == absl::StatusCode::kNotFound);
  CHECK(absl::StrContains(calendar.status().message(), "/nonexistent/sunlight/calendar.json"));
}

TEST_CASE("loading bad JSON fails with INVALID_ARGUMENT naming the file", "[calendar]") {
  TempFile file("bad.json", "{\"name\": \"x\", \"years\": [");
  auto calendar = WorkingCalendar::LoadFile(file.path());
  REQUIRE(calendar.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(calendar.status().message(), file.path()));
  CHECK(absl::StrContains(calendar.status().message(), "invalid JSON"));
}

TEST_CASE("loading a file with invalid content names the file and the field", "[calendar]") {
  TempFile file("bad_date.json",
                R"({"name": "x", "timezone": "Asia/Shanghai",
                    "years": {"2025": {"days_off": ["2025-01-01", "2025-13-01"]}}})");
  auto calendar = WorkingCalendar::LoadFile(file.path());
  REQUIRE(calendar.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(calendar.status().message(), file.path()));
  CHECK(absl::StrContains(calendar.status().message(), "years[\"2025\"].days_off[1]"));
}

TEST_CASE("unknown JSON fields are ignored when loading", "[calendar]") {
  TempFile file("unknown_fields.json",
                R"({"name": "x", "timezone": "Asia/Shanghai", "publisher": "someone",
                    "years": {"2025": {"days_off": ["2025-01-01"], "note": "n"}},
                    "provisionalYears": [2026]})");
  auto calendar = WorkingCalendar::LoadFile(file.path());
  REQUIRE(calendar.ok());
  CHECK(KindOf(**calendar, absl::CivilDay(2025, 1, 1)) == DayKind::kPublicHoliday);
  CHECK((*calendar)->IsProvisionalYear(2026));
}

}  // namespace
}  // namespace sunlight::calendar
