// A service's key for data at rest: AES-256-GCM sealing (OpenSSL EVP) and keyed hashes
// (HMAC-SHA256), both derived from one key file only the service can read.
//
//   auto key = DataKey::FromFile("/etc/sunlight/intake/data.key");   // 32+ bytes, mode 0600
//   std::string sealed = (*key)->Seal(plaintext, "intake.applicant");
//   auto back = (*key)->Open(sealed, "intake.applicant");             // DATA_LOSS if altered
//   std::string digest = (*key)->Hash("query-code", code);
#ifndef SUNLIGHT_AUTH_DATA_KEY_H_
#define SUNLIGHT_AUTH_DATA_KEY_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sunlight::auth {

class DataKey {
 public:
  // At least 32 bytes of key material (surrounding whitespace ignored).
  static absl::StatusOr<std::shared_ptr<const DataKey>> FromKey(std::string_view material);
  // Refuses a file others may read (see secret_file.h).
  static absl::StatusOr<std::shared_ptr<const DataKey>> FromFile(const std::string& path);

  // 12-byte random nonce, ciphertext, 16-byte tag; `context` is authenticated, not stored.
  std::string Seal(std::string_view plaintext, std::string_view context) const;
  // DATA_LOSS when `sealed` was not made by Seal with this key and context.
  absl::StatusOr<std::string> Open(std::string_view sealed, std::string_view context) const;
  // HMAC-SHA256 of `data` under a key of its own for `purpose`, as lowercase hex.
  std::string Hash(std::string_view purpose, std::string_view data) const;

 private:
  DataKey(std::string seal_key, std::string hash_key)
      : seal_key_(std::move(seal_key)), hash_key_(std::move(hash_key)) {}
  std::string seal_key_;  // 32 bytes
  std::string hash_key_;  // 32 bytes
};

// A fresh query code (case_codes.h: 10 characters, 50 bits) from OpenSSL's generator, for a
// case (intake) or a complaint (scoring).
absl::StatusOr<std::string> NewQueryCode();

}  // namespace sunlight::auth

#endif  // SUNLIGHT_AUTH_DATA_KEY_H_
