#include "sunlight/server/service_host.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/histogram.h"
#include "sunlight/base/log.h"
#include "sunlight/server/process_metrics.h"

namespace sunlight::server {
namespace {

namespace gx = grpc::experimental;

// Per-method request counts (by status code) and latency, for every service alike.
class RpcMetrics {
 public:
  RpcMetrics(prometheus::Registry& registry, const std::string& service)
      : requests_(prometheus::BuildCounter()
                      .Name("sunlight_grpc_requests_total")
                      .Help("gRPC calls handled, by method and status code")
                      .Labels({{"service", service}})
                      .Register(registry)),
        latency_(prometheus::BuildHistogram()
                     .Name("sunlight_grpc_request_duration_seconds")
                     .Help("gRPC call latency (stream lifetime for streaming calls)")
                     .Labels({{"service", service}})
                     .Register(registry)) {}

  void Record(const std::string& method, grpc::StatusCode code, double seconds) {
    std::pair<prometheus::Counter*, prometheus::Histogram*> metrics;
    {
      std::lock_guard lock(mu_);
      auto key = std::make_pair(method, static_cast<int>(code));
      auto it = cache_.find(key);
      if (it == cache_.end()) {
        auto& counter = requests_.Add({{"method", method}, {"code", StatusCodeName(code)}});
        auto hist = histograms_.find(method);
        if (hist == histograms_.end()) {
          hist = histograms_
                     .emplace(method, &latency_.Add({{"method", method}},
                                                    prometheus::Histogram::BucketBoundaries{
                                                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                        0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}))
                     .first;
        }
        it = cache_.emplace(key, std::make_pair(&counter, hist->second)).first;
      }
      metrics = it->second;
    }
    metrics.first->Increment();
    metrics.second->Observe(seconds);
  }

 private:
  struct PairHash {
    size_t operator()(const std::pair<std::string, int>& p) const {
      return std::hash<std::string>()(p.first) * 31 + static_cast<size_t>(p.second);
    }
  };

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  std::mutex mu_;
  std::unordered_map<std::pair<std::string, int>,
                     std::pair<prometheus::Counter*, prometheus::Histogram*>, PairHash>
      cache_;
  std::unordered_map<std::string, prometheus::Histogram*> histograms_;
};

class MetricsInterceptor final : public gx::Interceptor {
 public:
  MetricsInterceptor(RpcMetrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(absl::Now()) {}

  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      metrics_->Record(method_, status.error_code(), absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  RpcMetrics* metrics_;
  std::string method_;
  absl::Time start_;
};

class MetricsInterceptorFactory final : public gx::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(std::shared_ptr<RpcMetrics> metrics)
      : metrics_(std::move(metrics)) {}
  gx::Interceptor* CreateServerInterceptor(gx::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_.get(), info->method());
  }

 private:
  std::shared_ptr<RpcMetrics> metrics_;
};

// Reflection on one server only, or on none: linking grpc++_reflection registers its plugin
// for every server of the process (a static initializer), so the option removes it unless
// this server asks for it (and adds it if it is missing).
class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    const std::string name = grpc::reflection::ProtoServerReflectionPlugin().name();
    std::erase_if(*plugins, [&](const auto& plugin) { return plugin->name() == name; });
    if (enabled_)
      plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
  }

 private:
  bool enabled_;
};

}  // namespace

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ServiceHost::ServiceHost(HostOptions options)
    : options_(std::move(options)),
      registry_(std::make_shared<prometheus::Registry>()),
      process_collector_(ProcessCollector()) {}

ServiceHost::~ServiceHost() { Shutdown(); }

void ServiceHost::AddService(grpc::Service* service) { services_.push_back(service); }

void ServiceHost::OnShutdown(std::function<void()> hook) {
  shutdown_hooks_.push_back(std::move(hook));
}

absl::Status ServiceHost::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  // (A host with no service of its own keeps the plugin: gRPC needs some synchronous method
  // to poll for, and there is nothing to describe.)
  builder.SetOption(std::make_unique<ReflectionOption>(options_.reflection || services_.empty()));
  auto credentials =
      options_.credentials ? options_.credentials : grpc::InsecureServerCredentials();
  // Without this, gRPC sets SO_REUSEPORT and a second server on a taken port "succeeds",
  // silently sharing the port with the first.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                              options_.min_pollers);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options_.max_pollers);
  builder.AddListeningPort(options_.listen_address, credentials, &port_);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  auto metrics = std::make_shared<RpcMetrics>(*registry_, options_.service_name);
  std::vector<std::unique_ptr<gx::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>(metrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("listen: cannot bind gRPC address ", options_.listen_address));
  }
  if (!options_.metrics_address.empty()) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(options_.metrics_address);
    } catch (const std::exception& e) {
      // civetweb reports a failed bind by throwing; it must not cross our API.
      server_->Shutdown();
      server_.reset();
      return absl::UnavailableError(
          absl::StrCat("metrics_listen: cannot bind ", options_.metrics_address, ": ", e.what()));
    }
    exposer_->RegisterCollectable(registry_);
    exposer_->RegisterCollectable(process_collector_);
    auto ports = exposer_->GetListeningPorts();
    metrics_port_ = ports.empty() ? 0 : ports.front();
  }
  if (!options_.port_file.empty()) {
    if (absl::Status s = WritePortFile(options_.port_file, port_); !s.ok()) return s;
  }
  LogInfo(options_.service_name,
          absl::StrCat("serving gRPC on port ", port_,
                       metrics_port_ ? absl::StrCat(", metrics on port ", metrics_port_) : ""));
  return absl::OkStatus();
}

void ServiceHost::Shutdown() {
  if (shut_down_ || !server_) return;
  shut_down_ = true;
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
  for (auto& hook : shutdown_hooks_) hook();
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(options_.shutdown_grace));
  server_->Wait();
  exposer_.reset();
  LogInfo(options_.service_name, "stopped");
}

void ServiceHost::RunUntilTerminated() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal = 0;
  sigwait(&set, &signal);
  LogInfo(options_.service_name, absl::StrCat("signal ", signal, ": shutting down"));
  Shutdown();
}

absl::Status WritePortFile(const std::string& path, int port) {
  if (path.empty()) return absl::OkStatus();
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out) return absl::InternalError(absl::StrCat("port_file: cannot write ", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("port_file: ", ec.message()));
  return absl::OkStatus();
}

int ServeUntilTerminated(HostOptions options, grpc::Service* service) {
  const std::string name = options.service_name;
  ServiceHost host(std::move(options));
  host.AddService(service);
  if (absl::Status s = host.Start(); !s.ok()) {
    LogError(name, s.ToString());
    return 1;
  }
  host.RunUntilTerminated();
  return 0;
}

}  // namespace sunlight::server
