#include "sunlight/server/service_main.h"

#include <sys/stat.h>

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "sunlight/base/log.h"
#include "sunlight/server/certificate_expiry.h"

namespace sunlight::server {

ServiceMain::ServiceMain(ServiceMainOptions options)
    : options_(std::move(options)), flags_(CommonFlags(options_.name, options_.default_port)) {
  // First, before any thread starts: RunUntilTerminated waits for these signals.
  BlockTerminationSignals();
  // Debian's absl checks every mutex acquisition for lock-order cycles (a debugging aid that
  // took 2-3 % of intake's CPU under load); the tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (options_.calendar) {
    flags_.push_back({"calendar", "data/calendars/cn-mainland.json",
                      "working-day calendar file (HolidayCalendarFile JSON)"});
    flags_.push_back({"provisional_years", "",
                      "years without published holidays to run weekends-only, e.g. 2027"});
  }
  flags_.push_back({"backup_root", "",
                    "directory every backup directory of the Admin service (sunlight backup) "
                    "must be inside; empty: any absolute directory outside --data_dir"});
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
  // Everything the service writes (its store, logs, port files) is its own alone.
  umask(077);
  auto reflection = config_->GetBool("reflection");
  if (!reflection.ok()) return failed(reflection.status());
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
  chmod(config_->Get("data_dir").c_str(), 0700);  // one made before umask 077 too
  if (absl::Status s = OpenSecurity(); !s.ok()) return failed(s);
  auto fence = RestoreFence::Load(store_.get(), options_.name);
  if (!fence.ok()) return failed(fence.status());
  fence_ = *std::move(fence);
  const admin::v1::RestoreHistory restores = fence_->history();
  for (const auto& restore : restores.restores()) {
    LogInfo(options_.name,
            absl::StrCat("restored from backup ", restore.backup_id(), "; its stream is fenced at ",
                         restore.stream().sequence(), " (", restore.admitted_readers_size(),
                         " readers admitted since)"));
  }
  host_ =
      std::make_unique<ServiceHost>(HostOptions{.service_name = options_.name,
                                                .listen_address = config_->Get("listen"),
                                                .metrics_address = config_->Get("metrics_listen"),
                                                .port_file = config_->Get("port_file"),
                                                .credentials = server_credentials_,
                                                .reflection = *reflection});
  admin_service_ =
      std::make_unique<AdminService>(AdminOptions{.service = options_.name,
                                                  .store = store_.get(),
                                                  .data_dir = config_->Get("data_dir"),
                                                  .backup_root = config_->Get("backup_root"),
                                                  .authorizer = admin_authorizer_.get(),
                                                  .fence = fence_.get(),
                                                  .gate = &follow_gate_});
  host_->AddService(admin_service_.get());
  return true;
}

absl::Status ServiceMain::OpenSecurity() {
  auto insecure = config_->GetBool("insecure_development");
  if (!insecure.ok()) return insecure.status();
  const std::string key_dir = config_->Get("key_dir");
  tls_ = TlsFilesFromFlags(*config_);
  if (!*insecure && key_dir.empty()) {
    return absl::FailedPreconditionError(
        "--key_dir: required; a service does not run without verifying its callers "
        "(--insecure_development=true runs open, for development only)");
  }
  if (!*insecure && !tls_.enabled()) {
    return absl::FailedPreconditionError(
        "--tls_cert_file: required; a service does not run in plain text "
        "(--insecure_development=true runs open, for development only)");
  }
  if (*insecure) {
    LogWarning(options_.name, "--insecure_development: calls are not authenticated" +
                                  std::string(tls_.enabled() ? "" : " and travel in plain text"));
  }
  if (!key_dir.empty()) {
    auto keys = auth::LoadServiceKeys(key_dir, options_.name);
    if (!keys.ok()) return keys.status();
    keys_ = *std::move(keys);
  }
  if (tls_.enabled()) {
    auto credentials = MutualTlsServerCredentials(tls_);
    if (!credentials.ok()) return credentials.status();
    server_credentials_ = *std::move(credentials);
  }
  auto channel = ChannelCredentialsFor(tls_);
  if (!channel.ok()) return channel.status();
  channel_credentials_ = *std::move(channel);
  static SystemClock real_clock;  // principals expire by real time, whatever the offset
  // Administrators may call Admin on every service, the gateway included (which checks its
  // own callers otherwise).
  admin_authorizer_ = std::make_unique<auth::Authorizer>(
      options_.name, *insecure ? nullptr : keys_.verifier, &real_clock, AdminMethodPolicy());
  if (!options_.method_policy.empty()) {
    auth::MethodPolicy policy = options_.method_policy;
    policy.merge(eventlog::StreamMethodPolicy(options_.stream_readers));
    authorizer_ = std::make_unique<auth::Authorizer>(
        options_.name, *insecure ? nullptr : keys_.verifier, &real_clock, std::move(policy));
  }
  return absl::OkStatus();
}

void ServiceMain::AddService(grpc::Service* service) { host_->AddService(service); }

void ServiceMain::ServeEventLog(eventlog::EventLog* log) {
  stream_service_ = std::make_unique<eventlog::EventStreamService>(log, authorizer_.get());
  stream_service_->set_admission([this](const auth::v1::Principal& reader, uint64_t from) {
    absl::Status admitted = fence_->Admit(StreamReaderOf(reader), from);
    if (!admitted.ok()) {
      admin_service_->metrics().readers_refused.Increment();
      // A refused consumer retries every few seconds: the 1st, 2nd, 4th, 8th ... refusal.
      if (uint64_t n = fence_->refused(); (n & (n - 1)) == 0) {
        LogWarning(options_.name, absl::StrCat(admitted.message(), " (refusal ", n, ")"));
      }
    }
    return admitted;
  });
  stream_metrics_.Serve(log);
  host_->AddService(stream_service_.get());
}

void ServiceMain::Follow(const std::string& stream, const std::string& target,
                         eventlog::EventSubscriber::CursorFn cursor,
                         eventlog::EventSubscriber::Handler apply) {
  if (keys_.verifier != nullptr && keys_.signer == nullptr && follow_error_.ok()) {
    follow_error_ = absl::FailedPreconditionError(absl::StrCat(
        "--key_dir: no ", options_.name, ".key there, to sign the subscription to ", stream));
  }
  followers_.push_back(eventlog::Follow(options_.name, keys_.signer, channel_credentials_, target,
                                        stream, cursor, follow_gate_.Wrap(std::move(apply))));
  stream_metrics_.Follow(followers_.back().get(), std::move(cursor));
}

void ServiceMain::Every(absl::Duration period, std::function<void()> work) {
  periodic_work_.emplace_back(period, std::move(work));
}

void ServiceMain::OnShutdown(std::function<void()> hook) {
  shutdown_hooks_.push_back(std::move(hook));
}

int ServiceMain::Run(const std::string& started) {
  host_->OnShutdown([this] {
    follow_gate_.Close();  // a paused batch goes on, to be cancelled
    for (auto& follower : followers_) follower->Stop();
    periodic_.clear();  // each stops, after the run in progress
    for (auto& hook : shutdown_hooks_) hook();
    if (stream_service_ != nullptr) stream_service_->Shutdown();
  });
  if (!follow_error_.ok()) return Fail(follow_error_);
  if (absl::Status s = host_->Start(); !s.ok()) return Fail(s);
  for (auto& follower : followers_) follower->Start();
  stream_metrics_.Register(host_->registry());
  certificates_.emplace("grpc", tls_.cert_file);
  certificates_.emplace("ca", tls_.ca_file);
  ExportCertificateExpiry(host_->registry(), certificates_);
  periodic_work_.emplace_back(absl::Seconds(5), [this] { stream_metrics_.Refresh(); });
  store_metrics_.Register(host_->registry());
  admin_service_->metrics().Register(host_->registry());
  periodic_work_.emplace_back(absl::Seconds(15), [this] {
    if (absl::Status s = store_metrics_.Refresh(*store_); !s.ok()) {
      LogWarning(options_.name, absl::StrCat("store figures: ", s.ToString()));
    }
  });
  for (auto& [period, work] : periodic_work_) {
    periodic_.push_back(std::make_unique<Periodic>(period, work));
  }
  LogInfo(options_.name, started);
  host_->RunUntilTerminated();
  return 0;
}

absl::StatusOr<std::shared_ptr<const auth::DataKey>> DataKeyFromFlag(const ServiceMain& main,
                                                                     const std::string& flag) {
  auto path = RequiredKeyFile(main.config(), flag, "personal data is not stored in clear");
  if (!path.ok()) return path.status();
  if (path->empty()) return std::shared_ptr<const auth::DataKey>();
  auto key = auth::DataKey::FromFile(*path);
  if (!key.ok())
    return absl::Status(key.status().code(),
                        absl::StrCat("--", flag, ": ", key.status().message()));
  return key;
}

}  // namespace sunlight::server
