#include "sunlight/testing/kannel_harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "sunlight/testing/http_client.h"
#include "sunlight/testing/loopback_port.h"

namespace sunlight::testing {
namespace {

constexpr char kBearerbox[] = "/usr/sbin/bearerbox";
constexpr char kSmsbox[] = "/usr/sbin/smsbox";
constexpr char kFakeSmsc[] = "/usr/lib/kannel/test/fakesmsc";

constexpr auto kPollInterval = std::chrono::milliseconds(25);

// Kannel logs to stderr; the shell sends both streams to `log` so each process has one file.
std::unique_ptr<ChildProcess> StartLogged(const std::vector<std::string>& argv,
                                          const std::string& log) {
  std::string command = "exec";
  for (const std::string& arg : argv) absl::StrAppend(&command, " '", arg, "'");
  absl::StrAppend(&command, " >>'", log, "' 2>&1 </dev/null");
  return std::make_unique<ChildProcess>(std::vector<std::string>{"/bin/sh", "-c", command});
}

// Whether the child has ended, without reaping it (ChildProcess::Kill still does that).
bool HasExited(const ChildProcess* child) {
  if (child == nullptr || child->pid() <= 0) return true;
  siginfo_t info{};
  if (::waitid(P_PID, child->pid(), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
  return info.si_pid != 0;
}

// Sends `signal`, waits up to `grace` for the end, then SIGKILLs and reaps.
void EndChild(std::unique_ptr<ChildProcess>& child, int signal, absl::Duration grace) {
  if (child == nullptr) return;
  if (child->pid() > 0) {
    ::kill(child->pid(), signal);
    absl::Time deadline = absl::Now() + grace;
    while (!HasExited(child.get()) && absl::Now() < deadline) {
      std::this_thread::sleep_for(kPollInterval);
    }
    (void)child->Kill(SIGKILL);  // reaps; a no-op signal for a process already gone
  }
  child.reset();
}

std::optional<int> HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// Kannel's octstr_url_encode in reverse: %XX and '+' for a space; a stray '%' stays.
std::string UrlDecode(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) &&
               HexValue(text[i + 2])) {
      out.push_back(static_cast<char>(*HexValue(text[i + 1]) * 16 + *HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

void AppendUtf8(uint32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// UTF-16BE (what Kannel hands the SMSC as UCS-2) to UTF-8; an unpaired surrogate or an odd
// last byte becomes U+FFFD so that a test sees the damage instead of a shorter text.
std::string Utf16BeToUtf8(absl::string_view bytes) {
  std::string out;
  size_t i = 0;
  auto unit = [&](size_t at) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[at]) << 8 |
                                 static_cast<unsigned char>(bytes[at + 1]));
  };
  while (i + 1 < bytes.size()) {
    uint32_t first = unit(i);
    i += 2;
    if (first >= 0xD800 && first < 0xDC00 && i + 1 < bytes.size() && unit(i) >= 0xDC00 &&
        unit(i) < 0xE000) {
      AppendUtf8(0x10000 + ((first - 0xD800) << 10) + (unit(i) - 0xDC00), out);
      i += 2;
    } else if (first >= 0xD800 && first < 0xE000) {
      AppendUtf8(0xFFFD, out);
    } else {
      AppendUtf8(first, out);
    }
  }
  if (i < bytes.size()) AppendUtf8(0xFFFD, out);
  return out;
}

// One "Got message N: <from to type data>" line of fakesmsc's log. "text" data is printed
// as is (it may hold '<' and '>'), the other types URL-encoded.
std::optional<OperatorMessage> ParseReceivedLine(absl::string_view line) {
  size_t got = line.find("Got message ");
  if (got == absl::string_view::npos) return std::nullopt;
  size_t open = line.find(": <", got);
  size_t close = line.rfind('>');
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open + 3) {
    return std::nullopt;
  }
  absl::string_view content = line.substr(open + 3, close - open - 3);
  std::vector<absl::string_view> fields = absl::StrSplit(content, absl::MaxSplits(' ', 3));
  if (fields.size() < 3) return std::nullopt;
  OperatorMessage message{
      .from = std::string(fields[0]), .to = std::string(fields[1]), .type = std::string(fields[2])};
  absl::string_view data = fields.size() > 3 ? fields[3] : absl::string_view();
  if (message.type == "text") {
    message.text = std::string(data);
  } else if (message.type == "ucs-2" || message.type == "ucs2") {
    message.text = Utf16BeToUtf8(UrlDecode(data));
  } else if (message.type == "udh") {
    std::pair<absl::string_view, absl::string_view> udh_data =
        absl::StrSplit(data, absl::MaxSplits(' ', 1));
    message.text = UrlDecode(udh_data.second);
  } else {
    message.text = UrlDecode(data);
  }
  return message;
}

// The last `lines` lines of a log file, each indented, for an error message (the scratch
// directory is gone once the test fails).
std::string Tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.erase(last.begin());
  }
  std::string out;
  for (const std::string& l : last) absl::StrAppend(&out, "\n    ", l);
  return out;
}

// One GET to 127.0.0.1:`port`; the reply, or nullopt when nothing answered.
std::optional<HttpReply> Get(int port, const std::string& target) {
  HttpClient client(port);
  absl::StatusOr<HttpReply> reply = client.Send("GET", target);
  if (!reply.ok()) return std::nullopt;
  return *std::move(reply);
}

}  // namespace

KannelHarness::KannelHarness() : dir_("kannel") {}

KannelHarness::~KannelHarness() { Kill(); }

std::string KannelHarness::sendsms_url() const {
  return absl::StrCat("http://127.0.0.1:", sendsms_port_, "/cgi-bin/sendsms");
}

std::string KannelHarness::LogFiles() const {
  return absl::StrCat("logs: ", dir_.Sub("bearerbox.log"), " ", dir_.Sub("smsbox.log"), " ",
                      dir_.Sub("fakesmsc.log"));
}

absl::Status KannelHarness::Start(absl::Duration timeout) {
  for (const char* binary : {kBearerbox, kSmsbox, kFakeSmsc}) {
    if (::access(binary, X_OK) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(binary, " is missing: install the kannel and kannel-extras packages"));
    }
  }
  admin_port_ = UnusedLoopbackPort();
  smsbox_port_ = UnusedLoopbackPort();
  smsc_port_ = UnusedLoopbackPort();
  sendsms_port_ = UnusedLoopbackPort();
  for (int port : {admin_port_, smsbox_port_, smsc_port_, sendsms_port_}) {
    if (port == 0) return absl::UnavailableError("no free loopback port");
  }
  // Ports handed out one after another are released at once, so they can repeat.
  if (admin_port_ == smsbox_port_ || admin_port_ == smsc_port_ || admin_port_ == sendsms_port_ ||
      smsbox_port_ == smsc_port_ || smsbox_port_ == sendsms_port_ || smsc_port_ == sendsms_port_) {
    return absl::UnavailableError("the OS handed out the same port twice; try again");
  }

  // Everything on 127.0.0.1. The sendsms user may send up to ten concatenated parts, so a
  // long notice is not cut to one message, and has a sender for requests without `from`
  // (without one Kannel answers 400 "Sender missing and no global set"). Its black list
  // refuses every receiver starting with kDeniedPrefix (400 "Number(s) has/have been denied
  // by white- and/or black-lists."); `denied-prefix` would not: for a sendsms-user Kannel
  // reads it but does not apply it to receivers.
  std::ofstream conf(dir_.Sub("kannel.conf"));
  conf << "group = core\n"
       << "admin-port = " << admin_port_ << "\n"
       << "admin-interface = 127.0.0.1\n"
       << "admin-password = " << admin_password_ << "\n"
       << "smsbox-port = " << smsbox_port_ << "\n"
       << "box-allow-ip = 127.0.0.1\n"
       << "dlr-storage = internal\n"
       << "sms-resend-freq = 1\n"
       << "\n"
       << "group = smsc\n"
       << "smsc = fake\n"
       << "smsc-id = fake\n"
       << "port = " << smsc_port_ << "\n"
       << "connect-allow-ip = 127.0.0.1\n"
       << "\n"
       << "group = smsbox\n"
       << "bearerbox-host = 127.0.0.1\n"
       << "bearerbox-port = " << smsbox_port_ << "\n"
       << "sendsms-port = " << sendsms_port_ << "\n"
       << "sendsms-interface = 127.0.0.1\n"
       // A delivery report whose receiver is down (restarting) is fetched again.
       << "http-request-retry = 30\n"
       << "http-queue-delay = 1\n"
       << "\n"
       << "group = sendsms-user\n"
       << "username = " << username_ << "\n"
       << "password = " << password_ << "\n"
       << "default-sender = " << default_sender_ << "\n"
       << "max-messages = 10\n"
       << "concatenation = true\n"
       << "black-list-regex = ^" << kDeniedPrefix << "\n";
  conf.close();
  if (!conf) return absl::InternalError("cannot write " + dir_.Sub("kannel.conf"));

  return Launch(absl::Now() + timeout);
}

absl::Status KannelHarness::Restart(absl::Duration timeout) {
  if (sendsms_port_ == 0) return absl::FailedPreconditionError("Restart before Start");
  Kill();
  return Launch(absl::Now() + timeout);
}

absl::Status KannelHarness::Launch(absl::Time deadline) {
  // -v 0: debug level on stderr, which is the log file.
  bearerbox_ =
      StartLogged({kBearerbox, "-v", "0", dir_.Sub("kannel.conf")}, dir_.Sub("bearerbox.log"));
  return WaitUntilReady(deadline);
}

void KannelHarness::StartSmsbox() {
  smsbox_ = StartLogged({kSmsbox, "-v", "0", dir_.Sub("kannel.conf")}, dir_.Sub("smsbox.log"));
}

void KannelHarness::StartFakeSmsc() {
  // Receive mode: -m 0 sends nothing; the one message argument only keeps it from reading
  // stdin (at EOF it would quit).
  fakesmsc_ = StartLogged({kFakeSmsc, "-H", "127.0.0.1", "-r", std::to_string(smsc_port_), "-i",
                           "0.1", "-m", "0", "100 200 text unused"},
                          dir_.Sub("fakesmsc.log"));
}

absl::Status KannelHarness::WaitUntilReady(absl::Time deadline) {
  const std::string status_target = "/status.txt?password=" + admin_password_;
  const std::string smsc_online = absl::StrCat("FAKE:", smsc_port_, " (online");
  std::string missing;
  auto fail = [&](absl::Status status) {
    std::string message = absl::StrCat(status.message(), "; ", LogFiles());
    for (const char* log : {"bearerbox.log", "smsbox.log", "fakesmsc.log"}) {
      absl::StrAppend(&message, "\n  ", log, ":", Tail(dir_.Sub(log), 8));
    }
    return absl::Status(status.code(), message);
  };
  // Neither smsbox nor fakesmsc waits for bearerbox: each gives up when its first connection
  // fails. So each starts once bearerbox answers, and again (a few times) if it came too
  // early for its port.
  int smsbox_starts = 0;
  int fakesmsc_starts = 0;
  auto restart = [&](std::unique_ptr<ChildProcess>& child, int& starts,
                     void (KannelHarness::*start)()) {
    if (child != nullptr && !HasExited(child.get())) return true;
    if (++starts > 5) return false;
    EndChild(child, SIGKILL, absl::ZeroDuration());
    (this->*start)();
    return true;
  };
  while (absl::Now() < deadline) {
    if (HasExited(bearerbox_.get())) return fail(absl::UnavailableError("bearerbox exited"));
    std::optional<HttpReply> status = Get(admin_port_, status_target);
    if (!status) {
      missing = absl::StrCat("bearerbox admin port ", admin_port_);
    } else if (!absl::StrContains(status->body, "smsbox:")) {
      missing = absl::StrCat("smsbox connected to bearerbox port ", smsbox_port_);
      if (!restart(smsbox_, smsbox_starts, &KannelHarness::StartSmsbox)) {
        return fail(absl::UnavailableError("smsbox keeps exiting"));
      }
    } else if (HasExited(smsbox_.get())) {
      return fail(absl::UnavailableError("smsbox exited"));
    } else if (!absl::StrContains(status->body, smsc_online)) {
      missing = absl::StrCat("fakesmsc on port ", smsc_port_);
      if (!restart(fakesmsc_, fakesmsc_starts, &KannelHarness::StartFakeSmsc)) {
        return fail(absl::UnavailableError("fakesmsc keeps exiting"));
      }
    } else if (!Get(sendsms_port_, "/cgi-bin/sendsms?username=probe&password=probe")) {
      missing = absl::StrCat("smsbox sendsms port ", sendsms_port_);
    } else {
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return fail(absl::DeadlineExceededError("Kannel not ready: no " + missing));
}

std::vector<OperatorMessage> KannelHarness::Received() const {
  std::vector<OperatorMessage> messages;
  std::ifstream log(dir_.Sub("fakesmsc.log"));
  std::string line;
  while (std::getline(log, line)) {
    if (std::optional<OperatorMessage> message = ParseReceivedLine(line)) {
      messages.push_back(*std::move(message));
    }
  }
  return messages;
}

absl::StatusOr<std::vector<OperatorMessage>> KannelHarness::WaitForReceived(
    size_t count, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::vector<OperatorMessage> messages = Received();
  while (messages.size() < count && absl::Now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
    messages = Received();
  }
  if (messages.size() < count) {
    return absl::DeadlineExceededError(absl::StrCat("fakesmsc received ", messages.size(), " of ",
                                                    count, " messages; ", LogFiles()));
  }
  return messages;
}

void KannelHarness::Stop() {
  EndChild(smsbox_, SIGTERM, absl::Seconds(10));
  EndChild(bearerbox_, SIGTERM, absl::Seconds(10));
  EndChild(fakesmsc_, SIGTERM, absl::Seconds(10));
}

void KannelHarness::Kill() {
  EndChild(smsbox_, SIGKILL, absl::Seconds(5));
  EndChild(bearerbox_, SIGKILL, absl::Seconds(5));
  EndChild(fakesmsc_, SIGKILL, absl::Seconds(5));
}

}  // namespace sunlight::testing
