// intake: catalogue and case intake. Wiring only; the logic is in intake.h.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "intake.h"
#include "intake_grpc_service.h"
#include "sunlight/base/log.h"
#include "sunlight/eventlog/event_stream_service.h"
#include "sunlight/server/config.h"
#include "sunlight/server/service_host.h"

namespace {

int Fail(const absl::Status& status) {
  sunlight::LogError("intake", status.ToString());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  sunlight::server::BlockTerminationSignals();
  auto flags = sunlight::server::CommonFlags("intake", 7001);
  flags.push_back({"calendar", "data/calendars/cn-mainland.json",
                   "working-day calendar file (HolidayCalendarFile JSON)"});
  flags.push_back({"provisional_years", "",
                   "years without published holidays to run weekends-only, e.g. 2027"});
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
  std::vector<std::string> families = sunlight::intake::IntakeColumnFamilies();
  for (auto& f : sunlight::eventlog::ColumnFamilies()) families.push_back(f);
  auto store = sunlight::storage::Store::Open(
      {.path = config->Get("data_dir"), .column_families = families, .sync_writes = *sync_writes});
  if (!store.ok()) return Fail(store.status());
  sunlight::SystemClock clock(*offset);
  auto intake = sunlight::intake::Intake::Open(store->get(), *calendar, &clock);
  if (!intake.ok()) return Fail(intake.status());

  auto policy = sunlight::intake::IntakeMethodPolicy();
  policy.merge(sunlight::eventlog::StreamMethodPolicy());
  auto authorizer =
      sunlight::auth::ServiceAuthorizer("intake", config->Get("principal_key_file"), policy);
  if (!authorizer.ok()) return Fail(authorizer.status());

  sunlight::intake::IntakeGrpcService intake_service(intake->get(), authorizer->get());
  sunlight::eventlog::EventStreamService stream_service(&(*intake)->event_log(), authorizer->get());
  sunlight::server::ServiceHost host({.service_name = "intake",
                                      .listen_address = config->Get("listen"),
                                      .metrics_address = config->Get("metrics_listen"),
                                      .port_file = config->Get("port_file")});
  host.AddService(&intake_service);
  host.AddService(&stream_service);
  host.OnShutdown([&] { stream_service.Shutdown(); });
  if (absl::Status s = host.Start(); !s.ok()) return Fail(s);
  sunlight::LogInfo(
      "intake",
      absl::StrCat("calendar ", (*calendar)->name(), "@", (*calendar)->version(), "; data in ",
                   config->Get("data_dir"), *sync_writes ? "; WAL synced per write" : ""));
  host.RunUntilTerminated();
  return 0;
}
