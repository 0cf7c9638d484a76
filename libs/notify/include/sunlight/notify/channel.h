// A way of delivering one notification (text message, e-mail, webhook): the one interface the
// delivery engine (outbox.h) calls, so a test can put a real server behind each channel and
// the engine can be tested on its own.
//
//   KannelSmsChannel sms(options);                    // kannel_channel.h
//   SendResult r = sms.Send({.idempotency_key = "n42", .to = "13812345678", .body = "…"});
//   if (r.outcome == SendOutcome::kRetry) …           // the engine backs off and tries again
#ifndef SUNLIGHT_NOTIFY_CHANNEL_H_
#define SUNLIGHT_NOTIFY_CHANNEL_H_

#include <string>

namespace sunlight::notify {

// One message to send, as the channel needs it.
struct Message {
  // Stable for the notification across every attempt and every restart: receivers that see
  // it twice know it is the same message (webhooks send it as a header, Kannel's delivery
  // report URL carries it).
  std::string idempotency_key;
  // A phone number (SMS), an e-mail address, or a webhook URL.
  std::string to;
  // E-mail only.
  std::string subject;
  // UTF-8 text (SMS, e-mail) or the JSON document (webhook).
  std::string body;
};

enum class SendOutcome {
  // Handed over; the delivery report will say whether it arrived (SMS with a dlr-url).
  kAccepted,
  // Known to have arrived (an SMTP server's 250, a webhook's 2xx).
  kDelivered,
  // A temporary failure (connection refused, timeout, 5xx, 4xx SMTP): try again later.
  kRetry,
  // A permanent refusal (bad number, 4xx webhook answer other than 408/429, 5xx SMTP): never
  // again; the notification is dead-lettered with `detail`.
  kRejected,
};

struct SendResult {
  SendOutcome outcome = SendOutcome::kRetry;
  // The server's answer, for the delivery record ("202 0: Accepted for delivery", "250 OK",
  // "connection refused").
  std::string detail;
};

// Thread-compatible implementations may be called from one delivery thread at a time.
class Channel {
 public:
  virtual ~Channel() = default;
  virtual SendResult Send(const Message& message) = 0;
};

}  // namespace sunlight::notify

#endif  // SUNLIGHT_NOTIFY_CHANNEL_H_
