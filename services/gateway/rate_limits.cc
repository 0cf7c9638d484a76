// Rate limits (rate_limits.h).
#include "rate_limits.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace sunlight::gateway {

bool RateLimits::AllowPublic(const std::string& client, absl::Time now,
                             absl::Duration* retry_after) {
  std::lock_guard lock(mu_);
  if (buckets_.size() > 100000) buckets_.clear();  // bounded memory under address churn
  auto [it, fresh] = buckets_.try_emplace(client);
  Bucket& bucket = it->second;
  if (fresh) {
    bucket.tokens = options_.public_burst;
  } else {
    bucket.tokens = std::min(options_.public_burst,
                             bucket.tokens + absl::ToDoubleSeconds(now - bucket.updated) *
                                                 options_.public_requests_per_s);
  }
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return true;
  }
  *retry_after = absl::Seconds((1 - bucket.tokens) / options_.public_requests_per_s);
  return false;
}

absl::Status RateLimits::ThrottleWrongQueryCodes(const std::string& case_number,
                                                 const std::string& client, bool record_failure,
                                                 absl::Time now) {
  std::lock_guard lock(mu_);
  for (const std::string& key : {absl::StrCat("n:", case_number), absl::StrCat("c:", client)}) {
    auto& times = wrong_codes_[key];
    std::erase_if(times, [&](absl::Time t) { return now - t > options_.wrong_query_code_window; });
    if (record_failure) times.push_back(now);
    if (!record_failure && static_cast<int>(times.size()) >= options_.max_wrong_query_codes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "too many wrong query codes; retry after ",
          absl::ToInt64Seconds(times.front() + options_.wrong_query_code_window - now) + 1, " s"));
    }
  }
  return absl::OkStatus();
}

}  // namespace sunlight::gateway
