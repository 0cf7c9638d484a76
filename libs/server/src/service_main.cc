#include "sunlight/server/service_main.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"

namespace sunlight::server {

ServiceMain::ServiceMain(ServiceMainOptions options)
    : options_(std::move(options)), flags_(CommonFlags(options_.name, options_.default_port)) {
  // First, before any thread starts: RunUntilTerminated waits for these signals.
  BlockTerminationSignals();
  if (options_.calendar) {
    flags_.push_back({"calendar", "data/calendars/cn-mainland.json",
                      "working-day calendar file (HolidayCalendarFile JSON)"});
    flags_.push_back({"provisional_years", "",
                      "years without published holidays to run weekends-only, e.g. 2027"});
  }
}

ServiceMain::~ServiceMain() = default;

void ServiceMain::AddFlag(FlagSpec flag) { flags_.push_back(std::move(flag)); }

int ServiceMain::Fail(const absl::Status& status) {
  LogError(options_.name, status.ToString());
  exit_code_ = 1;
  return 1;
}

bool ServiceMain::Init(int argc, char** argv) {
  auto failed = [this](const absl::Status& status) {
    Fail(status);
    return false;
  };
  auto config = Config::Parse(argc, argv, flags_);
  if (!config.ok()) {
    if (absl::IsCancelled(config.status())) {  // --help
      std::cout << config.status().message();
      exit_code_ = 0;
      return false;
    }
    return failed(config.status());
  }
  config_ = std::make_unique<Config>(*std::move(config));
  auto sync_writes = config_->GetBool("sync_writes");
  if (!sync_writes.ok()) return failed(sync_writes.status());
  auto offset = config_->GetDuration("clock_offset");
  if (!offset.ok()) return failed(offset.status());
  clock_ = std::make_unique<SystemClock>(*offset);
  if (options_.calendar) {
    auto provisional = calendar::ParseProvisionalYears(config_->Get("provisional_years"));
    if (!provisional.ok()) return failed(provisional.status());
    auto loaded = calendar::WorkingCalendar::LoadFile(config_->Get("calendar"), *provisional);
    if (!loaded.ok()) return failed(loaded.status());
    calendar_ = *std::move(loaded);
  }
  std::vector<std::string> families = options_.column_families;
  for (auto& f : eventlog::ColumnFamilies()) {
    if (std::find(families.begin(), families.end(), f) == families.end()) families.push_back(f);
  }
  auto store = storage::Store::Open(
      {.path = config_->Get("data_dir"), .column_families = families, .sync_writes = *sync_writes});
  if (!store.ok()) return failed(store.status());
  store_ = *std::move(store);
  if (!options_.method_policy.empty()) {
    auth::MethodPolicy policy = options_.method_policy;
    policy.merge(eventlog::StreamMethodPolicy());
    auto authorizer =
        auth::ServiceAuthorizer(options_.name, config_->Get("principal_key_file"), policy);
    if (!authorizer.ok()) return failed(authorizer.status());
    authorizer_ = *std::move(authorizer);
    signer_ = authorizer_->signer();
  } else {
    auto signer = auth::LoadSigner(config_->Get("principal_key_file"));
    if (!signer.ok()) return failed(signer.status());
    signer_ = *std::move(signer);
  }
  host_ =
      std::make_unique<ServiceHost>(HostOptions{.service_name = options_.name,
                                                .listen_address = config_->Get("listen"),
                                                .metrics_address = config_->Get("metrics_listen"),
                                                .port_file = config_->Get("port_file")});
  return true;
}

void ServiceMain::AddService(grpc::Service* service) { host_->AddService(service); }

void ServiceMain::ServeEventLog(eventlog::EventLog* log) {
  stream_service_ = std::make_unique<eventlog::EventStreamService>(log, authorizer_.get());
  host_->AddService(stream_service_.get());
}

void ServiceMain::Follow(const std::string& stream, const std::string& target,
                         eventlog::EventSubscriber::CursorFn cursor,
                         eventlog::EventSubscriber::Handler apply) {
  followers_.push_back(eventlog::Follow(options_.name, signer_, target, stream, std::move(cursor),
                                        std::move(apply)));
}

void ServiceMain::Every(absl::Duration period, std::function<void()> work) {
  periodic_work_.emplace_back(period, std::move(work));
}

void ServiceMain::OnShutdown(std::function<void()> hook) {
  shutdown_hooks_.push_back(std::move(hook));
}

int ServiceMain::Run(const std::string& started) {
  host_->OnShutdown([this] {
    for (auto& follower : followers_) follower->Stop();
    periodic_.clear();  // each stops, after the run in progress
    for (auto& hook : shutdown_hooks_) hook();
    if (stream_service_ != nullptr) stream_service_->Shutdown();
  });
  if (absl::Status s = host_->Start(); !s.ok()) return Fail(s);
  for (auto& follower : followers_) follower->Start();
  for (auto& [period, work] : periodic_work_) {
    periodic_.push_back(std::make_unique<Periodic>(period, work));
  }
  LogInfo(options_.name, started);
  host_->RunUntilTerminated();
  return 0;
}

}  // namespace sunlight::server
