// A small blocking HTTP/1.1 client for tests and benchmarks: one keep-alive connection to
// 127.0.0.1:port, reopened when the server closes it; HTTPS (OpenSSL, the server's
// certificate verified against `ca_file` for 127.0.0.1) when a CA file is given.
//
//   HttpClient client(port);                      // or HttpClient client(port, "ca.crt");
//   auto response = client.Send("POST", "/v1/login", R"({"user_id":"a","password":"b"})");
//   if (response.ok() && response->status == 200) ...
//
// Responses with Content-Length, chunked bodies and bodies ended by closing are understood.
#ifndef SUNLIGHT_TESTING_HTTP_CLIENT_H_
#define SUNLIGHT_TESTING_HTTP_CLIENT_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

struct ssl_ctx_st;
struct ssl_st;

namespace sunlight::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(int port, std::string ca_file = "")
      : port_(port), ca_file_(std::move(ca_file)) {}
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request; `bearer` adds "Authorization: Bearer <bearer>". A request that finds
  // the kept-alive connection closed is retried once on a new one.
  absl::StatusOr<HttpReply> Send(const std::string& method, const std::string& target,
                                 const std::string& body = "", const std::string& bearer = "");

 private:
  absl::Status Connect();
  void Close();
  absl::StatusOr<HttpReply> Exchange(const std::string& request);
  // Reads until `buffer_` holds at least `size` bytes; false when the connection ended.
  bool Fill(size_t size);

  // Sends or receives through TLS when on; the result of send/recv.
  long Write(const char* data, size_t size);
  long Read(char* data, size_t size);

  int port_;
  std::string ca_file_;
  int fd_ = -1;
  ssl_ctx_st* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  std::string buffer_;
};

}  // namespace sunlight::testing

#endif  // SUNLIGHT_TESTING_HTTP_CLIENT_H_
