// Masking of personal data for lists and logs (DOMAIN.md section 9).
//
//   MaskIdNumber("110101199003071234") == "110101********1234"
//   MaskPhone("13812345678")           == "138****5678"
#ifndef SUNLIGHT_BASE_MASK_H_
#define SUNLIGHT_BASE_MASK_H_

#include <string>
#include <string_view>

namespace sunlight {

// Keeps the first 6 and last 4 characters of an ID number (region code and check digits);
// shorter values keep only the last character.
inline std::string MaskIdNumber(std::string_view id) {
  if (id.empty()) return std::string();
  if (id.size() <= 10)
    return std::string(id.size() - 1, '*') + std::string(id.substr(id.size() - 1));
  return std::string(id.substr(0, 6)) + std::string(id.size() - 10, '*') +
         std::string(id.substr(id.size() - 4));
}

// Keeps the first 3 and last 4 digits of a phone number; shorter values keep the last 2.
inline std::string MaskPhone(std::string_view phone) {
  if (phone.empty()) return std::string();
  if (phone.size() <= 7) {
    size_t keep = phone.size() > 2 ? 2 : 0;
    return std::string(phone.size() - keep, '*') + std::string(phone.substr(phone.size() - keep));
  }
  return std::string(phone.substr(0, 3)) + std::string(phone.size() - 7, '*') +
         std::string(phone.substr(phone.size() - 4));
}

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_MASK_H_
