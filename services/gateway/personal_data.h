// Personal data in what the gateway and the provincial exchange hand out: ID numbers and
// phones masked, query codes and sealed personal data (intake's ciphertext) removed, in a message
// and everything it holds (packed event payloads included). The one implementation for both.
#ifndef SUNLIGHT_SERVICES_GATEWAY_PERSONAL_DATA_H_
#define SUNLIGHT_SERVICES_GATEWAY_PERSONAL_DATA_H_

#include "google/protobuf/message.h"

namespace sunlight::gateway {

void MaskPersonalData(google::protobuf::Message* message);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_PERSONAL_DATA_H_
