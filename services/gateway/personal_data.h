// Personal data in what the gateway and the provincial exchange hand out, by declaration: a
// field marked `[(sunlight.common.v1.personal) = …]` in the protos is masked by its kind
// (names, ID numbers, phones and addresses partly kept; query codes, client addresses,
// document references and sealed data removed), in a message and everything it holds, packed
// event payloads included. A packed payload the walk cannot look into (of a type this build
// does not know, with bytes that do not parse, or packed too deep) could hold anything: it is
// dropped, never passed on; so are fields of a message that this build does not know. The
// one implementation for responses and the exchange.
#ifndef SUNLIGHT_SERVICES_GATEWAY_PERSONAL_DATA_H_
#define SUNLIGHT_SERVICES_GATEWAY_PERSONAL_DATA_H_

#include <string>

#include "google/protobuf/message.h"
#include "sunlight/common/v1/common.pb.h"

namespace sunlight::gateway {

struct MaskResult {
  int masked_fields = 0;
  // Packed payloads (google.protobuf.Any) that could not be looked into, cleared.
  int dropped_payloads = 0;
};
// `keep`: kinds left as they are, a bit (1 << kind) each.
MaskResult MaskPersonalData(google::protobuf::Message* message, uint32_t keep = 0);
inline constexpr uint32_t PersonalBit(common::v1::PersonalData kind) { return 1u << kind; }
// What a route showing personal data in full keeps (sealed data never leaves intake).
inline constexpr uint32_t kAllPersonalData = ~PersonalBit(common::v1::SEALED);

// One value masked as its kind says.
std::string MaskValue(common::v1::PersonalData kind, const std::string& value);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_PERSONAL_DATA_H_
