// Each anomaly rule on its own: when it fires, when it does not, and what it says.
#include "supervision_anomaly_rules.h"

#include <catch2/catch.hpp>

#include "sunlight/base/proto_time.h"

namespace sunlight::supervision {
namespace {

namespace iv1 = ::sunlight::intake::v1;
namespace wv1 = ::sunlight::workflow::v1;

const absl::Time kSubmitted = absl::FromUnixSeconds(1767225600);  // 2026-01-01 00:00 UTC

v1::CaseFacts Facts(std::initializer_list<uint32_t> passed = {}) {
  v1::CaseFacts facts;
  facts.set_case_id("c1");
  *facts.mutable_submitted_at() = ToProto(kSubmitted);
  for (uint32_t p : passed) facts.add_passed_definitions(p);
  return facts;
}

TEST_CASE("long_gap_before_acceptance: only past the gap, and only with a submission") {
  CHECK_FALSE(LongGapBeforeAcceptance(Facts(), kSubmitted + absl::Hours(48), 48).has_value());
  auto a = LongGapBeforeAcceptance(Facts(), kSubmitted + absl::Hours(49), 48);
  REQUIRE(a.has_value());
  CHECK(a->rule == "long_gap_before_acceptance");
  CHECK(a->text ==
        "accepted more than 48 hours after submission: possible handling outside the system");
  CHECK_FALSE(LongGapBeforeAcceptance(Facts(), kSubmitted + absl::Hours(49), 0).has_value());
  v1::CaseFacts unsubmitted;
  CHECK_FALSE(LongGapBeforeAcceptance(unsubmitted, kSubmitted, 1).has_value());
}

TEST_CASE("supplement_requested: one per case version, counting the materials") {
  iv1::SupplementRequested requested;
  requested.add_missing_materials();
  requested.add_missing_materials();
  auto a = SupplementRequested(requested, 3);
  REQUIRE(a.has_value());
  CHECK(a->rule == "supplement_requested");
  CHECK(a->discriminator == "3");
  CHECK(a->text == "supplements requested: 2 materials");
}

TEST_CASE("refusal and denial say why") {
  iv1::CaseRefused refused;
  refused.set_reason("materials forged");
  CHECK(Refusal(refused)->text == "refused: materials forged");
  wv1::CaseDecided decided;
  decided.set_decision(wv1::DECISION_APPROVED);
  CHECK_FALSE(Denial(decided).has_value());
  decided.set_decision(wv1::DECISION_DENIED);
  decided.set_reasons("not eligible");
  REQUIRE(Denial(decided).has_value());
  CHECK(Denial(decided)->rule == "denial");
  CHECK(Denial(decided)->text == "denied: not eligible");
}

TEST_CASE("steps_out_of_order: a step passed before an earlier one") {
  wv1::Step step;
  step.set_step_id("c1/3");
  step.set_code("approve");
  step.set_definition_index(2);
  CHECK_FALSE(StepsOutOfOrder(Facts({0, 1}), step).has_value());
  auto a = StepsOutOfOrder(Facts({0}), step);
  REQUIRE(a.has_value());
  CHECK(a->discriminator == "c1/3");
  CHECK(a->text == "step approve passed before step 2 of the item");
}

TEST_CASE("repeated_procedures: from the threshold on, off at 0") {
  v1::CaseFacts facts = Facts();
  facts.set_procedures_started(1);
  CHECK_FALSE(RepeatedProcedures(facts, 2).has_value());
  facts.set_procedures_started(2);
  REQUIRE(RepeatedProcedures(facts, 2).has_value());
  CHECK(RepeatedProcedures(facts, 2)->discriminator == "2");
  CHECK(RepeatedProcedures(facts, 2)->text == "2 special procedures on one case");
  CHECK_FALSE(RepeatedProcedures(facts, 0).has_value());
}

TEST_CASE("completed_with_steps_missing: approved with a step never passed") {
  v1::CaseFacts facts = Facts({0});
  facts.add_definition_kinds(iv1::STEP_KIND_UNSPECIFIED);
  facts.add_definition_kinds(iv1::STEP_KIND_UNSPECIFIED);
  facts.add_definition_kinds(iv1::STEP_KIND_ISSUE_CERTIFICATE);
  wv1::CaseCompleted completed;
  completed.set_decision(wv1::DECISION_APPROVED);
  auto a = CompletedWithStepsMissing(facts, completed);
  REQUIRE(a.has_value());
  CHECK(a->text == "completed without step 2 of the item");
  facts.add_passed_definitions(1);  // the certificate step does not count
  CHECK_FALSE(CompletedWithStepsMissing(facts, completed).has_value());
  completed.set_decision(wv1::DECISION_DENIED);
  CHECK_FALSE(CompletedWithStepsMissing(Facts(), completed).has_value());
}

}  // namespace
}  // namespace sunlight::supervision
