// Mutual TLS for gRPC, the one way: every server requires a client certificate issued by the
// suite's CA, every channel presents its own and verifies the server's; a CRL directory
// (hashed CRL files, `openssl rehash`) revokes certificates on both sides.
//
//   TlsFiles tls = TlsFilesFromFlags(config);         // --tls_cert_file, --tls_key_file, ...
//   auto server_credentials = MutualTlsServerCredentials(tls);
//   auto channel = grpc::CreateChannel("localhost:7001", *MutualTlsChannelCredentials(tls));
#ifndef SUNLIGHT_SERVER_TLS_H_
#define SUNLIGHT_SERVER_TLS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "sunlight/server/config.h"

namespace sunlight::server {

struct TlsFiles {
  std::string cert_file;  // this process's certificate (PEM)
  std::string key_file;   // its private key (PEM, mode 0600)
  std::string ca_file;    // the CA whose certificates are accepted (PEM)
  std::string crl_dir;    // optional: hashed CRLs of that CA
  bool enabled() const { return !cert_file.empty(); }
};

// --tls_cert_file, --tls_key_file, --tls_ca_file, --tls_crl_dir (in CommonFlags).
TlsFiles TlsFilesFromFlags(const Config& config);

// INVALID_ARGUMENT naming the flag when a file is missing or unreadable, FAILED_PRECONDITION
// when the key file may be read by others.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsServerCredentials(
    const TlsFiles& files);
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MutualTlsChannelCredentials(
    const TlsFiles& files);

// Insecure credentials when `files` is not enabled (insecure development only).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const TlsFiles& files);

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_TLS_H_
