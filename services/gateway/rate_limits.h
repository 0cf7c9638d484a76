// The gateway's limits on abuse, in memory: a token bucket per client address for public
// routes, and wrong query codes counted per case number and per client address.
#ifndef SUNLIGHT_SERVICES_GATEWAY_RATE_LIMITS_H_
#define SUNLIGHT_SERVICES_GATEWAY_RATE_LIMITS_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sunlight::gateway {

struct RateLimitOptions {
  // Public endpoints: a token bucket per client address.
  double public_requests_per_s = 5;
  double public_burst = 20;
  // Wrong query codes: this many per case number or client address in the window, then 429.
  int max_wrong_query_codes = 5;
  absl::Duration wrong_query_code_window = absl::Minutes(15);
};

class RateLimits {
 public:
  explicit RateLimits(RateLimitOptions options) : options_(options) {}

  // Takes a token of `client`'s bucket; false (and how long to wait) when it has none.
  bool AllowPublic(const std::string& client, absl::Time now, absl::Duration* retry_after);
  // RESOURCE_EXHAUSTED once the case number or the client has had too many wrong query codes
  // in the window; with `record_failure`, counts one more for both.
  absl::Status ThrottleWrongQueryCodes(const std::string& case_number, const std::string& client,
                                       bool record_failure, absl::Time now);

 private:
  RateLimitOptions options_;
  std::mutex mu_;
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  absl::flat_hash_map<std::string, Bucket> buckets_;                       // by client
  absl::flat_hash_map<std::string, std::vector<absl::Time>> wrong_codes_;  // by number/client
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_RATE_LIMITS_H_
