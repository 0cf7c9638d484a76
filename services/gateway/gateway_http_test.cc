// The HTTP server's defences over real sockets: deadlines for a request's head and body, the
// per-address connection limit, X-Forwarded-For from trusted proxies only, and the cap on a
// user's open event streams. Short deadlines keep each test to a few seconds; nothing here
// asserts a speed, only what happens.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gateway_test_fixture.h"
#include "http_server.h"
#include "rate_limits.h"
#include "trusted_proxies.h"

namespace sunlight::gateway {
namespace {

// A TCP connection to 127.0.0.1:port from the loopback address `source`.
int Connect(int port, const char* source = "127.0.0.1") {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source, &from.sin_addr);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  return fd;
}

void SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // closed by the server: the caller finds out reading
    sent += static_cast<size_t>(n);
  }
}

// Reads until `enough(text so far)`, the connection ends, or 20 s pass (a test bound, far
// beyond any deadline used here).
std::string ReadUntil(int fd, const std::function<bool(const std::string&)>& enough) {
  std::string text;
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (!enough(text) && absl::Now() < give_up) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (poll(&p, 1, 100) != 1) continue;
    char buffer[4096];
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

std::string ReadAll(int fd) {
  return ReadUntil(fd, [](const std::string&) { return false; });
}

std::string ReadHead(int fd) {
  return ReadUntil(fd, [](const std::string& t) { return absl::StrContains(t, "\r\n\r\n"); });
}

// One request on a new connection from `source`, answered and closed: the whole response.
std::string Ask(int port, const std::string& request, const char* source = "127.0.0.1") {
  int fd = Connect(port, source);
  SendAll(fd, request);
  std::string reply = ReadAll(fd);
  close(fd);
  return reply;
}

std::string Get(const std::string& path, const std::string& extra_headers = "") {
  return absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: x\r\n", extra_headers,
                      "Connection: close\r\n\r\n");
}

std::string BodyOf(const std::string& reply) {
  size_t end = reply.find("\r\n\r\n");
  return end == std::string::npos ? "" : reply.substr(end + 4);
}

// The server has closed the connection (end of file or reset); data it sent is skipped.
bool ClosedByServer(int fd) {
  char buffer[4096];
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) continue;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }
}

// A server answering every request with the address it is counted under.
struct EchoServer {
  explicit EchoServer(HttpServerOptions options) {
    auto started = HttpServer::Start(std::move(options), [this](const HttpRequest& r) {
      ++served;
      HttpResponse response;
      response.content_type = "text/plain";
      response.body = r.client;
      return response;
    });
    REQUIRE(started.ok());
    server = std::move(*started);
  }
  std::atomic<int> served{0};
  std::unique_ptr<HttpServer> server;
};

TEST_CASE("slow heads from one address leave others served and are closed at the deadline") {
  EchoServer echo({.idle_timeout = absl::Seconds(60),
                   .head_timeout = absl::Seconds(1),
                   .body_timeout = absl::Seconds(2)});
  int port = echo.server->port();
  std::vector<int> slow;
  for (int i = 0; i < 300; ++i) {
    int fd = Connect(port, "127.0.0.1");
    SendAll(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n");  // a head that never ends
    slow.push_back(fd);
  }
  std::string reply = Ask(port, Get("/other"), "127.0.0.2");
  CHECK(reply.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(BodyOf(reply) == "127.0.0.2");

  // Each slow socket sends a byte every 100 ms (never idle) until the server closes it.
  std::vector<bool> closed(slow.size(), false);
  size_t open = slow.size();
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (open > 0 && absl::Now() < give_up) {
    for (size_t i = 0; i < slow.size(); ++i) {
      if (closed[i]) continue;
      bool refused = send(slow[i], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN;
      if (refused || ClosedByServer(slow[i])) {
        closed[i] = true;
        --open;
      }
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  CHECK(open == 0);
  for (int fd : slow) close(fd);
  CHECK(echo.served == 1);  // no slow head reached the handler
  // The address they came from is served again.
  CHECK(BodyOf(Ask(port, Get("/again"), "127.0.0.1")) == "127.0.0.1");
}

TEST_CASE("a trickled body is cut at its deadline and a prompt one is served") {
  EchoServer echo({.max_body_bytes = 1000,
                   .idle_timeout = absl::Seconds(60),
                   .head_timeout = absl::Seconds(1),
                   .body_timeout = absl::Seconds(2)});
  int port = echo.server->port();
  const std::string head = "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";
  int fd = Connect(port);
  SendAll(fd, head);
  // A byte every 50 ms would take 50 s for the 1000 bytes; the body's deadline is 2 s.
  size_t sent = 0;
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  bool cut = false;
  while (sent < 1000 && absl::Now() < give_up) {
    if (send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++sent;
    if (ClosedByServer(fd)) {
      cut = true;
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  close(fd);
  CHECK(cut);
  CHECK(sent < 1000);
  CHECK(echo.served == 0);

  std::string reply = Ask(port, head + std::string(1000, 'x'));
  CHECK(reply.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(echo.served == 1);
}

TEST_CASE("the per-address connection limit spares trusted proxies") {
  EchoServer echo({.max_connections_per_client = 4, .trusted_proxies = {"127.0.0.2"}});
  int port = echo.server->port();
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) held.push_back(Connect(port, "127.0.0.1"));
  // Wait until the server has taken all four (an answered request on a fifth would race).
  absl::SleepFor(absl::Milliseconds(200));
  CHECK(Ask(port, Get("/fifth"), "127.0.0.1").empty());  // closed unanswered
  std::vector<int> proxied;
  for (int i = 0; i < 6; ++i) proxied.push_back(Connect(port, "127.0.0.2"));
  for (int fd : proxied) {
    SendAll(fd, Get("/", "X-Forwarded-For: 203.0.113.5\r\n"));
    CHECK(BodyOf(ReadAll(fd)) == "203.0.113.5");
    close(fd);
  }
  for (int fd : held) close(fd);
}

TEST_CASE("X-Forwarded-For is believed only from a trusted proxy") {
  EchoServer echo({.trusted_proxies = {"127.0.0.2", "10.0.0.0/8"}});
  int port = echo.server->port();
  const std::string forged = "X-Forwarded-For: 203.0.113.7\r\n";
  CHECK(BodyOf(Ask(port, Get("/", forged), "127.0.0.1")) == "127.0.0.1");
  CHECK(BodyOf(Ask(port, Get("/", forged), "127.0.0.2")) == "203.0.113.7");
  // The right-most untrusted hop: what the client wrote itself (198.51.100.1) is not taken,
  // and an inner trusted proxy (10.1.2.3) is passed over.
  CHECK(BodyOf(Ask(port, Get("/", "X-Forwarded-For: 198.51.100.1, 203.0.113.7, 10.1.2.3\r\n"),
                   "127.0.0.2")) == "203.0.113.7");
  // Two header lines read as one list.
  CHECK(BodyOf(Ask(port,
                   Get("/", "X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 203.0.113.9\r\n"),
                   "127.0.0.2")) == "203.0.113.9");
  CHECK(BodyOf(Ask(port, Get("/"), "127.0.0.2")) == "127.0.0.2");
}

TEST_CASE("trusted proxies are addresses or CIDR blocks and the client is the first untrusted") {
  CHECK(TrustedProxies::Parse({"10.0.0.0/33"}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(TrustedProxies::Parse({"proxy.example"}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(TrustedProxies::Parse({"10.0.0.1:80"}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  auto proxies = TrustedProxies::Parse({"10.0.0.0/8", " fd00::/8", ""}).value();
  CHECK(proxies.Contains("10.200.0.1"));
  CHECK(proxies.Contains("::ffff:10.0.0.1"));
  CHECK(proxies.Contains("fd12::1"));
  CHECK_FALSE(proxies.Contains("11.0.0.1"));
  CHECK(proxies.Client("192.0.2.1", "203.0.113.7") == "192.0.2.1");
  CHECK(proxies.Client("10.0.0.1", "203.0.113.7:5555") == "203.0.113.7");
  CHECK(proxies.Client("10.0.0.1", "[2001:db8::1]:443, 10.0.0.2") == "2001:db8::1");
  CHECK(proxies.Client("10.0.0.1", "10.0.0.3, 10.0.0.2") == "10.0.0.3");
  CHECK(proxies.Client("10.0.0.1", "203.0.113.7, not-an-address, 10.0.0.2") == "10.0.0.2");
  CHECK(proxies.Client("10.0.0.1", "") == "10.0.0.1");
}

TEST_CASE_METHOD(GatewayFixture, "limits and the audit log count a proxied client by its address") {
  auto server = HttpServer::Start({.trusted_proxies = {"127.0.0.2"}},
                                  [this](const HttpRequest& r) { return gateway->Handle(r); });
  REQUIRE(server.ok());
  int port = (*server)->port();
  // From an untrusted peer a forged header changes nothing: 20 requests of burst, then 429.
  int limited = 0;
  for (int i = 0; i < 21; ++i) {
    std::string reply =
        Ask(port, Get("/v1/public/items", absl::StrCat("X-Forwarded-For: 198.51.100.", i, "\r\n")),
            "127.0.0.1");
    if (reply.rfind("HTTP/1.1 429", 0) == 0) ++limited;
  }
  CHECK(limited == 1);
  // Through the trusted proxy each forwarded client has its own allowance.
  for (int i = 0; i < 21; ++i) {
    std::string reply =
        Ask(port, Get("/v1/public/items", absl::StrCat("X-Forwarded-For: 198.51.100.", i, "\r\n")),
            "127.0.0.2");
    CHECK(reply.rfind("HTTP/1.1 200", 0) == 0);
  }
  // The audit entry of a login names the forwarded client.
  const std::string login = R"({"user_id":"insp","password":"inspector-password"})";
  std::string reply =
      Ask(port,
          absl::StrCat("POST /v1/login HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.44\r\n"
                       "Content-Type: application/json\r\nContent-Length: ",
                       login.size(), "\r\nConnection: close\r\n\r\n", login),
          "127.0.0.2");
  REQUIRE(reply.rfind("HTTP/1.1 200", 0) == 0);
  auto bytes = gateway_store->Get(kAuditFamily, storage::EncodeU64(1)).value();
  REQUIRE(bytes.has_value());
  v1::AuditEntry entry;
  REQUIRE(entry.ParseFromString(*bytes));
  CHECK(entry.client() == "203.0.113.44");
}

TEST_CASE_METHOD(GatewayFixture,
                 "a fifth event stream of one user gets 429 and the four stay open") {
  auto server = HttpServer::Start({}, [this](const HttpRequest& r) { return gateway->Handle(r); });
  REQUIRE(server.ok());
  int port = (*server)->port();
  std::string token = Login("clerk-1", "clerk-password");
  const std::string request =
      Get("/v1/events:stream", absl::StrCat("Authorization: Bearer ", token, "\r\n"));
  std::vector<int> streams;
  for (int i = 0; i < 4; ++i) {
    int fd = Connect(port);
    SendAll(fd, request);
    std::string head = ReadHead(fd);
    INFO(head);
    CHECK(head.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(absl::StrContains(head, "text/event-stream"));
    streams.push_back(fd);
  }
  std::string refused = Ask(port, request);
  CHECK(refused.rfind("HTTP/1.1 429", 0) == 0);
  CHECK(absl::StrContains(refused, "Retry-After: 10"));
  CHECK(absl::StrContains(refused, "\"code\":\"RESOURCE_EXHAUSTED\""));
  for (int fd : streams) CHECK_FALSE(ClosedByServer(fd));
  // Another user is not counted with the first.
  std::string insp = Login("insp", "inspector-password");
  int other = Connect(port);
  SendAll(other, Get("/v1/events:stream", absl::StrCat("Authorization: Bearer ", insp, "\r\n")));
  CHECK(ReadHead(other).rfind("HTTP/1.1 200", 0) == 0);
  close(other);

  // A stream the client leaves gives its place back once the server notices (the next
  // event wakes it).
  close(streams.back());
  streams.pop_back();
  bool reopened = false;
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  for (uint64_t sequence = 1; !reopened && absl::Now() < give_up; ++sequence) {
    events::v1::CaseEvent event;
    event.set_sequence(sequence);
    event.set_type("supervision.clock.planned");
    REQUIRE(live->Apply({event}).ok());
    absl::SleepFor(absl::Milliseconds(300));
    int fd = Connect(port);
    SendAll(fd, request);
    std::string head = ReadHead(fd);
    reopened = head.rfind("HTTP/1.1 200", 0) == 0;
    if (reopened) {
      streams.push_back(fd);
    } else {
      close(fd);
    }
  }
  CHECK(reopened);
  live->Stop();  // ends the streams, so the server can stop
  for (int fd : streams) close(fd);
}

TEST_CASE("client networks: an IPv4 /24 whether it arrives as IPv4 or IPv4-mapped IPv6") {
  CHECK(ClientNetwork("203.0.113.77") == "203.0.113.0/24");
  CHECK(ClientNetwork("::ffff:203.0.113.77") == "203.0.113.0/24");
  CHECK(ClientNetwork("::ffff:198.51.100.1") != ClientNetwork("::ffff:203.0.113.77"));
  CHECK(ClientNetwork("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64");
  CHECK(ClientNetwork("not an address") == "not an address");
}

}  // namespace
}  // namespace sunlight::gateway
