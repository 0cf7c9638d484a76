// Webhooks: the message's JSON body POSTed to its URL over HTTPS, signed so that the receiver
// can tell it came from us and is not a replay.
//
//   SystemClock clock;
//   WebhookChannel hooks({.secret = secret_from_file, .ca_file = "/etc/sunlight/ca.crt"}, &clock);
//   SendResult r = hooks.Send({.idempotency_key = "n42", .to = "https://partner.example/hook",
//                              .body = R"({"case_id":"GT-2025-0001","status":"DONE"})"});
//
// Each request carries
//   Content-Type: application/json
//   X-Sunlight-Idempotency-Key: <key>           the same on every attempt: drop duplicates
//   X-Sunlight-Timestamp: <unix seconds>        when this attempt was signed
//   X-Sunlight-Signature: sha256=<hex>          HMAC-SHA256(secret, "<timestamp>.<body>")
// and a receiver checks them with VerifyWebhookSignature.
#ifndef SUNLIGHT_NOTIFY_WEBHOOK_CHANNEL_H_
#define SUNLIGHT_NOTIFY_WEBHOOK_CHANNEL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sunlight/base/clock.h"
#include "sunlight/notify/channel.h"
#include "sunlight/notify/curl_client.h"

namespace sunlight::notify {

class WebhookChannel final : public Channel {
 public:
  struct Options {
    // The HMAC-SHA256 key shared with the receivers. Send refuses to post unsigned: with an
    // empty secret every attempt is kRetry.
    std::string secret;
    // A PEM bundle to verify receivers against; empty: the system's CA store.
    std::string ca_file;
    // For each request, connecting included.
    absl::Duration timeout = absl::Seconds(10);
    // Tests only: also post to http:// URLs.
    bool allow_http = false;
  };

  // `clock` (for the timestamp) must outlive the channel.
  WebhookChannel(Options options, const Clock* clock);

  // kDelivered for a 2xx answer. kRetry for 408, 429 and 5xx, and when there is no answer
  // (refused, timed out, TLS failed or certificate not trusted). kRejected for any other
  // answer (other 4xx; 3xx, since redirects are not followed), and without connecting for a
  // URL that is not https:// (or http:// with allow_http) or holds spaces or control
  // characters, or a key that is empty or not printable ASCII. `detail` is the status and the
  // start of the answer's body, or libcurl's explanation.
  SendResult Send(const Message& message) override;

 private:
  Options options_;
  const Clock* clock_;
  CurlClient http_;  // keeps its connection between calls
};

// "sha256=" and the lowercase hex HMAC-SHA256 of "<timestamp>.<body>" under `secret`: the
// X-Sunlight-Signature header of a request signed at `timestamp` (unix seconds).
std::string WebhookSignature(std::string_view secret, int64_t timestamp, std::string_view body);

// For receivers: OK when `signature_header` is WebhookSignature(secret, timestamp, body) and
// `timestamp_header` (decimal unix seconds) is within `max_skew` of `now`, compared in
// constant time. UNAUTHENTICATED otherwise, saying which check failed.
absl::Status VerifyWebhookSignature(std::string_view secret, std::string_view timestamp_header,
                                    std::string_view body, std::string_view signature_header,
                                    absl::Time now, absl::Duration max_skew = absl::Minutes(5));

}  // namespace sunlight::notify

#endif  // SUNLIGHT_NOTIFY_WEBHOOK_CHANNEL_H_
