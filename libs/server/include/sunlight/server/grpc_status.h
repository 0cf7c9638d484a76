// absl::Status and grpc::Status at the RPC boundary (the same code numbers), and the one
// adaptor every gRPC handler ends with.
//
//   grpc::Status IntakeGrpcService::GetCase(grpc::ServerContext*, const v1::GetCaseRequest* r,
//                                           v1::GetCaseResponse* response) {
//     return server::Reply(intake_->GetCase(*r), response);
//   }
#ifndef SUNLIGHT_SERVER_GRPC_STATUS_H_
#define SUNLIGHT_SERVER_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/support/status.h"

namespace sunlight::server {

// The canonical name of a status code, e.g. "FAILED_PRECONDITION".
std::string StatusCodeName(grpc::StatusCode code);

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Moves a handler's result into its response (or a field of it: pass
// response->mutable_case_()) and returns the call's status.
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_GRPC_STATUS_H_
