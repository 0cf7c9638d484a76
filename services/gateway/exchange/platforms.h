// The platforms registered with the provincial exchange.
#ifndef SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_PLATFORMS_H_
#define SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_PLATFORMS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sunlight::gateway {

// Registered platforms: by the whole subject of the certificate each one presents (as gRPC
// reports it, RFC 2253: "CN=zj-platform,O=Zhejiang"), or by one of its subject alternative
// names (a DNS name, URI or IP address). A common name alone identifies nobody: any
// certificate of the CA could carry it.
struct Platform {
  std::string platform_id;
  std::string certificate_subject;  // either this
  std::string certificate_san;      // or this
};
// Reads a platforms file: one JSON object per line, {"platform_id":..,
// "certificate_subject":..} or {"platform_id":..,"certificate_san":..}.
absl::StatusOr<std::vector<Platform>> LoadPlatforms(const std::string& path);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_PLATFORMS_H_
