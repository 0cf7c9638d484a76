// Text messages through Kannel's HTTP sendsms interface (smsbox), with delivery reports.
//
//   KannelSmsChannel sms({.sendsms_url = "http://127.0.0.1:13013/cgi-bin/sendsms",
//                         .username = "sunlight", .password = secret, .from = "10690000",
//                         .dlr_url = "http://notify.internal:8080/v1/sms/dlr"});
//   SendResult r = sms.Send({.idempotency_key = "n42", .to = "+8613812345678", .body = "您好"});
//   // r.outcome == kAccepted, r.detail == "202 0: Accepted for delivery"
//
// Kannel later fetches  <dlr_url>?key=n42&status=<d>&answer=<A>  once per report; the
// receiver hands that query to ParseDeliveryReport:
//
//   auto report = ParseDeliveryReportQuery(raw_query);   // "key=n42&status=1&answer="
//   if (!report.ok()) reply 400 with report.status().message();
//   else if (report->final) mark report->idempotency_key delivered or failed.
#ifndef SUNLIGHT_NOTIFY_KANNEL_CHANNEL_H_
#define SUNLIGHT_NOTIFY_KANNEL_CHANNEL_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sunlight/notify/channel.h"
#include "sunlight/notify/curl_client.h"

namespace sunlight::notify {

// Sends Message::body (UTF-8) to Message::to with one GET of sendsms. Text with any
// non-ASCII character goes as UCS-2 (coding=2), other text in Kannel's default coding.
//
// Outcomes:
//   kAccepted  202 "0: Accepted for delivery" or "3: Queued for later delivery";
//   kRetry     no answer (refused, timeout), 5xx (503 when bearerbox is gone), 408, 429,
//              or a 2xx that is not one of Kannel's two acceptances;
//   kRejected  any other 4xx ("Invalid phone number", 403 wrong username or password), and,
//              without calling Kannel: a number that is not 5..20 digits (optionally after
//              a '+'), a body that is not UTF-8, or — with a dlr_url — an
//              idempotency key that is not 1..128 of [A-Za-z0-9._~-] (the key travels inside
//              the report URL, where Kannel treats '%' as its own escapes).
// `detail` is "<status> <answer>" ("202 0: Accepted for delivery"), or the reason when
// there was no answer ("connection: Couldn't connect to server: …").
//
// Thread-compatible: one Send at a time (it reuses one connection to smsbox).
class KannelSmsChannel : public Channel {
 public:
  struct Options {
    // smsbox's sendsms endpoint, e.g. "http://127.0.0.1:13013/cgi-bin/sendsms".
    std::string sendsms_url;
    // A `group = sendsms-user` of kannel.conf.
    std::string username;
    std::string password;
    // The sender shown on the phone; empty: the sendsms-user's default.
    std::string from;
    // Where Kannel reports deliveries (our receiver, no query string of its own needed);
    // empty: no reports are asked for (no dlr-mask).
    std::string dlr_url;
    // Per sendsms call, connecting included.
    absl::Duration timeout = absl::Seconds(10);
  };

  explicit KannelSmsChannel(Options options);

  SendResult Send(const Message& message) override;

  // The dlr-url parameter Send passes for `idempotency_key` (not yet URL-encoded as a
  // parameter): "<dlr_url>?key=<key>&status=%d&answer=%A". Exposed for tests.
  std::string DeliveryReportUrl(absl::string_view idempotency_key) const;

 private:
  Options options_;
  CurlClient http_;
};

// What the SMSC said about one message, as Kannel relays it to dlr_url.
struct DeliveryReport {
  std::string idempotency_key;
  // Kannel's report type: 1 delivered, 2 failed, 4 buffered, 8 accepted by the SMSC,
  // 16 rejected by the SMSC.
  int status = 0;
  // Reached the phone (status 1).
  bool delivered = false;
  // No further report will change the result: 1, 2 and 16. 4 and 8 are intermediate.
  bool final = false;
  // The SMSC's own words (Kannel's %A), e.g. "ACK/"; may be empty.
  std::string answer;
};

// Parses the query parameters of one report request (already URL-decoded): `key`, `status`
// and the optional `answer`; other parameters are ignored. The request comes from the
// network, so nothing is trusted: INVALID_ARGUMENT naming the parameter when `key` is
// missing or not 1..128 of [A-Za-z0-9._~-], when `status` is missing or not one of
// 1, 2, 4, 8, 16, or when `answer` is not UTF-8 or longer than 1024 bytes.
absl::StatusOr<DeliveryReport> ParseDeliveryReport(
    const std::map<std::string, std::string>& params);

// The same for a raw query string ("key=n42&status=8&answer=ACK%2F", with or without the
// leading '?'): splits and URL-decodes it ('+' is a space) first. Also INVALID_ARGUMENT for
// a malformed %-escape or a parameter given twice, naming it.
absl::StatusOr<DeliveryReport> ParseDeliveryReportQuery(absl::string_view query);

}  // namespace sunlight::notify

#endif  // SUNLIGHT_NOTIFY_KANNEL_CHANNEL_H_
