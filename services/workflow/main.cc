// workflow: routes accepted cases through their steps. Wiring only; logic in workflow.h.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/eventlog/event_stream_service.h"
#include "sunlight/eventlog/subscriber.h"
#include "sunlight/server/config.h"
#include "sunlight/server/service_host.h"
#include "workflow.h"
#include "workflow_grpc_service.h"

namespace {

int Fail(const absl::Status& status) {
  sunlight::LogError("workflow", status.ToString());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  sunlight::server::BlockTerminationSignals();
  auto flags = sunlight::server::CommonFlags("workflow", 7002);
  flags.push_back({"calendar", "data/calendars/cn-mainland.json",
                   "working-day calendar file (HolidayCalendarFile JSON)"});
  flags.push_back({"provisional_years", "",
                   "years without published holidays to run weekends-only, e.g. 2027"});
  flags.push_back({"intake", "127.0.0.1:7001", "intake service address (its event stream)"});
  auto config = sunlight::server::Config::Parse(argc, argv, flags);
  if (!config.ok()) {
    if (absl::IsCancelled(config.status())) {
      std::cout << config.status().message();
      return 0;
    }
    return Fail(config.status());
  }
  auto sync_writes = config->GetBool("sync_writes");
  if (!sync_writes.ok()) return Fail(sync_writes.status());
  auto offset = config->GetDuration("clock_offset");
  if (!offset.ok()) return Fail(offset.status());
  auto provisional = sunlight::calendar::ParseProvisionalYears(config->Get("provisional_years"));
  if (!provisional.ok()) return Fail(provisional.status());
  auto calendar =
      sunlight::calendar::WorkingCalendar::LoadFile(config->Get("calendar"), *provisional);
  if (!calendar.ok()) return Fail(calendar.status());

  std::vector<std::string> families = sunlight::workflow::WorkflowColumnFamilies();
  for (auto& f : sunlight::eventlog::ColumnFamilies()) families.push_back(f);
  auto store = sunlight::storage::Store::Open(
      {.path = config->Get("data_dir"), .column_families = families, .sync_writes = *sync_writes});
  if (!store.ok()) return Fail(store.status());
  sunlight::SystemClock clock(*offset);
  auto workflow = sunlight::workflow::Workflow::Open(store->get(), *calendar, &clock);
  if (!workflow.ok()) return Fail(workflow.status());
  sunlight::workflow::Workflow* wf = workflow->get();

  auto policy = sunlight::workflow::WorkflowMethodPolicy();
  policy.merge(sunlight::eventlog::StreamMethodPolicy());
  auto authorizer =
      sunlight::auth::ServiceAuthorizer("workflow", config->Get("principal_key_file"), policy);
  if (!authorizer.ok()) return Fail(authorizer.status());

  sunlight::workflow::WorkflowGrpcService workflow_service(wf, authorizer->get());
  sunlight::eventlog::EventStreamService stream_service(&wf->event_log(), authorizer->get());
  sunlight::server::ServiceHost host({.service_name = "workflow",
                                      .listen_address = config->Get("listen"),
                                      .metrics_address = config->Get("metrics_listen"),
                                      .port_file = config->Get("port_file")});
  host.AddService(&workflow_service);
  host.AddService(&stream_service);

  sunlight::eventlog::EventSubscriber intake_events(
      {.target = config->Get("intake"),
       .stream = sunlight::workflow::kIntakeStream,
       .prepare_context = sunlight::auth::ServiceCallHook((*authorizer)->signer(), "workflow")},
      [wf] { return wf->IntakeCursor(); },
      [wf](const std::vector<sunlight::events::v1::CaseEvent>& batch) {
        absl::Status s = wf->ApplyIntakeEvents(batch);
        if (!s.ok()) {
          sunlight::LogError("workflow",
                             absl::StrCat("intake events ", batch.front().sequence(), "..",
                                          batch.back().sequence(), ": ", s.ToString()));
        }
        return s;
      });
  host.OnShutdown([&] {
    intake_events.Stop();
    stream_service.Shutdown();
  });
  if (absl::Status s = host.Start(); !s.ok()) return Fail(s);
  intake_events.Start();
  sunlight::LogInfo("workflow", absl::StrCat("following intake at ", config->Get("intake"),
                                             "; calendar ", (*calendar)->versioned_name()));
  host.RunUntilTerminated();
  return 0;
}
