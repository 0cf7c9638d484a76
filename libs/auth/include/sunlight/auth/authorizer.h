// Checking the calls a service receives: the signed principal, the method policy, and that
// a request speaks for its caller. Every gRPC handler starts with CheckCall.
//
//   auth::Authorizer authorizer(signer, &clock, IntakeMethodPolicy());
//   grpc::Status IntakeGrpcService::GetCase(grpc::ServerContext* context, ...) {
//     if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
//     ...
#ifndef SUNLIGHT_AUTH_AUTHORIZER_H_
#define SUNLIGHT_AUTH_AUTHORIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/clock.h"

namespace sunlight::auth {

// Which audiences may call each method, keyed by the full name of the method's request
// message (each request type belongs to one method). A request type not listed is refused.
using MethodPolicy = absl::flat_hash_map<std::string, uint32_t>;

// One entry of a MethodPolicy: `Allow<v1::GetCaseRequest>(kSignedIn | kServices)`.
template <typename Request>
MethodPolicy::value_type Allow(uint32_t audiences) {
  return {Request::descriptor()->full_name(), audiences};
}

class Authorizer {
 public:
  // `signer` null: every call is allowed (development and in-process tests).
  Authorizer(std::shared_ptr<const Signer> signer, const Clock* clock, MethodPolicy policy);

  // Checks a call: a principal is present and valid (UNAUTHENTICATED), its audience may call
  // the method, and a request naming an `actor` names the principal itself, with its role
  // and department, and a staff principal names no other department in a request's
  // `department_id` (PERMISSION_DENIED).
  grpc::Status Check(const grpc::ServerContext* context,
                     const google::protobuf::Message& request) const;
  // The same, returning the verified principal (an empty one when not enforcing).
  absl::StatusOr<v1::Principal> Authorize(const grpc::ServerContext* context,
                                          const google::protobuf::Message& request) const;
  // The same, from a token (for callers that are not gRPC handlers).
  absl::StatusOr<v1::Principal> CheckToken(std::string_view token,
                                           const google::protobuf::Message& request) const;

  bool enforcing() const { return signer_ != nullptr; }
  const std::shared_ptr<const Signer>& signer() const { return signer_; }

 private:
  std::shared_ptr<const Signer> signer_;
  const Clock* clock_;
  MethodPolicy policy_;
};

// For a service's main: the Authorizer of its --principal_key_file, checking expiry by real
// time (whatever the service's own, possibly offset, clock says). Without a key file it lets
// every call through and logs a warning for `service`.
absl::StatusOr<std::unique_ptr<Authorizer>> ServiceAuthorizer(const std::string& service,
                                                              const std::string& key_file,
                                                              MethodPolicy policy);

// What every handler does first: every string of the request is well-formed UTF-8 within
// kMaxAnyTextLength (INVALID_ARGUMENT naming the field; the generated parser has refused
// ill-formed UTF-8 already), then, with an authorizer, Authorizer::Check.
grpc::Status CheckCall(const Authorizer* authorizer, const grpc::ServerContext* context,
                       const google::protobuf::Message& request);
// The same, returning the verified principal (an empty one without an enforcing authorizer).
absl::StatusOr<v1::Principal> AuthorizeCall(const Authorizer* authorizer,
                                            const grpc::ServerContext* context,
                                            const google::protobuf::Message& request);

}  // namespace sunlight::auth

#endif  // SUNLIGHT_AUTH_AUTHORIZER_H_
