#include "gateway_grpc_service.h"

#include "absl/strings/match.h"
#include "sunlight/server/service_host.h"

namespace sunlight::gateway {

grpc::Status GatewayGrpcService::Authorize(const grpc::ServerContext* context) const {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  std::string value = it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
  if (!absl::StartsWith(value, "Bearer ")) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "authorization: Bearer <token> needed");
  }
  auto principal = gateway_->accounts().Authenticate(value.substr(7));
  if (!principal.ok()) return server::ToGrpcStatus(principal.status());
  uint32_t audience = auth::AudienceOf(*principal);
  if (audience != auth::kAdministrators && audience != auth::kInspectors) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "administrators and inspectors only");
  }
  return grpc::Status::OK;
}

grpc::Status GatewayGrpcService::VerifyAuditChain(grpc::ServerContext* context,
                                                  const v1::VerifyAuditChainRequest*,
                                                  v1::VerifyAuditChainResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto result = gateway_->audit().Verify();
  if (!result.ok()) return server::ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status GatewayGrpcService::ListAuditEntries(grpc::ServerContext* context,
                                                  const v1::ListAuditEntriesRequest* request,
                                                  v1::ListAuditEntriesResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto result = gateway_->audit().List(*request);
  if (!result.ok()) return server::ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace sunlight::gateway
