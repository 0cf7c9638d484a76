// End to end with a real Kannel (bearerbox, smsbox, fakesmsc): the notify binary follows a
// supervision stream served here, tells the responsible person of each light by text
// message through Kannel, and marks each one delivered when Kannel's delivery report says so.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/events/v1/events.grpc.pb.h"
#include "sunlight/notify/v1/notify.grpc.pb.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/testing/http_client.h"
#include "sunlight/testing/kannel_harness.h"
#include "sunlight/testing/live_stream.h"
#include "sunlight/testing/loopback_port.h"
#include "sunlight/testing/test_support.h"

namespace sunlight {
namespace {

namespace nv1 = ::sunlight::notify::v1;
namespace sv1 = ::sunlight::supervision::v1;

events::v1::CaseEvent Light(sv1::Light to, int case_index = 1, const std::string& person = "wang") {
  sv1::LightChanged changed;
  auto* clock = changed.mutable_clock();
  clock->set_clock_id(absl::StrCat("step/c-", case_index, "/1"));
  clock->set_kind(sv1::CLOCK_KIND_STEP);
  clock->set_case_id(absl::StrCat("c-", case_index));
  clock->set_case_number(absl::StrFormat("20261201-%06d", case_index));
  clock->set_department_id("market");
  clock->set_responsible_person(person);
  *clock->mutable_due() = ToProto(absl::Now() + absl::Hours(24));
  changed.set_from(to == sv1::LIGHT_RED ? sv1::LIGHT_YELLOW : sv1::LIGHT_GREEN);
  changed.set_to(to);
  events::v1::CaseEvent e;
  e.set_case_id(clock->case_id());
  e.set_type("supervision.light.changed");
  *e.mutable_occurred_at() = ToProto(absl::Now());
  e.mutable_payload()->PackFrom(changed);
  return e;
}

template <typename Probe>
bool Eventually(Probe probe, absl::Duration within = absl::Seconds(20)) {
  for (absl::Time end = absl::Now() + within; absl::Now() < end;) {
    if (probe()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

// The value of the gauge `name` on the Prometheus endpoint at 127.0.0.1:`port`, or -1.
double Gauge(int port, const std::string& name) {
  testing::HttpClient client(port);
  auto reply = client.Send("GET", "/metrics");
  if (!reply.ok() || reply->status != 200) return -1;
  for (absl::string_view line : absl::StrSplit(reply->body, '\n')) {
    if (!absl::StartsWith(line, name) || line.size() <= name.size()) continue;
    if (line[name.size()] != ' ' && line[name.size()] != '{') continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) return value;
  }
  return -1;
}

struct NotifyProcess {
  NotifyProcess(testing::ScratchDir& dir, const testing::KannelHarness& kannel, int stream_port)
      : dir(dir) {
    {
      std::ofstream f(dir.Sub("kannel.password"));
      f << kannel.password();
    }
    chmod(dir.Sub("kannel.password").c_str(), 0600);
    args = {SUNLIGHT_NOTIFY_BINARY, "--listen=127.0.0.1:0",
            "--metrics_listen=", "--insecure_development=true", "--sync_writes=true",
            "--data_dir=" + dir.Sub("notify"), "--port_file=" + dir.Sub("notify.port"),
            absl::StrCat("--supervision=127.0.0.1:", stream_port),
            std::string("--templates=") + SUNLIGHT_TEMPLATES_FILE,
            "--kannel_sendsms_url=" + kannel.sendsms_url(),
            "--kannel_username=" + kannel.username(),
            "--kannel_password_file=" + dir.Sub("kannel.password"),
            // A port of its own across restarts: each message's report URL names it, and
            // Kannel fetches a report again when the receiver was down.
            absl::StrCat("--dlr_listen=127.0.0.1:", testing::UnusedLoopbackPort()),
            "--deliver_every=50ms", "--report_wait=20s"};
  }
  // Replaces the flag `--name=…` of `args` (or adds it); before Start.
  void SetFlag(const std::string& name, const std::string& value) {
    const std::string prefix = "--" + name + "=";
    for (std::string& arg : args) {
      if (absl::StartsWith(arg, prefix)) {
        arg = prefix + value;
        return;
      }
    }
    args.push_back(prefix + value);
  }
  void Start() {
    unlink(dir.Sub("notify.port").c_str());
    process = std::make_unique<testing::ChildProcess>(args);
    int port = process->WaitForPortFile(dir.Sub("notify.port"));
    REQUIRE(port != 0);
    stub = nv1::Notify::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }
  // Not yet delivered nor dead, or -1 when the process does not answer.
  int64_t Backlog() {
    grpc::ClientContext context;
    nv1::ListNotificationsRequest request;
    request.set_limit(1);
    nv1::ListNotificationsResponse response;
    if (!stub->ListNotifications(&context, request, &response).ok()) return -1;
    return static_cast<int64_t>(response.backlog());
  }
  void AddContact(const std::string& person = "wang", const std::string& phone = "13812345678") {
    grpc::ClientContext context;
    nv1::SetContactRequest request;
    auto* c = request.mutable_contact();
    c->set_person_id(person);
    c->set_name(person == "wang" ? "王芳" : person);
    c->set_department_id("market");
    c->set_phone(phone);
    nv1::Contact out;
    REQUIRE(stub->SetContact(&context, request, &out).ok());
  }
  absl::StatusOr<nv1::GetNotificationResponse> Get(const std::string& key) {
    grpc::ClientContext context;
    nv1::GetNotificationRequest request;
    request.set_key(key);
    nv1::GetNotificationResponse response;
    grpc::Status s = stub->GetNotification(&context, request, &response);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    return response;
  }

  testing::ScratchDir& dir;
  std::vector<std::string> args;
  std::unique_ptr<testing::ChildProcess> process;
  std::unique_ptr<nv1::Notify::Stub> stub;
};

// Real Kannel, the supervision stream the test serves, and the notify binary following it
// (not yet started: a test may set flags first).
struct KannelFixture {
  KannelFixture() {
    absl::Status started = kannel.Start();
    INFO(started.ToString());
    REQUIRE(started.ok());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &stream_port);
    builder.RegisterService(&supervision);
    server = builder.BuildAndStart();
    notify = std::make_unique<NotifyProcess>(dir, kannel, stream_port);
  }
  ~KannelFixture() {
    notify.reset();
    server->Shutdown(std::chrono::system_clock::now());
  }

  testing::KannelHarness kannel;
  testing::LiveStream supervision;
  int stream_port = 0;
  std::unique_ptr<grpc::Server> server;
  testing::ScratchDir dir{"notify-e2e"};
  std::unique_ptr<NotifyProcess> notify;
};

TEST_CASE_METHOD(KannelFixture,
                 "end to end through Kannel: one text message per light and delivered only on the "
                 "delivery report") {
  notify->Start();
  notify->AddContact();

  // Yellow: one message to wang, through Kannel to the operator side.
  supervision.Append(Light(sv1::LIGHT_YELLOW));
  auto got = kannel.WaitForReceived(1);
  INFO(got.status().ToString());
  REQUIRE(got.ok());
  CHECK((*got)[0].to == "13812345678");
  CHECK(absl::StrContains((*got)[0].text, "黄灯"));
  CHECK(absl::StrContains((*got)[0].text, "20261201-000001"));
  // Delivered once the report came: an attempt (SENT), then reports, the last DELIVERED.
  const std::string yellow = "light.step.c-1.1.yellow.wang";
  REQUIRE(Eventually([&] {
    auto n = notify->Get(yellow);
    return n.ok() && n->notification().state() == nv1::STATE_DELIVERED;
  }));
  auto record = notify->Get(yellow);
  REQUIRE(record.ok());
  REQUIRE(record->attempts_size() >= 2);
  CHECK(record->attempts(0).result() == nv1::STATE_SENT);
  CHECK_FALSE(record->attempts(0).report());
  bool delivered_by_report = false;
  for (const auto& a : record->attempts()) {
    delivered_by_report |= a.report() && a.result() == nv1::STATE_DELIVERED;
  }
  CHECK(delivered_by_report);

  // Red: one more message; the notify process restarted in between replays nothing.
  notify->process->Kill(SIGTERM);
  notify->Start();
  supervision.Append(Light(sv1::LIGHT_RED));
  got = kannel.WaitForReceived(2);
  REQUIRE(got.ok());
  CHECK(absl::StrContains((*got)[1].text, "红灯"));
  REQUIRE(Eventually([&] {
    auto n = notify->Get("light.step.c-1.1.red.wang");
    return n.ok() && n->notification().state() == nv1::STATE_DELIVERED;
  }));
  absl::SleepFor(absl::Seconds(1));
  CHECK(kannel.Received().size() == 2);  // exactly one per transition
  notify->process->Kill(SIGTERM);
}

TEST_CASE_METHOD(
    KannelFixture,
    "end to end through Kannel: SIGKILL during a burst of 1000 and each message arrives "
    "exactly once") {
  notify->Start();
  notify->AddContact();
  constexpr int kBurst = 1000;
  for (int i = 1; i <= kBurst; ++i) supervision.Append(Light(sv1::LIGHT_RED, i));
  // Killed in the middle of the burst, then started again on the same store.
  REQUIRE(Eventually([&] { return kannel.Received().size() >= kBurst / 4; }, absl::Seconds(60)));
  notify->process->Kill(SIGKILL);
  const size_t before_restart = kannel.Received().size();
  INFO("received before the kill: " << before_restart);
  CHECK(before_restart < kBurst);
  notify->Start();
  // Everything delivered (reports included), with the interrupted ones waited for.
  REQUIRE(Eventually([&] { return notify->Backlog() == 0; }, absl::Seconds(90)));
  absl::SleepFor(absl::Seconds(1));
  std::map<std::string, int> by_case;
  for (const auto& m : kannel.Received()) {
    size_t at = m.text.find("20261201-");
    REQUIRE(at != std::string::npos);
    ++by_case[m.text.substr(at, 15)];
  }
  CHECK(by_case.size() == kBurst);
  int twice = 0;
  for (const auto& [number, count] : by_case) {
    if (count == 1) continue;
    ++twice;
    // What the delivery record says of a message sent twice.
    int index = std::stoi(number.substr(9));
    auto record = notify->Get(absl::StrCat("light.step.c-", index, ".1.red.wang"));
    if (!record.ok()) continue;
    for (const auto& a : record->attempts()) {
      UNSCOPED_INFO(number << " attempt " << a.number() << (a.report() ? " report " : " ")
                           << nv1::State_Name(a.result()) << " " << a.detail());
    }
  }
  CHECK(twice == 0);
  notify->process->Kill(SIGTERM);
}

TEST_CASE_METHOD(
    KannelFixture,
    "end to end through Kannel: Kannel down for a while, messages queue and back off, none is "
    "lost, the backlog rises and falls and a number Kannel refuses is dead-lettered with its "
    "answer") {
  const int metrics_port = testing::UnusedLoopbackPort();
  REQUIRE(metrics_port != 0);
  notify->SetFlag("metrics_listen", absl::StrCat("127.0.0.1:", metrics_port));
  // Waits of 1, 2, 4, 4 … s (each ±20%), and attempts enough to outlast the outage.
  notify->SetFlag("first_backoff", "1s");
  notify->SetFlag("max_backoff", "4s");
  notify->SetFlag("max_attempts", "100");
  notify->Start();
  notify->AddContact();
  const std::string denied_phone = absl::StrCat(testing::KannelHarness::kDeniedPrefix, "1234567");
  notify->AddContact("li", denied_phone);

  // Kannel down: sendsms refuses connections.
  kannel.Kill();
  constexpr int kLights = 50;
  for (int i = 1; i <= kLights; ++i) supervision.Append(Light(sv1::LIGHT_RED, i));
  auto key = [](int i) { return absl::StrCat("light.step.c-", i, ".1.red.wang"); };
  // Every one tried and RETRYING with the connection error; none dead.
  REQUIRE(Eventually([&] {
    for (int i = 1; i <= kLights; ++i) {
      auto n = notify->Get(key(i));
      if (!n.ok() || n->notification().state() != nv1::STATE_RETRYING) return false;
    }
    return true;
  }));
  for (int i = 1; i <= kLights; ++i) {
    auto n = notify->Get(key(i));
    REQUIRE(n.ok());
    INFO(key(i) << ": " << n->notification().last_detail());
    // curl's "Couldn't connect to server", after the channel's "connection: ".
    CHECK(absl::StartsWith(n->notification().last_detail(), "connection: "));
    CHECK(absl::StrContains(n->notification().last_detail(), "connect to server"));
    CHECK(n->attempts_size() >= 1);
  }
  CHECK(notify->Backlog() == kLights);
  CHECK(Eventually([&] { return Gauge(metrics_port, "sunlight_notify_backlog") == kLights; }));
  // Backing off: for one notification, the wait it was given after each failed attempt
  // (next_attempt_at - last_attempt_at) grows with the attempts: ~1 s, ~2 s, ~4 s.
  std::map<uint32_t, absl::Duration> wait_after;
  REQUIRE(Eventually(
      [&] {
        auto n = notify->Get(key(1));
        if (n.ok() && n->notification().state() == nv1::STATE_RETRYING) {
          wait_after[n->notification().attempts()] =
              FromProto(n->notification().next_attempt_at()) -
              FromProto(n->notification().last_attempt_at());
        }
        return wait_after.count(1) && wait_after.count(2) && wait_after.count(3);
      },
      absl::Seconds(30)));
  for (const auto& [attempts, wait] : wait_after) {
    UNSCOPED_INFO("after attempt " << attempts << ": " << absl::FormatDuration(wait));
  }
  CHECK(wait_after[1] >= absl::Milliseconds(800));
  CHECK(wait_after[1] < wait_after[2]);
  CHECK(wait_after[2] < wait_after[3]);
  CHECK(wait_after[3] <= absl::Milliseconds(4900));
  auto record = notify->Get(key(1));
  REQUIRE(record.ok());
  for (const auto& a : record->attempts()) {
    CHECK(a.result() == nv1::STATE_RETRYING);
    CHECK(absl::StartsWith(a.detail(), "connection: "));
  }
  CHECK(kannel.Received().empty());
  CHECK(notify->Backlog() == kLights);

  // Kannel back on the same ports: every message arrives, once, and is delivered.
  absl::Status restarted = kannel.Restart();
  INFO(restarted.ToString());
  REQUIRE(restarted.ok());
  auto got = kannel.WaitForReceived(kLights, absl::Seconds(60));
  INFO(got.status().ToString());
  REQUIRE(got.ok());
  REQUIRE(Eventually([&] { return notify->Backlog() == 0; }, absl::Seconds(60)));
  CHECK(Eventually([&] { return Gauge(metrics_port, "sunlight_notify_backlog") == 0; }));
  absl::SleepFor(absl::Seconds(1));
  std::map<std::string, int> by_case;
  for (const auto& m : kannel.Received()) {
    CHECK(m.to == "13812345678");
    size_t at = m.text.find("20261201-");
    REQUIRE(at != std::string::npos);
    ++by_case[m.text.substr(at, 15)];
  }
  CHECK(by_case.size() == kLights);
  for (const auto& [number, count] : by_case) {
    INFO(number);
    CHECK(count == 1);
  }
  for (int i = 1; i <= kLights; ++i) {
    auto n = notify->Get(key(i));
    REQUIRE(n.ok());
    CHECK(n->notification().state() == nv1::STATE_DELIVERED);
  }

  // A number Kannel refuses for good (its black list: 400): dead at the first attempt, with
  // Kannel's answer as the reason, and nothing reaches the operator.
  supervision.Append(Light(sv1::LIGHT_RED, kLights + 1, "li"));
  const std::string refused = absl::StrCat("light.step.c-", kLights + 1, ".1.red.li");
  REQUIRE(Eventually([&] {
    auto n = notify->Get(refused);
    return n.ok() && n->notification().state() == nv1::STATE_DEAD;
  }));
  record = notify->Get(refused);
  REQUIRE(record.ok());
  INFO(record->notification().dead_reason());
  CHECK(absl::StrContains(record->notification().dead_reason(), "400"));
  CHECK(absl::StrContains(record->notification().dead_reason(),
                          "denied by white- and/or black-lists"));
  CHECK(record->notification().attempts() == 1);
  CHECK(record->notification().to() == denied_phone);
  CHECK(notify->Backlog() == 0);
  CHECK(Eventually([&] { return Gauge(metrics_port, "sunlight_notify_dead") == 1; }));
  absl::SleepFor(absl::Milliseconds(500));
  CHECK(kannel.Received().size() == kLights);
  notify->process->Kill(SIGTERM);
}

}  // namespace
}  // namespace sunlight
