// The platforms registered with the provincial exchange, and what each may see and push.
#ifndef SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_PLATFORMS_H_
#define SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_PLATFORMS_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sunlight/exchange/v1/exchange.pb.h"

namespace sunlight::gateway {

// Registered platforms: by the whole subject of the certificate each one presents (as gRPC
// reports it, RFC 2253: "CN=zj-platform,O=Zhejiang"), or by one of its subject alternative
// names (a DNS name, URI or IP address). A common name alone identifies nobody: any
// certificate of the CA could carry it.
//
// Least privilege: a platform receives the records of the departments it lists (and the
// center's own records) and may push the items it lists; an empty list is nothing, never
// everything.
struct Platform {
  std::string platform_id;
  std::string certificate_subject;  // either this
  std::string certificate_san;      // or this
  std::set<std::string> departments;
  std::set<std::string> items;

  // Whether the record is for this platform: one of its departments', or the center's own
  // (no department and no case). A case record of unknown department is for nobody.
  bool Receives(const exchange::v1::ExchangeRecord& record) const;
  bool MayPush(const std::string& item_code) const { return items.contains(item_code); }
};

// Reads a platforms file: one JSON object per line, {"platform_id":..,
// "certificate_subject":.. or "certificate_san":.., "departments":[..], "items":[..]};
// INVALID_ARGUMENT naming the line otherwise.
absl::StatusOr<std::vector<Platform>> LoadPlatforms(const std::string& path);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_PLATFORMS_H_
