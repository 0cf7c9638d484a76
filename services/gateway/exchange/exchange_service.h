// The provincial exchange's gRPC service: platforms, identified by their client
// certificate, read the relayed log in order (Subscribe), see where it ends, and push
// catalogue items down.
#ifndef SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_EXCHANGE_SERVICE_H_
#define SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_EXCHANGE_SERVICE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "exchange/platforms.h"
#include "exchange/relay.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "sunlight/exchange/v1/exchange.grpc.pb.h"
#include "sunlight/server/periodic.h"

namespace sunlight::gateway {

class ExchangeService final : public exchange::v1::Exchange::Service {
 public:
  ExchangeService(ExchangeRelay* relay, std::vector<Platform> platforms,
                  prometheus::Registry* registry);
  ~ExchangeService();

  // Ends open Subscribe streams promptly (before server shutdown).
  void Shutdown() { shutting_down_ = true; }

  grpc::Status Subscribe(grpc::ServerContext* context,
                         const exchange::v1::SubscribeRequest* request,
                         grpc::ServerWriter<exchange::v1::ExchangeRecord>* writer) override;
  grpc::Status GetExchangeInfo(grpc::ServerContext* context,
                               const exchange::v1::GetExchangeInfoRequest* request,
                               exchange::v1::ExchangeInfo* response) override;
  grpc::Status PushItem(grpc::ServerContext* context, const exchange::v1::PushItemRequest* request,
                        exchange::v1::PushItemResponse* response) override;

 private:
  // The registered platform of the caller's client certificate.
  absl::StatusOr<std::string> PlatformOf(const grpc::ServerContext* context) const;

  // Sets every platform's lag gauge from the last position it was sent (also while it is
  // disconnected, so a platform that stays away shows a growing lag).
  void UpdateLag();

  ExchangeRelay* relay_;
  std::shared_ptr<grpc::Channel> intake_channel_;
  absl::flat_hash_map<std::string, std::string> platform_by_subject_;  // -> platform id
  absl::flat_hash_map<std::string, std::string> platform_by_san_;
  prometheus::Family<prometheus::Gauge>* lag_ = nullptr;
  std::atomic<bool> shutting_down_{false};
  std::mutex sent_mu_;
  absl::flat_hash_map<std::string, uint64_t> last_sent_;  // platform -> position
  std::unique_ptr<server::Periodic> lag_updates_;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_EXCHANGE_SERVICE_H_
