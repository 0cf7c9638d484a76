// The password policy of the gateway's accounts: what every password set through the API
// (a new user, a reset, one's own change) and through the users file must be.
//
//   SUNLIGHT_RETURN_IF_ERROR(CheckPasswordPolicy(user_id, request.new_password(), "new_password"));
//
// At least 12 characters, at most 1024 bytes of UTF-8, not one of the common passwords of
// data/common-passwords.txt (built in; compared without regard to ASCII case), not containing
// the user id (in any ASCII case).
#ifndef SUNLIGHT_SERVICES_GATEWAY_PASSWORD_POLICY_H_
#define SUNLIGHT_SERVICES_GATEWAY_PASSWORD_POLICY_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace sunlight::gateway {

inline constexpr size_t kMinPasswordCharacters = 12;
inline constexpr size_t kMaxPasswordBytes = 1024;

// OK, or INVALID_ARGUMENT "<field>: <which rule>".
absl::Status CheckPasswordPolicy(std::string_view user_id, std::string_view password,
                                 std::string_view field);
// Only the length rules (the users of test fixtures, whose passwords predate the policy).
absl::Status CheckPasswordLength(std::string_view password, std::string_view field);
bool IsCommonPassword(std::string_view password);

// The list, one a line with # comments (generated from data/common-passwords.txt).
std::string_view CommonPasswordsText();

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_PASSWORD_POLICY_H_
