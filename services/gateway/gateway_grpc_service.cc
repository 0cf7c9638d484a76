#include "gateway_grpc_service.h"

#include "sunlight/server/grpc_status.h"

namespace sunlight::gateway {

grpc::Status GatewayGrpcService::Authorize(const grpc::ServerContext* context) const {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  std::optional<std::string_view> token =
      it == metadata.end() ? std::nullopt
                           : BearerToken(std::string_view(it->second.data(), it->second.size()));
  if (!token.has_value()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "authorization: Bearer <token> needed");
  }
  bool must_change_password = false;
  auto principal = gateway_->accounts().Authenticate(*token, &must_change_password);
  if (!principal.ok()) return server::ToGrpcStatus(principal.status());
  if (must_change_password) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "change your password first");
  }
  return server::ToGrpcStatus(
      auth::RequireAudience(*principal, auth::kAuditAdministrators, "read the audit log"));
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
