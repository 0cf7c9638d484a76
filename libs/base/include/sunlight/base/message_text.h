// Checks and repairs of every `string` field of a protobuf message, nested messages and
// repeated fields included (packed `Any` payloads are bytes and are not looked into).
//
//   // Where a request enters: refuse it, naming the field.
//   SUNLIGHT_RETURN_IF_ERROR(ValidateMessageText(request, kMaxTextLength));
//   // Before recording what a request said (audit): keep what can be kept, readable.
//   SanitizeMessageText(&entry, 1024);
#ifndef SUNLIGHT_BASE_MESSAGE_TEXT_H_
#define SUNLIGHT_BASE_MESSAGE_TEXT_H_

#include <cstddef>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace sunlight {

// OK when every string field is well-formed UTF-8 of at most `max_bytes`; otherwise
// INVALID_ARGUMENT naming the first field that is not, as a path in the JSON names of the
// proto fields ("materials[2].name: not valid UTF-8 (byte 3)").
absl::Status ValidateMessageText(const google::protobuf::Message& message, size_t max_bytes);

// Rewrites every string field that is ill-formed or longer than `max_bytes` with
// PrintableText (utf8.h), so that the message can be serialized and read back. Returns how
// many fields it rewrote.
int SanitizeMessageText(google::protobuf::Message* message, size_t max_bytes);

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_MESSAGE_TEXT_H_
