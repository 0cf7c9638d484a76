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
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/events/v1/events.grpc.pb.h"
#include "sunlight/notify/v1/notify.grpc.pb.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/testing/kannel_harness.h"
#include "sunlight/testing/loopback_port.h"
#include "sunlight/testing/test_support.h"

namespace sunlight {
namespace {

namespace nv1 = ::sunlight::notify::v1;
namespace sv1 = ::sunlight::supervision::v1;

// A stream that serves what the test appends, and waits for more.
class LiveStream final : public events::v1::EventStream::Service {
 public:
  void Append(events::v1::CaseEvent e) {
    std::lock_guard lock(mu_);
    e.set_sequence(events_.size() + 1);
    events_.push_back(std::move(e));
  }
  grpc::Status Subscribe(grpc::ServerContext* context, const events::v1::SubscribeRequest* request,
                         grpc::ServerWriter<events::v1::CaseEvent>* writer) override {
    size_t next = request->from_sequence() > 0 ? request->from_sequence() - 1 : 0;
    while (!context->IsCancelled()) {
      std::vector<events::v1::CaseEvent> batch;
      {
        std::lock_guard lock(mu_);
        for (; next < events_.size(); ++next) batch.push_back(events_[next]);
      }
      for (const auto& e : batch) {
        if (!writer->Write(e)) return grpc::Status::OK;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return grpc::Status::OK;
  }
  grpc::Status GetStreamInfo(grpc::ServerContext*, const events::v1::GetStreamInfoRequest*,
                             events::v1::StreamInfo* info) override {
    std::lock_guard lock(mu_);
    info->set_last_sequence(events_.size());
    return grpc::Status::OK;
  }

 private:
  std::mutex mu_;
  std::vector<events::v1::CaseEvent> events_;
};

events::v1::CaseEvent Light(sv1::Light to, int case_index = 1) {
  sv1::LightChanged changed;
  auto* clock = changed.mutable_clock();
  clock->set_clock_id(absl::StrCat("step/c-", case_index, "/1"));
  clock->set_kind(sv1::CLOCK_KIND_STEP);
  clock->set_case_id(absl::StrCat("c-", case_index));
  clock->set_case_number(absl::StrFormat("20261201-%06d", case_index));
  clock->set_department_id("market");
  clock->set_responsible_person("wang");
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
  void AddContact() {
    grpc::ClientContext context;
    nv1::SetContactRequest request;
    auto* c = request.mutable_contact();
    c->set_person_id("wang");
    c->set_name("王芳");
    c->set_department_id("market");
    c->set_phone("13812345678");
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

TEST_CASE(
    "end to end through Kannel: one text message per light and delivered only on the "
    "delivery report") {
  testing::KannelHarness kannel;
  absl::Status started = kannel.Start();
  INFO(started.ToString());
  REQUIRE(started.ok());
  LiveStream supervision;
  int stream_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &stream_port);
  builder.RegisterService(&supervision);
  auto server = builder.BuildAndStart();
  testing::ScratchDir dir("notify-e2e");
  NotifyProcess notify(dir, kannel, stream_port);
  notify.Start();
  notify.AddContact();

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
    auto n = notify.Get(yellow);
    return n.ok() && n->notification().state() == nv1::STATE_DELIVERED;
  }));
  auto record = notify.Get(yellow);
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
  notify.process->Kill(SIGTERM);
  notify.Start();
  supervision.Append(Light(sv1::LIGHT_RED));
  got = kannel.WaitForReceived(2);
  REQUIRE(got.ok());
  CHECK(absl::StrContains((*got)[1].text, "红灯"));
  REQUIRE(Eventually([&] {
    auto n = notify.Get("light.step.c-1.1.red.wang");
    return n.ok() && n->notification().state() == nv1::STATE_DELIVERED;
  }));
  absl::SleepFor(absl::Seconds(1));
  CHECK(kannel.Received().size() == 2);  // exactly one per transition
  notify.process->Kill(SIGTERM);
  server->Shutdown(std::chrono::system_clock::now());
}

TEST_CASE(
    "end to end through Kannel: SIGKILL during a burst of 1000 and each message arrives "
    "exactly once") {
  testing::KannelHarness kannel;
  absl::Status started = kannel.Start();
  INFO(started.ToString());
  REQUIRE(started.ok());
  LiveStream supervision;
  int stream_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &stream_port);
  builder.RegisterService(&supervision);
  auto server = builder.BuildAndStart();
  testing::ScratchDir dir("notify-burst");
  NotifyProcess notify(dir, kannel, stream_port);
  notify.Start();
  notify.AddContact();
  constexpr int kBurst = 1000;
  for (int i = 1; i <= kBurst; ++i) supervision.Append(Light(sv1::LIGHT_RED, i));
  // Killed in the middle of the burst, then started again on the same store.
  REQUIRE(Eventually([&] { return kannel.Received().size() >= kBurst / 4; }, absl::Seconds(60)));
  notify.process->Kill(SIGKILL);
  const size_t before_restart = kannel.Received().size();
  INFO("received before the kill: " << before_restart);
  CHECK(before_restart < kBurst);
  notify.Start();
  // Everything delivered (reports included), with the interrupted ones waited for.
  REQUIRE(Eventually([&] { return notify.Backlog() == 0; }, absl::Seconds(90)));
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
    auto record = notify.Get(absl::StrCat("light.step.c-", index, ".1.red.wang"));
    if (!record.ok()) continue;
    for (const auto& a : record->attempts()) {
      UNSCOPED_INFO(number << " attempt " << a.number() << (a.report() ? " report " : " ")
                           << nv1::State_Name(a.result()) << " " << a.detail());
    }
  }
  CHECK(twice == 0);
  notify.process->Kill(SIGTERM);
  server->Shutdown(std::chrono::system_clock::now());
}

}  // namespace
}  // namespace sunlight
