// workflow: routes accepted cases through their steps. Wiring only; logic in workflow.h.
#include "absl/strings/str_cat.h"
#include "sunlight/server/service_main.h"
#include "sunlight/workflow/workflow.h"
#include "sunlight/workflow/workflow_grpc_service.h"

int main(int argc, char** argv) {
  namespace wf = sunlight::workflow;
  sunlight::server::ServiceMain main(
      {.name = "workflow",
       .default_port = 7002,
       .column_families = wf::WorkflowColumnFamilies(),
       .method_policy = wf::WorkflowMethodPolicy(),
       .calendar = true,
       .stream_readers = {"supervision", "scoring", "gateway", "notify"}});
  main.AddFlag({"intake", "127.0.0.1:7001", "intake service address (its event stream)"});
  if (!main.Init(argc, argv)) return main.exit_code();
  auto workflow = wf::Workflow::Open(main.store(), main.calendar(), main.clock());
  if (!workflow.ok()) return main.Fail(workflow.status());
  wf::Workflow* w = workflow->get();
  w->metrics().Register(main.host().registry());
  wf::WorkflowGrpcService service(w, main.authorizer());
  main.AddService(&service);
  main.ServeEventLog(&w->event_log());
  main.Follow(
      wf::kIntakeStream, main.flag("intake"), [w] { return w->IntakeCursor(); },
      [w](const auto& batch) { return w->ApplyIntakeEvents(batch); });
  return main.Run(absl::StrCat("following intake at ", main.flag("intake"), "; calendar ",
                               main.calendar()->versioned_name()));
}
