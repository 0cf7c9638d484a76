#include "sunlight/calendar/deadline.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>
#include "calendar_test_data.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/calendar/working_calendar.h"

namespace sunlight::calendar {
namespace {

using ::sunlight::common::v1::LIMIT_UNIT_NATURAL_DAYS;
using ::sunlight::common::v1::LIMIT_UNIT_SAME_DAY;
using ::sunlight::common::v1::LIMIT_UNIT_UNSPECIFIED;
using ::sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS;
using ::sunlight::common::v1::LimitUnit;

// The national data with 2027 declared provisional (weekends-only).
std::shared_ptr<const WorkingCalendar> NationalWithProvisional2027() {
  std::ifstream in(kCalendarFile);
  std::stringstream json;
  json << in.rdbuf();
  v1::HolidayCalendarFile file;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json.str(), &file).ok());
  file.add_provisional_years(2027);
  auto calendar = WorkingCalendar::FromProto(file);
  REQUIRE(calendar.ok());
  return *calendar;
}

const absl::TimeZone& Shanghai() {
  static const absl::TimeZone zone = [] {
    absl::TimeZone tz;
    REQUIRE(absl::LoadTimeZone("Asia/Shanghai", &tz));
    return tz;
  }();
  return zone;
}

// A local instant in Asia/Shanghai.
absl::Time At(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), Shanghai());
}

DeadlineRequest Request(absl::Time accepted_at, uint32_t amount,
                        LimitUnit unit = LIMIT_UNIT_WORKING_DAYS) {
  DeadlineRequest req;
  req.accepted_at = accepted_at;
  req.limit.set_amount(amount);
  req.limit.set_unit(unit);
  req.as_of = accepted_at;
  return req;
}

PauseInterval Closed(absl::Time start, absl::Time end, std::string reason = "supplement") {
  return PauseInterval{start, end, std::move(reason)};
}

PauseInterval Open(absl::Time start, std::string reason = "hearing") {
  return PauseInterval{start, std::nullopt, std::move(reason)};
}

Deadline Compute(const DeadlineRequest& req, const WorkingCalendar& cal = *National()) {
  auto deadline = ComputeDeadline(cal, req);
  INFO(deadline.status().ToString());
  REQUIRE(deadline.ok());
  return *deadline;
}

v1::DeadlineExplanation Explain(const DeadlineRequest& req,
                                const WorkingCalendar& cal = *National()) {
  auto explanation = ExplainDeadline(cal, req);
  INFO(explanation.status().ToString());
  REQUIRE(explanation.ok());
  return *explanation;
}

std::vector<std::string> CountedDates(const v1::DeadlineExplanation& explanation) {
  std::vector<std::string> dates;
  for (const v1::ExplainedDay& day : explanation.days()) {
    if (day.counted()) dates.push_back(day.date());
  }
  return dates;
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::Duration ExplainedTotal(const v1::DeadlineExplanation& explanation) {
  absl::Duration total = absl::ZeroDuration();
  for (const v1::ExplainedDay& day : explanation.days()) total += FromProto(day.consumed());
  return total;
}

// --- Golden cases: exact instants, checked by hand against the 2024-2026 arrangements. ---

TEST_CASE(
    "the DOMAIN.md example: accepted Fri 2026-02-13 15:00 with 5 working days is due "
    "2026-02-28 00:00",
    "[deadline][golden]") {
  const DeadlineRequest req = Request(At(2026, 2, 13, 15), 5);
  const Deadline deadline = Compute(req);
  CHECK(deadline.due == At(2026, 2, 28));
  CHECK(deadline.budget_start == At(2026, 2, 14));
  CHECK(deadline.budget == absl::Hours(120));
  CHECK(deadline.consumed == absl::ZeroDuration());
  CHECK(deadline.remaining == absl::Hours(120));
  CHECK_FALSE(deadline.provisional);
  CHECK_FALSE(deadline.paused);
  CHECK(deadline.calendar_version == National()->versioned_name());

  const v1::DeadlineExplanation explanation = Explain(req);
  CHECK(FromProto(explanation.due()) == At(2026, 2, 28));
  CHECK(CountedDates(explanation) == std::vector<std::string>{"2026-02-14", "2026-02-24",
                                                              "2026-02-25", "2026-02-26",
                                                              "2026-02-27"});
  // Every day from the acceptance day to the due day (Feb 13 to Feb 27), each explained.
  REQUIRE(explanation.days_size() == 15);
  CHECK(explanation.days(0).date() == "2026-02-13");
  CHECK(explanation.days(0).note() == "acceptance day (not counted)");
  CHECK_FALSE(explanation.days(0).counted());
  CHECK(explanation.days(1).note() == "make-up working day");
  CHECK(FromProto(explanation.days(1).consumed()) == absl::Hours(24));
  CHECK(explanation.days(2).note() == "public holiday");
  CHECK(FromProto(explanation.days(2).consumed()) == absl::ZeroDuration());
  CHECK(explanation.days(14).date() == "2026-02-27");
  CHECK(explanation.days(14).note() == "working day");
  CHECK(ExplainedTotal(explanation) == absl::Hours(120));
  CHECK(explanation.calendar_version() == National()->versioned_name());
  CHECK(explanation.limit().amount() == 5);
  CHECK(FromProto(explanation.as_of()) == req.as_of);
  CHECK(explanation.summary() ==
        "Accepted 2026-02-13 15:00:00 +08:00; limit 5 working days; counted days 2026-02-14, "
        "2026-02-24, 2026-02-25, 2026-02-26, 2026-02-27; due 2026-02-28 00:00:00 +08:00 "
        "(calendar " +
            National()->versioned_name() + "). As of 2026-02-13 15:00:00 +08:00: 120h remaining.");
}

TEST_CASE("the make-up working day Sun 2025-01-26 is counted", "[deadline][golden]") {
  // Sat Jan 25 is a weekend, Sun Jan 26 a make-up working day, Mon Jan 27 a working day.
  const DeadlineRequest req = Request(At(2025, 1, 24, 10), 2);
  CHECK(Compute(req).due == At(2025, 1, 28));
  CHECK(CountedDates(Explain(req)) == std::vector<std::string>{"2025-01-26", "2025-01-27"});
}

TEST_CASE("the make-up working day Sat 2025-02-08 is counted", "[deadline][golden]") {
  // Thu Feb 6, Fri Feb 7, then Sat Feb 8 (make-up after the Spring Festival).
  const DeadlineRequest req = Request(At(2025, 2, 5, 16), 3);
  CHECK(Compute(req).due == At(2025, 2, 9));
  CHECK(CountedDates(Explain(req)) ==
        std::vector<std::string>{"2025-02-06", "2025-02-07", "2025-02-08"});
}

TEST_CASE(
    "a case accepted on Fri 2025-09-26 has the make-up Sunday 09-28 as its first working "
    "day",
    "[deadline][golden]") {
  CHECK(Compute(Request(At(2025, 9, 26, 10), 1)).due == At(2025, 9, 29));
}

TEST_CASE(
    "a case accepted during the National Day holiday starts counting on the first "
    "working day after it",
    "[deadline][golden]") {
  // Oct 4-8 are days off; Thu Oct 9 is the first working day.
  const DeadlineRequest req = Request(At(2025, 10, 3, 11), 1);
  const Deadline deadline = Compute(req);
  CHECK(deadline.budget_start == At(2025, 10, 4));
  CHECK(deadline.due == At(2025, 10, 10));
  const v1::DeadlineExplanation explanation = Explain(req);
  CHECK(CountedDates(explanation) == std::vector<std::string>{"2025-10-09"});
  REQUIRE(explanation.days_size() == 7);  // Oct 3 .. Oct 9
  CHECK(explanation.days(1).note() == "public holiday");
}

TEST_CASE("the make-up working day Sat 2025-10-11 is counted", "[deadline][golden]") {
  const DeadlineRequest req = Request(At(2025, 10, 9, 17), 2);
  CHECK(Compute(req).due == At(2025, 10, 12));
  CHECK(CountedDates(Explain(req)) == std::vector<std::string>{"2025-10-10", "2025-10-11"});
}

TEST_CASE("a pause spanning the National Day holiday stops the clock only on working days",
          "[deadline][golden]") {
  // Accepted Fri 2025-09-26 10:00, 5 working days. Without a pause the working days are
  // Sep 28 (make-up Sunday), 29, 30, Oct 9, 10: due 2025-10-11 00:00.
  // Pause from Tue Sep 30 14:00 to Thu Oct 9 10:00. Consumed before it: Sep 28 + Sep 29 +
  // 14 h of Sep 30 = 62 h; 58 h remain. Oct 1-8 are days off. Oct 9 from 10:00 gives 14 h
  // (44 h left), Fri Oct 10 gives 24 h (20 h left), Sat Oct 11 is a make-up working day:
  // due 2025-10-11 20:00.
  DeadlineRequest req = Request(At(2025, 9, 26, 10), 5);
  CHECK(Compute(req).due == At(2025, 10, 11));
  req.pauses.push_back(Closed(At(2025, 9, 30, 14), At(2025, 10, 9, 10), "expert review"));
  const Deadline deadline = Compute(req);
  CHECK(deadline.due == At(2025, 10, 11, 20));

  const v1::DeadlineExplanation explanation = Explain(req);
  REQUIRE(explanation.days_size() == 16);  // Sep 26 .. Oct 11
  CHECK(explanation.days(4).date() == "2025-09-30");
  CHECK(FromProto(explanation.days(4).consumed()) == absl::Hours(14));
  CHECK(explanation.days(4).note() ==
        "working day; paused 2025-09-30 14:00:00 to 2025-10-09 10:00:00 (expert review)");
  CHECK(explanation.days(5).note() == "public holiday");
  CHECK(FromProto(explanation.days(13).consumed()) == absl::Hours(14));  // Oct 9
  CHECK(FromProto(explanation.days(15).consumed()) == absl::Hours(20));  // Oct 11
  CHECK(ExplainedTotal(explanation) == absl::Hours(120));
  CHECK(explanation.pauses_size() == 1);
  CHECK(absl::StrContains(explanation.summary(), "pauses stopped the clock for 20h"));
}

TEST_CASE("a one-second pause on a working day moves the due instant by exactly one second",
          "[deadline][golden]") {
  DeadlineRequest req = Request(At(2026, 2, 13, 15), 5);
  req.pauses.push_back(Closed(At(2026, 2, 24, 10, 0, 0), At(2026, 2, 24, 10, 0, 1)));
  // Sat Feb 28 is itself a make-up working day, so the missing second is taken from it.
  CHECK(Compute(req).due == At(2026, 2, 28, 0, 0, 1));
}

TEST_CASE("a one-second pause before a weekend carries the last second over the weekend",
          "[deadline][golden]") {
  // Accepted Thu 2026-03-05, 1 working day: Fri Mar 6, due Sat Mar 7 00:00. One second of
  // pause on Friday leaves one second of working time, which the next working day (Mon Mar 9)
  // supplies: due 2026-03-09 00:00:01. This is the convention taken literally.
  DeadlineRequest req = Request(At(2026, 3, 5, 9), 1);
  CHECK(Compute(req).due == At(2026, 3, 7));
  req.pauses.push_back(Closed(At(2026, 3, 6, 11, 0, 0), At(2026, 3, 6, 11, 0, 1)));
  CHECK(Compute(req).due == At(2026, 3, 9, 0, 0, 1));
}

TEST_CASE("pauses on a weekend or on the acceptance day change nothing", "[deadline][golden]") {
  // Accepted Thu 2026-03-05, 3 working days: Mar 6, 9, 10; due Wed Mar 11 00:00.
  DeadlineRequest req = Request(At(2026, 3, 5, 9), 3);
  req.pauses.push_back(Closed(At(2026, 3, 7, 8), At(2026, 3, 8, 20)));   // weekend
  req.pauses.push_back(Closed(At(2026, 3, 5, 10), At(2026, 3, 5, 12)));  // acceptance day
  req.pauses.push_back(Closed(At(2026, 3, 1, 10), At(2026, 3, 5, 12)));  // before acceptance
  req.as_of = At(2026, 3, 12);
  const Deadline deadline = Compute(req);
  CHECK(deadline.due == At(2026, 3, 11));
  CHECK(deadline.consumed == absl::Hours(96));  // Mar 6, 9, 10, 11
  CHECK_FALSE(deadline.paused);
}

TEST_CASE("overlapping pauses are counted once", "[deadline][golden]") {
  // 2026-03-05 + 3 working days is due Mar 11 00:00. Pauses 10:00-14:00 and 12:00-16:00 on
  // Fri Mar 6 overlap into 6 h; a copy of the first pause adds nothing: due Mar 11 06:00.
  DeadlineRequest req = Request(At(2026, 3, 5, 9), 3);
  req.pauses.push_back(Closed(At(2026, 3, 6, 12), At(2026, 3, 6, 16), "hearing"));
  req.pauses.push_back(Closed(At(2026, 3, 6, 10), At(2026, 3, 6, 14), "supplement"));
  req.pauses.push_back(Closed(At(2026, 3, 6, 10), At(2026, 3, 6, 14), "supplement"));
  CHECK(Compute(req).due == At(2026, 3, 11, 6));
  const v1::DeadlineExplanation explanation = Explain(req);
  CHECK(explanation.days(1).note() ==
        "working day; paused 2026-03-06 10:00:00 to 2026-03-06 16:00:00 (supplement, hearing)");
  CHECK(FromProto(explanation.days(1).consumed()) == absl::Hours(18));
}

TEST_CASE("an open pause is paused at as_of and its remaining time stands still",
          "[deadline][golden]") {
  // Accepted Mon 2026-03-02 09:00, 10 working days: Mar 3-6, 9-13, 16; due Mar 17 00:00.
  // Pause opened Wed Mar 4 10:00: consumed 24 h + 10 h = 34 h, 206 h remain.
  DeadlineRequest req = Request(At(2026, 3, 2, 9), 10);
  CHECK(Compute(req).due == At(2026, 3, 17));
  req.pauses.push_back(Open(At(2026, 3, 4, 10)));

  // As of Thu Mar 5 12:00 the pause has lasted 26 h of working time: due Mar 18 02:00.
  req.as_of = At(2026, 3, 5, 12);
  const Deadline thursday = Compute(req);
  CHECK(thursday.paused);
  CHECK(thursday.consumed == absl::Hours(34));
  CHECK(thursday.remaining == absl::Hours(206));
  CHECK(thursday.due == At(2026, 3, 18, 2));

  // As of Mon Mar 9 12:00 it has lasted 14 + 24 + 24 + 12 = 74 h: due Fri Mar 20 02:00.
  req.as_of = At(2026, 3, 9, 12);
  const Deadline monday = Compute(req);
  CHECK(monday.paused);
  CHECK(monday.remaining == absl::Hours(206));
  CHECK(monday.due == At(2026, 3, 20, 2));

  const v1::DeadlineExplanation explanation = Explain(req);
  CHECK(explanation.paused());
  REQUIRE(explanation.pauses_size() == 1);
  CHECK_FALSE(explanation.pauses(0).has_end());
  CHECK(explanation.days(3).note() ==
        "working day; paused 2026-03-04 10:00:00 to as_of 2026-03-09 12:00:00 (still open, "
        "hearing)");
  CHECK(absl::StrContains(explanation.summary(), "206h remaining, paused."));
}

TEST_CASE("an open pause that starts after as_of has not begun and is ignored",
          "[deadline][golden]") {
  DeadlineRequest req = Request(At(2026, 3, 2, 9), 10);
  req.pauses.push_back(Open(At(2026, 3, 6, 10)));
  req.as_of = At(2026, 3, 5, 12);
  const Deadline deadline = Compute(req);
  CHECK_FALSE(deadline.paused);
  CHECK(deadline.due == At(2026, 3, 17));
  CHECK(Explain(req).pauses_size() == 0);
}

TEST_CASE("a closed pause that contains as_of is paused", "[deadline][golden]") {
  DeadlineRequest req = Request(At(2026, 3, 2, 9), 10);
  req.pauses.push_back(Closed(At(2026, 3, 4, 10), At(2026, 3, 4, 14)));
  req.as_of = At(2026, 3, 4, 12);
  CHECK(Compute(req).paused);
  req.as_of = At(2026, 3, 4, 14);  // the end is not inside
  CHECK_FALSE(Compute(req).paused);
}

TEST_CASE("natural-day limits count every day including holidays", "[deadline][golden]") {
  // Feb 14-18 are five days (holidays included): due 2026-02-19 00:00.
  const DeadlineRequest req = Request(At(2026, 2, 13, 15), 5, LIMIT_UNIT_NATURAL_DAYS);
  const Deadline deadline = Compute(req);
  CHECK(deadline.due == At(2026, 2, 19));
  CHECK(deadline.budget == absl::Hours(120));
  CHECK(deadline.budget_start == At(2026, 2, 14));
  CHECK(CountedDates(Explain(req)) == std::vector<std::string>{"2026-02-14", "2026-02-15",
                                                               "2026-02-16", "2026-02-17",
                                                               "2026-02-18"});
}

TEST_CASE("natural-day limits do not need holiday data", "[deadline][golden]") {
  // 2027 has no data, but natural days only need the time zone.
  const Deadline deadline = Compute(Request(At(2026, 12, 31, 10), 1, LIMIT_UNIT_NATURAL_DAYS));
  CHECK(deadline.due == At(2027, 1, 2));
  CHECK_FALSE(deadline.provisional);
}

TEST_CASE("a same-day limit is due at 24:00 of the acceptance day", "[deadline][golden]") {
  for (uint32_t amount : {0u, 1u}) {
    DeadlineRequest req = Request(At(2026, 2, 13, 15), amount, LIMIT_UNIT_SAME_DAY);
    req.as_of = At(2026, 2, 13, 16, 30);
    const Deadline deadline = Compute(req);
    CHECK(deadline.due == At(2026, 2, 14));
    CHECK(deadline.budget_start == At(2026, 2, 13, 15));
    CHECK(deadline.budget == absl::Hours(9));
    CHECK(deadline.remaining == absl::Hours(7.5));
  }
}

TEST_CASE("a pause in a same-day limit carries the rest over as natural time",
          "[deadline][golden]") {
  // 15:00 to 20:00 uses 5 h of the 9 h budget; paused until 08:00 the next day (a holiday
  // does not matter for same-day limits); the remaining 4 h end at 2026-02-14 12:00.
  DeadlineRequest req = Request(At(2026, 2, 13, 15), 1, LIMIT_UNIT_SAME_DAY);
  req.pauses.push_back(Closed(At(2026, 2, 13, 20), At(2026, 2, 14, 8)));
  CHECK(Compute(req).due == At(2026, 2, 14, 12));
  const v1::DeadlineExplanation explanation = Explain(req);
  REQUIRE(explanation.days_size() == 2);
  CHECK(explanation.days(0).counted());
  CHECK(FromProto(explanation.days(0).consumed()) == absl::Hours(5));
  CHECK(FromProto(explanation.days(1).consumed()) == absl::Hours(4));
}

TEST_CASE("in a zone with daylight saving time a day contributes its real length", "[deadline]") {
  v1::HolidayCalendarFile file;
  file.set_name("berlin-test");
  file.set_timezone("Europe/Berlin");
  auto calendar = WorkingCalendar::FromProto(file);
  REQUIRE(calendar.ok());
  const absl::TimeZone berlin = (*calendar)->time_zone();
  auto local = [&](int y, int m, int d, int hh) {
    return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), berlin);
  };
  // Sun 2026-03-29 has 23 hours, so 3 x 24 h from Mar 28 00:00 end at Mar 31 01:00.
  const v1::DeadlineExplanation spring =
      Explain(Request(local(2026, 3, 27, 10), 3, LIMIT_UNIT_NATURAL_DAYS), **calendar);
  CHECK(FromProto(spring.due()) == local(2026, 3, 31, 1));
  REQUIRE(spring.days_size() == 5);
  CHECK(FromProto(spring.days(2).consumed()) == absl::Hours(23));
  // Sun 2026-10-25 has 25 hours, so 3 x 24 h from Oct 24 00:00 end at Oct 26 23:00.
  const v1::DeadlineExplanation autumn =
      Explain(Request(local(2026, 10, 23, 10), 3, LIMIT_UNIT_NATURAL_DAYS), **calendar);
  CHECK(FromProto(autumn.due()) == local(2026, 10, 26, 23));
  REQUIRE(autumn.days_size() == 4);
  CHECK(FromProto(autumn.days(2).consumed()) == absl::Hours(25));
  // Mar 2 to Apr 30 (60 days, one of them 23 h long): the hour is carried into May 1.
  CHECK(FromProto(Explain(Request(local(2026, 3, 1, 10), 60, LIMIT_UNIT_NATURAL_DAYS), **calendar)
                      .due()) == local(2026, 5, 1, 1));
}

TEST_CASE("a working-day limit reaching a year without data fails with FAILED_PRECONDITION",
          "[deadline]") {
  // Accepted Mon 2026-12-28, 5 working days reach into 2027, which is not published.
  auto deadline = ComputeDeadline(*National(), Request(At(2026, 12, 28, 10), 5));
  REQUIRE(deadline.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(deadline.status().message(), "2027"));
  CHECK(absl::StrContains(deadline.status().message(), National()->versioned_name()));
}

TEST_CASE("a provisional year is used weekends-only and marks the result provisional",
          "[deadline][golden]") {
  // Dec 29, 30, 31, Fri 2027-01-01 (no data: weekends-only), Mon 2027-01-04: due Jan 5.
  const auto calendar = NationalWithProvisional2027();
  const DeadlineRequest req = Request(At(2026, 12, 28, 10), 5);
  const Deadline deadline = Compute(req, *calendar);
  CHECK(deadline.due == At(2027, 1, 5));
  CHECK(deadline.provisional);
  const v1::DeadlineExplanation explanation = Explain(req, *calendar);
  CHECK(explanation.provisional());
  CHECK(CountedDates(explanation) == std::vector<std::string>{"2026-12-29", "2026-12-30",
                                                              "2026-12-31", "2027-01-01",
                                                              "2027-01-04"});
  CHECK(Compute(Request(At(2026, 3, 2, 9), 10), *calendar).provisional == false);
}

TEST_CASE("remaining time needs the calendar up to as_of, even for an overdue case", "[deadline]") {
  DeadlineRequest req = Request(At(2026, 12, 1, 10), 5);
  req.as_of = At(2027, 1, 4, 10);
  CHECK(ComputeDeadline(*National(), req).status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("remaining time is exactly budget minus consumed and negative when overdue",
          "[deadline][golden]") {
  DeadlineRequest req = Request(At(2026, 2, 13, 15), 5);
  struct Case {
    absl::Time as_of;
    absl::Duration consumed;
  };
  const Case cases[] = {
      {At(2026, 2, 10), absl::ZeroDuration()},      // before acceptance
      {At(2026, 2, 13, 23), absl::ZeroDuration()},  // acceptance day
      {At(2026, 2, 14, 6), absl::Hours(6)},         // make-up Saturday
      {At(2026, 2, 20, 12), absl::Hours(24)},       // Spring Festival
      {At(2026, 2, 25, 12), absl::Hours(60)},       // Feb 14, 24, half of 25
      {At(2026, 2, 28), absl::Hours(120)},          // due
      {At(2026, 2, 28, 6), absl::Hours(126)},       // Feb 28 is a make-up Saturday
      {At(2026, 3, 1, 12), absl::Hours(144)},       // Sunday
  };
  for (const Case& c : cases) {
    req.as_of = c.as_of;
    const Deadline deadline = Compute(req);
    INFO("as_of " << absl::FormatTime(c.as_of, Shanghai()));
    CHECK(deadline.due == At(2026, 2, 28));
    CHECK(deadline.consumed == c.consumed);
    CHECK(deadline.remaining == absl::Hours(120) - c.consumed);
  }
  req.as_of = At(2026, 2, 28, 6);
  CHECK(absl::StrContains(Explain(req).summary(), "overdue by 6h."));
  CHECK(FromProto(Explain(req).remaining()) == absl::Hours(-6));
}

TEST_CASE("invalid requests fail with INVALID_ARGUMENT naming the field", "[deadline]") {
  auto expect_invalid = [](const DeadlineRequest& req, const std::string& field) {
    auto deadline = ComputeDeadline(*National(), req);
    INFO("expected " << field << ", got " << deadline.status().ToString());
    REQUIRE(deadline.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(deadline.status().message(), field));
    CHECK(ExplainDeadline(*National(), req).status().code() == absl::StatusCode::kInvalidArgument);
  };
  const absl::Time accepted = At(2026, 3, 2, 9);
  expect_invalid(Request(accepted, 5, LIMIT_UNIT_UNSPECIFIED), "limit.unit");
  expect_invalid(Request(accepted, 5, static_cast<LimitUnit>(42)), "limit.unit");
  expect_invalid(Request(accepted, 0, LIMIT_UNIT_WORKING_DAYS), "limit.amount");
  expect_invalid(Request(accepted, 0, LIMIT_UNIT_NATURAL_DAYS), "limit.amount");
  expect_invalid(Request(accepted, 3661, LIMIT_UNIT_WORKING_DAYS), "limit.amount");
  expect_invalid(Request(accepted, 2, LIMIT_UNIT_SAME_DAY), "limit.amount");

  DeadlineRequest backwards = Request(accepted, 5);
  backwards.pauses.push_back(Closed(At(2026, 3, 3, 10), At(2026, 3, 3, 12)));
  backwards.pauses.push_back(Closed(At(2026, 3, 4, 10), At(2026, 3, 4, 9)));
  expect_invalid(backwards, "pauses[1].end");

  DeadlineRequest infinite = Request(absl::InfiniteFuture(), 5);
  expect_invalid(infinite, "accepted_at");
  DeadlineRequest infinite_as_of = Request(accepted, 5);
  infinite_as_of.as_of = absl::InfiniteFuture();
  expect_invalid(infinite_as_of, "as_of");
}

TEST_CASE("the largest limit is accepted", "[deadline]") {
  // 3660 natural days from 2024-01-01 (no holiday data needed).
  const Deadline deadline = Compute(Request(At(2024, 1, 1, 9), 3660, LIMIT_UNIT_NATURAL_DAYS));
  CHECK(deadline.due == At(2024, 1, 2) + absl::Hours(24 * 3660));
}

TEST_CASE("an as_of a century away is OUT_OF_RANGE rather than a long walk", "[deadline]") {
  DeadlineRequest req = Request(At(2024, 1, 1, 9), 1, LIMIT_UNIT_NATURAL_DAYS);
  req.as_of = At(2200, 1, 1);
  CHECK(ComputeDeadline(*National(), req).status().code() == absl::StatusCode::kOutOfRange);
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(t));
  return out;
}

TEST_CASE("the RPC form converts to the same request, with an unset end meaning open",
          "[deadline]") {
  common::v1::TimeLimit limit;
  limit.set_amount(10);
  limit.set_unit(LIMIT_UNIT_WORKING_DAYS);
  google::protobuf::RepeatedPtrField<v1::Pause> pauses;
  v1::Pause* closed = pauses.Add();
  *closed->mutable_start() = ToTimestamp(At(2026, 3, 3, 10));
  *closed->mutable_end() = ToTimestamp(At(2026, 3, 3, 12));
  closed->set_reason("supplement");
  v1::Pause* open = pauses.Add();
  *open->mutable_start() = ToTimestamp(At(2026, 3, 4, 10));
  open->set_reason("hearing");

  auto req = DeadlineRequestFromProto(ToTimestamp(At(2026, 3, 2, 9)), limit, pauses,
                                      ToTimestamp(At(2026, 3, 5, 12)));
  REQUIRE(req.ok());
  CHECK(req->accepted_at == At(2026, 3, 2, 9));
  CHECK(req->as_of == At(2026, 3, 5, 12));
  REQUIRE(req->pauses.size() == 2);
  CHECK(req->pauses[0].end == At(2026, 3, 3, 12));
  CHECK(req->pauses[0].reason == "supplement");
  CHECK_FALSE(req->pauses[1].end.has_value());

  // Mar 3 loses 2 h, then the open pause from Mar 4 10:00 to as_of: 22 + 10 = 32 h consumed.
  const v1::DeadlineExplanation explanation = Explain(*req);
  CHECK(explanation.paused());
  CHECK(FromProto(explanation.remaining()) == absl::Hours(240 - 32));
  REQUIRE(explanation.pauses_size() == 2);
  CHECK(explanation.pauses(0).reason() == "supplement");
  CHECK(explanation.pauses(0).has_end());
  CHECK_FALSE(explanation.pauses(1).has_end());
}

TEST_CASE("the RPC form rejects bad timestamps naming the field", "[deadline]") {
  common::v1::TimeLimit limit;
  limit.set_amount(5);
  limit.set_unit(LIMIT_UNIT_WORKING_DAYS);
  const google::protobuf::Timestamp accepted = ToTimestamp(At(2026, 3, 2, 9));
  const google::protobuf::Timestamp as_of = ToTimestamp(At(2026, 3, 5, 12));
  google::protobuf::RepeatedPtrField<v1::Pause> none;
  auto expect_invalid = [](const absl::StatusOr<DeadlineRequest>& req, const std::string& field) {
    INFO("expected " << field << ", got " << req.status().ToString());
    REQUIRE(req.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(req.status().message(), field));
  };

  expect_invalid(DeadlineRequestFromProto(google::protobuf::Timestamp(), limit, none, as_of),
                 "accepted_at");
  expect_invalid(DeadlineRequestFromProto(accepted, limit, none, google::protobuf::Timestamp()),
                 "as_of");
  google::protobuf::Timestamp bad_nanos = as_of;
  bad_nanos.set_nanos(1000000000);
  expect_invalid(DeadlineRequestFromProto(accepted, limit, none, bad_nanos), "as_of");

  google::protobuf::RepeatedPtrField<v1::Pause> unset_start;
  unset_start.Add()->set_reason("hearing");
  expect_invalid(DeadlineRequestFromProto(accepted, limit, unset_start, as_of), "pauses[0].start");

  google::protobuf::RepeatedPtrField<v1::Pause> backwards;
  v1::Pause* pause = backwards.Add();
  *pause->mutable_start() = ToTimestamp(At(2026, 3, 3, 12));
  *pause->mutable_end() = ToTimestamp(At(2026, 3, 3, 10));
  expect_invalid(DeadlineRequestFromProto(accepted, limit, backwards, as_of), "pauses[0].end");

  common::v1::TimeLimit no_unit;
  no_unit.set_amount(5);
  expect_invalid(DeadlineRequestFromProto(accepted, no_unit, none, as_of), "limit.unit");
}

// --- Properties over deterministic pseudo-random cases in 2024-2026. ---

// Random instants from 2024-01-01 to mid-2026, so that every walk stays inside published data.
class CaseGenerator {
 public:
  explicit CaseGenerator(uint32_t seed) : random_(seed) {}

  absl::Time Instant(absl::Time from, absl::Duration span) {
    std::uniform_int_distribution<int64_t> seconds(0, absl::ToInt64Seconds(span));
    return from + absl::Seconds(seconds(random_));
  }
  DeadlineRequest Request() {
    const LimitUnit units[] = {LIMIT_UNIT_WORKING_DAYS, LIMIT_UNIT_WORKING_DAYS,
                               LIMIT_UNIT_NATURAL_DAYS, LIMIT_UNIT_SAME_DAY};
    const LimitUnit unit = units[Uniform(0, 3)];
    DeadlineRequest req;
    req.accepted_at = Instant(At(2024, 1, 1), absl::Hours(24 * 880));
    req.limit.set_unit(unit);
    req.limit.set_amount(unit == LIMIT_UNIT_SAME_DAY ? Uniform(0, 1) : Uniform(1, 20));
    const int pause_count = Uniform(0, 3);
    for (int i = 0; i < pause_count; ++i) req.pauses.push_back(Pause(req.accepted_at));
    req.as_of = Instant(req.accepted_at - absl::Hours(24), absl::Hours(24 * 60));
    return req;
  }
  // A closed pause of up to 12 days starting within 30 days of `around`.
  PauseInterval Pause(absl::Time around) {
    const absl::Time start = Instant(around - absl::Hours(48), absl::Hours(24 * 30));
    return PauseInterval{start, Instant(start, absl::Hours(24 * 12)), "random"};
  }
  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

 private:
  std::mt19937 random_;
};

TEST_CASE("property: adding or extending pauses never makes the due instant earlier",
          "[deadline][property]") {
  CaseGenerator generator(20260213);
  for (int i = 0; i < 3000; ++i) {
    const DeadlineRequest req = generator.Request();
    const Deadline base = Compute(req);

    DeadlineRequest added = req;
    added.pauses.push_back(generator.Pause(req.accepted_at));
    CHECK(Compute(added).due >= base.due);

    if (!req.pauses.empty()) {
      DeadlineRequest extended = req;
      PauseInterval& pause = extended.pauses[generator.Uniform(0, req.pauses.size() - 1)];
      pause.end = *pause.end + absl::Seconds(generator.Uniform(1, 3 * 86400));
      if (generator.Uniform(0, 1) == 1) pause.start -= absl::Seconds(generator.Uniform(1, 86400));
      CHECK(Compute(extended).due >= base.due);
    }
  }
}

TEST_CASE("property: pauses only delay, so due is never before budget_start + budget",
          "[deadline][property]") {
  CaseGenerator generator(42);
  for (int i = 0; i < 3000; ++i) {
    const DeadlineRequest req = generator.Request();
    const Deadline deadline = Compute(req);
    CHECK(deadline.due >= deadline.budget_start + deadline.budget);
    CHECK(deadline.remaining == deadline.budget - deadline.consumed);
    CHECK(deadline.consumed >= absl::ZeroDuration());
  }
}

TEST_CASE("property: the consumed working time at the due instant equals the budget",
          "[deadline][property]") {
  CaseGenerator generator(7);
  for (int i = 0; i < 3000; ++i) {
    DeadlineRequest req = generator.Request();
    if (i % 2 == 0) req.pauses.clear();
    const Deadline deadline = Compute(req);
    req.as_of = deadline.due;
    const Deadline at_due = Compute(req);
    CHECK(at_due.due == deadline.due);
    CHECK(at_due.consumed == deadline.budget);
    CHECK(at_due.remaining == absl::ZeroDuration());
    if (req.pauses.empty() && req.limit.unit() != LIMIT_UNIT_SAME_DAY) {
      // With no pauses a limit ends at 24:00 of a counted day.
      const absl::CivilSecond local = absl::ToCivilSecond(deadline.due, Shanghai());
      CHECK(local == absl::CivilSecond(absl::CivilDay(local)));
      if (req.limit.unit() == LIMIT_UNIT_WORKING_DAYS) {
        auto last_day = National()->Classify(absl::CivilDay(local) - 1);
        REQUIRE(last_day.ok());
        CHECK(IsWorkingDay(*last_day));
      }
    }
  }
}

TEST_CASE("property: the explanation's days add up to the budget and end on the due day",
          "[deadline][property]") {
  CaseGenerator generator(1234);
  for (int i = 0; i < 1000; ++i) {
    const DeadlineRequest req = generator.Request();
    const Deadline deadline = Compute(req);
    const v1::DeadlineExplanation explanation = Explain(req);
    CHECK(FromProto(explanation.due()) == deadline.due);
    CHECK(FromProto(explanation.remaining()) == deadline.remaining);
    CHECK(ExplainedTotal(explanation) == deadline.budget);
    REQUIRE(explanation.days_size() > 0);
    CHECK(explanation.days(0).date() ==
          absl::FormatCivilTime(absl::ToCivilDay(req.accepted_at, Shanghai())));
    CHECK(explanation.days(explanation.days_size() - 1).date() ==
          absl::FormatCivilTime(absl::ToCivilDay(deadline.due - absl::Nanoseconds(1), Shanghai())));
  }
}

}  // namespace
}  // namespace sunlight::calendar
