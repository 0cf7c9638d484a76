#include "sunlight/server/certificate_expiry.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "prometheus/gauge.h"
#include "sunlight/base/log.h"

namespace sunlight::server {

absl::StatusOr<absl::Time> CertificateNotAfter(const std::string& pem_file) {
  FILE* file = std::fopen(pem_file.c_str(), "r");
  if (file == nullptr) return absl::NotFoundError(absl::StrCat("cannot open ", pem_file));
  X509* certificate = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (certificate == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(pem_file, ": no PEM certificate"));
  }
  std::tm tm{};
  const int converted = ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &tm);
  X509_free(certificate);
  if (converted != 1) {
    return absl::InvalidArgumentError(absl::StrCat(pem_file, ": unreadable notAfter"));
  }
  return absl::FromTimeT(timegm(&tm));
}

void ExportCertificateExpiry(prometheus::Registry& registry,
                             const std::map<std::string, std::string>& files) {
  auto& family = prometheus::BuildGauge()
                     .Name("sunlight_tls_certificate_expiry_timestamp_seconds")
                     .Help("When the certificate expires (notAfter), Unix seconds")
                     .Register(registry);
  for (const auto& [which, path] : files) {
    if (path.empty()) continue;
    absl::StatusOr<absl::Time> not_after = CertificateNotAfter(path);
    if (!not_after.ok()) {
      LogWarning("tls", not_after.status().ToString());
      continue;
    }
    family.Add({{"certificate", which}}).Set(static_cast<double>(absl::ToUnixSeconds(*not_after)));
  }
}

}  // namespace sunlight::server
