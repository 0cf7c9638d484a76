#include "sunlight/auth/data_key.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sunlight/base/case_codes.h"
#include "sunlight/base/secret_file.h"

namespace sunlight::auth {
namespace {

constexpr size_t kNonce = 12;
constexpr size_t kTag = 16;

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<std::shared_ptr<const DataKey>> DataKey::FromKey(std::string_view material) {
  absl::string_view trimmed =
      absl::StripAsciiWhitespace(absl::string_view(material.data(), material.size()));
  if (trimmed.size() < 32) return absl::InvalidArgumentError("a data key must be 32+ bytes");
  std::string_view m(trimmed.data(), trimmed.size());
  return std::shared_ptr<const DataKey>(
      new DataKey(Hmac(m, "sunlight data key: seal"), Hmac(m, "sunlight data key: hash")));
}

absl::StatusOr<std::shared_ptr<const DataKey>> DataKey::FromFile(const std::string& path) {
  auto contents = ReadSecretFile(path);
  if (!contents.ok()) return contents.status();
  auto key = FromKey(*contents);
  if (!key.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  return key;
}

std::string DataKey::Seal(std::string_view plaintext, std::string_view context) const {
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  if (RAND_bytes(nonce, kNonce) != 1 || !ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(seal_key_), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, Bytes(context), static_cast<int>(context.size())) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), nonce + kNonce, &n, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nonce + kNonce + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag,
                          nonce + kNonce + plaintext.size()) != 1) {
    return "";  // opens as DATA_LOSS: never silently plain
  }
  return out;
}

absl::StatusOr<std::string> DataKey::Open(std::string_view sealed, std::string_view context) const {
  if (sealed.size() < kNonce + kTag) return absl::DataLossError("sealed data too short");
  const size_t length = sealed.size() - kNonce - kTag;
  std::string out(length, '\0');
  std::string tag(sealed.substr(kNonce + length));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(seal_key_), Bytes(sealed)) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, Bytes(context), static_cast<int>(context.size())) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                        Bytes(sealed) + kNonce, static_cast<int>(length)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &n) != 1) {
    return absl::DataLossError("sealed data does not open with this key (altered or another key)");
  }
  return out;
}

std::string DataKey::Hash(std::string_view purpose, std::string_view data) const {
  std::string keyed = Hmac(hash_key_, purpose);
  std::string digest = Hmac(keyed, data);
  return absl::BytesToHexString(absl::string_view(digest.data(), digest.size()));
}

absl::StatusOr<std::string> NewQueryCode() {
  unsigned char random[kQueryCodeLength];
  if (RAND_bytes(random, sizeof random) != 1) {
    return absl::UnavailableError("no randomness for a query code; retry");
  }
  std::string code;
  for (unsigned char b : random) code += kQueryCodeAlphabet[b % kQueryCodeAlphabet.size()];
  return code;
}

}  // namespace sunlight::auth
