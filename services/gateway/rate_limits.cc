// Rate limits (rate_limits.h).
#include "rate_limits.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sunlight/base/retry_after.h"

namespace sunlight::gateway {

std::string ClientNetwork(std::string_view client) {
  std::string text(client);
  unsigned char bytes[16];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    return absl::StrCat(bytes[0], ".", bytes[1], ".", bytes[2], ".0/24");
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    // ::ffff:a.b.c.d (a dual-stack listener's IPv4 client) is that IPv4 client's /24.
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, bytes)) {
      return absl::StrCat(bytes[12], ".", bytes[13], ".", bytes[14], ".0/24");
    }
    std::fill(bytes + 8, bytes + 16, 0);
    char out[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, bytes, out, sizeof out);
    return absl::StrCat(out, "/64");
  }
  return text;
}

absl::Duration DoublingWait(absl::Duration first, uint32_t failures, absl::Duration max) {
  if (failures == 0) return absl::ZeroDuration();
  return std::min(first * (int64_t{1} << std::min<uint32_t>(failures - 1, 30)), max);
}

RateLimits::RateLimits(RateLimitOptions options)
    : options_(options),
      buckets_(options.max_entries, options.entry_ttl),
      query_codes_(options.max_entries, options.entry_ttl),
      submissions_(options.max_entries, options.entry_ttl) {}

absl::Status RateLimits::AllowPublic(const std::string& client, absl::Time now) {
  std::lock_guard lock(mu_);
  Bucket& bucket = buckets_.Touch(client, now);
  if (bucket.tokens < 0) {
    bucket.tokens = options_.public_burst;
  } else {
    bucket.tokens = std::min(options_.public_burst,
                             bucket.tokens + absl::ToDoubleSeconds(now - bucket.updated) *
                                                 options_.public_requests_per_s);
  }
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return absl::OkStatus();
  }
  return RetryAfter(absl::ResourceExhaustedError("too many requests"),
                    absl::Seconds((1 - bucket.tokens) / options_.public_requests_per_s));
}

absl::StatusOr<RateLimits::QueryCodeAttempt> RateLimits::ReserveQueryCodeAttempt(
    std::string_view case_number, std::string_view client, absl::Time now) {
  std::string key = absl::StrCat(absl::string_view(case_number.data(), case_number.size()), " ",
                                 ClientNetwork(client));
  std::lock_guard lock(mu_);
  Backoff& backoff = query_codes_.Touch(key, now);
  if (backoff.in_flight) {
    return RetryAfter(
        absl::ResourceExhaustedError("a query code for this case is being checked already"),
        options_.query_code_first_delay);
  }
  if (now < backoff.next_allowed) {
    return RetryAfter(absl::ResourceExhaustedError("too many wrong query codes"),
                      backoff.next_allowed - now);
  }
  backoff.in_flight = true;
  return QueryCodeAttempt(this, std::move(key), now);
}

void RateLimits::Release(const std::string& key, bool finished, bool wrong_code, absl::Time now) {
  std::lock_guard lock(mu_);
  Backoff* backoff = query_codes_.FindMutable(key, now);
  if (backoff == nullptr) return;  // forgotten meanwhile (evicted): nothing to release
  backoff->in_flight = false;
  if (!finished) return;
  if (!wrong_code) {
    query_codes_.Erase(key);
    return;
  }
  ++backoff->wrong_codes;
  backoff->next_allowed = now + DoublingWait(options_.query_code_first_delay, backoff->wrong_codes,
                                             options_.query_code_max_delay);
}

RateLimits::QueryCodeAttempt::QueryCodeAttempt(QueryCodeAttempt&& other) noexcept
    : limits_(other.limits_), key_(std::move(other.key_)), at_(other.at_) {
  other.limits_ = nullptr;
}

RateLimits::QueryCodeAttempt::~QueryCodeAttempt() {
  if (limits_ != nullptr) limits_->Release(key_, false, false, at_);
}

void RateLimits::QueryCodeAttempt::Finish(bool wrong_code, absl::Time now) {
  if (limits_ == nullptr) return;
  limits_->Release(key_, true, wrong_code, now);
  limits_ = nullptr;
}

absl::Status RateLimits::TakeDailySubmission(const std::string& client, absl::Time now) {
  int64_t day = absl::ToUnixSeconds(now) / 86400;
  std::lock_guard lock(mu_);
  Quota& quota = submissions_.Touch(client, now);
  if (quota.day != day) quota = Quota{day, 0};
  if (quota.used >= options_.daily_submissions_per_client) {
    return RetryAfter(
        absl::ResourceExhaustedError(absl::StrCat("at most ", options_.daily_submissions_per_client,
                                                  " online applications a day from one address")),
        absl::FromUnixSeconds((day + 1) * 86400) - now);
  }
  ++quota.used;
  return absl::OkStatus();
}

size_t RateLimits::entries() const {
  std::lock_guard lock(mu_);
  return buckets_.size() + query_codes_.size() + submissions_.size();
}

}  // namespace sunlight::gateway
