// The provincial exchange in the gateway process: its flags, the relay, and its own gRPC
// server with mutual TLS (a client certificate from --exchange_ca_file is required).
//
//   SUNLIGHT_ASSIGN_OR_RETURN(auto exchange, ExchangeEndpoint::Start(config, store, options,
//                                                                    &host.registry()));
//   ...
//   if (exchange != nullptr) exchange->Stop();
#ifndef SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_ENDPOINT_H_
#define SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_ENDPOINT_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "exchange/exchange_service.h"
#include "exchange/relay.h"
#include "prometheus/registry.h"
#include "sunlight/server/config.h"
#include "sunlight/server/service_host.h"
#include "sunlight/storage/store.h"

namespace sunlight::gateway {

// --exchange_listen, --exchange_port_file, --exchange_{cert,key,ca}_file, --platforms_file.
std::vector<server::FlagSpec> ExchangeFlags();

class ExchangeEndpoint {
 public:
  // Starts serving and relaying; null (and OK) when --exchange_listen is empty. INVALID_ARGUMENT
  // naming the flag when a file cannot be read.
  static absl::StatusOr<std::unique_ptr<ExchangeEndpoint>> Start(const server::Config& config,
                                                                 storage::Store* store,
                                                                 ExchangeOptions options,
                                                                 prometheus::Registry* registry);
  ~ExchangeEndpoint();
  ExchangeRelay& relay() { return *relay_; }
  // Ends the platforms' streams, stops the server and the relay. Idempotent.
  void Stop();
  int port() const { return host_->port(); }

 private:
  ExchangeEndpoint() = default;
  std::unique_ptr<ExchangeRelay> relay_;
  std::unique_ptr<ExchangeService> service_;
  std::unique_ptr<server::ServiceHost> host_;
  bool stopped_ = false;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_ENDPOINT_H_
