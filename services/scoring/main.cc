// scoring: measures, statistics and monthly scores. Wiring only; logic in scoring.h.
#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/scoring/scoring.h"
#include "sunlight/scoring/scoring_grpc_service.h"
#include "sunlight/server/service_main.h"

int main(int argc, char** argv) {
  namespace sc = sunlight::scoring;
  sunlight::server::ServiceMain main({.name = "scoring",
                                      .default_port = 7004,
                                      .column_families = sc::ScoringColumnFamilies(),
                                      .method_policy = sc::ScoringMethodPolicy(),
                                      .calendar = true,
                                      .stream_readers = {"gateway", "supervision", "notify"}});
  main.AddFlag({"intake", "127.0.0.1:7001", "intake service address (its event stream)"});
  main.AddFlag({"workflow", "127.0.0.1:7002", "workflow service address (its event stream)"});
  main.AddFlag({"supervision", "127.0.0.1:7003", "supervision service address (its event stream)"});
  main.AddFlag({"video", "",
                "video service address, e.g. 127.0.0.1:7006 (its event stream: conduct events, "
                "counted once an inspector confirmed them); empty: not followed"});
  main.AddFlag({"data_key_file", "",
                "file (mode 0600) of the key that seals complainants' contacts and hashes "
                "complaint query codes; required unless --insecure_development (then empty "
                "refuses complaints)"});
  if (!main.Init(argc, argv)) return main.exit_code();
  auto data_key = sunlight::server::DataKeyFromFlag(main, "data_key_file");
  if (!data_key.ok()) return main.Fail(data_key.status());
  auto scoring = sc::Scoring::Open(main.store(), main.calendar(), main.clock(), *data_key);
  if (!scoring.ok()) return main.Fail(scoring.status());
  sc::Scoring* s = scoring->get();
  s->metrics().Register(main.host().registry());
  s->timings().Register(main.host().registry());
  sc::ScoringGrpcService service(s, main.authorizer());
  main.AddService(&service);
  main.ServeEventLog(&s->event_log());
  for (const char* stream :
       {sc::kIntakeStream, sc::kWorkflowStream, sc::kSupervisionStream, sc::kVideoStream}) {
    if (stream == sc::kVideoStream && main.flag(stream).empty()) continue;  // optional
    main.Follow(
        stream, main.flag(stream), [s, stream = std::string(stream)] { return s->Cursor(stream); },
        [s, stream = std::string(stream)](const auto& batch) {
          return s->ApplyEvents(stream, batch);
        });
  }
  main.Every(absl::Seconds(30), [s] {
    if (absl::Status refreshed = s->RefreshMetrics(); !refreshed.ok()) {
      sunlight::LogError("scoring", refreshed.ToString());
    }
  });
  // Published months that late events changed get a draft to approve.
  main.Every(absl::Seconds(10), [s] {
    if (auto drafted = s->DraftStaleMonths(); !drafted.ok()) {
      sunlight::LogError("scoring", drafted.status().ToString());
    }
  });
  // Ended working days are judged (absence, leaving early); rectifications past due count
  // as late.
  main.Every(absl::Seconds(60), [s] {
    if (auto closed = s->CloseAttendanceDays(); !closed.ok()) {
      sunlight::LogError("scoring", closed.status().ToString());
    }
    if (auto late = s->MarkLateRectifications(); !late.ok()) {
      sunlight::LogError("scoring", late.status().ToString());
    }
  });
  return main.Run(absl::StrCat("following intake at ", main.flag("intake"), ", workflow at ",
                               main.flag("workflow"), ", supervision at ", main.flag("supervision"),
                               " and video at ",
                               main.flag("video").empty() ? "(none)" : main.flag("video")));
}
