#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/base/utf8.h"

namespace sunlight::gateway {

struct HttpServer::Call {
  HttpRequest request;
  bool too_large = false;
};

struct HttpServer::Connection {
  int fd = -1;
  std::string peer;
  absl::Time deadline = absl::InfiniteFuture();
  bool cut = false;  // shut down by the watch; libmicrohttpd closes it next
};

namespace {

std::string AddressText(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (address == nullptr) return "";
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
              sizeof text);
  }
  return CanonicalAddress(text).value_or(text);
}

MHD_Result CollectQuery(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* request = static_cast<HttpRequest*>(cls);
  request->query[key] = value == nullptr ? "" : value;
  return MHD_YES;
}

MHD_Result CollectHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* request = static_cast<HttpRequest*>(cls);
  std::string name = absl::AsciiStrToLower(key);
  std::string& slot = request->headers[name];
  // Each proxy may add its own X-Forwarded-For line: they read as one list, in order.
  if (name == "x-forwarded-for" && !slot.empty()) slot += ",";
  if (name != "x-forwarded-for") slot.clear();
  slot += value == nullptr ? "" : value;
  return MHD_YES;
}

// A streamed response's producer, what it produced but could not hand over yet, and its
// connection's socket (to notice a client that went away).
struct Stream {
  std::function<bool(std::string*)> next;
  std::string pending;
  size_t taken = 0;  // of `pending`, already handed over (a clip's chunks are megabytes)
  int fd = -1;
};

// The client closed its side (a browser leaving the page): the stream ends now rather than
// at the next failed write. An event-stream client sends nothing after its request.
bool PeerClosed(int fd) {
  if (fd < 0) return false;
  pollfd p{.fd = fd, .events = POLLRDHUP, .revents = 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

ssize_t ReadStream(void* cls, uint64_t, char* buffer, size_t max) {
  auto* stream = static_cast<Stream*>(cls);
  // Blocking here is fine: each connection has its own thread.
  while (stream->taken == stream->pending.size()) {
    stream->pending.clear();
    stream->taken = 0;
    if (PeerClosed(stream->fd)) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (!stream->next(&stream->pending)) return MHD_CONTENT_READER_END_OF_STREAM;
  }
  size_t n = std::min(max, stream->pending.size() - stream->taken);
  std::memcpy(buffer, stream->pending.data() + stream->taken, n);
  stream->taken += n;
  return static_cast<ssize_t>(n);
}

void FreeStream(void* cls) { delete static_cast<Stream*>(cls); }

MHD_Result Send(MHD_Connection* connection, const HttpResponse& reply, int fd) {
  MHD_Response* response = nullptr;
  if (reply.stream) {
    auto stream = std::make_unique<Stream>(Stream{reply.stream, "", 0, fd});
    const uint64_t length =
        reply.stream_length >= 0 ? static_cast<uint64_t>(reply.stream_length) : MHD_SIZE_UNKNOWN;
    response =
        MHD_create_response_from_callback(length, 4096, &ReadStream, stream.get(), &FreeStream);
    if (response != nullptr) stream.release();  // now owned by the response (FreeStream)
  } else {
    response = MHD_create_response_from_buffer(
        reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
  }
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", reply.content_type.c_str());
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(response, "Cache-Control", "no-store");
  for (const auto& [name, value] : reply.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  MHD_Result result = MHD_queue_response(connection, reply.status, response);
  MHD_destroy_response(response);
  return result;
}

HttpResponse TooLarge(size_t limit) {
  return ErrorResponse(413, "RESOURCE_EXHAUSTED",
                       absl::StrCat("request body over ", limit, " bytes"));
}

}  // namespace

struct HttpServer::Glue {
  static Connection* Of(MHD_Connection* connection) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info == nullptr ? nullptr : static_cast<Connection*>(info->socket_context);
  }

  static void SetDeadline(HttpServer* server, Connection* connection, absl::Time deadline) {
    if (connection == nullptr) return;
    std::lock_guard lock(server->mu_);
    connection->deadline = deadline;
  }

  // Before a connection is set up: the per-peer limit (trusted proxies carry many clients).
  static MHD_Result Accept(void* cls, const sockaddr* address, socklen_t) {
    auto* server = static_cast<HttpServer*>(cls);
    std::string peer = AddressText(address);
    if (server->proxies_.Contains(peer)) return MHD_YES;
    std::lock_guard lock(server->mu_);
    auto it = server->connections_per_peer_.find(peer);
    return it == server->connections_per_peer_.end() ||
                   it->second < server->options_.max_connections_per_client
               ? MHD_YES
               : MHD_NO;
  }

  static void Notify(void* cls, MHD_Connection* connection, void** socket_context,
                     MHD_ConnectionNotificationCode code) {
    auto* server = static_cast<HttpServer*>(cls);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      auto* c = new Connection();
      const MHD_ConnectionInfo* fd =
          MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      const MHD_ConnectionInfo* address =
          MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
      c->fd = fd == nullptr ? -1 : fd->connect_fd;
      c->peer = address == nullptr ? "" : AddressText(address->client_addr);
      c->deadline = absl::Now() + server->options_.head_timeout;  // the TLS handshake too
      std::lock_guard lock(server->mu_);
      server->connections_.insert(c);
      ++server->connections_per_peer_[c->peer];
      *socket_context = c;
      return;
    }
    auto* c = static_cast<Connection*>(*socket_context);
    if (c == nullptr) return;
    {
      std::lock_guard lock(server->mu_);
      server->connections_.erase(c);
      auto it = server->connections_per_peer_.find(c->peer);
      if (it != server->connections_per_peer_.end() && --it->second == 0) {
        server->connections_per_peer_.erase(it);
      }
    }
    delete c;
    *socket_context = nullptr;
  }

  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url,
                              const char* method, const char*, const char* upload_data,
                              size_t* upload_data_size, void** con_cls) {
    auto* server = static_cast<HttpServer*>(cls);
    const HttpServerOptions& options = server->options_;
    Connection* socket = Of(connection);
    auto* call = static_cast<Call*>(*con_cls);
    if (call == nullptr) {  // the head has arrived
      call = new Call();
      *con_cls = call;
      HttpRequest& request = call->request;
      request.method = method;
      request.path = url;
      MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, CollectQuery, &request);
      MHD_get_connection_values(connection, MHD_HEADER_KIND, CollectHeader, &request);
      if (socket != nullptr) {
        request.peer = socket->peer;
      } else {
        const MHD_ConnectionInfo* info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        request.peer = info == nullptr ? "" : AddressText(info->client_addr);
      }
      request.client = server->proxies_.Client(request.peer, request.Header("x-forwarded-for"));
      uint64_t declared = 0;
      std::string length = request.Header("content-length");
      bool has_length = !length.empty() && absl::SimpleAtoi(length, &declared);
      // A declared length over the limit is refused before the body is read.
      if (has_length && declared > options.max_body_bytes) {
        call->too_large = true;
        return Send(connection, TooLarge(options.max_body_bytes), -1);
      }
      // The body's deadline: its share of body_timeout, at least head_timeout.
      bool chunked =
          absl::StrContains(absl::AsciiStrToLower(request.Header("transfer-encoding")), "chunked");
      absl::Time deadline = absl::InfiniteFuture();
      if (chunked) {
        deadline = absl::Now() + std::max(options.head_timeout, options.body_timeout);
      } else if (declared > 0) {
        deadline = absl::Now() + std::max(options.head_timeout,
                                          options.body_timeout * static_cast<double>(declared) /
                                              static_cast<double>(options.max_body_bytes));
      }
      SetDeadline(server, socket, deadline);
      return MHD_YES;
    }
    if (*upload_data_size > 0) {
      if (!call->too_large) {
        if (call->request.body.size() + *upload_data_size > options.max_body_bytes) {
          call->too_large = true;
          call->request.body.clear();
        } else {
          call->request.body.append(upload_data, *upload_data_size);
        }
      }
      *upload_data_size = 0;
      return MHD_YES;
    }
    // The whole request is in: the handler and the response are not held to a deadline
    // (the idle timeout still applies to the response).
    SetDeadline(server, socket, absl::InfiniteFuture());
    if (call->too_large) return Send(connection, TooLarge(options.max_body_bytes), -1);
    return Send(connection, server->handler_(call->request), socket == nullptr ? -1 : socket->fd);
  }

  static void OnCompleted(void* cls, MHD_Connection* connection, void** con_cls,
                          MHD_RequestTerminationCode) {
    auto* server = static_cast<HttpServer*>(cls);
    delete static_cast<Call*>(*con_cls);
    *con_cls = nullptr;
    // A kept-alive connection: the next request's head is due from now.
    SetDeadline(server, Of(connection), absl::Now() + server->options_.head_timeout);
  }
};

void HttpServer::Watch() {
  // Deadlines are kept to within a quarter of the shortest one (at most a second late).
  absl::Duration tick = std::clamp(std::min(options_.head_timeout, options_.body_timeout) / 4,
                                   absl::Milliseconds(10), absl::Seconds(1));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_watch_.wait_for(lock, absl::ToChronoNanoseconds(tick));
    absl::Time now = absl::Now();
    for (Connection* c : connections_) {
      if (c->cut || c->deadline > now || c->fd < 0) continue;
      // Shutting the socket down (not closing it: libmicrohttpd owns the descriptor, which
      // stays valid until its close notification, taken under mu_) wakes the connection's
      // thread or event loop with end-of-file, and libmicrohttpd closes it.
      shutdown(c->fd, SHUT_RDWR);
      c->cut = true;
    }
  }
}

HttpResponse ErrorResponse(int http_status, const std::string& code, const std::string& message,
                           const std::string& field) {
  // Built by hand so that it never fails; strings are escaped as JSON.
  auto quote = [](const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20) {
            char buffer[8];
            snprintf(buffer, sizeof buffer, "\\u%04x", c);
            out += buffer;
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    return out + "\"";
  };
  HttpResponse response;
  response.status = http_status;
  // Message and field may quote request text: always valid JSON text, never raw bytes.
  response.body = absl::StrCat(
      "{\"error\":{\"code\":", quote(code), ",\"message\":", quote(PrintableText(message, 1024)),
      field.empty() ? "" : absl::StrCat(",\"field\":", quote(PrintableText(field, 256))), "}}");
  return response;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                              Handler handler) {
  std::string host = options.listen_address;
  int port = 0;
  size_t colon = host.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(host.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address ", options.listen_address, " is not host:port"));
  }
  host = host.substr(0, colon);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (host.empty() || host == "0.0.0.0") {
    address.sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(),
                       &address.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen host ", host, " is not an IPv4 address"));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(TrustedProxies proxies, TrustedProxies::Parse(options.trusted_proxies));
  if (options.max_body_bytes == 0 || options.head_timeout <= absl::ZeroDuration() ||
      options.body_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("body limit and head and body deadlines must be positive");
  }
  std::unique_ptr<HttpServer> server(
      new HttpServer(std::move(options), std::move(handler), std::move(proxies)));
  const HttpServerOptions& o = server->options_;
  const bool tls = !o.tls_cert_pem.empty() && !o.tls_key_pem.empty();
  if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
    return absl::FailedPreconditionError("this libmicrohttpd has no TLS");
  }
  // Optional items; an MHD_OPTION_END item ends the list early.
  std::vector<MHD_OptionItem> extra;
  if (tls) {
    extra.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(o.tls_key_pem.c_str())});
    extra.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(o.tls_cert_pem.c_str())});
  }
  if (o.worker_threads > 0) {
    extra.push_back(
        {MHD_OPTION_THREAD_POOL_SIZE, static_cast<intptr_t>(o.worker_threads), nullptr});
  }
  extra.push_back({MHD_OPTION_END, 0, nullptr});
  const unsigned threading =
      o.worker_threads > 0
          ? MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL
          : MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
  server->daemon_ = MHD_start_daemon(
      threading | MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0), 0, &Glue::Accept, server.get(),
      &Glue::OnRequest, server.get(),                               //
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),  //
      MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(o.idle_timeout))),
      MHD_OPTION_CONNECTION_LIMIT, o.max_connections,                 //
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, o.max_header_bytes,         //
      MHD_OPTION_NOTIFY_COMPLETED, &Glue::OnCompleted, server.get(),  //
      MHD_OPTION_NOTIFY_CONNECTION, &Glue::Notify, server.get(),      //
      MHD_OPTION_ARRAY, extra.data(),                                 //
      MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", server->options_.listen_address));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info == nullptr ? port : info->port;
  server->watch_ = std::thread([s = server.get()] { s->Watch(); });
  return server;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_watch_.notify_all();
  if (watch_.joinable()) watch_.join();
  if (daemon_ != nullptr) {
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
  }
}

}  // namespace sunlight::gateway
