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

namespace {

// The code point of the well-formed sequence text[at, at + length).
uint32_t CodePoint(absl::string_view text, size_t at, size_t length) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[at + i]); };
  if (length == 1) return byte(0);
  uint32_t cp = byte(0) & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) cp = (cp << 6) | (byte(i) & 0x3F);
  return cp;
}

// Characters that are well-formed but must not reach a log line or a terminal as they are:
// C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional controls.
bool Unprintable(uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string PrintableText(absl::string_view text, size_t max_bytes) {
  constexpr absl::string_view kCut = "...";
  // Pieces (a character, or the escape of one) are kept whole; stops once past the limit.
  std::string out;
  std::vector<size_t> ends;  // where each piece ends in `out`
  size_t at = 0;
  while (at < text.size() && out.size() <= max_bytes) {
    size_t length = SequenceLength(text, at);
    char escape[12];
    if (length == 0) {
      std::snprintf(escape, sizeof escape, "\\x%02X", static_cast<unsigned char>(text[at]));
      out += escape;
      length = 1;
    } else if (uint32_t cp = CodePoint(text, at, length); Unprintable(cp)) {
      std::snprintf(escape, sizeof escape, cp < 0x100 ? "\\x%02X" : "\\u%04X", cp);
      out += escape;
    } else {
      out.append(text.data() + at, length);
    }
    ends.push_back(out.size());
    at += length;
  }
  if (at == text.size() && out.size() <= max_bytes) return out;
  if (max_bytes < kCut.size()) return std::string(kCut.substr(0, max_bytes));
  size_t keep = 0;
  for (size_t end : ends) {
    if (end + kCut.size() > max_bytes) break;
    keep = end;
  }
  out.resize(keep);
  out.append(kCut.data(), kCut.size());
  return out;
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
