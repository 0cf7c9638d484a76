// The supervision store: its column families and the codecs of every key it writes. No key
// is built or decoded anywhere else.
#ifndef SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_STORE_H_
#define SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_STORE_H_

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/storage/tuple_key.h"
#include "sunlight/supervision/v1/supervision.pb.h"

namespace sunlight::supervision::store {

namespace v1 = ::sunlight::supervision::v1;

inline constexpr char kClocks[] = "clocks";                                  // clock id -> Clock
inline constexpr char kClocksByCase[] = "clocks_by_case";                    // CaseClockKey -> ""
inline constexpr char kFacts[] = "case_facts";                               // case id -> CaseFacts
inline constexpr char kSchedule[] = "schedule";                              // ScheduleKey -> ""
inline constexpr char kAnomaliesByDepartment[] = "anomalies_by_department";  // DepartmentAlertKey
inline constexpr char kBoard[] = "board";                  // BoardKey -> "", open clocks only
inline constexpr char kAlerts[] = "alerts";                // NumberKey(alert number) -> Alert
inline constexpr char kAlertIds[] = "alert_ids";           // alert id -> NumberKey
inline constexpr char kAlertsByCase[] = "alerts_by_case";  // CaseAlertKey -> ""
inline constexpr char kOutbox[] = "alert_outbox";          // NumberKey -> Alert, until delivered
inline constexpr char kNotices[] = "notices";              // NumberKey(notice number) -> Notice
inline constexpr char kPlanWindows[] = "plan_windows";     // PlanWindowKey -> start day, open
inline constexpr char kMeta[] = "meta";  // kRulesKey, kCalendarKey, kPlanWindowsBuiltKey
inline constexpr char kRulesKey[] = "rules";
inline constexpr char kCalendarKey[] = "calendar";
// Present once plan_windows holds every open clock (stores older than it are indexed at
// start-up).
inline constexpr char kPlanWindowsBuiltKey[] = "plan_windows_built";

// Alert and notice numbers: big-endian, so they sort in order.
inline std::string NumberKey(uint64_t number) { return storage::EncodeU64(number); }
inline uint64_t DecodeNumberKey(std::string_view key) { return storage::DecodeU64(key); }

// schedule: (instant in micros, clock id, light), one entry per planned transition.
using Schedule = storage::TupleKey<int64_t, std::string, uint64_t>;
inline std::string ScheduleKey(absl::Time at, const std::string& clock_id, v1::Light light) {
  return Schedule::Encode(absl::ToUnixMicros(at), clock_id, static_cast<uint64_t>(light));
}
// The first key after every entry at or before `at`.
inline std::string ScheduleEnd(absl::Time at) {
  return Schedule::Prefix(absl::ToUnixMicros(at) + 1);
}
// The clock id of a schedule key.
inline std::optional<std::string> DecodeScheduleKey(std::string_view key) {
  auto parts = Schedule::Decode(key);
  if (!parts.has_value()) return std::nullopt;
  return std::get<1>(*parts);
}

// board: (kind, light, department, clock id) of every open clock.
struct BoardEntry {
  uint64_t kind = 0;
  uint64_t light = 0;
  std::string department_id;
  std::string clock_id;
};
using Board = storage::TupleKey<uint64_t, uint64_t, std::string, std::string>;
inline std::string BoardKey(const v1::Clock& clock) {
  return Board::Encode(static_cast<uint64_t>(clock.kind()), static_cast<uint64_t>(clock.light()),
                       clock.department_id(), clock.clock_id());
}
// Every board key of one kind, of one light of it, and of one department with that light.
inline std::string BoardPrefix(v1::ClockKind kind) {
  return Board::Prefix(static_cast<uint64_t>(kind));
}
inline std::string BoardPrefix(v1::ClockKind kind, v1::Light light,
                               const std::string& department_id) {
  if (department_id.empty())
    return Board::Prefix(static_cast<uint64_t>(kind), static_cast<uint64_t>(light));
  return Board::Prefix(static_cast<uint64_t>(kind), static_cast<uint64_t>(light), department_id);
}
inline std::optional<BoardEntry> DecodeBoardKey(std::string_view key) {
  auto parts = Board::Decode(key);
  if (!parts.has_value()) return std::nullopt;
  auto& [kind, light, department_id, clock_id] = *parts;
  return BoardEntry{kind, light, std::move(department_id), std::move(clock_id)};
}

// clocks_by_case: (case id, clock id); a clock of no case (a complaint against a department)
// has no entry. alerts_by_case likewise has none for an alert of no case.
using CaseClock = storage::TupleKey<std::string, std::string>;
// Every key of one case, in clocks_by_case and alerts_by_case alike.
inline std::string CasePrefix(const std::string& case_id) { return CaseClock::Prefix(case_id); }
inline std::string CaseClockKey(const std::string& case_id, const std::string& clock_id) {
  return CaseClock::Encode(case_id, clock_id);
}
// The clock id of a clocks_by_case key.
inline std::optional<std::string> DecodeCaseClockKey(std::string_view key) {
  auto parts = CaseClock::Decode(key);
  if (!parts.has_value()) return std::nullopt;
  return std::get<1>(*parts);
}

// alerts_by_case: (case id, alert number); anomalies_by_department: (department, number).
using OwnedAlert = storage::TupleKey<std::string, uint64_t>;
inline std::string CaseAlertKey(const std::string& case_id, uint64_t number) {
  return OwnedAlert::Encode(case_id, number);
}
inline std::string DepartmentAlertKey(const std::string& department_id, uint64_t number) {
  return OwnedAlert::Encode(department_id, number);
}
struct OwnedNumber {
  std::string owner;  // the case id or the department
  uint64_t number = 0;
};
inline std::optional<OwnedNumber> DecodeOwnedNumberKey(std::string_view key) {
  auto parts = OwnedAlert::Decode(key);
  if (!parts.has_value()) return std::nullopt;
  return OwnedNumber{std::get<0>(*parts), std::get<1>(*parts)};
}

// The key of notice "n<number>"; "" when the id is not of that form.
inline std::string NoticeKey(const std::string& notice_id) {
  uint64_t number = 0;
  if (notice_id.size() < 2 || notice_id[0] != 'n') return "";
  for (char c : notice_id.substr(1)) {
    if (c < '0' || c > '9') return "";
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  return NumberKey(number);
}

// plan_windows: (last day, clock id) -> first day (8 bytes), for every open clock: the days
// (numbered from 1970-01-01) its instants were computed over, from the day it started (or
// its first pause began) to the day of the latest of its due, yellow and red instants, one
// day wider on each side so that the days of any calendar's zone are inside. A calendar
// change re-plans only the clocks whose window holds a day it reclassifies. A clock without
// instants (a planning error) or paused (its instants move as time passes) spans every day.
using PlanWindow = storage::TupleKey<uint64_t, std::string>;
inline constexpr uint64_t kEveryDay = ~uint64_t{0};
struct PlanWindowSpan {
  uint64_t first_day = 0;
  uint64_t last_day = kEveryDay;
};
inline PlanWindowSpan PlanWindowOf(const v1::Clock& clock) {
  if (!clock.plan_error().empty() || clock.paused() || !clock.has_due()) return {};
  auto day = [](const google::protobuf::Timestamp& t) {
    return t.seconds() < 0 ? int64_t{0} : t.seconds() / 86400;
  };
  int64_t first = day(clock.started_at());
  for (const auto& pause : clock.pauses()) first = std::min(first, day(pause.start()));
  int64_t last = std::max({day(clock.due()), day(clock.yellow_at()), day(clock.red_at())});
  return {static_cast<uint64_t>(std::max<int64_t>(first - 1, 0)), static_cast<uint64_t>(last + 1)};
}
inline std::string PlanWindowKey(const v1::Clock& clock) {
  return PlanWindow::Encode(PlanWindowOf(clock).last_day, clock.clock_id());
}
inline std::string PlanWindowValue(const v1::Clock& clock) {
  return storage::EncodeU64(PlanWindowOf(clock).first_day);
}
// The day number of a calendar day, as plan windows count them.
inline uint64_t PlanDay(absl::CivilDay day) {
  return static_cast<uint64_t>(std::max<int64_t>(day - absl::CivilDay(1970, 1, 1), 0));
}

}  // namespace sunlight::supervision::store

#endif  // SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_STORE_H_
