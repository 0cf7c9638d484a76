// The secrets of a secured suite, made for a test in its scratch directory: an Ed25519 key
// pair per identity in <dir>/keys (mode 0700; <identity>.key 0600 and <identity>.pub),
// intake's and scoring's data keys and the gateway's token and audit keys (intake-data.key,
// scoring-data.key, gateway-token.key, gateway-audit.key), and a development CA
// (tools/dev-ca) with a certificate per identity in <dir>/ca.
//
//   SuiteSecrets secrets(dir, {"intake", "workflow", "supervision", "gateway"});
//   REQUIRE(secrets.status().ok());
//   ServiceProcess intake(dir, "intake", SUNLIGHT_INTAKE_BINARY, secrets.ServiceFlags("intake"));
//   auto channel = auth::SigningChannel(intake.target(), secrets.Credentials("gateway"),
//                                       secrets.Signer("gateway"), person);
#ifndef SUNLIGHT_TESTING_SUITE_SECRETS_H_
#define SUNLIGHT_TESTING_SUITE_SECRETS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/security/credentials.h"
#include "sunlight/auth/principal.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::testing {

class SuiteSecrets {
 public:
  SuiteSecrets(const ScratchDir& dir, const std::vector<std::string>& identities);

  // Whether everything was made (openssl ran, keys were written).
  const absl::Status& status() const { return status_; }
  const std::string& key_dir() const { return key_dir_; }
  const std::string& ca_dir() const { return ca_dir_; }

  // --key_dir and --tls_cert_file/--tls_key_file/--tls_ca_file/--tls_crl_dir of `identity`
  // (and intake's and scoring's --data_key_file; the gateway's --token_key_file,
  // --audit_key_file and HTTPS for REST with its certificate).
  std::vector<std::string> ServiceFlags(const std::string& identity) const;
  std::shared_ptr<const auth::PrincipalSigner> Signer(const std::string& identity) const;
  // Mutual TLS as `identity` (its certificate), trusting the CA.
  std::shared_ptr<grpc::ChannelCredentials> Credentials(const std::string& identity) const;
  // Revokes `identity`'s certificate (tools/dev-ca --revoke): servers started after it refuse.
  absl::Status Revoke(const std::string& identity) const;

 private:
  absl::Status status_;
  std::string key_dir_, ca_dir_;
  std::map<std::string, std::shared_ptr<const auth::PrincipalSigner>> signers_;
};

}  // namespace sunlight::testing

#endif  // SUNLIGHT_TESTING_SUITE_SECRETS_H_
