// A small HTTP/1.1 server over GNU libmicrohttpd: keep-alive, one thread per connection
// (handlers may block on backend calls), and the limits that protect the gateway: body size
// (413), header size (libmicrohttpd's per-connection memory limit), deadlines for a request's
// head and body and idle time on a connection (it is closed), the number of connections in
// all and per client address, and which address a request comes from behind trusted
// reverse proxies (X-Forwarded-For).
#ifndef SUNLIGHT_SERVICES_GATEWAY_HTTP_SERVER_H_
#define SUNLIGHT_SERVICES_GATEWAY_HTTP_SERVER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "trusted_proxies.h"

struct MHD_Daemon;

namespace sunlight::gateway {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // decoded path, without the query string
  std::map<std::string, std::string> query;    // decoded query arguments
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  // The client's IP address, which every per-client limit keys on: the socket peer, or the
  // address a trusted proxy forwarded for (TrustedProxies::Client).
  std::string client;
  std::string peer;  // the socket peer's IP address

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
  // The streamed body's length when known in advance (sent as Content-Length, so that a
  // client sees a stream that ends short as cut off: the connection is closed); -1: unknown
  // (chunked).
  int64_t stream_length = -1;
};

struct HttpServerOptions {
  // host:port; port 0 picks a free port (see port()).
  std::string listen_address = "127.0.0.1:0";
  // Larger bodies get 413 without reaching the handler.
  size_t max_body_bytes = 1 << 20;
  // Memory for one connection's request line and headers; larger headers are refused.
  size_t max_header_bytes = 16 * 1024;
  // A connection idle (no bytes received or sent) this long is closed.
  absl::Duration idle_timeout = absl::Seconds(30);
  // The request line and headers must have arrived this long after the connection opened
  // or its previous response ended, or the connection is closed: a client trickling its
  // head, or keeping an idle keep-alive connection, holds it no longer.
  absl::Duration head_timeout = absl::Seconds(10);
  // A body of max_body_bytes must have arrived this long after the head, a smaller one in
  // its share of it (by Content-Length; at least head_timeout; a chunked body the whole), or
  // the connection is closed.
  absl::Duration body_timeout = absl::Seconds(30);
  // Connections at once, in all, and from one socket peer (trusted proxies are not limited:
  // they carry many clients).
  unsigned max_connections = 512;
  unsigned max_connections_per_client = 64;
  // Addresses and CIDR blocks of reverse proxies whose X-Forwarded-For names the client
  // (TrustedProxies); from any other peer the header is ignored.
  std::vector<std::string> trusted_proxies;
  // 0: a thread per connection (the default: see docs/performance.md, "HTTP under slow
  // clients"). N > 0: N threads, each an event loop (epoll) over its share of the connections;
  // slow sockets then hold no thread, but a handler blocks its whole loop and a streamed
  // response holds it for as long as it streams: measured, not for the console yet.
  unsigned worker_threads = 0;
  // TLS (PEM certificate chain and private key) when both are set: plain HTTP is then
  // refused on the port.
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // INVALID_ARGUMENT for a malformed listen address or trusted proxy, UNAVAILABLE when the
  // port cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                           Handler handler);
  ~HttpServer();

  int port() const { return port_; }
  // Stops accepting and closes every connection; idempotent.
  void Stop();

 private:
  struct Call;        // one request
  struct Connection;  // one socket: its peer and the deadline it is held to
  struct Glue;        // libmicrohttpd's callbacks

  HttpServer(HttpServerOptions options, Handler handler, TrustedProxies proxies)
      : options_(std::move(options)), handler_(std::move(handler)), proxies_(std::move(proxies)) {}
  // Closes the connections whose deadline passed, until Stop.
  void Watch();

  const HttpServerOptions options_;
  const Handler handler_;
  const TrustedProxies proxies_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;

  std::mutex mu_;
  std::condition_variable wake_watch_;
  bool stopping_ = false;
  std::set<Connection*> connections_;
  std::map<std::string, unsigned> connections_per_peer_;
  std::thread watch_;
};

// A JSON error body in the gateway's one shape:
//   {"error": {"code": "INVALID_ARGUMENT", "message": "...", "field": "case_id"}}
HttpResponse ErrorResponse(int http_status, const std::string& code, const std::string& message,
                           const std::string& field = "");

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_HTTP_SERVER_H_
