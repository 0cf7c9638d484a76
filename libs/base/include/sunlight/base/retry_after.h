// A refusal that says when to come back: RESOURCE_EXHAUSTED (or UNAVAILABLE) carrying the
// wait in a status payload. The gateway turns it into HTTP 429/503 with `Retry-After`; every
// limit (public rate, query codes, logins, quotas, event streams) refuses this one way.
//
//   return RetryAfter(absl::ResourceExhaustedError("too many wrong query codes"), wait);
//   if (auto wait = RetryAfterOf(status)) response.headers.emplace_back("Retry-After", ...);
#ifndef SUNLIGHT_BASE_RETRY_AFTER_H_
#define SUNLIGHT_BASE_RETRY_AFTER_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace sunlight {

inline constexpr char kRetryAfterPayload[] = "type.sunlight/retry-after-seconds";

// `status` (not OK) with the wait attached, in whole seconds rounded up (at least 1); the
// message gains "; retry after N s".
inline absl::Status RetryAfter(const absl::Status& status, absl::Duration wait) {
  int64_t seconds = std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1))));
  absl::Status out(status.code(), absl::StrCat(status.message(), "; retry after ", seconds, " s"));
  out.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(seconds)));
  return out;
}

// The wait a status carries, in seconds; nullopt when it carries none.
inline std::optional<int64_t> RetryAfterSecondsOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayload);
  int64_t seconds = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &seconds)) {
    return std::nullopt;
  }
  return seconds;
}

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_RETRY_AFTER_H_
