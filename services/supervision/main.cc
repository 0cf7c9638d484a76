// supervision: clocks, lights, alerts, notices, anomalies. Wiring only; logic in supervision.h.
#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/server/service_main.h"
#include "sunlight/supervision/supervision.h"
#include "sunlight/supervision/supervision_grpc_service.h"

int main(int argc, char** argv) {
  namespace sv = sunlight::supervision;
  sunlight::server::ServiceMain main({.name = "supervision",
                                      .default_port = 7003,
                                      .column_families = sv::SupervisionColumnFamilies(),
                                      .method_policy = sv::SupervisionMethodPolicy(),
                                      .calendar = true,
                                      .stream_readers = {"scoring", "gateway", "notify"}});
  main.AddFlag({"intake", "127.0.0.1:7001", "intake service address (its event stream)"});
  main.AddFlag({"workflow", "127.0.0.1:7002", "workflow service address (its event stream)"});
  main.AddFlag({"scoring", "",
                "scoring service address (its event stream: appeals, rectifications and "
                "complaints, each to answer in time); empty: not followed"});
  main.AddFlag({"alert_file", "./data/alerts.jsonl", "file sink for alerts (a JSON line each)"});
  main.AddFlag({"tick", "100ms", "how often due transitions are fired"});
  main.AddFlag({"prepare_ahead", "10s",
                "load clocks falling due within this much ahead of their instants (0s: off)"});
  if (!main.Init(argc, argv)) return main.exit_code();
  auto tick = main.config().GetDuration("tick");
  if (!tick.ok()) return main.Fail(tick.status());
  auto ahead = main.config().GetDuration("prepare_ahead");
  if (!ahead.ok()) return main.Fail(ahead.status());
  auto sink = sv::FileAlertSink::Open(main.flag("alert_file"));
  if (!sink.ok()) return main.Fail(sink.status());
  auto supervision = sv::Supervision::Open(main.store(), main.calendar(), main.clock());
  if (!supervision.ok()) return main.Fail(supervision.status());
  sv::Supervision* s = supervision->get();
  s->metrics().Register(main.host().registry());
  s->gauges().Register(main.host().registry());
  sv::SupervisionGrpcService service(s, main.authorizer());
  main.AddService(&service);
  main.ServeEventLog(&s->event_log());
  for (const auto& [stream, flag] :
       {std::pair{sv::kIntakeStream, "intake"}, std::pair{sv::kWorkflowStream, "workflow"},
        std::pair{sv::kScoringStream, "scoring"}}) {
    if (main.flag(flag).empty()) continue;
    main.Follow(
        stream, main.flag(flag), [s, stream = std::string(stream)] { return s->Cursor(stream); },
        [s, stream = std::string(stream)](const auto& batch) {
          return s->ApplyEvents(stream, batch);
        });
  }
  // Transitions missed while the service was down fire on the first tick.
  main.Every(*tick, [s, ahead = *ahead] { s->RunScheduler(ahead); });
  main.Every(absl::Milliseconds(500),
             [s, alert_sink = sink->get()] { s->RunAlertDelivery(*alert_sink); });
  // The open-clock gauges (counted as clocks change) and the alert outbox: twice a minute.
  main.Every(absl::Seconds(30), [s] {
    if (absl::Status refreshed = s->RefreshMetrics(); !refreshed.ok()) {
      sunlight::LogError("supervision", refreshed.ToString());
    }
  });
  return main.Run(absl::StrCat("following intake at ", main.flag("intake"), " and workflow at ",
                               main.flag("workflow"), "; alerts to ", main.flag("alert_file")));
}
