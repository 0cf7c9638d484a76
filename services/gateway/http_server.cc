#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/base/utf8.h"

namespace sunlight::gateway {

struct HttpServer::Call {
  HttpRequest request;
  bool too_large = false;
};

namespace {

MHD_Result CollectQuery(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* request = static_cast<HttpRequest*>(cls);
  request->query[key] = value == nullptr ? "" : value;
  return MHD_YES;
}

MHD_Result CollectHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* request = static_cast<HttpRequest*>(cls);
  request->headers[absl::AsciiStrToLower(key)] = value == nullptr ? "" : value;
  return MHD_YES;
}

// A streamed response's producer and what it produced but could not hand over yet.
struct Stream {
  std::function<bool(std::string*)> next;
  std::string pending;
};

ssize_t ReadStream(void* cls, uint64_t, char* buffer, size_t max) {
  auto* stream = static_cast<Stream*>(cls);
  // Blocking here is fine: each connection has its own thread.
  while (stream->pending.empty()) {
    if (!stream->next(&stream->pending)) return MHD_CONTENT_READER_END_OF_STREAM;
  }
  size_t n = std::min(max, stream->pending.size());
  std::memcpy(buffer, stream->pending.data(), n);
  stream->pending.erase(0, n);
  return static_cast<ssize_t>(n);
}

void FreeStream(void* cls) { delete static_cast<Stream*>(cls); }

MHD_Result Send(MHD_Connection* connection, const HttpResponse& reply) {
  MHD_Response* response = nullptr;
  if (reply.stream) {
    auto stream = std::make_unique<Stream>(Stream{reply.stream, ""});
    response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, &ReadStream, stream.get(),
                                                 &FreeStream);
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

MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url, const char* method,
                     const char*, const char* upload_data, size_t* upload_data_size,
                     void** con_cls) {
  auto* server = static_cast<HttpServer*>(cls);
  auto* call = static_cast<HttpServer::Call*>(*con_cls);
  if (call == nullptr) {
    call = new HttpServer::Call();
    *con_cls = call;
    call->request.method = method;
    call->request.path = url;
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, CollectQuery, &call->request);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, CollectHeader, &call->request);
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info != nullptr && info->client_addr != nullptr) {
      char text[INET6_ADDRSTRLEN] = {0};
      const sockaddr* address = info->client_addr;
      if (address->sa_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text,
                  sizeof text);
      } else if (address->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
                  sizeof text);
      }
      call->request.client = text;
    }
    // A declared length over the limit is refused before the body is read.
    uint64_t declared = 0;
    std::string length = call->request.Header("content-length");
    if (!length.empty() && absl::SimpleAtoi(length, &declared) &&
        declared > server->options().max_body_bytes) {
      call->too_large = true;
      return Send(connection,
                  ErrorResponse(413, "RESOURCE_EXHAUSTED",
                                absl::StrCat("request body over ", server->options().max_body_bytes,
                                             " bytes")));
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    if (!call->too_large) {
      if (call->request.body.size() + *upload_data_size > server->options().max_body_bytes) {
        call->too_large = true;
        call->request.body.clear();
      } else {
        call->request.body.append(upload_data, *upload_data_size);
      }
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (call->too_large) {
    return Send(connection,
                ErrorResponse(413, "RESOURCE_EXHAUSTED",
                              absl::StrCat("request body over ", server->options().max_body_bytes,
                                           " bytes")));
  }
  return Send(connection, server->Dispatch(call->request));
}

void OnCompleted(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<HttpServer::Call*>(*con_cls);
  *con_cls = nullptr;
}

}  // namespace

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
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(options), std::move(handler)));
  const HttpServerOptions& o = server->options_;
  const bool tls = !o.tls_cert_pem.empty() && !o.tls_key_pem.empty();
  if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
    return absl::FailedPreconditionError("this libmicrohttpd has no TLS");
  }
  MHD_OptionItem tls_options[] = {
      {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0,
       const_cast<char*>(o.tls_key_pem.c_str())},
      {MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(o.tls_cert_pem.c_str())},
      {MHD_OPTION_END, 0, nullptr}};
  server->daemon_ = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
          MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0),
      0, nullptr, nullptr, &OnRequest, server.get(),                //
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),  //
      MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(o.idle_timeout))),
      MHD_OPTION_CONNECTION_LIMIT, o.max_connections,                    //
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, o.max_connections_per_client,  //
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, o.max_header_bytes,            //
      MHD_OPTION_NOTIFY_COMPLETED, &OnCompleted, nullptr,                //
      MHD_OPTION_ARRAY, tls_options,                                     //
      MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", server->options_.listen_address));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info == nullptr ? port : info->port;
  return server;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (daemon_ != nullptr) {
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
  }
}

}  // namespace sunlight::gateway
