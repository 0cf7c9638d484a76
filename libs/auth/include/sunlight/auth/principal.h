// Principals: who a call is made for, signed by the gateway and verified by every service.
//
//   auto signer = auth::Signer::FromKeyFile("/etc/sunlight/principal.key");
//   std::string token = signer->SignPrincipal(principal);        // gateway, per request
//   auth::AttachPrincipal(&client_context, token);               // into gRPC metadata
//
// The services check what they receive with an Authorizer (authorizer.h).
//
// A token is base64url(payload) "." base64url(HMAC-SHA256(key, payload)). The key is shared
// by the gateway and the services (a file, 32 bytes or more); without one the services run
// open (development and tests) and say so in their log.
#ifndef SUNLIGHT_AUTH_PRINCIPAL_H_
#define SUNLIGHT_AUTH_PRINCIPAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/auth/v1/principal.pb.h"
#include "sunlight/base/clock.h"

namespace sunlight::auth {

// gRPC metadata key that carries a signed principal.
inline constexpr char kPrincipalMetadataKey[] = "x-sunlight-principal";

// Roles with a meaning of their own; any other non-empty role is a department staff role.
inline constexpr char kAdministrator[] = "administrator";
inline constexpr char kInspector[] = "inspector";
inline constexpr char kApplicant[] = "applicant";
inline constexpr char kService[] = "service";

// Who may call a method, as a set of bits.
enum Audience : uint32_t {
  kStaff = 1u << 0,  // department staff (a staff role and a department)
  kInspectors = 1u << 1,
  kAdministrators = 1u << 2,
  kApplicants = 1u << 3,
  kServices = 1u << 4,
  // Every signed-in person of the center (not applicants, not services).
  kSignedIn = kStaff | kInspectors | kAdministrators,
  kAnyone = kStaff | kInspectors | kAdministrators | kApplicants | kServices,
};

// The audience a principal belongs to; 0 when the principal is malformed (a staff role
// without a department, say).
uint32_t AudienceOf(const v1::Principal& principal);

// The one way to require a role: OK when the principal belongs to one of `audiences`,
// otherwise PERMISSION_DENIED "role <role> may not <what>".
absl::Status RequireAudience(const v1::Principal& principal, uint32_t audiences,
                             std::string_view what);

class Signer {
 public:
  // Keys shorter than 32 bytes are refused. Surrounding whitespace in a file is ignored.
  static absl::StatusOr<std::shared_ptr<const Signer>> FromKey(std::string key);
  static absl::StatusOr<std::shared_ptr<const Signer>> FromKeyFile(const std::string& path);

  std::string Sign(std::string_view payload) const;
  // The payload of a token made by Sign with the same key; UNAUTHENTICATED otherwise.
  absl::StatusOr<std::string> Verify(std::string_view token) const;

  std::string SignPrincipal(const v1::Principal& principal) const;
  // Verifies the signature and that `now` is before the principal's expiry.
  absl::StatusOr<v1::Principal> VerifyPrincipal(std::string_view token, absl::Time now) const;

 private:
  explicit Signer(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

// Puts a signed principal into a call's metadata.
void AttachPrincipal(grpc::ClientContext* context, const std::string& token);

// The signer of a --principal_key_file flag; null when the flag is empty.
absl::StatusOr<std::shared_ptr<const Signer>> LoadSigner(const std::string& key_file);

// A hook for a service's own outgoing calls (eventlog::SubscriberOptions::prepare_context):
// attaches a freshly signed ServicePrincipal (expiring by real time); does nothing without a
// signer.
std::function<void(grpc::ClientContext*)> ServiceCallHook(std::shared_ptr<const Signer> signer,
                                                          std::string service);

// A principal for a service's own calls (stream subscriptions), valid for `ttl`.
v1::Principal ServicePrincipal(const std::string& service, absl::Time now, absl::Duration ttl);

}  // namespace sunlight::auth

#endif  // SUNLIGHT_AUTH_PRINCIPAL_H_
