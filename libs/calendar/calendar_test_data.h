// Test-only: the national calendar data, loaded once per test binary.
#ifndef SUNLIGHT_CALENDAR_CALENDAR_TEST_DATA_H_
#define SUNLIGHT_CALENDAR_CALENDAR_TEST_DATA_H_

#include <memory>

#include <catch2/catch.hpp>

#include "sunlight/calendar/working_calendar.h"

namespace sunlight::calendar {

inline constexpr char kCalendarFile[] = SUNLIGHT_CALENDAR_FILE;

// data/calendars/cn-mainland.json.
inline std::shared_ptr<const WorkingCalendar> National() {
  static const std::shared_ptr<const WorkingCalendar> calendar = [] {
    auto loaded = WorkingCalendar::LoadFile(kCalendarFile);
    REQUIRE(loaded.ok());
    return *loaded;
  }();
  return calendar;
}

}  // namespace sunlight::calendar

#endif  // SUNLIGHT_CALENDAR_CALENDAR_TEST_DATA_H_
