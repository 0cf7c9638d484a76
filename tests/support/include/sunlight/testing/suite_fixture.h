// Test-only: intake, workflow and supervision in process (the real libraries) over scratch
// stores on one fake clock, with the catalogue of IntakeFixture. Nothing runs on its own:
// Pump() delivers what is pending, intake -> workflow -> supervision, as the streams would.
//
//   TEST_CASE_METHOD(SuiteFixture, "...") {
//     v1::Case submitted = Submit("key-1");
//     REQUIRE(Accept(submitted.case_id()).ok());
//     Pump();  // workflow routes it, supervision plans its clocks
//   }
#ifndef SUNLIGHT_TESTING_SUITE_FIXTURE_H_
#define SUNLIGHT_TESTING_SUITE_FIXTURE_H_

#include <memory>

#include "sunlight/supervision/supervision.h"
#include "sunlight/testing/intake_fixture.h"
#include "sunlight/workflow/workflow.h"

namespace sunlight::testing {

struct SuiteFixture : intake::IntakeFixture {
  SuiteFixture();

  // Intake -> workflow -> supervision, everything pending.
  void Pump();

  std::unique_ptr<storage::Store> workflow_store;
  std::unique_ptr<workflow::Workflow> wf;
  std::unique_ptr<storage::Store> sv_store;
  std::unique_ptr<supervision::Supervision> sv;
};

}  // namespace sunlight::testing

#endif  // SUNLIGHT_TESTING_SUITE_FIXTURE_H_
