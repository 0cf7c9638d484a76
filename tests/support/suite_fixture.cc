#include "sunlight/testing/suite_fixture.h"

#include <utility>

namespace sunlight::testing {

SuiteFixture::SuiteFixture() {
  workflow_store = OpenScratchStore(dir.Sub("workflow"), workflow::WorkflowColumnFamilies());
  auto w = workflow::Workflow::Open(workflow_store.get(), calendar, &clock);
  REQUIRE(w.ok());
  wf = *std::move(w);
  sv_store = OpenScratchStore(dir.Sub("supervision"), supervision::SupervisionColumnFamilies());
  auto s = supervision::Supervision::Open(sv_store.get(), calendar, &clock);
  REQUIRE(s.ok());
  sv = *std::move(s);
}

void SuiteFixture::Pump() {
  using supervision::kIntakeStream;
  using supervision::kWorkflowStream;
  REQUIRE(wf->ApplyIntakeEvents(EventsAfter(intake->event_log(), *wf->IntakeCursor())).ok());
  REQUIRE(
      sv->ApplyEvents(kIntakeStream, EventsAfter(intake->event_log(), *sv->Cursor(kIntakeStream)))
          .ok());
  REQUIRE(
      sv->ApplyEvents(kWorkflowStream, EventsAfter(wf->event_log(), *sv->Cursor(kWorkflowStream)))
          .ok());
}

}  // namespace sunlight::testing
