// Principals: who a call is made for, signed by its caller for one call and verified by the
// service called (with an Authorizer, authorizer.h).
//
//   auto keys = auth::LoadServiceKeys(".run/keys", "gateway");      // gateway.key, *.pub
//   std::string token = keys->signer->Sign(person, "intake", GetCaseRequest::descriptor()
//                                          ->full_name(), absl::Now());
//   auth::AttachPrincipal(&client_context, token);                   // into gRPC metadata
//
// A token is base64url(serialized Principal) "." base64url(Ed25519 signature). Each identity
// (the gateway, every service, the CLI when an administrator enables it) has its own private
// key; a service holds the public keys of those it accepts. Only the gateway (and an enabled
// CLI) may sign for people; a service signs only for itself.
#ifndef SUNLIGHT_AUTH_PRINCIPAL_H_
#define SUNLIGHT_AUTH_PRINCIPAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/auth/keys.h"
#include "sunlight/auth/v1/principal.pb.h"

namespace sunlight::auth {

// gRPC metadata key that carries a signed principal.
inline constexpr char kPrincipalMetadataKey[] = "x-sunlight-principal";

// Roles with a meaning of their own; any other non-empty role is a department staff role.
// The three administrators are separate people (三员分立, an MLPS level 3 control): the system
// administrator configures the center (catalogue, windows, calendars, rules), the security
// administrator manages accounts, the audit administrator alone reads the audit log.
inline constexpr char kAdministrator[] = "administrator";  // the system administrator
inline constexpr char kSecurityAdministrator[] = "security_administrator";
inline constexpr char kAuditAdministrator[] = "audit_administrator";
inline constexpr char kInspector[] = "inspector";
inline constexpr char kApplicant[] = "applicant";
inline constexpr char kService[] = "service";
// Devices in the hall, with accounts of their own (the account id is the device id): a
// window's rating device (评价器) and an attendance device (fingerprint clock, 考勤机).
inline constexpr char kRatingDevice[] = "rating_device";
inline constexpr char kAttendanceDevice[] = "attendance_device";

// Department staff roles that the suite itself gives rights to (an item's steps name others).
inline constexpr char kWindowClerk[] = "window_clerk";  // accepts cases at a window (受理)
inline constexpr char kApprover[] = "approver";         // decides (批准)
inline constexpr char kLeader[] = "leader";             // the department's leader (分管领导)

// Identities that may sign for people.
inline constexpr char kGatewayIssuer[] = "gateway";
inline constexpr char kCliIssuer[] = "cli";

// A principal is good for one call: signed for at most this long.
inline constexpr absl::Duration kMaxPrincipalLifetime = absl::Seconds(60);
// What callers sign for (the call's deadline must fit within it).
inline constexpr absl::Duration kPrincipalLifetime = absl::Seconds(30);

// Who may call a method, as a set of bits.
enum Audience : uint32_t {
  kStaff = 1u << 0,  // department staff (a staff role and a department)
  kInspectors = 1u << 1,
  kAdministrators = 1u << 2,
  kApplicants = 1u << 3,
  kServices = 1u << 4,
  kSecurityAdministrators = 1u << 5,
  kAuditAdministrators = 1u << 6,
  kRatingDevices = 1u << 7,
  kAttendanceDevices = 1u << 8,
  // The people who work the center's cases (not the security and audit administrators, not
  // applicants, not services).
  kSignedIn = kStaff | kInspectors | kAdministrators,
  kDevices = kRatingDevices | kAttendanceDevices,
  // Everyone with an account (people and devices).
  kAnyAccount = kSignedIn | kSecurityAdministrators | kAuditAdministrators | kDevices,
  kAnyone = kAnyAccount | kApplicants | kServices,
};

// The audience a principal belongs to; 0 when the principal is malformed (a staff role
// without a department, say).
uint32_t AudienceOf(const v1::Principal& principal);
// Whether `role` is a department staff role (not empty and none of the roles above with a
// meaning of their own): what an item's step may name.
bool IsStaffRole(std::string_view role);

// The one way to require a role: OK when the principal belongs to one of `audiences`,
// otherwise PERMISSION_DENIED "role <role> may not <what>".
absl::Status RequireAudience(const v1::Principal& principal, uint32_t audiences,
                             std::string_view what);
// The same, and a staff principal must hold one of `staff_roles` when it is not empty
// (PERMISSION_DENIED "role <role> may not <what>").
absl::Status RequireRole(const v1::Principal& principal, uint32_t audiences,
                         const std::vector<std::string>& staff_roles, std::string_view what);

// Signs principals as one identity (its issuer name), one call each.
class PrincipalSigner {
 public:
  PrincipalSigner(std::string issuer, std::shared_ptr<const SigningKey> key)
      : issuer_(std::move(issuer)), key_(std::move(key)) {}

  // A token of `principal` for calling `method` (the request message's full name) of
  // `audience`: stamps the issuer, audience, method, a fresh random id, issued at `now`,
  // expiring after `lifetime` (at most kMaxPrincipalLifetime).
  std::string Sign(v1::Principal principal, std::string_view audience, std::string_view method,
                   absl::Time now, absl::Duration lifetime = kPrincipalLifetime) const;
  const std::string& issuer() const { return issuer_; }
  // The identity's key, for what else it signs (the gateway's audit checkpoints).
  const std::shared_ptr<const SigningKey>& key() const { return key_; }

 private:
  std::string issuer_;
  std::shared_ptr<const SigningKey> key_;
};

// The identities a service accepts principals from, by issuer name.
class PrincipalVerifier {
 public:
  void Trust(std::string issuer, std::shared_ptr<const VerifyingKey> key);
  bool Trusts(const std::string& issuer) const { return keys_.contains(issuer); }
  bool empty() const { return keys_.empty(); }

  // The principal of `token` when a trusted issuer signed it, it names that issuer, it was
  // issued no later than `now` + 5 s (clock skew), has not expired and was signed for at most
  // kMaxPrincipalLifetime; UNAUTHENTICATED saying which check failed otherwise.
  absl::StatusOr<v1::Principal> Verify(std::string_view token, absl::Time now) const;

 private:
  absl::flat_hash_map<std::string, std::shared_ptr<const VerifyingKey>> keys_;
};

// A service's keys, from its key directory (mode 0700): DIR/<service>.key, its own private
// key (mode 0600; absent for a service that makes no calls of its own), and DIR/<name>.pub,
// the public key of each identity it accepts. The CLI's key (cli.pub) is there only when an
// administrator has put it there.
struct ServiceKeys {
  std::shared_ptr<const PrincipalSigner> signer;  // null without DIR/<service>.key
  std::shared_ptr<const PrincipalVerifier> verifier;
};
absl::StatusOr<ServiceKeys> LoadServiceKeys(const std::string& dir, const std::string& service);

// Puts a signed principal into a call's metadata.
void AttachPrincipal(grpc::ClientContext* context, const std::string& token);

// The principal of a service's own calls: user "service:<service>", role "service".
v1::Principal ServicePrincipal(const std::string& service);

// Signs a principal into one outgoing call: the context and the request's full name.
using CallSigner = std::function<void(grpc::ClientContext*, const std::string& method)>;
// For a service's calls to `audience`: a fresh ServicePrincipal(signer's issuer) per call
// (by real time); does nothing without a signer (insecure development).
CallSigner ServiceCallSigner(std::shared_ptr<const PrincipalSigner> signer, std::string audience);

}  // namespace sunlight::auth

#endif  // SUNLIGHT_AUTH_PRINCIPAL_H_
