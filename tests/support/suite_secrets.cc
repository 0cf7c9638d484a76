#include "sunlight/testing/suite_secrets.h"

#include <sys/stat.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sunlight/auth/keys.h"
#include "sunlight/base/secret_file.h"
#include "sunlight/server/tls.h"

namespace sunlight::testing {

SuiteSecrets::SuiteSecrets(const ScratchDir& dir, const std::vector<std::string>& identities)
    : key_dir_(dir.Sub("keys")), ca_dir_(dir.Sub("ca")) {
  if (mkdir(key_dir_.c_str(), 0700) != 0) {
    status_ = absl::InternalError(absl::StrCat("cannot make ", key_dir_));
    return;
  }
  for (const std::string& identity : identities) {
    auto key = auth::SigningKey::Generate();
    absl::Status s =
        WriteSecretFile(absl::StrCat(key_dir_, "/", identity, ".key"), key->PrivateKeyPem());
    if (s.ok()) {
      s = WriteSecretFile(absl::StrCat(key_dir_, "/", identity, ".pub"), key->PublicKeyPem());
    }
    if (!s.ok()) {
      status_ = s;
      return;
    }
    signers_[identity] = std::make_shared<auth::PrincipalSigner>(identity, key);
  }
  for (const char* secret :
       {"/intake-data.key", "/scoring-data.key", "/gateway-token.key", "/gateway-audit.key"}) {
    status_ = WriteSecretFile(key_dir_ + secret, auth::SigningKey::Generate()->PrivateKeyPem());
    if (!status_.ok()) return;
  }
  std::string command = absl::StrCat(SUNLIGHT_DEV_CA, " ", ca_dir_, " ",
                                     absl::StrJoin(identities, " "), " >/dev/null 2>&1");
  if (std::system(command.c_str()) != 0) {
    status_ = absl::InternalError(absl::StrCat("failed: ", command));
  }
}

std::vector<std::string> SuiteSecrets::ServiceFlags(const std::string& identity) const {
  std::vector<std::string> flags;
  if (identity == "intake") flags.push_back("--data_key_file=" + key_dir_ + "/intake-data.key");
  if (identity == "scoring") flags.push_back("--data_key_file=" + key_dir_ + "/scoring-data.key");
  if (identity == "gateway") {
    flags.push_back("--token_key_file=" + key_dir_ + "/gateway-token.key");
    flags.push_back("--audit_key_file=" + key_dir_ + "/gateway-audit.key");
    flags.push_back(absl::StrCat("--http_tls_cert_file=", ca_dir_, "/gateway.crt"));
    flags.push_back(absl::StrCat("--http_tls_key_file=", ca_dir_, "/gateway.key"));
  }
  for (std::string flag :
       {"--key_dir=" + key_dir_, absl::StrCat("--tls_cert_file=", ca_dir_, "/", identity, ".crt"),
        absl::StrCat("--tls_key_file=", ca_dir_, "/", identity, ".key"),
        absl::StrCat("--tls_ca_file=", ca_dir_, "/ca.crt"),
        absl::StrCat("--tls_crl_dir=", ca_dir_, "/crl")}) {
    flags.push_back(std::move(flag));
  }
  return flags;
}

std::shared_ptr<const auth::PrincipalSigner> SuiteSecrets::Signer(
    const std::string& identity) const {
  auto it = signers_.find(identity);
  return it == signers_.end() ? nullptr : it->second;
}

std::shared_ptr<grpc::ChannelCredentials> SuiteSecrets::Credentials(
    const std::string& identity) const {
  auto credentials = server::MutualTlsChannelCredentials(
      {.cert_file = absl::StrCat(ca_dir_, "/", identity, ".crt"),
       .key_file = absl::StrCat(ca_dir_, "/", identity, ".key"),
       .ca_file = absl::StrCat(ca_dir_, "/ca.crt"),
       .crl_dir = ""});
  return credentials.ok() ? *credentials : nullptr;
}

absl::Status SuiteSecrets::Revoke(const std::string& identity) const {
  std::string command =
      absl::StrCat(SUNLIGHT_DEV_CA, " ", ca_dir_, " --revoke ", identity, " >/dev/null 2>&1");
  if (std::system(command.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("failed: ", command));
  }
  return absl::OkStatus();
}

}  // namespace sunlight::testing
