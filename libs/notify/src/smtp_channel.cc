#include "sunlight/notify/smtp_channel.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "sunlight/base/utf8.h"
#include "sunlight/notify/curl_client.h"

namespace sunlight::notify {
namespace {

constexpr absl::string_view kCrlf = "\r\n";

// One plain address: local@domain, printable ASCII, nothing that could end the address or
// start another one in a header or an SMTP command.
absl::Status CheckAddress(absl::string_view address, absl::string_view field) {
  if (address.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": empty"));
  for (unsigned char c : address) {
    if (c <= 0x20 || c >= 0x7F || std::strchr("<>()[]\\,;:\"", c) != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: not a plain e-mail address (byte 0x%02X)", field, c));
    }
  }
  size_t at = address.find('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 == address.size() ||
      address.find('@', at + 1) != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not one local@domain address"));
  }
  return absl::OkStatus();
}

// Text with every line break CRLF: the canonical form that base64 encodes (RFC 2045 6.8).
std::string CanonicalLineBreaks(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      out.append(kCrlf.data(), kCrlf.size());
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Base64 with CRLF after every 76 characters (RFC 2045).
std::string Base64Lines(absl::string_view data) {
  std::string encoded = absl::Base64Escape(data);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / 76 * 2 + 2);
  for (size_t i = 0; i < encoded.size(); i += 76) {
    absl::StrAppend(&out, absl::string_view(encoded).substr(i, 76), kCrlf);
  }
  return out;
}

// RFC 2047 "B" encoded words of UTF-8 `text`, cut between characters, one a line: each word
// is at most 64 characters (39 bytes of text), so that with "Subject: " or "From: " before
// it no line is longer than the 76 characters RFC 2047 allows.
std::string EncodedWords(absl::string_view text) {
  constexpr size_t kMaxBytes = 39;
  std::string out;
  std::string chunk;
  auto flush = [&] {
    if (!out.empty()) absl::StrAppend(&out, kCrlf, " ");
    absl::StrAppend(&out, "=?UTF-8?B?", absl::Base64Escape(chunk), "?=");
    chunk.clear();
  };
  for (absl::string_view character : SplitUtf8Characters(text)) {
    if (chunk.size() + character.size() > kMaxBytes) flush();
    chunk.append(character.data(), character.size());
  }
  if (!chunk.empty() || out.empty()) flush();
  return out;
}

// Plain when it fits on the "Subject: " line as printable ASCII that a reader would not take
// for an encoded word; encoded words otherwise.
std::string HeaderText(absl::string_view text) {
  bool plain = text.size() <= 69 && !absl::StrContains(text, "=?");
  for (unsigned char c : text) plain = plain && c >= 0x20 && c < 0x7F;
  return plain ? std::string(text) : EncodedWords(text);
}

// "=?UTF-8?B?…?= <address>", the address on a line of its own when the last word's line
// would grow past 76 characters.
std::string NameAddress(absl::string_view name, absl::string_view address) {
  std::string words = EncodedWords(name);
  size_t start = words.rfind('\n');
  size_t last_line = start == std::string::npos ? words.size() : words.size() - start - 1;
  bool fits = 6 + last_line + 3 + address.size() <= 76;  // "From: ", " <" and ">"
  return absl::StrCat(words, fits ? " " : "\r\n ", "<", address, ">");
}

// RFC 5322 date-time in UTC, with English names whatever the locale.
std::string MailDate(absl::Time now) {
  static constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  absl::CivilSecond t = absl::ToCivilSecond(now, absl::UTCTimeZone());
  int weekday = static_cast<int>(absl::GetWeekday(t));  // absl::Weekday::monday is 0
  return absl::StrFormat("%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[weekday], t.day(),
                         kMonths[t.month() - 1], t.year(), t.hour(), t.minute(), t.second());
}

// The key as the left part of a Message-ID: RFC 5322 atext stays, every other byte (and '='
// itself, so that two keys never share an id) becomes =XX.
std::string MessageIdLeft(absl::string_view key) {
  std::string out;
  for (unsigned char c : key) {
    if (absl::ascii_isalnum(c) || std::strchr("!#$%&'*+-/?^_`{|}~", c) != nullptr) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "=%02X", c);
    }
  }
  return out;
}

struct Upload {
  absl::string_view data;
  size_t offset = 0;
};

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// libcurl passes the server's answers to the header callback, line by line: the last one
// before QUIT's 221 (which libcurl sends after a failure too) answers whatever went last, or
// wrong.
size_t OnServerLine(char* data, size_t size, size_t count, void* user) {
  size_t bytes = size * count;
  absl::string_view line = absl::StripTrailingAsciiWhitespace(absl::string_view(data, bytes));
  if (!line.empty() && !absl::StartsWith(line, "221")) {
    *static_cast<std::string*>(user) = PrintableText(line, 300);
  }
  return bytes;
}

struct EasyCleanup {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

SendOutcome OutcomeOf(CURLcode code, long smtp_code) {
  if (code == CURLE_OK) return SendOutcome::kDelivered;
  // Refused logins and TLS are the channel's configuration or the server's, not the
  // message's: fixing them delivers it.
  if (code == CURLE_LOGIN_DENIED || code == CURLE_USE_SSL_FAILED) return SendOutcome::kRetry;
  if (smtp_code >= 500 && smtp_code <= 599) return SendOutcome::kRejected;
  return SendOutcome::kRetry;
}

}  // namespace

absl::StatusOr<std::string> ComposeEmail(const SmtpChannel::Options& options,
                                         const Message& message, absl::Time now) {
  if (absl::Status s = CheckAddress(options.from, "from"); !s.ok()) return s;
  if (absl::Status s = CheckAddress(message.to, "to"); !s.ok()) return s;
  if (message.idempotency_key.empty()) {
    return absl::InvalidArgumentError("idempotency_key: empty");
  }
  for (unsigned char c : message.idempotency_key) {
    if (c <= 0x20 || c >= 0x7F) {
      return absl::InvalidArgumentError("idempotency_key: not printable ASCII");
    }
  }
  if (message.subject.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("subject: contains a line break");
  }
  if (!IsValidUtf8(message.subject)) return absl::InvalidArgumentError("subject: not UTF-8");
  if (!IsValidUtf8(message.body)) return absl::InvalidArgumentError("body: not UTF-8");
  if (!IsValidUtf8(options.from_name)) return absl::InvalidArgumentError("from_name: not UTF-8");

  std::string from =
      options.from_name.empty() ? options.from : NameAddress(options.from_name, options.from);
  return absl::StrCat(                                                               //
      "Date: ", MailDate(now), kCrlf,                                                //
      "From: ", from, kCrlf,                                                         //
      "To: ", message.to, kCrlf,                                                     //
      "Subject: ", HeaderText(message.subject), kCrlf,                               //
      "Message-ID: <", MessageIdLeft(message.idempotency_key), "@sunlight>", kCrlf,  //
      "X-Sunlight-Idempotency-Key: ", message.idempotency_key, kCrlf,                //
      "MIME-Version: 1.0", kCrlf,                                                    //
      "Content-Type: text/plain; charset=UTF-8", kCrlf,                              //
      "Content-Transfer-Encoding: base64", kCrlf,                                    //
      kCrlf, Base64Lines(CanonicalLineBreaks(message.body)));
}

SmtpChannel::SmtpChannel(Options options, const Clock* clock)
    : options_(std::move(options)), clock_(clock) {}

SendResult SmtpChannel::Send(const Message& message) {
  // The channel's own configuration: wrong for every message until it is fixed.
  if (absl::Status s = CheckAddress(options_.from, "from"); !s.ok()) {
    return {SendOutcome::kRetry, std::string(s.message())};
  }
  if (!IsValidUtf8(options_.from_name)) return {SendOutcome::kRetry, "from_name: not UTF-8"};
  absl::StatusOr<std::string> email = ComposeEmail(options_, message, clock_->Now());
  if (!email.ok()) return {SendOutcome::kRejected, std::string(email.status().message())};

  EnsureCurlGlobalInit();
  // Declared before the handle: the handle's callbacks point into them until it is gone (it
  // says QUIT on cleanup).
  Upload upload{*email};
  std::string server_line;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  std::unique_ptr<curl_slist, SlistFree> recipients(curl_slist_append(nullptr, message.to.c_str()));
  std::unique_ptr<CURL, EasyCleanup> handle(curl_easy_init());
  if (handle == nullptr || recipients == nullptr) {
    return {SendOutcome::kRetry, "libcurl: out of memory"};
  }
  CURL* curl = handle.get();
  long timeout_ms = std::max<long>(1, absl::ToInt64Milliseconds(options_.timeout));

  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   options_.require_tls ? static_cast<long>(CURLUSESSL_ALL)
                                        : static_cast<long>(CURLUSESSL_NONE));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  // Signals are not thread-safe; timeouts then rely on the threaded resolver Debian builds.
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, options_.from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(email->size()));
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnRead);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnServerLine);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &server_line);

  CURLcode code = curl_easy_perform(curl);
  long smtp_code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &smtp_code);

  SendResult result;
  result.outcome = OutcomeOf(code, smtp_code);
  if (code == CURLE_OK) {
    result.detail = server_line.empty() ? "250" : server_line;
  } else {
    std::string why = absl::StrCat(curl_easy_strerror(code), error_buffer[0] ? ": " : "",
                                   PrintableText(error_buffer, CURL_ERROR_SIZE));
    result.detail = server_line.empty() ? why : absl::StrCat(server_line, " (", why, ")");
  }
  return result;
}

}  // namespace sunlight::notify
