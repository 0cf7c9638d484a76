#include "sunlight/server/tls.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "sunlight/base/secret_file.h"

namespace sunlight::server {
namespace {

namespace gx = ::grpc::experimental;

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (path.empty() || !in) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read '", path, "'"));
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Material {
  std::string cert, key, ca;
};

absl::StatusOr<Material> Load(const TlsFiles& files) {
  Material m;
  auto cert = ReadPem(files.cert_file, "tls_cert_file");
  if (!cert.ok()) return cert.status();
  auto ca = ReadPem(files.ca_file, "tls_ca_file");
  if (!ca.ok()) return ca.status();
  auto key = ReadSecretFile(files.key_file);
  if (!key.ok()) {
    return absl::Status(key.status().code(),
                        absl::StrCat("--tls_key_file: ", key.status().message()));
  }
  m.cert = *std::move(cert);
  m.ca = *std::move(ca);
  m.key = *std::move(key);
  return m;
}

std::shared_ptr<gx::CertificateProviderInterface> Provider(const Material& m) {
  return std::make_shared<gx::StaticDataCertificateProvider>(
      m.ca, std::vector<gx::IdentityKeyCertPair>{{m.key, m.cert}});
}

}  // namespace

TlsFiles TlsFilesFromFlags(const Config& config) {
  return {.cert_file = config.Get("tls_cert_file"),
          .key_file = config.Get("tls_key_file"),
          .ca_file = config.Get("tls_ca_file"),
          .crl_dir = config.Get("tls_crl_dir")};
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsServerCredentials(
    const TlsFiles& files) {
  auto material = Load(files);
  if (!material.ok()) return material.status();
  gx::TlsServerCredentialsOptions options(Provider(*material));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!files.crl_dir.empty()) options.set_crl_directory(files.crl_dir);
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MutualTlsChannelCredentials(
    const TlsFiles& files) {
  auto material = Load(files);
  if (!material.ok()) return material.status();
  gx::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(Provider(*material));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  if (!files.crl_dir.empty()) options.set_crl_directory(files.crl_dir);
  return grpc::experimental::TlsCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const TlsFiles& files) {
  if (!files.enabled()) return grpc::InsecureChannelCredentials();
  return MutualTlsChannelCredentials(files);
}

}  // namespace sunlight::server
