// UTF-8 checks for every byte string that enters from outside (requests, files, headers).
// A proto3 `string` must hold well-formed UTF-8: protobuf writes an ill-formed one but then
// refuses to read it back, so one unchecked byte string can make a stored record unreadable.
//
//   SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(path_param, "case_id", 256));
//   LogError("gateway", absl::StrCat("no route ", PrintableText(path)));
#ifndef SUNLIGHT_BASE_UTF8_H_
#define SUNLIGHT_BASE_UTF8_H_

#include <cstddef>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace sunlight {

// Byte offset of the first ill-formed sequence in `text` (RFC 3629: overlong forms,
// surrogates U+D800..U+DFFF, code points above U+10FFFF and truncated sequences are
// ill-formed), or absl::string_view::npos when all of it is well-formed.
size_t FindInvalidUtf8(absl::string_view text);
inline bool IsValidUtf8(absl::string_view text) {
  return FindInvalidUtf8(text) == absl::string_view::npos;
}

// The characters of `text`, each as the bytes that encode it; each byte of an ill-formed
// sequence is a one-byte element of its own (IsValidUtf8 tells it apart).
std::vector<absl::string_view> SplitUtf8Characters(absl::string_view text);

// `text` made safe to show in a message, a log line or a JSON string: well-formed characters
// are kept, except controls (C0 and C1, DEL, tab and newline too), line and paragraph
// separators and bidirectional controls, which are written as `\xNN` / `\uNNNN`, as is each
// byte of an ill-formed sequence; cut between characters (never inside an escape) to at most
// `max_bytes` in all, "..." included, when it does not fit. Never fails.
std::string PrintableText(absl::string_view text, size_t max_bytes = 200);

// OK when `value` is well-formed UTF-8 of at most `max_bytes`; otherwise INVALID_ARGUMENT
// "<field>: not valid UTF-8 (byte N)" or "<field>: too long (at most M bytes)". The message
// never contains the value itself.
absl::Status RequireUtf8(absl::string_view value, absl::string_view field, size_t max_bytes);

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_UTF8_H_
