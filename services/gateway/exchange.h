// The provincial exchange (DOMAIN.md section 8), at the edge in the gateway.
//
// The relay follows the intake, workflow and supervision event streams and appends every
// event, with applicants' personal data masked, to its own event log ("exchange") in the
// gateway's store, with each stream's cursor in the same write batch: one total order,
// nothing lost or doubled across restarts of the gateway or of any service. Platforms read it
// through sunlight.exchange.v1.Exchange over mutual TLS (ExchangeService), identified by the
// common name of their client certificate; only registered platforms get in.
#ifndef SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_H_
#define SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "sunlight/auth/principal.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/eventlog/subscriber.h"
#include "sunlight/exchange/v1/exchange.grpc.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::gateway {

struct ExchangeOptions {
  std::string intake_target;
  std::string workflow_target;
  std::string supervision_target;
  // Signs the gateway's principal for its calls to the services (null: services run open).
  std::shared_ptr<const auth::Signer> signer;
};

// Relays the three streams into the exchange log.
class ExchangeRelay {
 public:
  static constexpr char kLogName[] = "exchange";
  static const std::vector<std::string>& SourceStreams();  // intake, workflow, supervision

  // `store` must have eventlog::ColumnFamilies().
  static absl::StatusOr<std::unique_ptr<ExchangeRelay>> Open(storage::Store* store,
                                                             ExchangeOptions options);
  ~ExchangeRelay();

  // Follows the streams in the background, reconnecting as needed.
  void Start();
  void Stop();

  // Appends `events` of `stream` (consecutive, after the stored cursor) and the cursor in one
  // batch; events at or before the cursor are skipped (repeats after a reconnect).
  absl::Status Relay(const std::string& stream, const std::vector<events::v1::CaseEvent>& events);
  absl::StatusOr<uint64_t> Cursor(const std::string& stream) const;

  const eventlog::EventLog& log() const { return *log_; }
  const ExchangeOptions& options() const { return options_; }

 private:
  ExchangeRelay(storage::Store* store, ExchangeOptions options,
                std::unique_ptr<eventlog::EventLog> log)
      : store_(store), options_(std::move(options)), log_(std::move(log)) {}

  storage::Store* store_;
  ExchangeOptions options_;
  std::unique_ptr<eventlog::EventLog> log_;
  std::mutex relay_mu_;  // one relay commit at a time: cursors are read, then written
  std::vector<std::unique_ptr<eventlog::EventSubscriber>> subscribers_;
};

// Registered platforms: the certificate common name each one presents.
struct Platform {
  std::string platform_id;
  std::string certificate_cn;
};
// Reads a platforms file: one JSON object per line, {"platform_id":..,"certificate_cn":..}.
absl::StatusOr<std::vector<Platform>> LoadPlatforms(const std::string& path);

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
  absl::flat_hash_map<std::string, std::string> platform_by_cn_;
  prometheus::Family<prometheus::Gauge>* lag_ = nullptr;
  std::atomic<bool> shutting_down_{false};
  std::mutex sent_mu_;
  absl::flat_hash_map<std::string, uint64_t> last_sent_;  // platform -> position
  std::mutex lag_mu_;
  std::condition_variable lag_cv_;
  bool stop_lag_ = false;
  std::thread lag_thread_;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_H_
