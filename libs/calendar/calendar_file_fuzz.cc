// Fuzz target: the bytes of a calendar file (or of PUT /v1/calendar's body) through
// WorkingCalendar::FromJson, the parser and validator LoadFile uses; a calendar that loads is
// then used as the services use it: every day classified, deadlines of each unit computed
// from a day of each year it knows (with a pause), and compared with the national calendar.
// A finding is a crash, a sanitizer report or a deadline before its acceptance.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sunlight/calendar/deadline.h"
#include "sunlight/calendar/working_calendar.h"

namespace {

using sunlight::calendar::WorkingCalendar;

const WorkingCalendar& National() {
  static const auto* national = new std::shared_ptr<const WorkingCalendar>(
      WorkingCalendar::LoadFile(SUNLIGHT_CALENDAR_FILE).value());
  return **national;
}

void UseCalendar(const WorkingCalendar& calendar, uint64_t seed) {
  (void)calendar.DaysThatDiffer(National());
  for (int64_t year = 1900; year <= 2200; ++year) {
    if (!calendar.HasPublishedYear(static_cast<int>(year)) &&
        !calendar.IsProvisionalYear(static_cast<int>(year))) {
      continue;
    }
    auto kinds = calendar.ClassifyYear(year);
    if (!kinds.ok()) continue;
    const absl::CivilDay day = absl::CivilDay(year, 1, 1) + static_cast<int64_t>(seed % 365);
    (void)calendar.Classify(day);
    const absl::Time accepted =
        absl::FromCivil(absl::CivilSecond(day) + 9 * 3600, calendar.time_zone());
    for (auto unit : {sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS,
                      sunlight::common::v1::LIMIT_UNIT_NATURAL_DAYS,
                      sunlight::common::v1::LIMIT_UNIT_SAME_DAY}) {
      sunlight::calendar::DeadlineRequest request;
      request.accepted_at = accepted;
      request.limit.set_unit(unit);
      request.limit.set_amount(unit == sunlight::common::v1::LIMIT_UNIT_SAME_DAY
                                   ? 1
                                   : 1 + static_cast<uint32_t>(seed % 60));
      request.pauses.push_back({.start = accepted + absl::Hours(30),
                                .end = accepted + absl::Hours(30 + seed % 500),
                                .reason = "supplement"});
      request.as_of = accepted + absl::Hours(24 * 20);
      auto deadline = sunlight::calendar::ComputeDeadline(calendar, request);
      if (deadline.ok() && deadline->due < accepted) std::abort();  // a deadline in the past
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto calendar = WorkingCalendar::FromJson(text, "calendar file fuzz.json", {2031});
  if (!calendar.ok()) return 0;
  uint64_t seed = size;
  for (size_t i = 0; i < size && i < 64; ++i) seed = seed * 131 + data[i];
  UseCalendar(**calendar, seed);
  return 0;
}
