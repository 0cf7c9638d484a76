// Masking of personal data for lists and logs (DOMAIN.md section 9). Masking counts
// characters, not bytes, so that masking a value never cuts a character in two (a cut one
// would make the record unreadable); a byte that is not well-formed UTF-8 is masked too.
//
//   MaskIdNumber("110101199003071234") == "110101********1234"
//   MaskPhone("13812345678")           == "138****5678"
//   MaskEmail("zhang@qq.com")          == "z****@qq.com"
#ifndef SUNLIGHT_BASE_MASK_H_
#define SUNLIGHT_BASE_MASK_H_

#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "sunlight/base/utf8.h"

namespace sunlight {

// Keeps the first `head` and last `tail` of `characters` (SplitUtf8Characters); every other
// one is '*'.
inline std::string MaskKeeping(const std::vector<absl::string_view>& characters, size_t head,
                               size_t tail) {
  std::string out;
  for (size_t i = 0; i < characters.size(); ++i) {
    bool kept = i < head || i + tail >= characters.size();
    out += kept && IsValidUtf8(characters[i]) ? std::string(characters[i]) : std::string("*");
  }
  return out;
}

// Keeps the first 6 and last 4 characters of an ID number (region code and check digits);
// values of 10 characters or fewer keep only the last character.
inline std::string MaskIdNumber(absl::string_view id) {
  std::vector<absl::string_view> characters = SplitUtf8Characters(id);
  if (characters.size() <= 10) return MaskKeeping(characters, 0, characters.empty() ? 0 : 1);
  return MaskKeeping(characters, 6, 4);
}

// Keeps the first 3 and last 4 digits of a phone number; shorter values keep the last 2.
inline std::string MaskPhone(absl::string_view phone) {
  std::vector<absl::string_view> characters = SplitUtf8Characters(phone);
  if (characters.size() <= 7) return MaskKeeping(characters, 0, characters.size() > 2 ? 2 : 0);
  return MaskKeeping(characters, 3, 4);
}

// Keeps the first character of an e-mail address's name and its domain ("z***@qq.com");
// without an '@', the first character only.
inline std::string MaskEmail(absl::string_view address) {
  size_t at = address.rfind('@');
  if (at == absl::string_view::npos) return MaskKeeping(SplitUtf8Characters(address), 1, 0);
  return MaskKeeping(SplitUtf8Characters(address.substr(0, at)), 1, 0) +
         std::string(address.substr(at));
}

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_MASK_H_
