// Tokens sealed with a secret key only their maker holds: the gateway's bearer tokens (a
// principal with its session) and anything else one process issues and checks itself.
//
//   auto sealer = HmacSigner::FromKeyFile(".run/keys/token.key");   // 32+ bytes, mode 0600
//   std::string token = (*sealer)->SignPrincipal(principal);
//
// A token is base64url(payload) "." base64url(HMAC-SHA256(key, payload)).
#ifndef SUNLIGHT_AUTH_HMAC_SIGNER_H_
#define SUNLIGHT_AUTH_HMAC_SIGNER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/auth/v1/principal.pb.h"

namespace sunlight::auth {

class HmacSigner {
 public:
  // Keys shorter than 32 bytes are refused. Surrounding whitespace in a file is ignored.
  static absl::StatusOr<std::shared_ptr<const HmacSigner>> FromKey(std::string key);
  // Refuses a file that others may read (see secret_file.h).
  static absl::StatusOr<std::shared_ptr<const HmacSigner>> FromKeyFile(const std::string& path);

  std::string Sign(std::string_view payload) const;
  // The payload of a token made by Sign with the same key; UNAUTHENTICATED otherwise.
  absl::StatusOr<std::string> Verify(std::string_view token) const;
  // HMAC-SHA256 of `data` under the key (raw bytes).
  std::string Mac(std::string_view data) const;

  std::string SignPrincipal(const v1::Principal& principal) const;
  // Verifies the seal and that `now` is before the principal's expiry.
  absl::StatusOr<v1::Principal> VerifyPrincipal(std::string_view token, absl::Time now) const;

 private:
  explicit HmacSigner(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace sunlight::auth

#endif  // SUNLIGHT_AUTH_HMAC_SIGNER_H_
