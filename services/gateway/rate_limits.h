// The gateway's limits on abuse of its public routes, in memory and bounded whatever clients
// send (every table a BoundedMap): a token bucket per client address; query-code attempts per
// (case number, client network), one in flight at a time and each wrong code doubling the
// pair's wait (never a lock on the case, so the applicant's own right code still works from
// elsewhere); online submissions per client address per day. Every refusal carries its wait
// (RetryAfter: HTTP 429 with Retry-After).
#ifndef SUNLIGHT_SERVICES_GATEWAY_RATE_LIMITS_H_
#define SUNLIGHT_SERVICES_GATEWAY_RATE_LIMITS_H_

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/base/bounded_map.h"

namespace sunlight::gateway {

struct RateLimitOptions {
  // Public endpoints: a token bucket per client address.
  double public_requests_per_s = 5;
  double public_burst = 20;
  // After the n-th wrong query code a (case number, client network) pair waits
  // first_delay * 2^(n-1), at most max_delay.
  absl::Duration query_code_first_delay = absl::Seconds(1);
  absl::Duration query_code_max_delay = absl::Hours(1);
  // Online applications per client address per day (UTC).
  int daily_submissions_per_client = 50;
  // Each table keeps at most this many entries, and forgets one untouched this long.
  size_t max_entries = 100000;
  absl::Duration entry_ttl = absl::Hours(24);
};

// The network a client address belongs to, for limits an attacker could otherwise spread over
// neighbouring addresses: the IPv4 /24 ("203.0.113.0/24") or IPv6 /64; other text as it is.
std::string ClientNetwork(std::string_view client);

// The wait after the n-th failure when each doubles the one before: `first` * 2^(n-1), at most
// `max`; none before the first. The one backoff of query codes and logins.
absl::Duration DoublingWait(absl::Duration first, uint32_t failures, absl::Duration max);

class RateLimits {
 public:
  explicit RateLimits(RateLimitOptions options);

  // Takes a token of `client`'s bucket; RESOURCE_EXHAUSTED with the wait when it has none.
  absl::Status AllowPublic(const std::string& client, absl::Time now);

  // One query-code attempt for a case number from a client, reserved before the code is
  // checked and finished after: RESOURCE_EXHAUSTED (with the wait) while the pair has another
  // in flight or waits after a wrong code. Finish(true) doubles the wait; Finish(false) on a
  // right code forgets the pair. An attempt not finished (the check failed for another
  // reason) is released as it was when destroyed.
  class QueryCodeAttempt {
   public:
    QueryCodeAttempt(QueryCodeAttempt&& other) noexcept;
    QueryCodeAttempt& operator=(QueryCodeAttempt&&) = delete;
    ~QueryCodeAttempt();
    void Finish(bool wrong_code, absl::Time now);

   private:
    friend class RateLimits;
    QueryCodeAttempt(RateLimits* limits, std::string key, absl::Time at)
        : limits_(limits), key_(std::move(key)), at_(at) {}
    RateLimits* limits_;
    std::string key_;
    absl::Time at_;  // when reserved
  };
  absl::StatusOr<QueryCodeAttempt> ReserveQueryCodeAttempt(std::string_view case_number,
                                                           std::string_view client, absl::Time now);

  // Counts one online application for `client` today; RESOURCE_EXHAUSTED past the quota.
  absl::Status TakeDailySubmission(const std::string& client, absl::Time now);

  // Entries held in all tables (bounded by 3 * max_entries).
  size_t entries() const;

 private:
  struct Bucket {
    double tokens = -1;  // < 0: fresh
    absl::Time updated;
  };
  struct Backoff {
    uint32_t wrong_codes = 0;
    bool in_flight = false;
    absl::Time next_allowed = absl::InfinitePast();
  };
  struct Quota {
    int64_t day = -1;
    int used = 0;
  };
  void Release(const std::string& key, bool finished, bool wrong_code, absl::Time now);

  RateLimitOptions options_;
  mutable std::mutex mu_;
  BoundedMap<Bucket> buckets_;       // by client address
  BoundedMap<Backoff> query_codes_;  // by case number and client network
  BoundedMap<Quota> submissions_;    // by client address
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_RATE_LIMITS_H_
