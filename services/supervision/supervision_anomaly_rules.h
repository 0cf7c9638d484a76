// The focused-review anomaly rules (重点监察), each a pure function of a case's facts and one
// event, named as the alert's `anomaly` field is. Ingestion raises what they return
// (Supervision::RaiseAnomaly), so a rule is tested on its own without a store.
//
//   if (auto a = LongGapBeforeAcceptance(*facts, accepted_at, rules.long_gap_hours())) {
//     RaiseAnomaly(m, *facts, *a, at);
//   }
#ifndef SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_ANOMALY_RULES_H_
#define SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_ANOMALY_RULES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::supervision {

struct Anomaly {
  std::string rule;           // e.g. "refusal"
  std::string discriminator;  // tells apart several of one rule on one case ("" for one)
  std::string text;           // for the person reading the alert
};

// Accepted more than `gap_hours` after submission (0 disables): possibly handled outside
// the system first. Needs the submission in `facts`.
std::optional<Anomaly> LongGapBeforeAcceptance(const v1::CaseFacts& facts, absl::Time accepted_at,
                                               uint32_t gap_hours);
// Every supplement request (one per case version).
std::optional<Anomaly> SupplementRequested(const intake::v1::SupplementRequested& requested,
                                           uint64_t case_version);
// Every refusal.
std::optional<Anomaly> Refusal(const intake::v1::CaseRefused& refused);
// A step passed while an earlier step of the item has not passed (facts: before this one).
std::optional<Anomaly> StepsOutOfOrder(const v1::CaseFacts& facts,
                                       const workflow::v1::Step& passed);
// The `threshold`-th special procedure and each one after it (0 disables); `facts` counts
// the procedure just started.
std::optional<Anomaly> RepeatedProcedures(const v1::CaseFacts& facts, uint32_t threshold);
// A denial.
std::optional<Anomaly> Denial(const workflow::v1::CaseDecided& decided);
// An approved case completed while a step of the item (other than issuing the certificate)
// never passed.
std::optional<Anomaly> CompletedWithStepsMissing(const v1::CaseFacts& facts,
                                                 const workflow::v1::CaseCompleted& completed);

}  // namespace sunlight::supervision

#endif  // SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_ANOMALY_RULES_H_
