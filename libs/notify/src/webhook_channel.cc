#include "sunlight/notify/webhook_channel.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sunlight/base/utf8.h"

namespace sunlight::notify {
namespace {

constexpr absl::string_view kSignaturePrefix = "sha256=";

bool IsPrintableAscii(absl::string_view text) {
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return !text.empty();
}

SendOutcome OutcomeOfStatus(int status) {
  if (status >= 200 && status <= 299) return SendOutcome::kDelivered;
  if (status == 408 || status == 429 || (status >= 500 && status <= 599)) {
    return SendOutcome::kRetry;
  }
  return SendOutcome::kRejected;
}

}  // namespace

std::string WebhookSignature(std::string_view secret, int64_t timestamp, std::string_view body) {
  std::string signed_text =
      absl::StrCat(timestamp, ".", absl::string_view(body.data(), body.size()));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &length);
  return absl::StrCat(kSignaturePrefix, absl::BytesToHexString(absl::string_view(
                                            reinterpret_cast<const char*>(mac), length)));
}

absl::Status VerifyWebhookSignature(std::string_view secret, std::string_view timestamp_header,
                                    std::string_view body, std::string_view signature_header,
                                    absl::Time now, absl::Duration max_skew) {
  int64_t timestamp = 0;
  const char* end = timestamp_header.data() + timestamp_header.size();
  // Digits only: from_chars would also take a sign.
  bool digits = !timestamp_header.empty() && timestamp_header.size() <= 18 &&
                absl::ascii_isdigit(timestamp_header[0]);
  if (!digits || std::from_chars(timestamp_header.data(), end, timestamp).ptr != end) {
    return absl::UnauthenticatedError("X-Sunlight-Timestamp: not decimal unix seconds");
  }
  if (absl::AbsDuration(now - absl::FromUnixSeconds(timestamp)) > max_skew) {
    return absl::UnauthenticatedError("X-Sunlight-Timestamp: too far from now");
  }
  std::string expected = WebhookSignature(secret, timestamp, body);
  if (signature_header.size() != expected.size() ||
      CRYPTO_memcmp(signature_header.data(), expected.data(), expected.size()) != 0) {
    return absl::UnauthenticatedError("X-Sunlight-Signature: does not match");
  }
  return absl::OkStatus();
}

WebhookChannel::WebhookChannel(Options options, const Clock* clock)
    : options_(std::move(options)), clock_(clock) {}

SendResult WebhookChannel::Send(const Message& message) {
  const std::string& url = message.to;
  bool https = absl::StartsWithIgnoreCase(url, "https://");
  bool http = absl::StartsWithIgnoreCase(url, "http://");
  if (!https && !(http && options_.allow_http)) {
    return {SendOutcome::kRejected, "to: only https:// webhook URLs are allowed"};
  }
  if (!IsPrintableAscii(url)) {
    return {SendOutcome::kRejected, "to: a URL holds no spaces, controls or non-ASCII bytes"};
  }
  if (!IsPrintableAscii(message.idempotency_key)) {
    return {SendOutcome::kRejected, "idempotency_key: empty or not printable ASCII"};
  }
  if (options_.secret.empty()) return {SendOutcome::kRetry, "no webhook secret configured"};

  int64_t timestamp = absl::ToUnixSeconds(clock_->Now());
  HttpRequest request{
      .method = "POST",
      .url = url,
      .headers = {"Content-Type: application/json",
                  absl::StrCat("X-Sunlight-Idempotency-Key: ", message.idempotency_key),
                  absl::StrCat("X-Sunlight-Timestamp: ", timestamp),
                  absl::StrCat("X-Sunlight-Signature: ",
                               WebhookSignature(options_.secret, timestamp, message.body)),
                  // No "Expect: 100-continue" wait before larger bodies.
                  "Expect:"},
      .body = message.body,
      .timeout = options_.timeout,
      .ca_file = options_.ca_file,
      .max_body_bytes = 1024,
  };
  absl::StatusOr<HttpResponse> response = http_.Send(request);
  if (!response.ok()) {
    SendOutcome outcome = response.status().code() == absl::StatusCode::kInvalidArgument
                              ? SendOutcome::kRejected
                              : SendOutcome::kRetry;
    return {outcome, PrintableText(response.status().message(), 300)};
  }
  std::string detail = absl::StrCat(response->status);
  if (!response->body.empty()) absl::StrAppend(&detail, " ", PrintableText(response->body, 200));
  return {OutcomeOfStatus(response->status), std::move(detail)};
}

}  // namespace sunlight::notify
