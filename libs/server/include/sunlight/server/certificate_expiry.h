// When the certificates a service uses expire, on /metrics as
// sunlight_tls_certificate_expiry_timestamp_seconds{certificate="grpc"|"ca"|"https"}: the
// "certificate expiry near" alert compares it with time().
#ifndef SUNLIGHT_SERVER_CERTIFICATE_EXPIRY_H_
#define SUNLIGHT_SERVER_CERTIFICATE_EXPIRY_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "prometheus/registry.h"

namespace sunlight::server {

// The notAfter of the first certificate of a PEM file.
absl::StatusOr<absl::Time> CertificateNotAfter(const std::string& pem_file);

// One gauge per named file (files that are empty are left out; unreadable ones are logged).
void ExportCertificateExpiry(prometheus::Registry& registry,
                             const std::map<std::string, std::string>& files);

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_CERTIFICATE_EXPIRY_H_
