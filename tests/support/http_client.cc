#include "sunlight/testing/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace sunlight::testing {

HttpClient::~HttpClient() {
  Close();
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

void HttpClient::Close() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

long HttpClient::Write(const char* data, size_t size) {
  if (ssl_ != nullptr) return SSL_write(ssl_, data, static_cast<int>(size));
  return ::send(fd_, data, size, MSG_NOSIGNAL);
}

long HttpClient::Read(char* data, size_t size) {
  if (ssl_ != nullptr) return SSL_read(ssl_, data, static_cast<int>(size));
  return ::recv(fd_, data, size, 0);
}

absl::Status HttpClient::Connect() {
  Close();
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port_));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::string error = std::strerror(errno);
    Close();
    return absl::UnavailableError(absl::StrCat("connect to port ", port_, ": ", error));
  }
  if (ca_file_.empty()) return absl::OkStatus();
  if (ctx_ == nullptr) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr || SSL_CTX_load_verify_locations(ctx_, ca_file_.c_str(), nullptr) != 1) {
      return absl::InternalError(absl::StrCat("cannot load CA file ", ca_file_));
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
  if (SSL_connect(ssl_) != 1) {
    Close();
    return absl::UnavailableError(absl::StrCat("TLS handshake with port ", port_, " failed"));
  }
  return absl::OkStatus();
}

bool HttpClient::Fill(size_t size) {
  char chunk[16384];
  while (buffer_.size() < size) {
    long n = Read(chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  return true;
}

absl::StatusOr<HttpReply> HttpClient::Send(const std::string& method, const std::string& target,
                                           const std::string& body, const std::string& bearer) {
  std::string request = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!bearer.empty()) absl::StrAppend(&request, "Authorization: Bearer ", bearer, "\r\n");
  if (!body.empty() || method != "GET") {
    absl::StrAppend(&request, "Content-Type: application/json\r\nContent-Length: ", body.size(),
                    "\r\n");
  }
  absl::StrAppend(&request, "\r\n", body);
  bool reused = fd_ >= 0;
  if (!reused) {
    if (absl::Status s = Connect(); !s.ok()) return s;
  }
  auto reply = Exchange(request);
  if (!reply.ok() && reused) {  // the server closed an idle connection: once more, afresh
    if (absl::Status s = Connect(); !s.ok()) return s;
    reply = Exchange(request);
  }
  if (!reply.ok()) Close();
  return reply;
}

absl::StatusOr<HttpReply> HttpClient::Exchange(const std::string& request) {
  size_t sent = 0;
  while (sent < request.size()) {
    long n = Write(request.data() + sent, request.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError("connection closed while sending");
    sent += static_cast<size_t>(n);
  }
  // Status line and headers.
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(buffer_.size() + 1)) return absl::UnavailableError("connection closed");
  }
  std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  std::vector<std::string> lines = absl::StrSplit(head, "\r\n");
  HttpReply reply;
  std::vector<std::string> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &reply.status)) {
    return absl::DataLossError(absl::StrCat("bad status line: ", lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    reply.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  // Body.
  auto header = [&reply](const std::string& name) {
    auto it = reply.headers.find(name);
    return it == reply.headers.end() ? std::string() : it->second;
  };
  bool close_after = header("connection") == "close";
  if (auto it = reply.headers.find("content-length"); it != reply.headers.end()) {
    size_t length = 0;
    if (!absl::SimpleAtoi(it->second, &length)) return absl::DataLossError("bad Content-Length");
    if (!Fill(length)) return absl::UnavailableError("connection closed inside a body");
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
  } else if (header("transfer-encoding") == "chunked") {
    while (true) {
      size_t line_end;
      while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
        if (!Fill(buffer_.size() + 1)) return absl::UnavailableError("closed inside a chunk");
      }
      size_t size = 0;
      std::string size_text = buffer_.substr(0, line_end);
      if (size_t semi = size_text.find(';'); semi != std::string::npos) size_text.resize(semi);
      if (!absl::SimpleHexAtoi(size_text, &size)) return absl::DataLossError("bad chunk size");
      buffer_.erase(0, line_end + 2);
      if (!Fill(size + 2)) return absl::UnavailableError("closed inside a chunk");
      reply.body.append(buffer_, 0, size);
      buffer_.erase(0, size + 2);
      if (size == 0) break;  // (trailers are not used by the gateway)
    }
  } else {
    while (Fill(buffer_.size() + 1)) {
    }
    reply.body = std::move(buffer_);
    close_after = true;
  }
  if (close_after) Close();
  return reply;
}

}  // namespace sunlight::testing
