// supervision: clocks, lights, alerts, notices, anomalies. Wiring only; logic in supervision.h.
#include <condition_variable>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/eventlog/event_stream_service.h"
#include "sunlight/eventlog/subscriber.h"
#include "sunlight/server/config.h"
#include "sunlight/server/service_host.h"
#include "supervision.h"
#include "supervision_grpc_service.h"

namespace {

int Fail(const absl::Status& status) {
  sunlight::LogError("supervision", status.ToString());
  return 1;
}

// Runs `work` every `period` on its own thread until destroyed.
class Periodic {
 public:
  Periodic(absl::Duration period, std::function<void()> work)
      : period_(period), work_(std::move(work)), thread_([this] { Run(); }) {}
  ~Periodic() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      work_();
      lock.lock();
      cv_.wait_for(lock, absl::ToChronoNanoseconds(period_), [this] { return stop_; });
    }
  }
  absl::Duration period_;
  std::function<void()> work_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  sunlight::server::BlockTerminationSignals();
  auto flags = sunlight::server::CommonFlags("supervision", 7003);
  flags.push_back({"calendar", "data/calendars/cn-mainland.json",
                   "working-day calendar file (HolidayCalendarFile JSON)"});
  flags.push_back({"provisional_years", "",
                   "years without published holidays to run weekends-only, e.g. 2027"});
  flags.push_back({"intake", "127.0.0.1:7001", "intake service address (its event stream)"});
  flags.push_back({"workflow", "127.0.0.1:7002", "workflow service address (its event stream)"});
  flags.push_back(
      {"alert_file", "./data/alerts.jsonl", "file sink for alerts (one JSON line per alert)"});
  flags.push_back({"tick", "100ms", "how often due transitions are fired"});
  flags.push_back({"prepare_ahead", "10s",
                   "load clocks falling due within this much ahead of their instants (0s: off)"});
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
  auto tick = config->GetDuration("tick");
  if (!tick.ok()) return Fail(tick.status());
  auto prepare_ahead = config->GetDuration("prepare_ahead");
  if (!prepare_ahead.ok()) return Fail(prepare_ahead.status());
  auto provisional = sunlight::calendar::ParseProvisionalYears(config->Get("provisional_years"));
  if (!provisional.ok()) return Fail(provisional.status());
  auto calendar =
      sunlight::calendar::WorkingCalendar::LoadFile(config->Get("calendar"), *provisional);
  if (!calendar.ok()) return Fail(calendar.status());
  auto sink = sunlight::supervision::FileAlertSink::Open(config->Get("alert_file"));
  if (!sink.ok()) return Fail(sink.status());

  std::vector<std::string> families = sunlight::supervision::SupervisionColumnFamilies();
  for (auto& f : sunlight::eventlog::ColumnFamilies()) families.push_back(f);
  auto store = sunlight::storage::Store::Open(
      {.path = config->Get("data_dir"), .column_families = families, .sync_writes = *sync_writes});
  if (!store.ok()) return Fail(store.status());
  sunlight::SystemClock clock(*offset);
  auto supervision = sunlight::supervision::Supervision::Open(store->get(), *calendar, &clock);
  if (!supervision.ok()) return Fail(supervision.status());
  sunlight::supervision::Supervision* sv = supervision->get();

  auto policy = sunlight::supervision::SupervisionMethodPolicy();
  policy.merge(sunlight::eventlog::StreamMethodPolicy());
  auto authorizer =
      sunlight::auth::ServiceAuthorizer("supervision", config->Get("principal_key_file"), policy);
  if (!authorizer.ok()) return Fail(authorizer.status());

  sunlight::supervision::SupervisionGrpcService grpc_service(sv, authorizer->get());
  sunlight::eventlog::EventStreamService stream_service(&sv->event_log(), authorizer->get());
  sunlight::server::ServiceHost host({.service_name = "supervision",
                                      .listen_address = config->Get("listen"),
                                      .metrics_address = config->Get("metrics_listen"),
                                      .port_file = config->Get("port_file")});
  host.AddService(&grpc_service);
  host.AddService(&stream_service);

  auto subscribe = [&](const std::string& stream, const std::string& target) {
    return std::make_unique<sunlight::eventlog::EventSubscriber>(
        sunlight::eventlog::SubscriberOptions{.target = target,
                                              .stream = stream,
                                              .prepare_context = sunlight::auth::ServiceCallHook(
                                                  (*authorizer)->signer(), "supervision")},
        [sv, stream] { return sv->Cursor(stream); },
        [sv, stream](const std::vector<sunlight::events::v1::CaseEvent>& batch) {
          absl::Status s = sv->ApplyEvents(stream, batch);
          if (!s.ok()) {
            sunlight::LogError("supervision",
                               absl::StrCat(stream, " events ", batch.front().sequence(), "..",
                                            batch.back().sequence(), ": ", s.ToString()));
          }
          return s;
        });
  };
  auto intake_events = subscribe(sunlight::supervision::kIntakeStream, config->Get("intake"));
  auto workflow_events = subscribe(sunlight::supervision::kWorkflowStream, config->Get("workflow"));
  std::unique_ptr<Periodic> scheduler, notifier;
  host.OnShutdown([&] {
    intake_events->Stop();
    workflow_events->Stop();
    scheduler.reset();
    notifier.reset();
    stream_service.Shutdown();
  });
  if (absl::Status s = host.Start(); !s.ok()) return Fail(s);
  intake_events->Start();
  workflow_events->Start();
  // Transitions missed while the service was down fire on the first tick.
  scheduler = std::make_unique<Periodic>(*tick, [sv, ahead = *prepare_ahead] {
    while (true) {
      auto fired = sv->FireDue();
      if (!fired.ok()) {
        sunlight::LogError("supervision", absl::StrCat("firing: ", fired.status().ToString()));
        return;
      }
      if (*fired < 4096) break;  // drained
    }
    // Clocks falling due in the next seconds are loaded now, not at their instant.
    if (ahead <= absl::ZeroDuration()) return;
    if (auto prepared = sv->PrepareDue(ahead); !prepared.ok()) {
      sunlight::LogWarning("supervision",
                           absl::StrCat("preparing: ", prepared.status().ToString()));
    }
  });
  sunlight::supervision::AlertSink* alert_sink = sink->get();
  notifier = std::make_unique<Periodic>(absl::Milliseconds(500), [sv, alert_sink] {
    auto delivered = sv->DeliverAlerts(*alert_sink);
    if (!delivered.ok()) {
      sunlight::LogWarning("supervision", absl::StrCat("alert delivery (will retry): ",
                                                       delivered.status().ToString()));
    }
  });
  sunlight::LogInfo("supervision", absl::StrCat("following intake at ", config->Get("intake"),
                                                " and workflow at ", config->Get("workflow"),
                                                "; alerts to ", config->Get("alert_file")));
  host.RunUntilTerminated();
  return 0;
}
