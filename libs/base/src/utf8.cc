#include "sunlight/base/utf8.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace sunlight {
namespace {

// Length of the well-formed sequence starting at text[at], or 0 when it is ill-formed
// (the Unicode standard's table 3-7 of well-formed byte sequences).
size_t SequenceLength(absl::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(at);
  if (b0 < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;   // no overlong forms
    if (b0 == 0xED) high = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;   // no overlong forms
    if (b0 == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;  // a continuation byte, C0, C1 or F5..FF
  }
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(at + i) < 0x80 || byte(at + i) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

size_t FindInvalidUtf8(absl::string_view text) {
  size_t at = 0;
  while (at < text.size()) {
    // Runs of ASCII are the common case.
    if (static_cast<unsigned char>(text[at]) < 0x80) {
      ++at;
      continue;
    }
    size_t length = SequenceLength(text, at);
    if (length == 0) return at;
    at += length;
  }
  return absl::string_view::npos;
}

absl::string_view TruncateUtf8(absl::string_view text, size_t max_bytes) {
  size_t at = 0;
  while (at < text.size()) {
    size_t length = SequenceLength(text, at);
    if (length == 0 || at + length > max_bytes) break;
    at += length;
  }
  return text.substr(0, at);
}

std::vector<absl::string_view> SplitUtf8Characters(absl::string_view text) {
  std::vector<absl::string_view> characters;
  size_t at = 0;
  while (at < text.size()) {
    size_t length = std::max<size_t>(1, SequenceLength(text, at));
    characters.push_back(text.substr(at, length));
    at += length;
  }
  return characters;
}

std::string PrintableText(absl::string_view text, size_t max_bytes) {
  constexpr char kCut[] = "...";
  std::string out;
  size_t at = 0;
  // Stops once past the limit: the rest would be cut anyway.
  while (at < text.size() && out.size() <= max_bytes) {
    size_t length = SequenceLength(text, at);
    const unsigned char b = static_cast<unsigned char>(text[at]);
    if (length == 0 || (b < 0x20 && b != '\t' && b != '\n') || b == 0x7F) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", b);
      out += hex;
      length = 1;
    } else {
      out.append(text.data() + at, length);
    }
    at += length;
  }
  if (out.size() <= max_bytes && at == text.size()) return out;
  size_t keep = max_bytes > sizeof kCut - 1 ? max_bytes - (sizeof kCut - 1) : 0;
  std::string cut(TruncateUtf8(out, keep));
  return cut + kCut;
}

absl::Status RequireUtf8(absl::string_view value, absl::string_view field, size_t max_bytes) {
  if (size_t bad = FindInvalidUtf8(value); bad != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not valid UTF-8 (byte ", bad, ")"));
  }
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": too long (at most ", max_bytes, " bytes)"));
  }
  return absl::OkStatus();
}

}  // namespace sunlight
