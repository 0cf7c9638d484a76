// WebhookChannel against a real HTTPS receiver: python3's http.server wrapped in TLS with a
// certificate from tools/dev-ca, which records every request and checks its signature with
// Python's own hmac module.
#include "sunlight/notify/webhook_channel.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "catch2/catch.hpp"
#include "sunlight/testing/loopback_port.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::notify {
namespace {

using testing::ChildProcess;
using testing::ScratchDir;

constexpr char kPython[] = "/usr/bin/python3";
constexpr char kSecret[] = "a webhook secret shared with the receiver, 32+ bytes";

// receiver.py MODE(tls|plain) CERT KEY SECRET PORT_FILE LOG_DIR: answers /ok 200, /busy 503,
// /bad 400, /slow 200 after two seconds, anything else 404; records request n as
// LOG_DIR/<n>.path, .headers ("name: value" lines, names in lower case), .body, and .hmac
// ("valid" when X-Sunlight-Signature is HMAC-SHA256(SECRET, "<timestamp>.<body>")).
constexpr char kReceiver[] = R"(
import hashlib, hmac, http.server, os, ssl, sys, threading, time
mode, cert, key, secret, port_file, log_dir = sys.argv[1:7]
lock = threading.Lock()
count = [0]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        stamp = self.headers.get("X-Sunlight-Timestamp", "").encode()
        expected = "sha256=" + hmac.new(secret.encode(), stamp + b"." + body,
                                        hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(expected, self.headers.get("X-Sunlight-Signature", ""))
        with lock:
            n = count[0]
            count[0] += 1
        base = os.path.join(log_dir, str(n))
        with open(base + ".path", "w") as f:
            f.write(self.path)
        with open(base + ".headers", "w") as f:
            for name, value in self.headers.items():
                f.write("%s: %s\n" % (name.lower(), value))
        with open(base + ".body", "wb") as f:
            f.write(body)
        with open(base + ".hmac", "w") as f:
            f.write("valid" if valid else "invalid")
        if self.path == "/slow":
            time.sleep(2)
        status = {"/ok": 200, "/slow": 200, "/busy": 503, "/bad": 400}.get(self.path, 404)
        reply = ('{"answer":"%d"}' % status).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
if mode == "tls":
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
)";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Recorded {
  std::string path;
  std::map<std::string, std::string> headers;
  std::string body;
  std::string hmac;
};

class Receiver {
 public:
  enum class Mode { kTls, kPlain };

  Receiver(const ScratchDir& dir, Mode mode) : dir_(dir) {
    std::string command =
        absl::StrCat(SUNLIGHT_DEV_CA, " ", dir.Sub("ca"), " receiver >/dev/null 2>&1");
    REQUIRE(std::system(command.c_str()) == 0);
    std::ofstream(dir.Sub("receiver.py")) << kReceiver;
    std::filesystem::create_directories(dir.Sub("log"));
    process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        kPython, dir.Sub("receiver.py"), mode == Mode::kTls ? "tls" : "plain",
        dir.Sub("ca/receiver.crt"), dir.Sub("ca/receiver.key"), kSecret, dir.Sub("port"),
        dir.Sub("log")});
    port_ = process_->WaitForPortFile(dir.Sub("port"), absl::Seconds(15));
    REQUIRE(port_ > 0);
  }

  std::string Url(const std::string& scheme, const std::string& path) const {
    return absl::StrCat(scheme, "://127.0.0.1:", port_, path);
  }
  std::string ca_file() const { return dir_.Sub("ca/ca.crt"); }

  std::vector<Recorded> Requests() const {
    std::vector<Recorded> requests;
    for (int n = 0; std::filesystem::exists(dir_.Sub(absl::StrCat("log/", n, ".hmac"))); ++n) {
      std::string base = dir_.Sub(absl::StrCat("log/", n));
      Recorded r{.path = ReadFile(base + ".path"),
                 .body = ReadFile(base + ".body"),
                 .hmac = ReadFile(base + ".hmac")};
      for (absl::string_view line : absl::StrSplit(ReadFile(base + ".headers"), '\n')) {
        std::pair<absl::string_view, absl::string_view> nv = absl::StrSplit(line, ": ");
        if (!nv.first.empty()) r.headers[std::string(nv.first)] = std::string(nv.second);
      }
      requests.push_back(std::move(r));
    }
    return requests;
  }

 private:
  const ScratchDir& dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

const absl::Time kNow = absl::FromUnixSeconds(1771000000);
constexpr char kBody[] =
    R"({"case_id":"GT-2026-000123","status":"已办结","note":"请到三号窗口领取"})";

TEST_CASE("a webhook arrives signed with its idempotency key and a 2xx is delivered") {
  ScratchDir dir("webhook-ok");
  Receiver receiver(dir, Receiver::Mode::kTls);
  FakeClock clock(kNow);
  WebhookChannel channel({.secret = kSecret, .ca_file = receiver.ca_file()}, &clock);

  SendResult result =
      channel.Send({.idempotency_key = "n42", .to = receiver.Url("https", "/ok"), .body = kBody});

  INFO(result.detail);
  CHECK(result.outcome == SendOutcome::kDelivered);
  CHECK(result.detail == R"(200 {"answer":"200"})");
  std::vector<Recorded> requests = receiver.Requests();
  REQUIRE(requests.size() == 1);
  Recorded& r = requests[0];
  CHECK(r.path == "/ok");
  CHECK(r.body == kBody);
  CHECK(r.headers["content-type"] == "application/json");
  CHECK(r.headers["x-sunlight-idempotency-key"] == "n42");
  CHECK(r.headers["x-sunlight-timestamp"] == "1771000000");
  CHECK(r.hmac == "valid");  // Python's hmac agrees
  const std::string& stamp = r.headers["x-sunlight-timestamp"];
  const std::string& signature = r.headers["x-sunlight-signature"];
  CHECK(VerifyWebhookSignature(kSecret, stamp, r.body, signature, kNow).ok());
  CHECK(VerifyWebhookSignature(kSecret, stamp, r.body, signature, kNow + absl::Minutes(4)).ok());

  // What a receiver must refuse: another key, another body, a replay too late, junk.
  CHECK(VerifyWebhookSignature("another secret", stamp, r.body, signature, kNow).code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(VerifyWebhookSignature(kSecret, stamp, r.body + " ", signature, kNow).code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(VerifyWebhookSignature(kSecret, "1771000001", r.body, signature, kNow).code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(VerifyWebhookSignature(kSecret, stamp, r.body, signature, kNow + absl::Minutes(6))
            .message() == "X-Sunlight-Timestamp: too far from now");
  CHECK(VerifyWebhookSignature(kSecret, "-1", r.body, signature, kNow).code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(VerifyWebhookSignature(kSecret, stamp, r.body, "", kNow).code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("a webhook answered 503 is retried and one answered 400 is rejected") {
  ScratchDir dir("webhook-answers");
  Receiver receiver(dir, Receiver::Mode::kTls);
  FakeClock clock(kNow);
  WebhookChannel channel({.secret = kSecret, .ca_file = receiver.ca_file()}, &clock);

  SendResult busy =
      channel.Send({.idempotency_key = "n1", .to = receiver.Url("https", "/busy"), .body = kBody});
  clock.Advance(absl::Seconds(30));
  SendResult bad =
      channel.Send({.idempotency_key = "n1", .to = receiver.Url("https", "/bad"), .body = kBody});
  SendResult missing = channel.Send(
      {.idempotency_key = "n1", .to = receiver.Url("https", "/missing"), .body = kBody});

  CHECK(busy.outcome == SendOutcome::kRetry);
  CHECK(busy.detail == R"(503 {"answer":"503"})");
  CHECK(bad.outcome == SendOutcome::kRejected);
  CHECK(bad.detail == R"(400 {"answer":"400"})");
  CHECK(missing.outcome == SendOutcome::kRejected);
  std::vector<Recorded> requests = receiver.Requests();
  REQUIRE(requests.size() == 3);
  // Every attempt is signed anew, with the same key.
  CHECK(requests[0].headers["x-sunlight-timestamp"] == "1771000000");
  CHECK(requests[1].headers["x-sunlight-timestamp"] == "1771000030");
  CHECK(requests[1].headers["x-sunlight-idempotency-key"] == "n1");
  CHECK(requests[1].hmac == "valid");
}

TEST_CASE("http webhook URLs are refused unless allowed for tests") {
  ScratchDir dir("webhook-http");
  Receiver receiver(dir, Receiver::Mode::kPlain);
  FakeClock clock(kNow);
  WebhookChannel strict({.secret = kSecret}, &clock);
  WebhookChannel relaxed({.secret = kSecret, .allow_http = true}, &clock);

  SendResult refused =
      strict.Send({.idempotency_key = "n1", .to = receiver.Url("http", "/ok"), .body = kBody});
  SendResult other =
      strict.Send({.idempotency_key = "n1", .to = "ftp://127.0.0.1/ok", .body = kBody});
  CHECK(refused.outcome == SendOutcome::kRejected);
  CHECK(refused.detail == "to: only https:// webhook URLs are allowed");
  CHECK(other.outcome == SendOutcome::kRejected);
  CHECK(receiver.Requests().empty());

  SendResult allowed =
      relaxed.Send({.idempotency_key = "n1", .to = receiver.Url("http", "/ok"), .body = kBody});
  CHECK(allowed.outcome == SendOutcome::kDelivered);
  CHECK(receiver.Requests().size() == 1);
}

TEST_CASE("a webhook receiver that is down or too slow means retry") {
  ScratchDir dir("webhook-down");
  Receiver receiver(dir, Receiver::Mode::kTls);
  FakeClock clock(kNow);
  WebhookChannel channel(
      {.secret = kSecret, .ca_file = receiver.ca_file(), .timeout = absl::Milliseconds(500)},
      &clock);

  SendResult down =
      channel.Send({.idempotency_key = "n1",
                    .to = absl::StrCat("https://127.0.0.1:", testing::UnusedLoopbackPort(), "/ok"),
                    .body = kBody});
  SendResult slow =
      channel.Send({.idempotency_key = "n1", .to = receiver.Url("https", "/slow"), .body = kBody});

  INFO(down.detail);
  INFO(slow.detail);
  CHECK(down.outcome == SendOutcome::kRetry);
  CHECK(absl::StrContains(down.detail, "Couldn't connect to server"));
  CHECK(slow.outcome == SendOutcome::kRetry);
  CHECK(absl::StrContains(slow.detail, "Timeout"));
}

TEST_CASE("a webhook receiver whose certificate is not trusted gets nothing") {
  ScratchDir dir("webhook-untrusted");
  Receiver receiver(dir, Receiver::Mode::kTls);
  FakeClock clock(kNow);
  WebhookChannel channel({.secret = kSecret, .ca_file = "/etc/ssl/certs/ca-certificates.crt"},
                         &clock);

  SendResult result =
      channel.Send({.idempotency_key = "n1", .to = receiver.Url("https", "/ok"), .body = kBody});

  INFO(result.detail);
  CHECK(result.outcome == SendOutcome::kRetry);
  CHECK(receiver.Requests().empty());
}

TEST_CASE("a webhook key or URL with a line break is rejected without a request") {
  ScratchDir dir("webhook-injection");
  Receiver receiver(dir, Receiver::Mode::kTls);
  FakeClock clock(kNow);
  WebhookChannel channel({.secret = kSecret, .ca_file = receiver.ca_file()}, &clock);
  WebhookChannel unsigned_channel({.ca_file = receiver.ca_file()}, &clock);

  SendResult in_key = channel.Send(
      {.idempotency_key = "n1\r\nX-Admin: yes", .to = receiver.Url("https", "/ok"), .body = kBody});
  SendResult in_url = channel.Send(
      {.idempotency_key = "n1", .to = receiver.Url("https", "/ok\r\nX-Admin: yes"), .body = kBody});
  SendResult no_secret = unsigned_channel.Send(
      {.idempotency_key = "n1", .to = receiver.Url("https", "/ok"), .body = kBody});

  CHECK(in_key.outcome == SendOutcome::kRejected);
  CHECK(in_url.outcome == SendOutcome::kRejected);
  CHECK(no_secret.outcome == SendOutcome::kRetry);
  CHECK(no_secret.detail == "no webhook secret configured");
  CHECK(receiver.Requests().empty());
}

}  // namespace
}  // namespace sunlight::notify
