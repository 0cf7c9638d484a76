// Ed25519 keys (OpenSSL EVP) that sign and verify principals. Private keys are PEM (PKCS#8)
// files only their owner may read (see secret_file.h); public keys are PEM (SPKI) files.
//
//   auto key = SigningKey::FromFile("/etc/sunlight/keys/gateway.key");
//   std::string signature = (*key)->Sign(payload);
//   auto pub = VerifyingKey::FromFile("/etc/sunlight/keys/gateway.pub");
//   bool good = (*pub)->Verify(payload, signature);
#ifndef SUNLIGHT_AUTH_KEYS_H_
#define SUNLIGHT_AUTH_KEYS_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace sunlight::auth {

class SigningKey {
 public:
  static absl::StatusOr<std::shared_ptr<const SigningKey>> FromPem(std::string_view pem);
  // Refuses a file that others may read (mode 0644, say).
  static absl::StatusOr<std::shared_ptr<const SigningKey>> FromFile(const std::string& path);
  // A new random key (tests and key generation).
  static std::shared_ptr<const SigningKey> Generate();
  ~SigningKey();

  // The 64-byte Ed25519 signature of `data`.
  std::string Sign(std::string_view data) const;
  std::string PublicKeyPem() const;
  std::string PrivateKeyPem() const;

 private:
  explicit SigningKey(EVP_PKEY* key) : key_(key) {}
  EVP_PKEY* key_;
};

class VerifyingKey {
 public:
  static absl::StatusOr<std::shared_ptr<const VerifyingKey>> FromPem(std::string_view pem);
  static absl::StatusOr<std::shared_ptr<const VerifyingKey>> FromFile(const std::string& path);
  ~VerifyingKey();

  bool Verify(std::string_view data, std::string_view signature) const;

 private:
  explicit VerifyingKey(EVP_PKEY* key) : key_(key) {}
  EVP_PKEY* key_;
};

}  // namespace sunlight::auth

#endif  // SUNLIGHT_AUTH_KEYS_H_
