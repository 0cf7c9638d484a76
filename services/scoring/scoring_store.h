// The scoring store: its column families and the codecs of every key it writes. No key is
// built or decoded anywhere else.
#ifndef SUNLIGHT_SERVICES_SCORING_SCORING_STORE_H_
#define SUNLIGHT_SERVICES_SCORING_SCORING_STORE_H_

#include <optional>
#include <string>
#include <string_view>

#include "sunlight/scoring/v1/scoring.pb.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/storage/tuple_key.h"

namespace sunlight::scoring::store {

namespace v1 = ::sunlight::scoring::v1;

inline constexpr char kCases[] = "case_records";      // case id -> CaseRecord
inline constexpr char kCaseMonths[] = "case_months";  // CaseMonthKey -> ""
inline constexpr char kMeasures[] = "measures";       // MeasureKey -> Measures
inline constexpr char kRuleSets[] = "rule_sets";      // RuleSetKey -> RuleSet
inline constexpr char kSheets[] = "sheets";           // SheetKey -> ScoreSheet
inline constexpr char kAppeals[] = "appeals";         // NumberKey -> Appeal
inline constexpr char kExemptions[] = "exemptions";   // ExemptionKey -> appeal id
// Published months that late events changed since: MonthKey -> "", until a draft is made.
inline constexpr char kStaleMonths[] = "stale_months";
// The public's voice.
inline constexpr char kEvaluations[] = "evaluations";             // case id -> Evaluation
inline constexpr char kEvaluationMonths[] = "evaluation_months";  // CaseMonthKey -> ""
// Rectifications neither answered nor yet counted late: case id -> "".
inline constexpr char kOpenRectifications[] = "open_rectifications";
inline constexpr char kComplaints[] = "complaints";                 // NumberKey -> Complaint
inline constexpr char kComplaintMonths[] = "complaint_months";      // ComplaintMonthKey -> ""
inline constexpr char kComplaintRequests[] = "complaint_requests";  // RequestKey -> id
// What evaluations, complaints and attendance days count: OccurrenceKey -> Occurrence.
inline constexpr char kOccurrences[] = "occurrences";
// Attendance.
inline constexpr char kAssignments[] = "staff_assignments";   // AssignmentKey -> StaffAssignment
inline constexpr char kPunches[] = "punches";                 // PunchKey -> StoredPunch
inline constexpr char kPersonPunches[] = "person_punches";    // PersonPunchKey -> ""
inline constexpr char kAttendanceDays[] = "attendance_days";  // PersonDayKey -> AttendanceDay
inline constexpr char kCorrections[] = "corrections";         // NumberKey -> AttendanceCorrection
// Singletons: "attendance_closed_through" -> yyyymmdd (EncodeU64).
inline constexpr char kScoringMeta[] = "scoring_meta";

inline std::string MonthKey(int64_t month) {
  return storage::EncodeU64(static_cast<uint64_t>(month));
}
inline int64_t DecodeMonthKey(std::string_view key) {
  return static_cast<int64_t>(storage::DecodeU64(key));
}

// case_months: (yyyymm, case id): every case with a fact in that month.
using CaseMonth = storage::TupleKey<int64_t, std::string>;
inline std::string CaseMonthKey(int64_t month, const std::string& case_id) {
  return CaseMonth::Encode(month, case_id);
}
inline std::string CaseMonthPrefix(int64_t month) { return CaseMonth::Prefix(month); }
inline std::optional<std::string> DecodeCaseMonthKey(std::string_view key) {
  auto parts = CaseMonth::Decode(key);
  if (!parts.has_value()) return std::nullopt;
  return std::get<1>(*parts);
}

// measures: (grain, dimension, value, period): grain kDay with yyyymmdd, kMonth with yyyymm.
inline constexpr uint64_t kDay = 1;
inline constexpr uint64_t kMonth = 2;
using Measure = storage::TupleKey<uint64_t, uint64_t, std::string, int64_t>;
inline std::string MeasureKey(uint64_t grain, v1::Dimension dimension, const std::string& value,
                              int64_t period) {
  return Measure::Encode(grain, static_cast<uint64_t>(dimension), value, period);
}
inline std::string MeasurePrefix(uint64_t grain, v1::Dimension dimension) {
  return Measure::Prefix(grain, static_cast<uint64_t>(dimension));
}
inline std::string MeasurePrefix(uint64_t grain, v1::Dimension dimension,
                                 const std::string& value) {
  return Measure::Prefix(grain, static_cast<uint64_t>(dimension), value);
}
struct MeasureEntry {
  std::string value;
  int64_t period = 0;
};
inline std::optional<MeasureEntry> DecodeMeasureKey(std::string_view key) {
  auto parts = Measure::Decode(key);
  if (!parts.has_value()) return std::nullopt;
  return MeasureEntry{std::get<2>(*parts), std::get<3>(*parts)};
}

// rule_sets: (effective yyyymm, when it was set in micros): of two for one month the later
// is in force.
using RuleSetK = storage::TupleKey<int64_t, int64_t>;
inline std::string RuleSetKey(int64_t month, int64_t set_at_micros) {
  return RuleSetK::Encode(month, set_at_micros);
}
// The first key after every rule set effective at or before `month`.
inline std::string RuleSetEnd(int64_t month) { return RuleSetK::Prefix(month + 1); }

// sheets: (yyyymm, version).
using Sheet = storage::TupleKey<int64_t, uint64_t>;
inline std::string SheetKey(int64_t month, uint32_t version) {
  return Sheet::Encode(month, static_cast<uint64_t>(version));
}
inline std::string SheetPrefix(int64_t month) { return Sheet::Prefix(month); }

// appeals: big-endian numbers ("a<number>").
inline std::string NumberKey(uint64_t number) { return storage::EncodeU64(number); }
inline uint64_t DecodeNumberKey(std::string_view key) { return storage::DecodeU64(key); }
// The key of "<letter><number>" ids (appeals "a", complaints "c", corrections "k"); "" when
// the id is not of that form.
inline std::string LetterNumberKey(char letter, const std::string& id) {
  uint64_t number = 0;
  if (id.size() < 2 || id.size() > 20 || id[0] != letter) return "";
  for (char c : id.substr(1)) {
    if (c < '0' || c > '9') return "";
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  return NumberKey(number);
}
inline std::string AppealKey(const std::string& appeal_id) {
  return LetterNumberKey('a', appeal_id);
}
inline std::string ComplaintKey(const std::string& complaint_id) {
  return LetterNumberKey('c', complaint_id);
}
inline std::string CorrectionKey(const std::string& correction_id) {
  return LetterNumberKey('k', correction_id);
}

// exemptions: (yyyymm, kind, subject, clause, case id).
using ExemptionK = storage::TupleKey<int64_t, uint64_t, std::string, std::string, std::string>;
inline std::string ExemptionKey(int64_t month, v1::SubjectKind kind, const std::string& subject,
                                const std::string& clause, const std::string& case_id) {
  return ExemptionK::Encode(month, static_cast<uint64_t>(kind), subject, clause, case_id);
}
inline std::string ExemptionPrefix(int64_t month) { return ExemptionK::Prefix(month); }
inline std::optional<ExemptionK::Tuple> DecodeExemptionKey(std::string_view key) {
  return ExemptionK::Decode(key);
}

// complaint_months: (yyyymm of filing, number).
using ComplaintMonth = storage::TupleKey<int64_t, uint64_t>;
inline std::string ComplaintMonthKey(int64_t month, uint64_t number) {
  return ComplaintMonth::Encode(month, number);
}
inline std::string ComplaintMonthPrefix(int64_t month) { return ComplaintMonth::Prefix(month); }
inline std::optional<uint64_t> DecodeComplaintMonthKey(std::string_view key) {
  auto parts = ComplaintMonth::Decode(key);
  if (!parts.has_value()) return std::nullopt;
  return std::get<1>(*parts);
}

// complaint_requests: (filer id, request id).
using Request = storage::TupleKey<std::string, std::string>;
inline std::string RequestKey(const std::string& filer, const std::string& request_id) {
  return Request::Encode(filer, request_id);
}

// occurrences: (yyyymm, source).
using OccurrenceK = storage::TupleKey<int64_t, std::string>;
inline std::string OccurrenceKey(int64_t month, const std::string& source) {
  return OccurrenceK::Encode(month, source);
}
inline std::string OccurrencePrefix(int64_t month) { return OccurrenceK::Prefix(month); }

// staff_assignments: (person, effective yyyymmdd).
using Assignment = storage::TupleKey<std::string, int64_t>;
inline std::string AssignmentKey(const std::string& person, int64_t day) {
  return Assignment::Encode(person, day);
}
inline std::string AssignmentPrefix(const std::string& person) {
  return Assignment::Prefix(person);
}
inline std::optional<Assignment::Tuple> DecodeAssignmentKey(std::string_view key) {
  return Assignment::Decode(key);
}

// punches: (device, device sequence).
using PunchK = storage::TupleKey<std::string, uint64_t>;
inline std::string PunchKey(const std::string& device, uint64_t sequence) {
  return PunchK::Encode(device, sequence);
}
inline std::optional<PunchK::Tuple> DecodePunchKey(std::string_view key) {
  return PunchK::Decode(key);
}

// person_punches: (person, yyyymmdd, corrected micros, device, sequence).
using PersonPunch = storage::TupleKey<std::string, int64_t, int64_t, std::string, uint64_t>;
inline std::string PersonPunchKey(const std::string& person, int64_t day, int64_t micros,
                                  const std::string& device, uint64_t sequence) {
  return PersonPunch::Encode(person, day, micros, device, sequence);
}
inline std::string PersonPunchPrefix(const std::string& person, int64_t day) {
  return PersonPunch::Prefix(person, day);
}
inline std::optional<PersonPunch::Tuple> DecodePersonPunchKey(std::string_view key) {
  return PersonPunch::Decode(key);
}

// attendance_days: (person, yyyymmdd).
using PersonDay = storage::TupleKey<std::string, int64_t>;
inline std::string PersonDayKey(const std::string& person, int64_t day) {
  return PersonDay::Encode(person, day);
}
inline std::string PersonDayPrefix(const std::string& person) { return PersonDay::Prefix(person); }
inline std::optional<PersonDay::Tuple> DecodePersonDayKey(std::string_view key) {
  return PersonDay::Decode(key);
}

inline constexpr char kAttendanceClosedThrough[] = "attendance_closed_through";

}  // namespace sunlight::scoring::store

#endif  // SUNLIGHT_SERVICES_SCORING_SCORING_STORE_H_
