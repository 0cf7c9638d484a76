// The start-up every service shares, so that a service's main.cc is only its own wiring:
// common flags (and --help), private files (umask 077), the store with the event log's column
// families, the working calendar, the clock, the service's keys and principal verifier,
// mutual TLS, the gRPC host with the event stream, the streams it follows, periodic work and
// a graceful stop on SIGTERM. It refuses to run open: without --key_dir and TLS it does not
// start unless --insecure_development says so. Every service it starts also serves
// sunlight.admin.v1.Admin (online backups, pausing what it follows, its stream's restore
// fences: admin_service.h, restore_fence.h) and shows its store's figures on /metrics
// (store_metrics.h, every 15 s) beside the process's (process_metrics.h).
//
//   int main(int argc, char** argv) {
//     server::ServiceMain main({.name = "workflow", .default_port = 7002,
//                               .column_families = WorkflowColumnFamilies(),
//                               .method_policy = WorkflowMethodPolicy(), .calendar = true});
//     main.AddFlag({"intake", "127.0.0.1:7001", "intake service address"});
//     if (!main.Init(argc, argv)) return main.exit_code();
//     auto workflow = Workflow::Open(main.store(), main.calendar(), main.clock());
//     if (!workflow.ok()) return main.Fail(workflow.status());
//     WorkflowGrpcService service((*workflow).get(), main.authorizer());
//     main.AddService(&service);
//     main.ServeEventLog(&(*workflow)->event_log());
//     main.Follow(kIntakeStream, main.flag("intake"), cursor, apply);
//     return main.Run("following intake");
//   }
#ifndef SUNLIGHT_SERVER_SERVICE_MAIN_H_
#define SUNLIGHT_SERVER_SERVICE_MAIN_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sunlight/auth/authorizer.h"
#include "sunlight/auth/data_key.h"
#include "sunlight/base/clock.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/eventlog/event_stream_service.h"
#include "sunlight/eventlog/subscriber.h"
#include "sunlight/server/admin_service.h"
#include "sunlight/server/config.h"
#include "sunlight/server/follow_gate.h"
#include "sunlight/server/periodic.h"
#include "sunlight/server/restore_fence.h"
#include "sunlight/server/service_host.h"
#include "sunlight/server/store_metrics.h"
#include "sunlight/server/stream_metrics.h"
#include "sunlight/server/tls.h"
#include "sunlight/storage/store.h"

namespace sunlight::server {

struct ServiceMainOptions {
  // Name in logs, metrics, the data directory and the principal of its own calls.
  std::string name;
  // Default gRPC port (metrics: + 1000).
  int default_port = 0;
  // The service's own column families; the event log's are added.
  std::vector<std::string> column_families;
  // Which audiences may call which method; the event stream's methods are added. Empty:
  // the service checks callers itself (no Authorizer is made).
  auth::MethodPolicy method_policy;
  // Whether the service counts working days: adds --calendar and --provisional_years.
  bool calendar = false;
  // The services that may read its event stream (each of its consumers).
  std::vector<std::string> stream_readers;
};

class ServiceMain {
 public:
  explicit ServiceMain(ServiceMainOptions options);
  ~ServiceMain();

  // A flag of the service's own; call before Init.
  void AddFlag(FlagSpec flag);

  // Parses the flags and opens what every service needs. False when main should return
  // exit_code(): after --help (0) or an error, logged (1).
  bool Init(int argc, char** argv);
  int exit_code() const { return exit_code_; }
  // Logs `status` as the service's and returns the exit code for main.
  int Fail(const absl::Status& status);

  const Config& config() const { return *config_; }
  std::string flag(const std::string& name) const { return config_->Get(name); }
  storage::Store* store() const { return store_.get(); }
  const Clock* clock() const { return clock_.get(); }
  std::shared_ptr<const calendar::WorkingCalendar> calendar() const { return calendar_; }
  // Null when the options have no method policy (the service checks callers itself). With
  // --insecure_development it lets every call through (and the service logs so).
  const auth::Authorizer* authorizer() const { return authorizer_.get(); }
  // The service's own principal signer (--key_dir/<name>.key); null without one.
  std::shared_ptr<const auth::PrincipalSigner> signer() const { return keys_.signer; }
  // The identities it accepts (--key_dir/*.pub); null with --insecure_development.
  std::shared_ptr<const auth::PrincipalVerifier> verifier() const { return keys_.verifier; }
  // Credentials of its calls to the other services: mutual TLS with its own certificate
  // (insecure only with --insecure_development).
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials() const {
    return channel_credentials_;
  }
  const TlsFiles& tls() const { return tls_; }
  ServiceHost& host() { return *host_; }

  // Registers a gRPC service; it must outlive Run.
  void AddService(grpc::Service* service);
  // Serves `log` as the service's event stream (sunlight.events.v1.EventStream).
  void ServeEventLog(eventlog::EventLog* log);
  // Follows another service's stream from Run until the stop (see eventlog::Follow).
  void Follow(const std::string& stream, const std::string& target,
              eventlog::EventSubscriber::CursorFn cursor, eventlog::EventSubscriber::Handler apply);
  // Runs `work` every `period` from Run until the stop.
  void Every(absl::Duration period, std::function<void()> work);
  // Called at the start of the stop, before the server stops (after followers and periodic
  // work have stopped).
  void OnShutdown(std::function<void()> hook);
  // Another certificate whose expiry goes on /metrics (the gateway's HTTPS one); this
  // service's gRPC certificate and CA are there already.
  void AddCertificate(const std::string& which, const std::string& pem_file) {
    certificates_[which] = pem_file;
  }

  // Starts serving, the followers and the periodic work; logs `started` and waits for
  // SIGTERM or SIGINT, then stops everything gracefully. Returns main's exit code.
  int Run(const std::string& started);

 private:
  // Keys, TLS and the authorizer, refusing to run open.
  absl::Status OpenSecurity();

  ServiceMainOptions options_;
  std::vector<FlagSpec> flags_;
  int exit_code_ = 0;
  std::unique_ptr<Config> config_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Clock> clock_;
  std::shared_ptr<const calendar::WorkingCalendar> calendar_;
  auth::ServiceKeys keys_;
  TlsFiles tls_;
  std::shared_ptr<grpc::ServerCredentials> server_credentials_;
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials_;
  std::unique_ptr<auth::Authorizer> authorizer_;
  // Backups, restore fences, pausing what it follows (sunlight.admin.v1.Admin), and the
  // store's figures on /metrics.
  std::unique_ptr<auth::Authorizer> admin_authorizer_;
  std::unique_ptr<RestoreFence> fence_;
  FollowGate follow_gate_;
  std::unique_ptr<AdminService> admin_service_;
  StoreMetrics store_metrics_;
  absl::Status follow_error_;
  std::unique_ptr<ServiceHost> host_;
  std::unique_ptr<eventlog::EventStreamService> stream_service_;
  std::vector<std::unique_ptr<eventlog::EventSubscriber>> followers_;
  std::vector<std::pair<absl::Duration, std::function<void()>>> periodic_work_;
  std::vector<std::unique_ptr<Periodic>> periodic_;
  std::vector<std::function<void()>> shutdown_hooks_;
  StreamMetrics stream_metrics_;                     // consumers' lag, the event log's commits
  std::map<std::string, std::string> certificates_;  // name -> PEM file, for their expiry
};

// The data key of flag `flag` (auth::DataKey::FromFile); required unless the service runs
// with --insecure_development (then null without the flag).
absl::StatusOr<std::shared_ptr<const auth::DataKey>> DataKeyFromFlag(const ServiceMain& main,
                                                                     const std::string& flag);

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_SERVICE_MAIN_H_
