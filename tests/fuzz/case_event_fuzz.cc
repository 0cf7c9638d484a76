// Fuzz target: event payload decoding where the consumers read the streams they follow.
// The first byte of the input picks a consumer and a stream (supervision of intake, workflow
// or scoring; scoring of intake, workflow, supervision or video; workflow of intake); the rest
// is one serialized events.v1.CaseEvent, its payload packed in an Any, given the next
// sequence of that stream and applied with the consumer's ApplyEvents. The clock moves an
// hour an input and supervision fires what is due, so fuzzed facts are planned and fired as
// well as decoded. A finding is a crash or a sanitizer report; errors are answers.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "sunlight/base/clock.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/events/v1/events.pb.h"
#include "sunlight/scoring/scoring.h"
#include "sunlight/storage/store.h"
#include "sunlight/supervision/supervision.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/workflow/workflow.h"

namespace {

using sunlight::events::v1::CaseEvent;

std::unique_ptr<sunlight::storage::Store> OpenStore(const std::string& path,
                                                    std::vector<std::string> families) {
  for (auto& f : sunlight::eventlog::ColumnFamilies()) families.push_back(f);
  auto store = sunlight::storage::Store::Open(
      {.path = path, .column_families = families, .sync_writes = false});
  if (!store.ok()) std::abort();
  return *std::move(store);
}

struct Consumers {
  Consumers() : clock(absl::FromUnixSeconds(1780000000)) {
    auto calendar =
        sunlight::calendar::WorkingCalendar::LoadFile(SUNLIGHT_CALENDAR_FILE, {2027}).value();
    supervision_store =
        OpenStore(dir.Sub("supervision"), sunlight::supervision::SupervisionColumnFamilies());
    scoring_store = OpenStore(dir.Sub("scoring"), sunlight::scoring::ScoringColumnFamilies());
    workflow_store = OpenStore(dir.Sub("workflow"), sunlight::workflow::WorkflowColumnFamilies());
    supervision =
        sunlight::supervision::Supervision::Open(supervision_store.get(), calendar, &clock).value();
    scoring = sunlight::scoring::Scoring::Open(scoring_store.get(), calendar, &clock).value();
    workflow = sunlight::workflow::Workflow::Open(workflow_store.get(), calendar, &clock).value();
  }

  sunlight::testing::ScratchDir dir{"case-event-fuzz"};
  sunlight::FakeClock clock;
  std::unique_ptr<sunlight::storage::Store> supervision_store, scoring_store, workflow_store;
  std::unique_ptr<sunlight::supervision::Supervision> supervision;
  std::unique_ptr<sunlight::scoring::Scoring> scoring;
  std::unique_ptr<sunlight::workflow::Workflow> workflow;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Consumers* consumers = new Consumers();
  if (size < 1) return 0;
  CaseEvent event;
  if (!event.ParseFromArray(data + 1, static_cast<int>(size - 1))) return -1;
  consumers->clock.Advance(absl::Hours(1));
  static const char* const kStreams[] = {"intake",   "workflow",    "scoring", "intake",
                                         "workflow", "supervision", "video",   "intake"};
  const int pick = data[0] % 8;
  const std::string stream = kStreams[pick];
  event.set_stream(stream);
  if (pick < 3) {
    auto cursor = consumers->supervision->Cursor(stream);
    if (!cursor.ok()) std::abort();
    event.set_sequence(*cursor + 1);
    (void)consumers->supervision->ApplyEvents(stream, {event});
    (void)consumers->supervision->FireDue();
  } else if (pick < 7) {
    auto cursor = consumers->scoring->Cursor(stream);
    if (!cursor.ok()) std::abort();
    event.set_sequence(*cursor + 1);
    (void)consumers->scoring->ApplyEvents(stream, {event});
  } else {
    auto cursor = consumers->workflow->IntakeCursor();
    if (!cursor.ok()) std::abort();
    event.set_sequence(*cursor + 1);
    (void)consumers->workflow->ApplyIntakeEvent(event);
  }
  return 0;
}
