// The one way to start a service: gRPC server with health checking (and reflection when asked), a
// Prometheus /metrics endpoint with per-method request counts and latency histograms and the
// process's figures (process_metrics.h), and graceful shutdown on SIGTERM.
//
//   int main(int argc, char** argv) {
//     sunlight::server::BlockTerminationSignals();     // first, before any thread starts
//     ServiceHost host({.service_name = "intake", .listen_address = "127.0.0.1:7001"});
//     host.AddService(&intake_service);
//     if (auto s = host.Start(); !s.ok()) { ...; return 1; }
//     host.RunUntilTerminated();                        // returns after SIGTERM/SIGINT
//   }
#ifndef SUNLIGHT_SERVER_SERVICE_HOST_H_
#define SUNLIGHT_SERVER_SERVICE_HOST_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "prometheus/registry.h"
#include "sunlight/server/grpc_status.h"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace sunlight::server {

struct HostOptions {
  // Name used in logs and metric labels.
  std::string service_name;
  // host:port for gRPC; port 0 picks a free port (see port()).
  std::string listen_address = "127.0.0.1:0";
  // host:port for Prometheus /metrics; empty disables the endpoint.
  std::string metrics_address;
  // When set, the bound gRPC port is written here (atomically) once the server serves.
  std::string port_file;
  // Server credentials; insecure when null.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Serve gRPC reflection on this server (off in production: it lists every method).
  bool reflection = false;
  // How long in-flight calls get to finish on shutdown.
  absl::Duration shutdown_grace = absl::Seconds(5);
  // Threads of the synchronous server that wait for calls. gRPC's default (at most 2) makes
  // every thread beyond the second exit after its call and a new one start for the next
  // call, so a service whose handlers wait for a synced write kept creating and ending
  // threads under load (docs/performance.md, issue 22). Idle threads above `min_pollers`
  // stay up to `max_pollers`.
  int min_pollers = 2;
  int max_pollers = 32;
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts later, so that
// RunUntilTerminated can wait for them. Call first thing in main.
void BlockTerminationSignals();

class ServiceHost {
 public:
  explicit ServiceHost(HostOptions options);
  ~ServiceHost();

  // Registers a service; call before Start. The service must outlive the host.
  void AddService(grpc::Service* service);
  // Called at the start of shutdown, before the server stops (e.g. to end streams).
  void OnShutdown(std::function<void()> hook);

  // Binds and starts serving. On error nothing is left running.
  absl::Status Start();
  // Stops accepting calls, gives in-flight calls `shutdown_grace`, then returns.
  void Shutdown();
  // Waits for SIGTERM or SIGINT (see BlockTerminationSignals), then shuts down.
  void RunUntilTerminated();

  // The bound gRPC port (after Start).
  int port() const { return port_; }
  // The bound metrics port, 0 when disabled (after Start).
  int metrics_port() const { return metrics_port_; }
  // Registry for the service's own metrics; exposed on /metrics.
  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

 private:
  HostOptions options_;
  std::vector<grpc::Service*> services_;
  std::vector<std::function<void()>> shutdown_hooks_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int metrics_port_ = 0;
  bool shut_down_ = false;
};

// For a tool that only serves `service`: starts a host, waits for SIGTERM or SIGINT (call
// BlockTerminationSignals first), and returns main's exit code (1, logged, when it cannot
// start).
int ServeUntilTerminated(HostOptions options, grpc::Service* service);

// Writes `port` to `path` atomically (a temporary file renamed), for tests and scripts that
// wait for a service started on port 0. An empty path writes nothing.
absl::Status WritePortFile(const std::string& path, int port);

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_SERVICE_HOST_H_
