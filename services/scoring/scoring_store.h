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
// The key of appeal "a<number>"; "" when the id is not of that form.
inline std::string AppealKey(const std::string& appeal_id) {
  uint64_t number = 0;
  if (appeal_id.size() < 2 || appeal_id.size() > 20 || appeal_id[0] != 'a') return "";
  for (char c : appeal_id.substr(1)) {
    if (c < '0' || c > '9') return "";
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  return NumberKey(number);
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

}  // namespace sunlight::scoring::store

#endif  // SUNLIGHT_SERVICES_SCORING_SCORING_STORE_H_
