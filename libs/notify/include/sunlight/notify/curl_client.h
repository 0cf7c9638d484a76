// The one libcurl wrapper the notification channels share: an HTTP(S) client that reuses its
// connection between requests and turns libcurl's error codes into absl::Status.
//
//   CurlClient http;                                   // curl_global_init happens once
//   auto reply = http.Send({.method = "POST", .url = "https://hooks.example/x",
//                           .headers = {"Content-Type: application/json"},
//                           .body = R"({"a":1})", .timeout = absl::Seconds(5)});
//   if (!reply.ok()) …                                 // no answer at all (see Send)
//   else if (reply->status >= 500) …                   // an answer: the caller decides
//
// Only http:// and https:// URLs are accepted, redirects are not followed, and TLS peers are
// always verified (against `ca_file` when given, else the system store).
#ifndef SUNLIGHT_NOTIFY_CURL_CLIENT_H_
#define SUNLIGHT_NOTIFY_CURL_CLIENT_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sunlight::notify {

struct HttpRequest {
  // "GET" or "POST".
  std::string method = "GET";
  std::string url;
  // Extra request headers, each "Name: value".
  std::vector<std::string> headers;
  // POST only: sent as is (set the Content-Type in `headers`).
  std::string body;
  // For the whole exchange, connecting included.
  absl::Duration timeout = absl::Seconds(10);
  // A PEM bundle to verify https servers against; empty: the system's CA store.
  std::string ca_file;
  // The body is cut after this many bytes (the rest is read and dropped): answers are kept
  // for delivery records, not processed.
  std::size_t max_body_bytes = 64 * 1024;
};

struct HttpResponse {
  // The HTTP status of the final answer (100..599).
  int status = 0;
  // Names in lower case; a header sent twice keeps its last value.
  std::map<std::string, std::string> headers;
  std::string body;
};

// Makes sure curl_global_init has run, once per process and thread-safely. CurlClient calls
// it; code that uses libcurl directly (e.g. for SMTP) calls it before curl_easy_init.
void EnsureCurlGlobalInit();

// Percent-encodes everything except RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~),
// for one query-string name or value. UTF-8 is encoded byte by byte.
std::string UrlEncodeComponent(absl::string_view text);

// One libcurl easy handle. Thread-compatible: one thread at a time per client.
class CurlClient {
 public:
  CurlClient();
  ~CurlClient();
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  // Performs one request. Any HTTP answer, 4xx and 5xx included, is a response. Without an
  // answer it returns:
  //   INVALID_ARGUMENT   a malformed URL, a scheme other than http/https, another method;
  //   UNAVAILABLE        no connection (refused, unresolvable host, reset, broken TLS
  //                      handshake, certificate not trusted, connection closed unanswered);
  //   DEADLINE_EXCEEDED  `timeout` passed;
  //   INTERNAL           anything else libcurl reports.
  // The message holds libcurl's own explanation ("Failed to connect to 127.0.0.1 port 1 …").
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request);

 private:
  void* curl_;  // CURL*; kept opaque so users need not include curl.h
};

}  // namespace sunlight::notify

#endif  // SUNLIGHT_NOTIFY_CURL_CLIENT_H_
