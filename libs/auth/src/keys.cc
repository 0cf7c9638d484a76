#include "sunlight/auth/keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "sunlight/base/secret_file.h"

namespace sunlight::auth {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

Bio ReadBio(std::string_view pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

bool IsEd25519(EVP_PKEY* key) { return EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519; }

}  // namespace

absl::StatusOr<std::shared_ptr<const SigningKey>> SigningKey::FromPem(std::string_view pem) {
  Bio bio = ReadBio(pem);
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key == nullptr) return absl::InvalidArgumentError("not a PEM private key");
  if (!IsEd25519(key)) {
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError("not an Ed25519 key");
  }
  return std::shared_ptr<const SigningKey>(new SigningKey(key));
}

absl::StatusOr<std::shared_ptr<const SigningKey>> SigningKey::FromFile(const std::string& path) {
  auto pem = ReadSecretFile(path);
  if (!pem.ok()) return pem.status();
  auto key = FromPem(*pem);
  if (!key.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  return key;
}

std::shared_ptr<const SigningKey> SigningKey::Generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  return std::shared_ptr<const SigningKey>(new SigningKey(key));
}

SigningKey::~SigningKey() { EVP_PKEY_free(key_); }

std::string SigningKey::Sign(std::string_view data) const {
  MdCtx ctx(EVP_MD_CTX_new());
  unsigned char signature[64];
  size_t length = sizeof signature;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return "";  // never with a loaded Ed25519 key; an empty signature verifies nowhere
  }
  return std::string(reinterpret_cast<const char*>(signature), length);
}

std::string SigningKey::PublicKeyPem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key_);
  return BioText(bio.get());
}

std::string SigningKey::PrivateKeyPem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_, nullptr, nullptr, 0, nullptr, nullptr);
  return BioText(bio.get());
}

absl::StatusOr<std::shared_ptr<const VerifyingKey>> VerifyingKey::FromPem(std::string_view pem) {
  Bio bio = ReadBio(pem);
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key == nullptr) return absl::InvalidArgumentError("not a PEM public key");
  if (!IsEd25519(key)) {
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError("not an Ed25519 key");
  }
  return std::shared_ptr<const VerifyingKey>(new VerifyingKey(key));
}

absl::StatusOr<std::shared_ptr<const VerifyingKey>> VerifyingKey::FromFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::stringstream pem;
  pem << in.rdbuf();
  auto key = FromPem(pem.str());
  if (!key.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  return key;
}

VerifyingKey::~VerifyingKey() { EVP_PKEY_free(key_); }

bool VerifyingKey::Verify(std::string_view data, std::string_view signature) const {
  if (signature.size() != 64) return false;
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}

}  // namespace sunlight::auth
