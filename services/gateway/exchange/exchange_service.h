// The provincial exchange's gRPC service: platforms, identified by their client
// certificate, read their departments' records of the relayed log in order (Subscribe), see
// where it ends, and push their catalogue items down, to be staged for an administrator's
// approval (PushItem; every push audited in the gateway's audit log).
#ifndef SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_EXCHANGE_SERVICE_H_
#define SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_EXCHANGE_SERVICE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "exchange/platforms.h"
#include "exchange/relay.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "sunlight/exchange/v1/exchange.grpc.pb.h"
#include "sunlight/intake/v1/intake.pb.h"
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
  absl::StatusOr<const Platform*> PlatformOf(const grpc::ServerContext* context) const;
  // Who a certificate that is no platform's says it is, for the audit log.
  static std::string CertificateSubject(const grpc::ServerContext* context);

  // Checks and stages a push of `platform`: the item on its list, the department kept, the
  // limits bounded (item_review.h), compared with the version in force in intake.
  // `audit_intent` is called just before the push is stored; its error refuses it.
  absl::StatusOr<exchange::v1::StagedPush> StagePush(
      const Platform& platform, const intake::v1::ItemDefinition& definition,
      const std::function<absl::Status()>& audit_intent);
  // The latest version of an item in intake, read as the platform; nullopt when none.
  absl::StatusOr<std::optional<intake::v1::ItemVersion>> InForce(const Platform& platform,
                                                                 const std::string& item_code);
  // An "exchange.push_item" audit entry by `user` (the platform) for `item_code`, with the
  // HTTP status of `outcome` (202 when staged) or phase "intent".
  absl::Status AuditPush(const std::string& user, const std::string& item_code, int http_status,
                         const std::string& client, const std::string& phase = "");
  absl::Time Now() const { return clock_ != nullptr ? clock_->Now() : absl::Now(); }

  // Sets every platform's lag gauge from the last position it was sent (also while it is
  // disconnected, so a platform that stays away shows a growing lag).
  void UpdateLag();

  ExchangeRelay* relay_;
  std::shared_ptr<grpc::Channel> intake_channel_;
  absl::flat_hash_map<std::string, Platform> platforms_;               // by platform id
  absl::flat_hash_map<std::string, std::string> platform_by_subject_;  // -> platform id
  absl::flat_hash_map<std::string, std::string> platform_by_san_;
  const Clock* clock_;
  prometheus::Family<prometheus::Gauge>* lag_ = nullptr;
  std::atomic<bool> shutting_down_{false};
  std::mutex sent_mu_;
  absl::flat_hash_map<std::string, uint64_t> last_sent_;  // platform -> position
  std::unique_ptr<server::Periodic> lag_updates_;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_EXCHANGE_SERVICE_H_
