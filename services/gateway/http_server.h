// A small HTTP/1.1 server over GNU libmicrohttpd: keep-alive, one thread per connection
// (handlers may block on backend calls), and the limits that protect the gateway: body size
// (413), header size (libmicrohttpd's per-connection memory limit), idle time on a
// connection (it is closed), and the number of connections.
#ifndef SUNLIGHT_SERVICES_GATEWAY_HTTP_SERVER_H_
#define SUNLIGHT_SERVICES_GATEWAY_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct MHD_Daemon;

namespace sunlight::gateway {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // decoded path, without the query string
  std::map<std::string, std::string> query;    // decoded query arguments
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string client;  // the peer's IP address

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A streamed response (server-sent events) when set: called again and again on the
  // connection's own thread, it may block until it has something, appends it to `*chunk` and
  // returns true, or returns false to end the response. `body` is ignored.
  std::function<bool(std::string* chunk)> stream;
};

struct HttpServerOptions {
  // host:port; port 0 picks a free port (see port()).
  std::string listen_address = "127.0.0.1:0";
  // Larger bodies get 413 without reaching the handler.
  size_t max_body_bytes = 1 << 20;
  // Memory for one connection's request line and headers; larger headers are refused.
  size_t max_header_bytes = 16 * 1024;
  // A connection idle (no bytes received or sent) this long is closed: slow headers and
  // slow bodies are cut off.
  absl::Duration idle_timeout = absl::Seconds(30);
  // Connections at once, in all, and from one client address.
  unsigned max_connections = 512;
  unsigned max_connections_per_client = 64;
  // TLS (PEM certificate chain and private key) when both are set: plain HTTP is then
  // refused on the port.
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                           Handler handler);
  ~HttpServer();

  int port() const { return port_; }
  // Stops accepting and closes every connection; idempotent.
  void Stop();

  // Internal: called from libmicrohttpd's callbacks.
  struct Call;
  const HttpServerOptions& options() const { return options_; }
  HttpResponse Dispatch(const HttpRequest& request) const { return handler_(request); }

 private:
  HttpServer(HttpServerOptions options, Handler handler)
      : options_(std::move(options)), handler_(std::move(handler)) {}

  HttpServerOptions options_;
  Handler handler_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

// A JSON error body in the gateway's one shape:
//   {"error": {"code": "INVALID_ARGUMENT", "message": "...", "field": "case_id"}}
HttpResponse ErrorResponse(int http_status, const std::string& code, const std::string& message,
                           const std::string& field = "");

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_HTTP_SERVER_H_
