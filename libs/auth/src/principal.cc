#include "sunlight/auth/principal.h"

#include <dirent.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "signed_token.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/secret_file.h"
#include "sunlight/base/status_macros.h"

namespace sunlight::auth {
namespace {

constexpr absl::Duration kClockSkew = absl::Seconds(5);

std::string RandomId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";  // verified as "no id": refused
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace

bool IsStaffRole(std::string_view role) {
  for (std::string_view reserved :
       {kAdministrator, kSecurityAdministrator, kAuditAdministrator, kInspector, kApplicant,
        kService, kRatingDevice, kAttendanceDevice}) {
    if (role == reserved) return false;
  }
  return !role.empty();
}

uint32_t AudienceOf(const v1::Principal& principal) {
  const std::string& role = principal.role();
  if (principal.user_id().empty() || role.empty()) return 0;
  if (role == kAdministrator) return kAdministrators;
  if (role == kInspector) return kInspectors;
  if (role == kSecurityAdministrator) return kSecurityAdministrators;
  if (role == kAuditAdministrator) return kAuditAdministrators;
  if (role == kApplicant) return kApplicants;
  if (role == kService) return kServices;
  if (role == kRatingDevice) return kRatingDevices;
  if (role == kAttendanceDevice) return kAttendanceDevices;
  return principal.department_id().empty() ? 0u : static_cast<uint32_t>(kStaff);
}

absl::Status RequireAudience(const v1::Principal& principal, uint32_t audiences,
                             std::string_view what) {
  if ((AudienceOf(principal) & audiences) != 0) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("role ", principal.role().empty() ? "(none)" : principal.role(), " may not ",
                   absl::string_view(what.data(), what.size())));
}

absl::Status RequireRole(const v1::Principal& principal, uint32_t audiences,
                         const std::vector<std::string>& staff_roles, std::string_view what) {
  SUNLIGHT_RETURN_IF_ERROR(RequireAudience(principal, audiences, what));
  if (staff_roles.empty() || AudienceOf(principal) != kStaff) return absl::OkStatus();
  for (const std::string& role : staff_roles) {
    if (principal.role() == role) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat("role ", principal.role(), " may not ",
                                                  absl::string_view(what.data(), what.size()), " (",
                                                  absl::StrJoin(staff_roles, ", "), " may)"));
}

std::string PrincipalSigner::Sign(v1::Principal principal, std::string_view audience,
                                  std::string_view method, absl::Time now,
                                  absl::Duration lifetime) const {
  principal.set_issuer(issuer_);
  principal.set_audience(std::string(audience));
  principal.set_method(std::string(method));
  principal.set_id(RandomId());
  *principal.mutable_issued_at() = ToProto(now);
  *principal.mutable_expires_at() = ToProto(now + std::min(lifetime, kMaxPrincipalLifetime));
  principal.clear_session_id();
  std::string payload = principal.SerializeAsString();
  return EncodeSignedToken(payload, key_->Sign(payload));
}

void PrincipalVerifier::Trust(std::string issuer, std::shared_ptr<const VerifyingKey> key) {
  keys_[std::move(issuer)] = std::move(key);
}

absl::StatusOr<v1::Principal> PrincipalVerifier::Verify(std::string_view token,
                                                        absl::Time now) const {
  std::string payload, signature;
  if (!DecodeSignedToken(token, &payload, &signature)) {
    return absl::UnauthenticatedError("malformed principal");
  }
  v1::Principal principal;
  if (!principal.ParseFromString(payload)) {
    return absl::UnauthenticatedError("token does not hold a principal");
  }
  auto key = keys_.find(principal.issuer());
  if (key == keys_.end()) {
    return absl::UnauthenticatedError(
        absl::StrCat("principal from an untrusted issuer \"", principal.issuer(), "\""));
  }
  if (!key->second->Verify(payload, signature)) {
    return absl::UnauthenticatedError(
        absl::StrCat("principal signature does not verify with ", principal.issuer(), "'s key"));
  }
  if (!principal.has_issued_at() || !principal.has_expires_at()) {
    return absl::UnauthenticatedError("principal without issued_at and expires_at");
  }
  absl::Time issued = FromProto(principal.issued_at());
  absl::Time expires = FromProto(principal.expires_at());
  if (issued > now + kClockSkew)
    return absl::UnauthenticatedError("principal issued in the future");
  if (expires <= now) return absl::UnauthenticatedError("principal has expired");
  if (expires - issued > kMaxPrincipalLifetime) {
    return absl::UnauthenticatedError(
        absl::StrCat("principal signed for ", absl::FormatDuration(expires - issued), "; at most ",
                     absl::FormatDuration(kMaxPrincipalLifetime)));
  }
  if (principal.id().size() < 16) return absl::UnauthenticatedError("principal without an id");
  return principal;
}

absl::StatusOr<ServiceKeys> LoadServiceKeys(const std::string& dir, const std::string& service) {
  if (absl::Status s = CheckPrivateDirectory(dir); !s.ok()) return s;
  ServiceKeys keys;
  auto verifier = std::make_shared<PrincipalVerifier>();
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return absl::FailedPreconditionError(absl::StrCat(dir, ": cannot list"));
  std::vector<std::string> names;
  while (dirent* entry = readdir(d)) names.emplace_back(entry->d_name);
  closedir(d);
  for (const std::string& name : names) {
    if (!absl::EndsWith(name, ".pub") || name.size() <= 4) continue;
    auto key = VerifyingKey::FromFile(absl::StrCat(dir, "/", name));
    if (!key.ok()) return key.status();
    verifier->Trust(name.substr(0, name.size() - 4), *std::move(key));
  }
  std::string own = absl::StrCat(dir, "/", service, ".key");
  if (absl::Status exists = CheckSecretFile(own); !absl::IsNotFound(exists)) {
    auto key = SigningKey::FromFile(own);
    if (!key.ok()) return key.status();
    keys.signer = std::make_shared<PrincipalSigner>(service, *std::move(key));
  }
  keys.verifier = std::move(verifier);
  return keys;
}

void AttachPrincipal(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata(kPrincipalMetadataKey, token);
}

v1::Principal ServicePrincipal(const std::string& service) {
  v1::Principal principal;
  principal.set_user_id(absl::StrCat("service:", service));
  principal.set_name(service);
  principal.set_role(kService);
  return principal;
}

CallSigner ServiceCallSigner(std::shared_ptr<const PrincipalSigner> signer, std::string audience) {
  return [signer = std::move(signer), audience = std::move(audience)](grpc::ClientContext* context,
                                                                      const std::string& method) {
    if (signer == nullptr) return;
    AttachPrincipal(
        context, signer->Sign(ServicePrincipal(signer->issuer()), audience, method, absl::Now()));
  };
}

}  // namespace sunlight::auth
