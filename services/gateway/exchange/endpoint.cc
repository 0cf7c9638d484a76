// The exchange's endpoint in the gateway process (endpoint.h).
#include "exchange/endpoint.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "exchange/platforms.h"
#include "sunlight/base/log.h"
#include "sunlight/base/status_macros.h"

namespace sunlight::gateway {
namespace {

absl::StatusOr<std::string> ReadFlagFile(const server::Config& config, const std::string& flag) {
  const std::string path = config.Get(flag);
  std::ifstream in(path);
  if (path.empty() || !in) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read '", path, "'"));
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::vector<server::FlagSpec> ExchangeFlags() {
  return {
      {"exchange_listen", "",
       "mutual-TLS address of the provincial exchange, e.g. 127.0.0.1:7010 (empty: no exchange)"},
      {"exchange_port_file", "", "file to write the bound exchange port to"},
      {"exchange_cert_file", "", "the exchange's server certificate (PEM)"},
      {"exchange_key_file", "", "the exchange's private key (PEM)"},
      {"exchange_ca_file", "",
       "CA (PEM) whose certificates identify platforms; a client certificate is required"},
      {"platforms_file", "",
       "registered platforms, a JSON line each: {\"platform_id\":..,\"certificate_subject\":.. or "
       "\"certificate_san\":..,\"departments\":[..] (whose records it receives),\"items\":[..] "
       "(that it may push)}; an empty list is nothing"},
  };
}

absl::StatusOr<std::unique_ptr<ExchangeEndpoint>> ExchangeEndpoint::Start(
    const server::Config& config, storage::Store* store, ExchangeOptions options,
    prometheus::Registry* registry) {
  if (config.Get("exchange_listen").empty()) return std::unique_ptr<ExchangeEndpoint>();
  SUNLIGHT_ASSIGN_OR_RETURN(std::string cert, ReadFlagFile(config, "exchange_cert_file"));
  SUNLIGHT_ASSIGN_OR_RETURN(std::string key, ReadFlagFile(config, "exchange_key_file"));
  SUNLIGHT_ASSIGN_OR_RETURN(std::string ca, ReadFlagFile(config, "exchange_ca_file"));
  SUNLIGHT_ASSIGN_OR_RETURN(auto platforms, LoadPlatforms(config.Get("platforms_file")));
  std::unique_ptr<ExchangeEndpoint> endpoint(new ExchangeEndpoint());
  SUNLIGHT_ASSIGN_OR_RETURN(endpoint->relay_, ExchangeRelay::Open(store, std::move(options)));
  const size_t registered = platforms.size();
  endpoint->service_ =
      std::make_unique<ExchangeService>(endpoint->relay_.get(), std::move(platforms), registry);
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = ca;
  tls.pem_key_cert_pairs.push_back({key, cert});
  endpoint->host_ = std::make_unique<server::ServiceHost>(
      server::HostOptions{.service_name = "exchange",
                          .listen_address = config.Get("exchange_listen"),
                          .port_file = config.Get("exchange_port_file"),
                          .credentials = grpc::SslServerCredentials(tls)});
  endpoint->host_->AddService(endpoint->service_.get());
  ExchangeService* service = endpoint->service_.get();
  endpoint->host_->OnShutdown([service] { service->Shutdown(); });
  SUNLIGHT_RETURN_IF_ERROR(endpoint->host_->Start());
  endpoint->relay_->Start();
  LogInfo("gateway",
          absl::StrCat("provincial exchange (mutual TLS) on port ", endpoint->host_->port(), "; ",
                       registered, " registered platforms"));
  return endpoint;
}

ExchangeEndpoint::~ExchangeEndpoint() { Stop(); }

void ExchangeEndpoint::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // (A Start that failed half-way leaves some of these unset.)
  if (host_ != nullptr) host_->Shutdown();
  if (relay_ != nullptr) relay_->Stop();
}

}  // namespace sunlight::gateway
