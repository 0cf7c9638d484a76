// The gateway's own gRPC face: audit verification for operations. Callers present the REST
// API's bearer token in the `authorization` metadata; audit administrators only.
#ifndef SUNLIGHT_SERVICES_GATEWAY_GATEWAY_GRPC_SERVICE_H_
#define SUNLIGHT_SERVICES_GATEWAY_GATEWAY_GRPC_SERVICE_H_

#include "gateway.h"
#include "sunlight/gateway/v1/gateway.grpc.pb.h"

namespace sunlight::gateway {

class GatewayGrpcService final : public v1::Gateway::Service {
 public:
  explicit GatewayGrpcService(Gateway* gateway) : gateway_(gateway) {}

  grpc::Status VerifyAuditChain(grpc::ServerContext* context,
                                const v1::VerifyAuditChainRequest* request,
                                v1::VerifyAuditChainResponse* response) override;
  grpc::Status ListAuditEntries(grpc::ServerContext* context,
                                const v1::ListAuditEntriesRequest* request,
                                v1::ListAuditEntriesResponse* response) override;

 private:
  grpc::Status Authorize(const grpc::ServerContext* context) const;
  Gateway* gateway_;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_GATEWAY_GRPC_SERVICE_H_
