// The one form of every token libs/auth makes: base64url(payload) "." base64url(signature),
// whatever signs it (HMAC for bearer tokens, Ed25519 for principals). Private to libs/auth.
#ifndef SUNLIGHT_AUTH_SRC_SIGNED_TOKEN_H_
#define SUNLIGHT_AUTH_SRC_SIGNED_TOKEN_H_

#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace sunlight::auth {

inline std::string EncodeSignedToken(std::string_view payload, std::string_view signature) {
  return absl::StrCat(absl::WebSafeBase64Escape(std::string(payload)), ".",
                      absl::WebSafeBase64Escape(std::string(signature)));
}

// False when `token` is not of that form.
inline bool DecodeSignedToken(std::string_view token, std::string* payload,
                              std::string* signature) {
  size_t dot = token.find('.');
  return dot != std::string_view::npos &&
         absl::WebSafeBase64Unescape(std::string(token.substr(0, dot)), payload) &&
         absl::WebSafeBase64Unescape(std::string(token.substr(dot + 1)), signature);
}

}  // namespace sunlight::auth

#endif  // SUNLIGHT_AUTH_SRC_SIGNED_TOKEN_H_
