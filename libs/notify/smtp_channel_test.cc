// SmtpChannel against a real SMTP server: Debian's aiosmtpd, started per test with a
// certificate from tools/dev-ca, saving what it accepts to a Maildir that Python's own e-mail
// parser reads back.
#include "sunlight/notify/smtp_channel.h"

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
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "catch2/catch.hpp"
#include "sunlight/testing/loopback_port.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::notify {
namespace {

using testing::ChildProcess;
using testing::ScratchDir;

// Debian's interpreter, which has python3-aiosmtpd (another python3 on PATH may not).
constexpr char kPython[] = "/usr/bin/python3";

// aiosmtpd's Maildir handler, refusing nobody@… with 550 and busy@… with 451, and stamping
// each message with whether its session was under TLS.
constexpr char kHandlerModule[] = R"(
from aiosmtpd.handlers import Mailbox

class Handler(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if address.startswith("busy@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def prepare_message(self, session, envelope):
        message = super().prepare_message(session, envelope)
        message["X-Test-Tls"] = "yes" if session.ssl else "no"
        return message
)";

// Decodes each message of a Maildir with Python's e-mail package into OUT/<n>/<field> files.
constexpr char kReadMaildir[] = R"(
import email, email.policy, mailbox, os, sys
out = sys.argv[2]
for n, key in enumerate(sorted(mailbox.Maildir(sys.argv[1], create=False).keys())):
    with open(os.path.join(sys.argv[1], "new", key), "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    fields = {
        "subject": str(m["Subject"]),
        "body": m.get_content(),
        "charset": m.get_content_charset() or "",
        "from_name": m["From"].addresses[0].display_name,
        "from_address": m["From"].addresses[0].addr_spec,
        "to": str(m["To"]),
        "message_id": str(m["Message-ID"]),
        "key": str(m["X-Sunlight-Idempotency-Key"]),
        "date": str(m["Date"]),
        "tls": str(m["X-Test-Tls"]),
        "rcpt": str(m["X-RcptTo"]),
        "defects": str(len(m.defects) + sum(len(m[h].defects) for h in m.keys())),
    }
    os.makedirs(os.path.join(out, str(n)))
    for name, value in fields.items():
        with open(os.path.join(out, str(n), name), "w", encoding="utf-8") as f:
            f.write(value)
)";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// One decoded message, field by field (see kReadMaildir).
using Mail = std::map<std::string, std::string>;

// aiosmtpd on a port of its own, with STARTTLS offered and required (its default when it has
// a certificate) or without TLS at all.
class MailServer {
 public:
  enum class Tls { kRequired, kNone };

  MailServer(const ScratchDir& dir, Tls tls) : dir_(dir), port_(testing::UnusedLoopbackPort()) {
    WriteFile(dir.Sub("sunlight_test_smtpd.py"), kHandlerModule);
    WriteFile(dir.Sub("read_maildir.py"), kReadMaildir);
    // Its log (TLS handshakes the tests make fail, for one) goes to a file, not the test's
    // output.
    std::vector<std::string> argv = {"/bin/sh",
                                     "-c",
                                     "log=$1; shift; exec \"$@\" 2>>\"$log\"",
                                     "sh",
                                     dir.Sub("smtpd.log"),
                                     "/usr/bin/env",
                                     "PYTHONPATH=" + dir.path(),
                                     kPython,
                                     "-m",
                                     "aiosmtpd",
                                     "-n",
                                     "-l",
                                     absl::StrCat("127.0.0.1:", port_),
                                     "-c",
                                     "sunlight_test_smtpd.Handler"};
    if (tls == Tls::kRequired) {
      std::string command =
          absl::StrCat(SUNLIGHT_DEV_CA, " ", dir.Sub("ca"), " mail >/dev/null 2>&1");
      REQUIRE(std::system(command.c_str()) == 0);
      argv.insert(argv.end(),
                  {"--tlscert", dir.Sub("ca/mail.crt"), "--tlskey", dir.Sub("ca/mail.key")});
    }
    argv.push_back(dir.Sub("maildir"));
    REQUIRE(port_ > 0);
    process_ = std::make_unique<ChildProcess>(argv);
    REQUIRE(testing::WaitForLoopbackListener(port_));
  }

  std::string url() const { return absl::StrCat("smtp://127.0.0.1:", port_); }
  std::string ca_file() const { return dir_.Sub("ca/ca.crt"); }

  // Every message the server has saved, decoded.
  std::vector<Mail> Received() const {
    std::string out = dir_.Sub("decoded");
    std::filesystem::remove_all(out);
    std::string command =
        absl::StrCat(kPython, " ", dir_.Sub("read_maildir.py"), " ", dir_.Sub("maildir"), " ", out);
    REQUIRE(std::system(command.c_str()) == 0);
    std::vector<Mail> mails;
    for (int n = 0; std::filesystem::exists(absl::StrCat(out, "/", n)); ++n) {
      Mail mail;
      for (const auto& entry : std::filesystem::directory_iterator(absl::StrCat(out, "/", n))) {
        mail[entry.path().filename().string()] = ReadFile(entry.path().string());
      }
      mails.push_back(std::move(mail));
    }
    return mails;
  }

 private:
  const ScratchDir& dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

SmtpChannel::Options OptionsFor(const MailServer& server) {
  return {.url = server.url(),
          .from = "noreply@sunlight.example.gov.cn",
          .from_name = "阳光政务服务中心",
          .ca_file = server.ca_file(),
          .timeout = absl::Seconds(10)};
}

const absl::Time kNow = absl::FromUnixSeconds(1771000000);  // Fri, 13 Feb 2026 16:26:40 UTC

TEST_CASE("a Chinese subject and body arrive intact over STARTTLS with the idempotency key") {
  ScratchDir dir("smtp-deliver");
  MailServer server(dir, MailServer::Tls::kRequired);
  FakeClock clock(kNow);
  SmtpChannel channel(OptionsFor(server), &clock);
  // Long enough for several encoded words and several base64 lines; a line that starts with
  // a dot would end the DATA phase if it were sent unescaped.
  std::string subject =
      "【阳光政务】您的申请（编号 GT-2026-000123）已办结，请于三个工作日内到窗口领取证照";
  std::string body =
      "李先生：\n您好！您于2026年2月10日提交的营业执照变更申请已办结。\n.\n请携带身份证原件"
      "到三号窗口领取。如有疑问请致电 12345。\n谢谢！";

  SendResult result = channel.Send(
      {.idempotency_key = "n-42:7", .to = "li@example.cn", .subject = subject, .body = body});

  INFO(result.detail);
  CHECK(result.outcome == SendOutcome::kDelivered);
  CHECK(absl::StartsWith(result.detail, "250"));
  std::vector<Mail> mails = server.Received();
  REQUIRE(mails.size() == 1);
  Mail& mail = mails[0];
  CHECK(mail["subject"] == subject);
  // Sent in canonical form, every line break CRLF.
  CHECK(mail["body"] == absl::StrReplaceAll(body, {{"\n", "\r\n"}}));
  CHECK(mail["charset"] == "utf-8");
  CHECK(mail["key"] == "n-42:7");
  CHECK(mail["message_id"] == "<n-42=3A7@sunlight>");
  CHECK(mail["from_name"] == "阳光政务服务中心");
  CHECK(mail["from_address"] == "noreply@sunlight.example.gov.cn");
  CHECK(mail["to"] == "li@example.cn");
  CHECK(mail["rcpt"] == "li@example.cn");
  CHECK(mail["date"] == "Fri, 13 Feb 2026 16:26:40 +0000");
  CHECK(mail["tls"] == "yes");
  CHECK(mail["defects"] == "0");
}

TEST_CASE("a server that requires STARTTLS refuses a session in the clear") {
  ScratchDir dir("smtp-plain");
  MailServer server(dir, MailServer::Tls::kRequired);
  FakeClock clock(kNow);
  SmtpChannel::Options options = OptionsFor(server);
  options.require_tls = false;
  SmtpChannel channel(options, &clock);

  SendResult result =
      channel.Send({.idempotency_key = "n1", .to = "li@example.cn", .subject = "s", .body = "b"});

  INFO(result.detail);
  // 530 "Must issue a STARTTLS command first": a 5xx answer to MAIL FROM.
  CHECK(result.outcome == SendOutcome::kRejected);
  CHECK(absl::StartsWith(result.detail, "530"));
  CHECK(server.Received().empty());
}

TEST_CASE("nothing is sent to a server without STARTTLS when TLS is required") {
  ScratchDir dir("smtp-notls");
  MailServer server(dir, MailServer::Tls::kNone);
  FakeClock clock(kNow);
  SmtpChannel channel(OptionsFor(server), &clock);

  SendResult result =
      channel.Send({.idempotency_key = "n1", .to = "li@example.cn", .subject = "s", .body = "b"});

  INFO(result.detail);
  CHECK(result.outcome == SendOutcome::kRetry);
  CHECK(absl::StrContains(result.detail, "SSL"));  // "Requested SSL level failed"
  CHECK(server.Received().empty());
}

TEST_CASE("a server certificate the CA file does not vouch for means retry") {
  ScratchDir dir("smtp-untrusted");
  MailServer server(dir, MailServer::Tls::kRequired);
  FakeClock clock(kNow);
  SmtpChannel::Options options = OptionsFor(server);
  options.ca_file = "/etc/ssl/certs/ca-certificates.crt";  // public CAs, not the dev CA
  SmtpChannel channel(options, &clock);

  SendResult result =
      channel.Send({.idempotency_key = "n1", .to = "li@example.cn", .subject = "s", .body = "b"});

  INFO(result.detail);
  CHECK(result.outcome == SendOutcome::kRetry);
  CHECK(server.Received().empty());
}

TEST_CASE("a recipient refused with 550 is rejected and one refused with 451 is retried") {
  ScratchDir dir("smtp-refused");
  MailServer server(dir, MailServer::Tls::kRequired);
  FakeClock clock(kNow);
  SmtpChannel channel(OptionsFor(server), &clock);

  SendResult gone = channel.Send(
      {.idempotency_key = "n1", .to = "nobody@example.cn", .subject = "s", .body = "b"});
  SendResult busy =
      channel.Send({.idempotency_key = "n2", .to = "busy@example.cn", .subject = "s", .body = "b"});

  CHECK(gone.outcome == SendOutcome::kRejected);
  CHECK(gone.detail ==
        "550 5.1.1 <nobody@example.cn>: mailbox unavailable (Failed sending data to the peer: "
        "RCPT failed: 550)");
  CHECK(busy.outcome == SendOutcome::kRetry);
  CHECK(absl::StartsWith(busy.detail, "451 4.3.0 try again later"));
  CHECK(server.Received().empty());
}

TEST_CASE("a mail server that is down means retry") {
  FakeClock clock(kNow);
  SmtpChannel channel({.url = absl::StrCat("smtp://127.0.0.1:", testing::UnusedLoopbackPort()),
                       .from = "noreply@sunlight.example.gov.cn",
                       .timeout = absl::Seconds(5)},
                      &clock);

  SendResult result =
      channel.Send({.idempotency_key = "n1", .to = "li@example.cn", .subject = "s", .body = "b"});

  INFO(result.detail);
  CHECK(result.outcome == SendOutcome::kRetry);
  CHECK(absl::StrContains(result.detail, "Couldn't connect to server"));
}

TEST_CASE("header injection is rejected without a connection") {
  ScratchDir dir("smtp-injection");
  MailServer server(dir, MailServer::Tls::kRequired);
  FakeClock clock(kNow);
  SmtpChannel channel(OptionsFor(server), &clock);

  SendResult in_to = channel.Send(
      {.idempotency_key = "n1", .to = "a@b.c\r\nBcc: x@y", .subject = "s", .body = "b"});
  SendResult two_at =
      channel.Send({.idempotency_key = "n2", .to = "a@b.c,x@y", .subject = "s", .body = "b"});
  SendResult in_subject = channel.Send(
      {.idempotency_key = "n3", .to = "li@example.cn", .subject = "通知\r\nBcc: x@y", .body = "b"});
  SendResult in_key = channel.Send(
      {.idempotency_key = "n4\r\nBcc: x@y", .to = "li@example.cn", .subject = "s", .body = "b"});

  CHECK(in_to.outcome == SendOutcome::kRejected);
  CHECK(in_to.detail == "to: not a plain e-mail address (byte 0x0D)");
  CHECK(two_at.outcome == SendOutcome::kRejected);
  CHECK(in_subject.outcome == SendOutcome::kRejected);
  CHECK(in_subject.detail == "subject: contains a line break");
  CHECK(in_key.outcome == SendOutcome::kRejected);
  CHECK(server.Received().empty());

  // Not even a connection: the same message to a server that is down is still kRejected.
  SmtpChannel nowhere({.url = absl::StrCat("smtp://127.0.0.1:", testing::UnusedLoopbackPort()),
                       .from = "noreply@sunlight.example.gov.cn"},
                      &clock);
  CHECK(nowhere.Send({.idempotency_key = "n1", .to = "a@b.c\r\nBcc: x@y"}).outcome ==
        SendOutcome::kRejected);
}

TEST_CASE("a long subject is folded into encoded words on lines of at most 76 characters") {
  std::string subject;
  for (int i = 0; i < 40; ++i) subject += "办";
  absl::StatusOr<std::string> email = ComposeEmail(
      {.from = "noreply@sunlight.example.gov.cn"},
      {.idempotency_key = "n1", .to = "li@example.cn", .subject = subject, .body = "b"}, kNow);
  REQUIRE(email.ok());
  std::string headers = email->substr(0, email->find("\r\n\r\n"));
  size_t words = 0;
  for (absl::string_view line : absl::StrSplit(headers, "\r\n")) {
    CHECK(line.size() <= 76);
    if (absl::StrContains(line, "=?UTF-8?B?")) ++words;
  }
  CHECK(words == 4);  // 120 bytes, 13 three-byte characters (39 bytes) a word
}

}  // namespace
}  // namespace sunlight::notify
