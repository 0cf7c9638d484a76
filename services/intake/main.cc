// intake: catalogue and case intake. Wiring only; the logic is in intake.h.
#include "absl/strings/str_cat.h"
#include "sunlight/intake/intake.h"
#include "sunlight/intake/intake_grpc_service.h"
#include "sunlight/server/service_main.h"

int main(int argc, char** argv) {
  sunlight::server::ServiceMain main(
      {.name = "intake",
       .default_port = 7001,
       .column_families = sunlight::intake::IntakeColumnFamilies(),
       .method_policy = sunlight::intake::IntakeMethodPolicy(),
       .calendar = true,
       .stream_readers = {"workflow", "supervision", "scoring", "gateway", "notify", "video"}});
  main.AddFlag({"data_key_file", "",
                "key (32+ bytes, mode 0600) sealing applicants' ID numbers and phones and "
                "hashing query codes at rest; required unless --insecure_development"});
  if (!main.Init(argc, argv)) return main.exit_code();
  auto data_key = sunlight::server::DataKeyFromFlag(main, "data_key_file");
  if (!data_key.ok()) return main.Fail(data_key.status());
  auto intake =
      sunlight::intake::Intake::Open(main.store(), main.calendar(), main.clock(), *data_key);
  if (!intake.ok()) return main.Fail(intake.status());
  (*intake)->metrics().Register(main.host().registry());
  sunlight::intake::IntakeGrpcService service(intake->get(), main.authorizer());
  main.AddService(&service);
  main.ServeEventLog(&(*intake)->event_log());
  return main.Run(absl::StrCat("calendar ", main.calendar()->versioned_name(), "; data in ",
                               main.flag("data_dir"),
                               main.flag("sync_writes") == "true" ? "; WAL synced per write" : ""));
}
