// The text-message channel against a real Kannel (bearerbox, smsbox, fakesmsc from the
// harness), and against a small HTTP server in the test that records the requests it gets:
// as our delivery-report receiver, and standing in for smsbox to give each of its answers.
#include "sunlight/notify/kannel_channel.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "sunlight/testing/kannel_harness.h"

namespace sunlight::notify {
namespace {

using ::sunlight::testing::KannelHarness;
using ::sunlight::testing::OperatorMessage;

// An HTTP server on 127.0.0.1, port from the OS, that records each request's raw target
// ("/dlr?key=…") and gives every request the same answer.
class RecordingServer {
 public:
  RecordingServer() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, nullptr,
                               nullptr, &RecordingServer::Answer, this,  //
                               MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),
                               MHD_OPTION_URI_LOG_CALLBACK, &RecordingServer::Record, this,
                               MHD_OPTION_END);
    REQUIRE(daemon_ != nullptr);
    port_ = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
  }
  ~RecordingServer() { MHD_stop_daemon(daemon_); }

  std::string url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

  void SetAnswer(unsigned status, std::string body) {
    absl::MutexLock lock(&mutex_);
    status_ = status;
    body_ = std::move(body);
  }

  std::vector<std::string> targets() const {
    absl::MutexLock lock(&mutex_);
    return targets_;
  }

  // Polls until a recorded target satisfies `done`; all targets recorded by then.
  template <typename Predicate>
  std::vector<std::string> WaitFor(Predicate done, absl::Duration timeout) const {
    absl::Time deadline = absl::Now() + timeout;
    while (true) {
      std::vector<std::string> seen = targets();
      for (const std::string& target : seen) {
        if (done(target)) return seen;
      }
      if (absl::Now() > deadline) return seen;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  static void* Record(void* cls, const char* uri, MHD_Connection*) {
    auto* self = static_cast<RecordingServer*>(cls);
    absl::MutexLock lock(&self->mutex_);
    self->targets_.push_back(uri);
    return nullptr;
  }

  static MHD_Result Answer(void* cls, MHD_Connection* connection, const char*, const char*,
                           const char*, const char*, size_t*, void**) {
    auto* self = static_cast<RecordingServer*>(cls);
    unsigned status;
    std::string body;
    {
      absl::MutexLock lock(&self->mutex_);
      status = self->status_;
      body = self->body_;
    }
    MHD_Response* response =
        MHD_create_response_from_buffer(body.size(), body.data(), MHD_RESPMEM_MUST_COPY);
    MHD_Result queued = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return queued;
  }

  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  mutable absl::Mutex mutex_;
  unsigned status_ = 200;
  std::string body_ = "ok";
  std::vector<std::string> targets_;
};

std::string QueryOf(const std::string& target) {
  size_t question = target.find('?');
  return question == std::string::npos ? "" : target.substr(question + 1);
}

// The value of `name` in a recorded request target, as sent (URL-encoded).
std::string Param(const std::string& target, const std::string& name) {
  for (absl::string_view pair : absl::StrSplit(QueryOf(target), '&')) {
    if (absl::ConsumePrefix(&pair, name + "=")) return std::string(pair);
  }
  return "<absent>";
}

// The value as UrlEncodeComponent writes it, which is how Send writes every parameter.
std::string Encoded(const std::string& value) { return UrlEncodeComponent(value); }

const Message kChinese{.idempotency_key = "n-42.a_b~c",
                       .to = "+8613812345678",
                       .body = "您的预约已确认：明天 9:30，请带身份证。"};

TEST_CASE("a message in Chinese reaches the operator and its delivery report carries our key") {
  KannelHarness kannel;
  absl::Status started = kannel.Start();
  INFO(started.ToString());
  REQUIRE(started.ok());
  RecordingServer receiver;
  KannelSmsChannel sms({.sendsms_url = kannel.sendsms_url(),
                        .username = kannel.username(),
                        .password = kannel.password(),
                        .from = "10690042",
                        .dlr_url = receiver.url("/v1/sms/dlr")});

  SendResult sent = sms.Send(kChinese);
  CHECK(sent.outcome == SendOutcome::kAccepted);
  CHECK(sent.detail == "202 0: Accepted for delivery");

  absl::StatusOr<std::vector<OperatorMessage>> received = kannel.WaitForReceived(1);
  INFO((received.ok() ? "" : received.status().ToString()));
  REQUIRE(received.ok());
  REQUIRE(received->size() == 1);
  const OperatorMessage& at_operator = received->front();
  CHECK(at_operator.to == "+8613812345678");
  CHECK(at_operator.from == "10690042");
  CHECK(at_operator.type == "ucs-2");
  CHECK(at_operator.text == kChinese.body);

  // The fake SMSC acknowledges at once: an "SMSC accepted" (8) and a "delivered" (1), in
  // either order.
  std::vector<std::string> reports = receiver.WaitFor(
      [](const std::string& target) { return absl::StrContains(target, "status=1"); },
      absl::Seconds(15));
  INFO(kannel.LogFiles());
  REQUIRE(!reports.empty());
  bool delivered = false;
  for (const std::string& target : reports) {
    INFO(target);
    CHECK(absl::StartsWith(target, "/v1/sms/dlr?"));
    absl::StatusOr<DeliveryReport> report = ParseDeliveryReportQuery(QueryOf(target));
    REQUIRE(report.ok());
    CHECK(report->idempotency_key == kChinese.idempotency_key);
    CHECK((report->status == 1 || report->status == 8));
    if (report->status == 1) {
      CHECK(report->delivered);
      CHECK(report->final);
      delivered = true;
    } else {
      CHECK(!report->delivered);
      CHECK(!report->final);
      CHECK(report->answer == "ACK/");
    }
  }
  CHECK(delivered);
}

TEST_CASE("a plain ASCII message without a sender goes in Kannel's default coding") {
  KannelHarness kannel;
  absl::Status started = kannel.Start();
  INFO(started.ToString());
  REQUIRE(started.ok());
  KannelSmsChannel sms({.sendsms_url = kannel.sendsms_url(),
                        .username = kannel.username(),
                        .password = kannel.password()});

  SendResult sent =
      sms.Send({.idempotency_key = "n1", .to = "13812345678", .body = "Case 7 & <ok>"});
  INFO(sent.detail);
  CHECK(sent.outcome == SendOutcome::kAccepted);
  absl::StatusOr<std::vector<OperatorMessage>> received = kannel.WaitForReceived(1);
  REQUIRE(received.ok());
  CHECK(received->front().type == "text");
  CHECK(received->front().text == "Case 7 & <ok>");
  CHECK(received->front().to == "13812345678");
  CHECK(received->front().from == kannel.default_sender());
}

TEST_CASE("wrong sendsms credentials are a rejection") {
  KannelHarness kannel;
  absl::Status started = kannel.Start();
  INFO(started.ToString());
  REQUIRE(started.ok());
  KannelSmsChannel sms({.sendsms_url = kannel.sendsms_url(),
                        .username = kannel.username(),
                        .password = "not-the-password"});

  SendResult sent = sms.Send(kChinese);
  CHECK(sent.outcome == SendOutcome::kRejected);
  CHECK(sent.detail == "403 Authorization failed for sendsms");
}

TEST_CASE("a stopped Kannel makes Send retry") {
  KannelHarness kannel;
  absl::Status started = kannel.Start();
  INFO(started.ToString());
  REQUIRE(started.ok());
  KannelSmsChannel sms({.sendsms_url = kannel.sendsms_url(),
                        .username = kannel.username(),
                        .password = kannel.password(),
                        .timeout = absl::Seconds(2)});
  kannel.Kill();

  SendResult sent = sms.Send(kChinese);
  CHECK(sent.outcome == SendOutcome::kRetry);
  INFO(sent.detail);
  CHECK(absl::StartsWith(sent.detail, "connection: "));
  CHECK(kannel.Received().empty());
}

TEST_CASE("an SMSC gateway that never answers makes Send retry after the timeout") {
  // Listening but never accepting: the kernel completes the connection, nobody answers.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0);
  REQUIRE(::listen(fd, 8) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  KannelSmsChannel sms({.sendsms_url = absl::StrCat("http://127.0.0.1:", ntohs(address.sin_port),
                                                    "/cgi-bin/sendsms"),
                        .username = "u",
                        .password = "p",
                        .timeout = absl::Milliseconds(300)});

  SendResult sent = sms.Send(kChinese);
  ::close(fd);
  CHECK(sent.outcome == SendOutcome::kRetry);
  INFO(sent.detail);
  CHECK(absl::StrContains(sent.detail, "imed out"));
}

TEST_CASE("a bad phone number is rejected without calling Kannel") {
  RecordingServer smsbox;
  KannelSmsChannel sms({.sendsms_url = smsbox.url("/cgi-bin/sendsms"),
                        .username = "u",
                        .password = "p",
                        .dlr_url = smsbox.url("/dlr")});
  for (const char* to :
       {"", "1234", "+1234", "123456789012345678901", "138 1234 5678", "138-1234-5678",
        "++8613812345678", "86+13812345678", "1381234567x", "１３８１２３４５６７８"}) {
    INFO(to);
    Message message = kChinese;
    message.to = to;
    SendResult sent = sms.Send(message);
    CHECK(sent.outcome == SendOutcome::kRejected);
    CHECK(absl::StartsWith(sent.detail, "to: "));
  }
  CHECK(smsbox.targets().empty());

  SECTION("while the shortest and longest numbers are sent") {
    smsbox.SetAnswer(202, "0: Accepted for delivery");
    Message message = kChinese;
    message.to = "12345";
    CHECK(sms.Send(message).outcome == SendOutcome::kAccepted);
    message.to = "+12345678901234567890";
    CHECK(sms.Send(message).outcome == SendOutcome::kAccepted);
    CHECK(smsbox.targets().size() == 2);
  }
}

TEST_CASE("a key that cannot travel in the report URL or a body that is not UTF-8 is rejected") {
  RecordingServer smsbox;
  KannelSmsChannel sms({.sendsms_url = smsbox.url("/cgi-bin/sendsms"),
                        .username = "u",
                        .password = "p",
                        .dlr_url = smsbox.url("/dlr")});
  Message message = kChinese;
  for (const std::string& key : {std::string(""), std::string("a%41"), std::string("a&b"),
                                 std::string("键"), std::string(129, 'k')}) {
    message.idempotency_key = key;
    SendResult sent = sms.Send(message);
    CHECK(sent.outcome == SendOutcome::kRejected);
    CHECK(absl::StartsWith(sent.detail, "idempotency_key: "));
  }
  message = kChinese;
  message.body = "bad \xff byte";
  SendResult sent = sms.Send(message);
  CHECK(sent.outcome == SendOutcome::kRejected);
  CHECK(absl::StartsWith(sent.detail, "body: "));
  CHECK(smsbox.targets().empty());
}

TEST_CASE("the sendsms request carries the text as UTF-8 and asks for every report") {
  RecordingServer smsbox;
  smsbox.SetAnswer(202, "0: Accepted for delivery");
  KannelSmsChannel sms({.sendsms_url = smsbox.url("/cgi-bin/sendsms"),
                        .username = "sun light",
                        .password = "p&ss=1",
                        .from = "10690042",
                        .dlr_url = "http://dlr.internal:8080/v1/sms/dlr"});

  REQUIRE(sms.Send(kChinese).outcome == SendOutcome::kAccepted);
  REQUIRE(sms.Send({.idempotency_key = "n2", .to = "13812345678", .body = "ascii"}).outcome ==
          SendOutcome::kAccepted);
  std::vector<std::string> targets = smsbox.targets();
  REQUIRE(targets.size() == 2);
  const std::string& chinese = targets[0];
  CHECK(absl::StartsWith(chinese, "/cgi-bin/sendsms?"));
  CHECK(Param(chinese, "username") == "sun%20light");
  CHECK(Param(chinese, "password") == "p%26ss%3D1");
  CHECK(Param(chinese, "to") == "%2B8613812345678");
  CHECK(Param(chinese, "from") == "10690042");
  CHECK(Param(chinese, "text") == Encoded(kChinese.body));
  CHECK(absl::StartsWith(Param(chinese, "text"), "%E6%82%A8"));  // 您 in UTF-8
  CHECK(Param(chinese, "charset") == "UTF-8");
  CHECK(Param(chinese, "coding") == "2");
  CHECK(Param(chinese, "dlr-mask") == "31");
  CHECK(Param(chinese, "dlr-url") ==
        Encoded("http://dlr.internal:8080/v1/sms/dlr?key=n-42.a_b~c&status=%d&answer=%A"));
  CHECK(sms.DeliveryReportUrl("n-42.a_b~c") ==
        "http://dlr.internal:8080/v1/sms/dlr?key=n-42.a_b~c&status=%d&answer=%A");
  CHECK(Param(targets[1], "coding") == "<absent>");
  CHECK(Param(targets[1], "text") == "ascii");
}

TEST_CASE("without a dlr_url no reports are asked for") {
  RecordingServer smsbox;
  smsbox.SetAnswer(202, "0: Accepted for delivery");
  KannelSmsChannel sms(
      {.sendsms_url = smsbox.url("/cgi-bin/sendsms"), .username = "u", .password = "p"});
  // The key is not checked either: it goes nowhere.
  REQUIRE(sms.Send({.idempotency_key = "any key", .to = "13812345678", .body = "x"}).outcome ==
          SendOutcome::kAccepted);
  std::vector<std::string> targets = smsbox.targets();
  REQUIRE(targets.size() == 1);
  CHECK(Param(targets[0], "dlr-mask") == "<absent>");
  CHECK(Param(targets[0], "dlr-url") == "<absent>");
  CHECK(Param(targets[0], "from") == "<absent>");
}

TEST_CASE("each of Kannel's answers maps to its outcome") {
  RecordingServer smsbox;
  KannelSmsChannel sms(
      {.sendsms_url = smsbox.url("/cgi-bin/sendsms"), .username = "u", .password = "p"});
  struct Case {
    unsigned status;
    std::string body;
    SendOutcome outcome;
  };
  for (const Case& c : std::vector<Case>{
           {202, "0: Accepted for delivery", SendOutcome::kAccepted},
           {202, "3: Queued for later delivery", SendOutcome::kAccepted},
           {202, "something else", SendOutcome::kRetry},
           {503, "Sendsms failed", SendOutcome::kRetry},
           {503, "Temporal failure, try again later.", SendOutcome::kRetry},
           {500, "", SendOutcome::kRetry},
           {429, "slow down", SendOutcome::kRetry},
           {408, "", SendOutcome::kRetry},
           {400, "Invalid phone number", SendOutcome::kRejected},
           {400, "Number(s) has/have been denied by white- and/or black-lists.",
            SendOutcome::kRejected},
           {403, "Authorization failed for sendsms", SendOutcome::kRejected},
           {404, "Not found", SendOutcome::kRejected},
           {302, "elsewhere", SendOutcome::kRetry},
       }) {
    smsbox.SetAnswer(c.status, c.body);
    SendResult sent = sms.Send(kChinese);
    INFO(c.status << " " << c.body);
    CHECK(sent.outcome == c.outcome);
    CHECK(sent.detail == absl::StrCat(c.status, " ", c.body));
  }
}

TEST_CASE("delivery reports are classified by Kannel's status") {
  struct Case {
    std::string query;
    int status;
    bool delivered;
    bool final;
    std::string answer;
  };
  for (const Case& c : std::vector<Case>{
           {"key=n42&status=1&answer=", 1, true, true, ""},
           {"?key=n42&status=2&answer=NACK%2F0x0000000b%2FInvalid+Destination", 2, false, true,
            "NACK/0x0000000b/Invalid Destination"},
           {"key=n42&status=16&answer=rejected", 16, false, true, "rejected"},
           {"key=n42&status=4", 4, false, false, ""},
           {"status=8&answer=ACK%2F&key=n42&ts=123", 8, false, false, "ACK/"},
       }) {
    INFO(c.query);
    absl::StatusOr<DeliveryReport> report = ParseDeliveryReportQuery(c.query);
    REQUIRE(report.ok());
    CHECK(report->idempotency_key == "n42");
    CHECK(report->status == c.status);
    CHECK(report->delivered == c.delivered);
    CHECK(report->final == c.final);
    CHECK(report->answer == c.answer);
  }
  absl::StatusOr<DeliveryReport> from_map =
      ParseDeliveryReport({{"key", "n42"}, {"status", "1"}, {"answer", "a b"}});
  REQUIRE(from_map.ok());
  CHECK(from_map->delivered);
  CHECK(from_map->answer == "a b");
}

TEST_CASE("a malformed delivery report is refused naming the parameter") {
  struct Case {
    std::string query;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {"", "key: "},
           {"status=1", "key: "},
           {"key=&status=1", "key: "},
           {"key=a%26b&status=1", "key: "},
           {"key=" + std::string(129, 'k') + "&status=1", "key: "},
           {"key=n42", "status: "},
           {"key=n42&status=", "status: "},
           {"key=n42&status=3", "status: "},
           {"key=n42&status=1x", "status: "},
           {"key=n42&status=%d", "status: "},
           {"key=n42&status=-1", "status: "},
           {"key=n42&status=1&status=2", "status: "},
           {"key=n42&key=n43&status=1", "key: "},
           {"key=n42&status=1&answer=%FF", "answer: "},
           {"key=n42&status=1&answer=%G0", "answer: "},
           {"key=n42&status=1&answer=%4", "answer: "},
           {"key=n42&status=1&answer=" + std::string(1025, 'a'), "answer: "},
       }) {
    INFO(c.query.substr(0, 80));
    absl::StatusOr<DeliveryReport> report = ParseDeliveryReportQuery(c.query);
    REQUIRE(!report.ok());
    CHECK(report.status().code() == absl::StatusCode::kInvalidArgument);
    INFO(report.status().message());
    CHECK(absl::StartsWith(report.status().message(), c.field));
  }
  absl::StatusOr<DeliveryReport> from_map = ParseDeliveryReport({{"key", "n42"}});
  REQUIRE(!from_map.ok());
  CHECK(from_map.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(from_map.status().message(), "status: "));
}

}  // namespace
}  // namespace sunlight::notify
