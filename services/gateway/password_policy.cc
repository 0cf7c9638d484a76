// The password policy (password_policy.h).
#include "password_policy.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/base/utf8.h"

namespace sunlight::gateway {
namespace {

const absl::flat_hash_set<std::string>& CommonPasswords() {
  static const auto* const kSet = [] {
    auto* set = new absl::flat_hash_set<std::string>();
    std::string_view text = CommonPasswordsText();
    for (absl::string_view line :
         absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (line.empty() || line[0] == '#') continue;
      set->insert(absl::AsciiStrToLower(line));
    }
    return set;
  }();
  return *kSet;
}

}  // namespace

bool IsCommonPassword(std::string_view password) {
  return CommonPasswords().contains(
      absl::AsciiStrToLower(absl::string_view(password.data(), password.size())));
}

absl::Status CheckPasswordLength(std::string_view password, std::string_view field) {
  absl::string_view name(field.data(), field.size());
  if (password.empty()) return InvalidField(name, "required");
  if (password.size() > kMaxPasswordBytes) return InvalidField(name, "at most 1024 bytes");
  SUNLIGHT_RETURN_IF_ERROR(
      RequireUtf8(absl::string_view(password.data(), password.size()), name, kMaxPasswordBytes));
  size_t characters = 0;
  for (char c : password) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++characters;
  }
  if (characters < kMinPasswordCharacters) return InvalidField(name, "at least 12 characters");
  return absl::OkStatus();
}

absl::Status CheckPasswordPolicy(std::string_view user_id, std::string_view password,
                                 std::string_view field) {
  SUNLIGHT_RETURN_IF_ERROR(CheckPasswordLength(password, field));
  absl::string_view name(field.data(), field.size());
  if (IsCommonPassword(password)) return InvalidField(name, "too common; choose another");
  std::string lower = absl::AsciiStrToLower(absl::string_view(password.data(), password.size()));
  if (!user_id.empty() && absl::StrContains(lower, absl::AsciiStrToLower(absl::string_view(
                                                       user_id.data(), user_id.size())))) {
    return InvalidField(name, "must not contain the user id");
  }
  return absl::OkStatus();
}

}  // namespace sunlight::gateway
