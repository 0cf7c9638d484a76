// Visiting a message and every message it holds, packed ones (google.protobuf.Any of a
// generated type) included: the one walk behind masking and sealing personal data.
//
//   VisitMessages(&event, [](google::protobuf::Message* m) {
//     if (m->GetDescriptor() == intake::v1::Applicant::descriptor()) ...;
//   });
#ifndef SUNLIGHT_BASE_MESSAGE_WALK_H_
#define SUNLIGHT_BASE_MESSAGE_WALK_H_

#include <functional>

#include "google/protobuf/any.pb.h"
#include "google/protobuf/message.h"

namespace sunlight {

// Calls `visit` on `message`, then on each message it holds, depth first. An Any is visited
// as itself, then unpacked, its content visited, and packed again. An Any whose content the
// walk cannot reach (a type this build does not know, bytes that do not parse, or packed
// more than 16 levels deep) is passed to `opaque` when given, else left as it is.
void VisitMessages(google::protobuf::Message* message,
                   const std::function<void(google::protobuf::Message*)>& visit,
                   const std::function<void(google::protobuf::Any*)>& opaque = nullptr);

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_MESSAGE_WALK_H_
