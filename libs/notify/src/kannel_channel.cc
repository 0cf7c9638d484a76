#include "sunlight/notify/kannel_channel.h"

#include <cctype>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/base/utf8.h"

namespace sunlight::notify {
namespace {

constexpr size_t kMaxKeyBytes = 128;
constexpr size_t kMaxAnswerBytes = 1024;
constexpr size_t kMaxBodyBytes = 4096;  // far beyond any concatenated message Kannel sends

// Kannel's dlr-mask: every report type (1 | 2 | 4 | 8 | 16).
constexpr int kAllReports = 31;

// 5 to 20 digits, optionally after a '+'.
bool IsValidPhoneNumber(absl::string_view number) {
  if (!number.empty() && number.front() == '+') number.remove_prefix(1);
  if (number.size() < 5 || number.size() > 20) return false;
  for (unsigned char c : number) {
    if (!std::isdigit(c)) return false;
  }
  return true;
}

bool IsValidKey(absl::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) return false;
  for (unsigned char c : key) {
    if (!std::isalnum(c) && c != '-' && c != '.' && c != '_' && c != '~') return false;
  }
  return true;
}

bool IsAscii(absl::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

SendResult Rejected(std::string detail) {
  return {.outcome = SendOutcome::kRejected, .detail = std::move(detail)};
}

// Kannel's answers to sendsms that mean it took the message.
bool IsKannelAcceptance(absl::string_view body) {
  return absl::StartsWith(body, "0:") || absl::StartsWith(body, "3:");
}

SendOutcome OutcomeOfAnswer(int status, absl::string_view body) {
  if (status >= 200 && status < 300) {
    return IsKannelAcceptance(body) ? SendOutcome::kAccepted : SendOutcome::kRetry;
  }
  if (status == 408 || status == 429 || status >= 500) return SendOutcome::kRetry;
  if (status >= 400) return SendOutcome::kRejected;
  // 1xx/3xx: not something smsbox answers; it may be a proxy in between. Try again later.
  return SendOutcome::kRetry;
}

std::optional<int> HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

absl::StatusOr<std::string> UrlDecode(absl::string_view text, absl::string_view field) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      std::optional<int> high = i + 1 < text.size() ? HexValue(text[i + 1]) : std::nullopt;
      std::optional<int> low = i + 2 < text.size() ? HexValue(text[i + 2]) : std::nullopt;
      if (!high || !low) {
        return absl::InvalidArgumentError(absl::StrCat(field, ": malformed %-escape at byte ", i));
      }
      out.push_back(static_cast<char>(*high * 16 + *low));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

KannelSmsChannel::KannelSmsChannel(Options options) : options_(std::move(options)) {}

std::string KannelSmsChannel::DeliveryReportUrl(absl::string_view idempotency_key) const {
  const char* separator = options_.dlr_url.find('?') == std::string::npos ? "?" : "&";
  // %d and %A are Kannel's escapes for the report type and the SMSC's answer.
  return absl::StrCat(options_.dlr_url, separator, "key=", UrlEncodeComponent(idempotency_key),
                      "&status=%d&answer=%A");
}

SendResult KannelSmsChannel::Send(const Message& message) {
  if (!IsValidPhoneNumber(message.to)) {
    return Rejected(absl::StrCat("to: not a phone number (5 to 20 digits, optionally after '+'): ",
                                 PrintableText(message.to, 40)));
  }
  if (absl::Status utf8 = RequireUtf8(message.body, "body", kMaxBodyBytes); !utf8.ok()) {
    return Rejected(std::string(utf8.message()));
  }
  const bool reports = !options_.dlr_url.empty();
  if (reports && !IsValidKey(message.idempotency_key)) {
    return Rejected(absl::StrCat(
        "idempotency_key: must be 1 to 128 of A-Z a-z 0-9 - . _ ~ to travel in the report URL: ",
        PrintableText(message.idempotency_key, 40)));
  }

  std::string url = absl::StrCat(
      options_.sendsms_url, options_.sendsms_url.find('?') == std::string::npos ? "?" : "&",
      "username=", UrlEncodeComponent(options_.username),
      "&password=", UrlEncodeComponent(options_.password), "&to=", UrlEncodeComponent(message.to),
      "&text=", UrlEncodeComponent(message.body), "&charset=UTF-8");
  if (!IsAscii(message.body)) absl::StrAppend(&url, "&coding=2");
  if (!options_.from.empty()) absl::StrAppend(&url, "&from=", UrlEncodeComponent(options_.from));
  if (reports) {
    absl::StrAppend(&url, "&dlr-mask=", kAllReports,
                    "&dlr-url=", UrlEncodeComponent(DeliveryReportUrl(message.idempotency_key)));
  }

  absl::StatusOr<HttpResponse> answer =
      http_.Send({.method = "GET", .url = url, .timeout = options_.timeout});
  if (!answer.ok()) {
    // No answer is always worth another try, a malformed sendsms_url included: that is a
    // configuration to fix, not a reason to drop the messages waiting behind it. libcurl's
    // messages name the host and port, never the query (which holds the password).
    return {.outcome = SendOutcome::kRetry,
            .detail = absl::StrCat("connection: ", answer.status().message())};
  }
  absl::string_view body = absl::StripAsciiWhitespace(answer->body);
  return {.outcome = OutcomeOfAnswer(answer->status, body),
          .detail = absl::StrCat(answer->status, " ", PrintableText(body, 200))};
}

absl::StatusOr<DeliveryReport> ParseDeliveryReport(
    const std::map<std::string, std::string>& params) {
  DeliveryReport report;

  auto key = params.find("key");
  if (key == params.end()) return absl::InvalidArgumentError("key: missing");
  if (!IsValidKey(key->second)) {
    return absl::InvalidArgumentError("key: must be 1 to 128 of A-Z a-z 0-9 - . _ ~");
  }
  report.idempotency_key = key->second;

  auto status = params.find("status");
  if (status == params.end()) return absl::InvalidArgumentError("status: missing");
  int code = 0;
  if (!absl::SimpleAtoi(status->second, &code) ||
      (code != 1 && code != 2 && code != 4 && code != 8 && code != 16)) {
    return absl::InvalidArgumentError(absl::StrCat("status: must be 1, 2, 4, 8 or 16, not \"",
                                                   PrintableText(status->second, 20), "\""));
  }
  report.status = code;
  report.delivered = code == 1;
  report.final = code == 1 || code == 2 || code == 16;

  if (auto answer = params.find("answer"); answer != params.end()) {
    SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(answer->second, "answer", kMaxAnswerBytes));
    report.answer = answer->second;
  }
  return report;
}

absl::StatusOr<DeliveryReport> ParseDeliveryReportQuery(absl::string_view query) {
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  std::map<std::string, std::string> params;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> name_value =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    SUNLIGHT_ASSIGN_OR_RETURN(std::string name, UrlDecode(name_value.first, "query"));
    // Names are ours; anything else in the query is not looked at, so not judged either.
    if (name != "key" && name != "status" && name != "answer") continue;
    SUNLIGHT_ASSIGN_OR_RETURN(std::string value, UrlDecode(name_value.second, name));
    if (!params.emplace(name, std::move(value)).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": given more than once"));
    }
  }
  return ParseDeliveryReport(params);
}

}  // namespace sunlight::notify
