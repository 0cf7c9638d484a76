// The supervision store: its column families and the codecs of every key it writes. No key
// is built or decoded anywhere else.
#ifndef SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_STORE_H_
#define SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_STORE_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "sunlight/storage/key_encoding.h"
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
inline constexpr char kMeta[] = "meta";                    // kRulesKey, kCalendarKey
inline constexpr char kRulesKey[] = "rules";
inline constexpr char kCalendarKey[] = "calendar";

// Alert and notice numbers: big-endian, so they sort in order.
inline std::string NumberKey(uint64_t number) { return storage::EncodeU64(number); }
inline uint64_t DecodeNumberKey(std::string_view key) { return storage::DecodeU64(key); }

// schedule: (instant in micros, clock id, light), one entry per planned transition.
struct ScheduleEntry {
  int64_t micros = 0;
  std::string clock_id;
};
inline std::string ScheduleKey(absl::Time at, const std::string& clock_id, v1::Light light) {
  return storage::KeyBuilder()
      .AddI64(absl::ToUnixMicros(at))
      .AddString(clock_id)
      .AddU64(static_cast<uint64_t>(light))
      .Build();
}
// The first key after every entry at or before `at`.
inline std::string ScheduleEnd(absl::Time at) {
  return storage::KeyBuilder().AddI64(absl::ToUnixMicros(at) + 1).Build();
}
inline std::optional<ScheduleEntry> DecodeScheduleKey(std::string_view key) {
  storage::KeyReader reader(key);
  ScheduleEntry entry;
  if (!reader.ReadI64(&entry.micros) || !reader.ReadString(&entry.clock_id)) return std::nullopt;
  return entry;
}

// board: (kind, light, department, clock id) of every open clock.
struct BoardEntry {
  uint64_t kind = 0;
  uint64_t light = 0;
  std::string department_id;
  std::string clock_id;
};
inline std::string BoardKey(const v1::Clock& clock) {
  return storage::KeyBuilder()
      .AddU64(static_cast<uint64_t>(clock.kind()))
      .AddU64(static_cast<uint64_t>(clock.light()))
      .AddString(clock.department_id())
      .AddString(clock.clock_id())
      .Build();
}
// Every board key of one kind, of one light of it, and of one department with that light.
inline std::string BoardPrefix(v1::ClockKind kind) {
  return storage::KeyBuilder().AddU64(static_cast<uint64_t>(kind)).Build();
}
inline std::string BoardPrefix(v1::ClockKind kind, v1::Light light,
                               const std::string& department_id) {
  storage::KeyBuilder key;
  key.AddU64(static_cast<uint64_t>(kind)).AddU64(static_cast<uint64_t>(light));
  if (!department_id.empty()) key.AddString(department_id);
  return key.Build();
}
// The department is enough for the board's counts; the clock id may be absent then.
inline std::optional<BoardEntry> DecodeBoardKey(std::string_view key) {
  storage::KeyReader reader(key);
  BoardEntry entry;
  if (!reader.ReadU64(&entry.kind) || !reader.ReadU64(&entry.light) ||
      !reader.ReadString(&entry.department_id)) {
    return std::nullopt;
  }
  if (!reader.ReadString(&entry.clock_id)) entry.clock_id.clear();
  return entry;
}

// clocks_by_case: (case id, clock id).
inline std::string CasePrefix(const std::string& case_id) {
  return storage::KeyBuilder().AddString(case_id).Build();
}
inline std::string CaseClockKey(const std::string& case_id, const std::string& clock_id) {
  return storage::KeyBuilder().AddString(case_id).AddString(clock_id).Build();
}
// The clock id of a clocks_by_case key.
inline std::optional<std::string> DecodeCaseClockKey(std::string_view key) {
  storage::KeyReader reader(key);
  std::string case_id, clock_id;
  if (!reader.ReadString(&case_id) || !reader.ReadString(&clock_id)) return std::nullopt;
  return clock_id;
}

// alerts_by_case: (case id, alert number); anomalies_by_department: (department, number).
inline std::string CaseAlertKey(const std::string& case_id, uint64_t number) {
  return storage::KeyBuilder().AddString(case_id).AddU64(number).Build();
}
inline std::string DepartmentAlertKey(const std::string& department_id, uint64_t number) {
  return storage::KeyBuilder().AddString(department_id).AddU64(number).Build();
}
struct OwnedNumber {
  std::string owner;  // the case id or the department
  uint64_t number = 0;
};
inline std::optional<OwnedNumber> DecodeOwnedNumberKey(std::string_view key) {
  storage::KeyReader reader(key);
  OwnedNumber out;
  if (!reader.ReadString(&out.owner) || !reader.ReadU64(&out.number)) return std::nullopt;
  return out;
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

}  // namespace sunlight::supervision::store

#endif  // SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_STORE_H_
