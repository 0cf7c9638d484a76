// absl::Status and grpc::Status at the RPC boundary (the same code numbers), and the one
// adaptor every gRPC handler ends with: check the call, run the service's method, reply.
//
//   grpc::Status GetCase(grpc::ServerContext* c, const v1::GetCaseRequest* r,
//                        v1::GetCaseResponse* out) override {
//     return server::Serve(auth::CheckCall(authorizer_, c, *r), intake_, &Intake::GetCase, *r,
//     out);
//   }
#ifndef SUNLIGHT_SERVER_GRPC_STATUS_H_
#define SUNLIGHT_SERVER_GRPC_STATUS_H_

#include <functional>
#include <string>
#include <type_traits>

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

// A whole unary handler: the call's check (refusals are returned as they are), then
// `method` of `service` on the request (a method that needs nothing of it is called without
// it), its result moved into `response` (or a field of it).
template <typename Service, typename Method, typename Request, typename T>
grpc::Status Serve(const grpc::Status& checked, Service* service, Method method,
                   const Request& request, T* response) {
  if (!checked.ok()) return checked;
  if constexpr (std::is_invocable_v<Method, Service*, const Request&>) {
    return Reply<T>(std::invoke(method, service, request), response);
  } else {
    return Reply<T>(std::invoke(method, service), response);
  }
}

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_GRPC_STATUS_H_
