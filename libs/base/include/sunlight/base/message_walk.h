// Visiting a message and every message it holds, packed ones (google.protobuf.Any of a
// generated type) included: the one walk behind masking and sealing personal data.
//
//   VisitMessages(&event, [](google::protobuf::Message* m) {
//     if (m->GetDescriptor() == intake::v1::Applicant::descriptor()) ...;
//   });
#ifndef SUNLIGHT_BASE_MESSAGE_WALK_H_
#define SUNLIGHT_BASE_MESSAGE_WALK_H_

#include <functional>

#include "google/protobuf/message.h"

namespace sunlight {

// Calls `visit` on `message`, then on each message it holds, depth first. An Any is visited
// as itself, then unpacked, its content visited, and packed again (an Any of an unknown type
// is left as it is).
void VisitMessages(google::protobuf::Message* message,
                   const std::function<void(google::protobuf::Message*)>& visit);

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_MESSAGE_WALK_H_
