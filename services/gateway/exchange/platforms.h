// The platforms registered with the provincial exchange.
#ifndef SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_PLATFORMS_H_
#define SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_PLATFORMS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sunlight::gateway {

// Registered platforms: the certificate common name each one presents.
struct Platform {
  std::string platform_id;
  std::string certificate_cn;
};
// Reads a platforms file: one JSON object per line, {"platform_id":..,"certificate_cn":..}.
absl::StatusOr<std::vector<Platform>> LoadPlatforms(const std::string& path);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_PLATFORMS_H_
