#include "sunlight/auth/hmac_signer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "signed_token.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/secret_file.h"

namespace sunlight::auth {

absl::StatusOr<std::shared_ptr<const HmacSigner>> HmacSigner::FromKey(std::string key) {
  std::string trimmed(absl::StripAsciiWhitespace(key));
  if (trimmed.size() < 32) {
    return absl::InvalidArgumentError("a signing key must be at least 32 bytes");
  }
  return std::shared_ptr<const HmacSigner>(new HmacSigner(std::move(trimmed)));
}

absl::StatusOr<std::shared_ptr<const HmacSigner>> HmacSigner::FromKeyFile(const std::string& path) {
  auto contents = ReadSecretFile(path);
  if (!contents.ok()) return contents.status();
  auto signer = FromKey(*std::move(contents));
  if (!signer.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", signer.status().message()));
  }
  return signer;
}

std::string HmacSigner::Mac(std::string_view data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string HmacSigner::Sign(std::string_view payload) const {
  return EncodeSignedToken(payload, Mac(payload));
}

absl::StatusOr<std::string> HmacSigner::Verify(std::string_view token) const {
  std::string payload, mac;
  if (!DecodeSignedToken(token, &payload, &mac))
    return absl::UnauthenticatedError("malformed token");
  std::string expected = Mac(payload);
  if (mac.size() != expected.size() ||
      CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) != 0) {
    return absl::UnauthenticatedError("token signature does not verify");
  }
  return payload;
}

std::string HmacSigner::SignPrincipal(const v1::Principal& principal) const {
  return Sign(principal.SerializeAsString());
}

absl::StatusOr<v1::Principal> HmacSigner::VerifyPrincipal(std::string_view token,
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

}  // namespace sunlight::auth
