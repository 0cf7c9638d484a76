// Items pushed down by provincial platforms, staged in the gateway's store until the system
// administrator approves (publishes) or rejects them. Nothing here calls intake: the
// exchange stages (ExchangeService::PushItem), the gateway's REST routes decide
// (gateway_routes_exchange.cc).
//
//   SUNLIGHT_ASSIGN_OR_RETURN(auto pushes, StagedPushes::Open(store));
//   SUNLIGHT_ASSIGN_OR_RETURN(StagedPush staged, pushes->Stage(std::move(push)));
//   pushes->Decide(staged.push_id(), [&](StagedPush p) -> absl::StatusOr<StagedPush> { ... });
#ifndef SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_STAGED_PUSHES_H_
#define SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_STAGED_PUSHES_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sunlight/exchange/v1/exchange.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::gateway {

class StagedPushes {
 public:
  // `store` must have the exchange_store column families; DATA_LOSS when the last push
  // cannot be read.
  static absl::StatusOr<std::unique_ptr<StagedPushes>> Open(storage::Store* store);

  // Stores `push` as PUSH_STATE_STAGED under the next push id; returns it as stored.
  absl::StatusOr<exchange::v1::StagedPush> Stage(exchange::v1::StagedPush push);
  // INVALID_ARGUMENT "push_id: ..." for what is not a push id, NOT_FOUND for none.
  absl::StatusOr<exchange::v1::StagedPush> Get(const std::string& push_id) const;
  // Oldest first, in the request's state (unset: staged), paged.
  absl::StatusOr<exchange::v1::ListPushesResponse> List(
      const exchange::v1::ListPushesRequest& request) const;

  // Decides the staged push: `decide` gets it and returns it approved or rejected, which is
  // stored; an error from it is returned and nothing is stored. FAILED_PRECONDITION (and
  // `decide` not called) when it was decided before. One decision at a time, so a push is
  // never published twice.
  using Decision =
      std::function<absl::StatusOr<exchange::v1::StagedPush>(exchange::v1::StagedPush)>;
  absl::StatusOr<exchange::v1::StagedPush> Decide(const std::string& push_id,
                                                  const Decision& decide);

 private:
  StagedPushes(storage::Store* store, uint64_t last) : store_(store), last_number_(last) {}

  storage::Store* store_;
  std::mutex stage_mu_;
  uint64_t last_number_;  // guarded by stage_mu_
  std::mutex decide_mu_;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_STAGED_PUSHES_H_
