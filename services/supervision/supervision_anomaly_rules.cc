// The anomaly rules (supervision_anomaly_rules.h).
#include "supervision_anomaly_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sunlight/base/proto_time.h"

namespace sunlight::supervision {
namespace {

bool Passed(const v1::CaseFacts& facts, uint32_t definition) {
  return std::find(facts.passed_definitions().begin(), facts.passed_definitions().end(),
                   definition) != facts.passed_definitions().end();
}

}  // namespace

std::optional<Anomaly> LongGapBeforeAcceptance(const v1::CaseFacts& facts, absl::Time accepted_at,
                                               uint32_t gap_hours) {
  if (gap_hours == 0 || !facts.has_submitted_at() ||
      accepted_at - FromProto(facts.submitted_at()) <= absl::Hours(gap_hours)) {
    return std::nullopt;
  }
  return Anomaly{"long_gap_before_acceptance", "",
                 absl::StrCat("accepted more than ", gap_hours,
                              " hours after submission: possible handling outside the system")};
}

std::optional<Anomaly> SupplementRequested(const intake::v1::SupplementRequested& requested,
                                           uint64_t case_version) {
  return Anomaly{
      "supplement_requested", absl::StrCat(case_version),
      absl::StrCat("supplements requested: ", requested.missing_materials_size(), " materials")};
}

std::optional<Anomaly> Refusal(const intake::v1::CaseRefused& refused) {
  return Anomaly{"refusal", "", absl::StrCat("refused: ", refused.reason())};
}

std::optional<Anomaly> StepsOutOfOrder(const v1::CaseFacts& facts,
                                       const workflow::v1::Step& passed) {
  for (uint32_t j = 0; j < passed.definition_index(); ++j) {
    if (!Passed(facts, j)) {
      return Anomaly{
          "steps_out_of_order", passed.step_id(),
          absl::StrCat("step ", passed.code(), " passed before step ", j + 1, " of the item")};
    }
  }
  return std::nullopt;
}

std::optional<Anomaly> RepeatedProcedures(const v1::CaseFacts& facts, uint32_t threshold) {
  if (threshold == 0 || facts.procedures_started() < threshold) return std::nullopt;
  return Anomaly{"repeated_procedures", absl::StrCat(facts.procedures_started()),
                 absl::StrCat(facts.procedures_started(), " special procedures on one case")};
}

std::optional<Anomaly> Denial(const workflow::v1::CaseDecided& decided) {
  if (decided.decision() != workflow::v1::DECISION_DENIED) return std::nullopt;
  return Anomaly{"denial", "", absl::StrCat("denied: ", decided.reasons())};
}

std::optional<Anomaly> CompletedWithStepsMissing(const v1::CaseFacts& facts,
                                                 const workflow::v1::CaseCompleted& completed) {
  if (completed.decision() != workflow::v1::DECISION_APPROVED) return std::nullopt;
  for (int j = 0; j < facts.definition_kinds_size(); ++j) {
    if (facts.definition_kinds(j) == intake::v1::STEP_KIND_ISSUE_CERTIFICATE) continue;
    if (!Passed(facts, static_cast<uint32_t>(j))) {
      return Anomaly{"completed_with_steps_missing", "",
                     absl::StrCat("completed without step ", j + 1, " of the item")};
    }
  }
  return std::nullopt;
}

}  // namespace sunlight::supervision
