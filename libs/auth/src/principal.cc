#include "sunlight/auth/principal.h"

#include "sunlight/base/log.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/common/v1/common.pb.h"

namespace sunlight::auth {
namespace {

std::string Mac(const std::string& key, std::string_view payload) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

}  // namespace

uint32_t AudienceOf(const v1::Principal& principal) {
  const std::string& role = principal.role();
  if (principal.user_id().empty() || role.empty()) return 0;
  if (role == kAdministrator) return kAdministrators;
  if (role == kInspector) return kInspectors;
  if (role == kApplicant) return kApplicants;
  if (role == kService) return kServices;
  return principal.department_id().empty() ? 0u : static_cast<uint32_t>(kStaff);
}

absl::StatusOr<std::shared_ptr<const Signer>> Signer::FromKey(std::string key) {
  std::string trimmed(absl::StripAsciiWhitespace(key));
  if (trimmed.size() < 32) {
    return absl::InvalidArgumentError("a signing key must be at least 32 bytes");
  }
  return std::shared_ptr<const Signer>(new Signer(std::move(trimmed)));
}

absl::StatusOr<std::shared_ptr<const Signer>> Signer::FromKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read key file ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  auto signer = FromKey(contents.str());
  if (!signer.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", signer.status().message()));
  }
  return signer;
}

std::string Signer::Sign(std::string_view payload) const {
  return absl::StrCat(absl::WebSafeBase64Escape(std::string(payload)), ".",
                      absl::WebSafeBase64Escape(Mac(key_, payload)));
}

absl::StatusOr<std::string> Signer::Verify(std::string_view token) const {
  size_t dot = token.find('.');
  std::string payload, mac;
  if (dot == std::string_view::npos ||
      !absl::WebSafeBase64Unescape(std::string(token.substr(0, dot)), &payload) ||
      !absl::WebSafeBase64Unescape(std::string(token.substr(dot + 1)), &mac)) {
    return absl::UnauthenticatedError("malformed token");
  }
  std::string expected = Mac(key_, payload);
  if (mac.size() != expected.size() ||
      CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) != 0) {
    return absl::UnauthenticatedError("token signature does not verify");
  }
  return payload;
}

std::string Signer::SignPrincipal(const v1::Principal& principal) const {
  return Sign(principal.SerializeAsString());
}

absl::StatusOr<v1::Principal> Signer::VerifyPrincipal(std::string_view token,
                                                      absl::Time now) const {
  auto payload = Verify(token);
  if (!payload.ok()) return payload.status();
  v1::Principal principal;
  if (!principal.ParseFromString(*payload)) {
    return absl::UnauthenticatedError("token does not hold a principal");
  }
  if (!principal.has_expires_at() || FromProto(principal.expires_at()) <= now) {
    return absl::UnauthenticatedError("token has expired");
  }
  return principal;
}

absl::Status RequireAudience(const v1::Principal& principal, uint32_t audiences,
                             std::string_view what) {
  if ((AudienceOf(principal) & audiences) != 0) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("role ", principal.role().empty() ? "(none)" : principal.role(), " may not ",
                   absl::string_view(what.data(), what.size())));
}

void AttachPrincipal(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata(kPrincipalMetadataKey, token);
}

v1::Principal ServicePrincipal(const std::string& service, absl::Time now, absl::Duration ttl) {
  v1::Principal principal;
  principal.set_user_id(absl::StrCat("service:", service));
  principal.set_name(service);
  principal.set_role(kService);
  *principal.mutable_expires_at() = ToProto(now + ttl);
  return principal;
}

absl::StatusOr<std::shared_ptr<const Signer>> LoadSigner(const std::string& key_file) {
  if (key_file.empty()) return std::shared_ptr<const Signer>();
  return Signer::FromKeyFile(key_file);
}

std::function<void(grpc::ClientContext*)> ServiceCallHook(std::shared_ptr<const Signer> signer,
                                                          std::string service) {
  return [signer = std::move(signer), service = std::move(service)](grpc::ClientContext* context) {
    if (signer == nullptr) return;
    AttachPrincipal(context,
                    signer->SignPrincipal(ServicePrincipal(service, absl::Now(), absl::Hours(1))));
  };
}

}  // namespace sunlight::auth
