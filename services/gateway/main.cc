// gateway: REST/JSON, login, access control, audit. Wiring only; logic in gateway.h.
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "exchange.h"
#include "gateway.h"
#include "gateway_grpc_service.h"
#include "google/protobuf/util/json_util.h"
#include "http_server.h"
#include "sunlight/base/log.h"
#include "sunlight/server/config.h"
#include "sunlight/server/service_host.h"

namespace {

int Fail(const absl::Status& status) {
  sunlight::LogError("gateway", status.ToString());
  return 1;
}

// Creates the users of a file (one CreateUserRequest as JSON per line) that do not exist.
absl::Status BootstrapUsers(sunlight::gateway::Accounts& accounts, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    sunlight::gateway::v1::CreateUserRequest request;
    if (auto s = google::protobuf::util::JsonStringToMessage(line, &request); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", s.ToString()));
    }
    auto created = accounts.CreateUser(request);
    if (!created.ok() && !absl::IsAlreadyExists(created.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": ", created.status().ToString()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  sunlight::server::BlockTerminationSignals();
  auto flags = sunlight::server::CommonFlags("gateway", 7000);
  flags.push_back({"http_listen", "127.0.0.1:8080", "host:port of the REST/JSON API"});
  flags.push_back({"http_port_file", "", "file to write the bound HTTP port to"});
  flags.push_back({"intake", "127.0.0.1:7001", "intake service address"});
  flags.push_back({"workflow", "127.0.0.1:7002", "workflow service address"});
  flags.push_back({"supervision", "127.0.0.1:7003", "supervision service address"});
  flags.push_back({"console_dir", "services/gateway/console",
                   "the web console's files, served at /console/ (empty: no console)"});
  flags.push_back({"exchange_listen", "",
                   "mutual-TLS address of the provincial exchange, e.g. 127.0.0.1:7010 "
                   "(empty: no exchange)"});
  flags.push_back({"exchange_port_file", "", "file to write the bound exchange port to"});
  flags.push_back({"exchange_cert_file", "", "the exchange's server certificate (PEM)"});
  flags.push_back({"exchange_key_file", "", "the exchange's private key (PEM)"});
  flags.push_back({"exchange_ca_file", "",
                   "CA (PEM) whose certificates identify platforms; a client certificate is "
                   "required"});
  flags.push_back({"platforms_file", "",
                   "registered platforms: {\"platform_id\":..,\"certificate_cn\":..} per line"});
  flags.push_back({"users_file", "",
                   "users to create on start when missing (CreateUserRequest JSON per line)"});
  flags.push_back({"token_ttl", "30m", "how long a login token is valid"});
  flags.push_back({"max_body_bytes", "1048576", "largest request body (413 beyond)"});
  flags.push_back({"idle_timeout", "30s", "idle time after which a connection is closed"});
  flags.push_back({"public_rate", "5", "public requests per second per client address"});
  flags.push_back({"public_burst", "20", "public request burst per client address"});
  flags.push_back({"repair_audit_log", "false",
                   "true: repair audit entries that cannot be read (kept, marked, the repair "
                   "recorded), print what was done and exit; run with the gateway stopped"});
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
  auto token_ttl = config->GetDuration("token_ttl");
  if (!token_ttl.ok()) return Fail(token_ttl.status());
  auto idle = config->GetDuration("idle_timeout");
  if (!idle.ok()) return Fail(idle.status());
  auto max_body = config->GetInt("max_body_bytes");
  if (!max_body.ok()) return Fail(max_body.status());
  auto rate = config->GetInt("public_rate");
  if (!rate.ok()) return Fail(rate.status());
  auto burst = config->GetInt("public_burst");
  if (!burst.ok()) return Fail(burst.status());
  if (*max_body <= 0 || *rate <= 0 || *burst <= 0) {
    return Fail(absl::InvalidArgumentError(
        "--max_body_bytes, --public_rate and --public_burst must be positive"));
  }

  sunlight::gateway::GatewayOptions options{.intake_target = config->Get("intake"),
                                            .workflow_target = config->Get("workflow"),
                                            .supervision_target = config->Get("supervision"),
                                            .token_ttl = *token_ttl,
                                            .public_requests_per_s = static_cast<double>(*rate),
                                            .public_burst = static_cast<double>(*burst)};
  auto signer = sunlight::auth::LoadSigner(config->Get("principal_key_file"));
  if (!signer.ok()) return Fail(signer.status());
  options.principal_signer = *signer;
  if (*signer == nullptr) {
    sunlight::LogWarning("gateway",
                         "no --principal_key_file: backends receive no signed principal");
  }
  auto store =
      sunlight::storage::Store::Open({.path = config->Get("data_dir"),
                                      .column_families = sunlight::gateway::GatewayColumnFamilies(),
                                      .sync_writes = *sync_writes});
  if (!store.ok()) return Fail(store.status());
  sunlight::SystemClock clock(*offset);
  auto repair = config->GetBool("repair_audit_log");
  if (!repair.ok()) return Fail(repair.status());
  if (*repair) {
    auto repaired = sunlight::gateway::AuditLog::Repair(store->get(), absl::Now());
    if (!repaired.ok()) return Fail(repaired.status());
    std::cout << (repaired->empty()
                      ? std::string("audit log: every entry is readable; nothing repaired\n")
                      : absl::StrCat("audit log: repaired entries ", absl::StrJoin(*repaired, ", "),
                                     "; the repair is recorded as the last entry\n"));
    return 0;
  }
  // The console's live board and alerts follow supervision's event stream.
  sunlight::gateway::LiveEvents live(
      {.supervision_target = options.supervision_target,
       .prepare_context = sunlight::auth::ServiceCallHook(options.principal_signer, "gateway")});
  live.Start();
  options.live_events = &live;
  options.console_dir = config->Get("console_dir");
  auto gateway = sunlight::gateway::Gateway::Open(store->get(), &clock, options);
  if (!gateway.ok()) return Fail(gateway.status());
  if (!config->Get("users_file").empty()) {
    if (auto s = BootstrapUsers((*gateway)->accounts(), config->Get("users_file")); !s.ok()) {
      return Fail(s);
    }
  }
  if (!(*gateway)->accounts().HasUsers()) {
    sunlight::LogWarning("gateway", "no users yet: start with --users_file to create some");
  }

  sunlight::gateway::GatewayGrpcService grpc_service(gateway->get());
  sunlight::server::ServiceHost host({.service_name = "gateway",
                                      .listen_address = config->Get("listen"),
                                      .metrics_address = config->Get("metrics_listen"),
                                      .port_file = config->Get("port_file")});
  host.AddService(&grpc_service);
  sunlight::gateway::Gateway* g = gateway->get();
  auto http = sunlight::gateway::HttpServer::Start(
      {.listen_address = config->Get("http_listen"),
       .max_body_bytes = static_cast<size_t>(*max_body),
       .idle_timeout = *idle},
      [g](const sunlight::gateway::HttpRequest& request) { return g->Handle(request); });
  if (!http.ok()) return Fail(http.status());

  // The provincial exchange: relayed streams in the gateway's store, served over mutual TLS.
  std::unique_ptr<sunlight::gateway::ExchangeRelay> relay;
  std::unique_ptr<sunlight::gateway::ExchangeService> exchange_service;
  std::unique_ptr<sunlight::server::ServiceHost> exchange_host;
  if (!config->Get("exchange_listen").empty()) {
    auto read = [](const std::string& flag,
                   const std::string& path) -> absl::StatusOr<std::string> {
      std::ifstream in(path);
      if (path.empty() || !in) {
        return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read '", path, "'"));
      }
      return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    auto cert = read("exchange_cert_file", config->Get("exchange_cert_file"));
    auto key = read("exchange_key_file", config->Get("exchange_key_file"));
    auto ca = read("exchange_ca_file", config->Get("exchange_ca_file"));
    if (!cert.ok()) return Fail(cert.status());
    if (!key.ok()) return Fail(key.status());
    if (!ca.ok()) return Fail(ca.status());
    auto platforms = sunlight::gateway::LoadPlatforms(config->Get("platforms_file"));
    if (!platforms.ok()) return Fail(platforms.status());
    auto opened = sunlight::gateway::ExchangeRelay::Open(
        store->get(), {.intake_target = options.intake_target,
                       .workflow_target = options.workflow_target,
                       .supervision_target = options.supervision_target,
                       .signer = options.principal_signer});
    if (!opened.ok()) return Fail(opened.status());
    relay = *std::move(opened);
    exchange_service = std::make_unique<sunlight::gateway::ExchangeService>(relay.get(), *platforms,
                                                                            &host.registry());
    grpc::SslServerCredentialsOptions tls(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = *ca;
    tls.pem_key_cert_pairs.push_back({*key, *cert});
    exchange_host = std::make_unique<sunlight::server::ServiceHost>(
        sunlight::server::HostOptions{.service_name = "exchange",
                                      .listen_address = config->Get("exchange_listen"),
                                      .port_file = config->Get("exchange_port_file"),
                                      .credentials = grpc::SslServerCredentials(tls)});
    exchange_host->AddService(exchange_service.get());
    exchange_host->OnShutdown([&] { exchange_service->Shutdown(); });
    if (absl::Status s = exchange_host->Start(); !s.ok()) return Fail(s);
    relay->Start();
    sunlight::LogInfo(
        "gateway", absl::StrCat("provincial exchange (mutual TLS) on port ", exchange_host->port(),
                                "; ", platforms->size(), " registered platforms"));
  }
  if (!config->Get("http_port_file").empty()) {
    std::string path = config->Get("http_port_file");
    std::string temporary = path + ".tmp";
    std::ofstream(temporary) << (*http)->port() << "\n";
    std::rename(temporary.c_str(), path.c_str());
  }
  host.OnShutdown([&] {
    live.Stop();  // ends the event streams, so their connections close
    (*http)->Stop();
    if (exchange_host != nullptr) {
      exchange_host->Shutdown();
      relay->Stop();
    }
  });
  if (absl::Status s = host.Start(); !s.ok()) return Fail(s);
  sunlight::LogInfo(
      "gateway", absl::StrCat("REST on port ", (*http)->port(), "; intake ", options.intake_target,
                              ", workflow ", options.workflow_target, ", supervision ",
                              options.supervision_target));
  host.RunUntilTerminated();
  return 0;
}
