// E-mail over SMTP (libcurl), with STARTTLS required by default.
//
//   SystemClock clock;
//   SmtpChannel mail({.url = "smtp://mail.example.gov.cn:587", .from = "noreply@example.gov.cn",
//                     .from_name = "阳光政务", .ca_file = "/etc/sunlight/ca.crt"},
//                    &clock);
//   SendResult r = mail.Send({.idempotency_key = "n42", .to = "li@example.cn",
//                             .subject = "办理结果", .body = "您的申请已办结。"});
//
// Each Send opens one SMTP session and delivers one message to one recipient: From, To,
// Subject (RFC 2047 UTF-8 encoded words when not plain ASCII), Date, Message-ID
// `<key@sunlight>` (bytes of the key outside RFC 5322 atext written =XX),
// X-Sunlight-Idempotency-Key, MIME-Version and a text/plain; charset=UTF-8 body in base64.
#ifndef SUNLIGHT_NOTIFY_SMTP_CHANNEL_H_
#define SUNLIGHT_NOTIFY_SMTP_CHANNEL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/base/clock.h"
#include "sunlight/notify/channel.h"

namespace sunlight::notify {

class SmtpChannel final : public Channel {
 public:
  struct Options {
    // "smtp://host:port" (STARTTLS) or "smtps://host:port" (TLS from the first byte).
    std::string url;
    // The envelope sender and the From address.
    std::string from;
    // Shown before `from` ("阳光政务 <noreply@…>"); optional, UTF-8.
    std::string from_name;
    // SMTP AUTH when `username` is set.
    std::string username;
    std::string password;
    // smtp:// only: STARTTLS before anything else is sent, or no delivery at all. False sends
    // in the clear (a relay on the same host); never "TLS if offered", which an attacker on
    // the path can turn off.
    bool require_tls = true;
    // A PEM bundle to verify the server against; empty: the system's CA store.
    std::string ca_file;
    // For the whole session, connecting included.
    absl::Duration timeout = absl::Seconds(30);
  };

  // `clock` (for the Date header) must outlive the channel.
  SmtpChannel(Options options, const Clock* clock);

  // kDelivered when the server answered 250 to the message. kRejected without connecting when
  // the message itself is unusable: `to` not one plain address (exactly one '@', printable
  // ASCII, none of space <>()[]\,;:"), a key that is empty or not printable ASCII, a CR or
  // LF in the subject, a subject or body that is not UTF-8. kRejected for a 5xx answer to
  // the message (550 mailbox unavailable, 554 refused). kRetry for everything else: 4xx,
  // no connection, timeouts, TLS failures (STARTTLS refused, certificate not trusted), login
  // refused, a `from` that is not a plain address or a `from_name` that is not UTF-8 — none
  // of them says the message is wrong. `detail` is the server's last answer, then libcurl's
  // explanation in parentheses ("550 5.1.1 …: mailbox unavailable (… RCPT failed: 550)").
  SendResult Send(const Message& message) override;

 private:
  Options options_;
  const Clock* clock_;
};

// The message Send transmits (headers and body, CRLF line ends), dated `now`.
// INVALID_ARGUMENT naming the field for what Send rejects without connecting.
absl::StatusOr<std::string> ComposeEmail(const SmtpChannel::Options& options,
                                         const Message& message, absl::Time now);

}  // namespace sunlight::notify

#endif  // SUNLIGHT_NOTIFY_SMTP_CHANNEL_H_
