// Checking the calls a service receives: the signed principal (for this service, for this
// method, fresh, once), the method policy, and that a request speaks for its caller. Every
// gRPC handler starts with CheckCall (server::Serve does it).
//
//   auth::Authorizer authorizer("intake", keys.verifier, &clock, IntakeMethodPolicy());
//   grpc::Status s = auth::CheckCall(&authorizer, context, *request);
#ifndef SUNLIGHT_AUTH_AUTHORIZER_H_
#define SUNLIGHT_AUTH_AUTHORIZER_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/clock.h"

namespace sunlight::auth {

// Who may call one method: people by audience, services by name (least privilege: a service
// not named may not, whatever `audiences` says of kServices).
struct MethodRule {
  uint32_t audiences = 0;
  absl::flat_hash_set<std::string> services;
  // When not empty, staff must hold one of these roles (the gateway's route says the same).
  std::vector<std::string> staff_roles;
};
// The rules of a service's methods, keyed by the full name of the method's request message
// (each request type belongs to one method). A request type not listed is refused.
using MethodPolicy = absl::flat_hash_map<std::string, MethodRule>;

// One entry of a MethodPolicy: `Allow<v1::GetCaseRequest>(kSignedIn, {"supervision"})`.
template <typename Request>
MethodPolicy::value_type Allow(uint32_t audiences,
                               std::initializer_list<std::string_view> services = {}) {
  MethodRule rule{.audiences = audiences & ~static_cast<uint32_t>(kServices), .services = {}};
  for (std::string_view s : services) rule.services.emplace(s);
  return {Request::descriptor()->full_name(), std::move(rule)};
}
// Staff of these roles only (and the services named): `AllowStaff<AcceptCaseRequest>(
// {kWindowClerk})`; `also` adds other audiences (applicants, say).
template <typename Request>
MethodPolicy::value_type AllowStaff(std::initializer_list<std::string_view> staff_roles,
                                    uint32_t also = 0,
                                    std::initializer_list<std::string_view> services = {}) {
  auto entry = Allow<Request>(kStaff | also, services);
  for (std::string_view role : staff_roles) entry.second.staff_roles.emplace_back(role);
  return entry;
}

class Authorizer {
 public:
  // `verifier` null: every call is allowed (insecure development and in-process tests).
  Authorizer(std::string service, std::shared_ptr<const PrincipalVerifier> verifier,
             const Clock* clock, MethodPolicy policy);

  // Checks a call: a principal is present, verifies (PrincipalVerifier::Verify), is for this
  // service and this method and was not used before (UNAUTHENTICATED); a person's principal
  // comes from the gateway (or the CLI, when its key is trusted) and a service's from that
  // service itself; its audience may call the method; a request naming an `actor` names the
  // principal itself, with its role and department, and a staff principal names no other
  // department in a request's `department_id` (PERMISSION_DENIED).
  grpc::Status Check(const grpc::ServerContext* context,
                     const google::protobuf::Message& request) const;
  // The same, returning the verified principal (an empty one when not enforcing).
  absl::StatusOr<v1::Principal> Authorize(const grpc::ServerContext* context,
                                          const google::protobuf::Message& request) const;
  // The same, from a token (for callers that are not gRPC handlers).
  absl::StatusOr<v1::Principal> CheckToken(std::string_view token,
                                           const google::protobuf::Message& request) const;

  bool enforcing() const { return verifier_ != nullptr; }
  const std::string& service() const { return service_; }

 private:
  // Remembers `id` until `expires`; false when it was seen already (or too many are live).
  bool FirstUse(const std::string& id, absl::Time expires) const;

  std::string service_;
  std::shared_ptr<const PrincipalVerifier> verifier_;
  const Clock* clock_;
  MethodPolicy policy_;
  struct SeenShard {
    std::mutex mu;
    absl::flat_hash_map<std::string, absl::Time> expiry;  // id -> when it may be forgotten
    absl::Time next_purge = absl::InfinitePast();
  };
  mutable std::array<SeenShard, 16> seen_;
};

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
