// Crash safety of the real intake binary: submissions are driven from several threads, the
// process is killed with SIGKILL at a random moment, restarted on the same data, and every
// acknowledged case must be there, with a gap-free event sequence. Several rounds.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "intake_test_fixture.h"
#include "sunlight/events/v1/events.grpc.pb.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"

namespace sunlight::intake {
namespace {

class RunningIntake {
 public:
  explicit RunningIntake(const testing::ScratchDir& dir) {
    std::string port_file = dir.Sub("port");
    std::remove(port_file.c_str());
    process_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        SUNLIGHT_INTAKE_BINARY, "--listen=127.0.0.1:0",
        "--metrics_listen=", "--data_dir=" + dir.Sub("data"), "--port_file=" + port_file,
        std::string("--calendar=") + SUNLIGHT_CALENDAR_FILE, ProvisionalYearsFlag()});
    port_ = process_->WaitForPortFile(port_file);
    REQUIRE(port_ > 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
  }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  void Kill() { process_->Kill(SIGKILL); }

 private:
  std::unique_ptr<testing::ChildProcess> process_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

void SeedCatalogue(v1::Intake::Stub& stub) {
  grpc::ClientContext c1, c2;
  v1::UpsertDepartmentRequest department;
  *department.mutable_actor() = Clerk();
  department.mutable_department()->set_department_id("market");
  department.mutable_department()->set_name("市场监督管理局");
  v1::Department d;
  REQUIRE(stub.UpsertDepartment(&c1, department, &d).ok());
  v1::PublishItemVersionRequest publish;
  *publish.mutable_actor() = Clerk();
  *publish.mutable_definition() = BusinessLicence();
  v1::ItemVersion item;
  REQUIRE(stub.PublishItemVersion(&c2, publish, &item).ok());
}

v1::SubmitCaseRequest Submission(const std::string& key) {
  v1::SubmitCaseRequest request;
  *request.mutable_actor() = Clerk();
  request.set_idempotency_key(key);
  request.set_item_code("GT-001");
  request.set_channel(v1::CHANNEL_ONLINE);
  request.mutable_applicant()->set_kind(v1::APPLICANT_KIND_PERSON);
  request.mutable_applicant()->set_name("张三");
  request.mutable_applicant()->set_id_number("110101199003071234");
  auto* a = request.add_materials();
  a->set_code("id-card");
  a->set_name("身份证");
  auto* b = request.add_materials();
  b->set_code("application-form");
  b->set_name("申请书");
  return request;
}

TEST_CASE(
    "every acknowledged case survives SIGKILL at random moments, with no gap in the "
    "event sequence") {
  testing::ScratchDir dir("intake-crash");
  std::mt19937 rng(20261122);
  {
    RunningIntake intake(dir);
    auto stub = v1::Intake::NewStub(intake.channel());
    SeedCatalogue(*stub);
  }  // SIGKILL here too: the catalogue was acknowledged, so it must survive.

  absl::Mutex mu;
  std::vector<std::pair<std::string, std::string>> acknowledged;  // (case id, state)
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    RunningIntake intake(dir);
    auto stub = v1::Intake::NewStub(intake.channel());
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        for (int i = 0; !stop; ++i) {
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
          v1::SubmitCaseResponse response;
          std::string key = absl::StrCat("r", round, "-t", t, "-", i);
          if (!stub->SubmitCase(&context, Submission(key), &response).ok()) break;
          std::string state = "SUBMITTED";
          if (i % 2 == 0) {
            grpc::ClientContext accept_context;
            accept_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
            v1::AcceptCaseRequest accept;
            *accept.mutable_actor() = Clerk();
            accept.set_case_id(response.case_().case_id());
            v1::CaseResponse accepted;
            if (stub->AcceptCase(&accept_context, accept, &accepted).ok()) state = "ACCEPTED";
          }
          absl::MutexLock lock(&mu);
          acknowledged.emplace_back(response.case_().case_id(), state);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
    intake.Kill();
    stop = true;
    for (auto& c : clients) c.join();
  }

  RunningIntake intake(dir);
  auto stub = v1::Intake::NewStub(intake.channel());
  REQUIRE(acknowledged.size() > 10);
  for (const auto& [case_id, state] : acknowledged) {
    grpc::ClientContext context;
    v1::GetCaseRequest get;
    get.set_case_id(case_id);
    v1::GetCaseResponse response;
    grpc::Status status = stub->GetCase(&context, get, &response);
    REQUIRE(status.ok());
    if (state == "ACCEPTED") CHECK(response.case_().state() == v1::CASE_STATE_ACCEPTED);
  }

  auto events = events::v1::EventStream::NewStub(intake.channel());
  grpc::ClientContext info_context;
  events::v1::StreamInfo info;
  REQUIRE(events->GetStreamInfo(&info_context, events::v1::GetStreamInfoRequest(), &info).ok());
  grpc::ClientContext context;
  events::v1::SubscribeRequest request;
  request.set_from_sequence(1);
  auto reader = events->Subscribe(&context, request);
  events::v1::CaseEvent event;
  uint64_t expected = 1;
  while (expected <= info.last_sequence() && reader->Read(&event)) {
    REQUIRE(event.sequence() == expected);
    ++expected;
  }
  CHECK(expected == info.last_sequence() + 1);
  context.TryCancel();
  (void)reader->Finish();
}

}  // namespace
}  // namespace sunlight::intake
