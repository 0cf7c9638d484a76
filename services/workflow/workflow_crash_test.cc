// Crash safety of the real workflow binary: it is killed with SIGKILL while it consumes the
// intake stream and while it serves actions, and restarted on the same data. Afterwards
// every accepted case has exactly one process and no acknowledged action is lost.
#include <signal.h>

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "intake_test_fixture.h"
#include "sunlight/events/v1/events.grpc.pb.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/workflow/v1/workflow.grpc.pb.h"

namespace sunlight::workflow {
namespace {

namespace iv1 = ::sunlight::intake::v1;

class Binary {
 public:
  Binary(const testing::ScratchDir& dir, const std::string& name, std::vector<std::string> args) {
    std::string port_file = dir.Sub(name + ".port");
    std::remove(port_file.c_str());
    args.push_back("--port_file=" + port_file);
    args.push_back("--metrics_listen=");
    args.push_back("--data_dir=" + dir.Sub(name + "-data"));
    args.push_back(std::string("--calendar=") + SUNLIGHT_CALENDAR_FILE);
    args.push_back(intake::ProvisionalYearsFlag());
    process_ = std::make_unique<testing::ChildProcess>(args);
    port_ = process_->WaitForPortFile(port_file);
    REQUIRE(port_ > 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
  }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  int port() const { return port_; }
  void Kill() { process_->Kill(SIGKILL); }

 private:
  std::unique_ptr<testing::ChildProcess> process_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

std::unique_ptr<Binary> StartWorkflow(const testing::ScratchDir& dir, int intake_port) {
  return std::make_unique<Binary>(
      dir, "workflow",
      std::vector<std::string>{SUNLIGHT_WORKFLOW_BINARY, "--listen=127.0.0.1:0",
                               absl::StrCat("--intake=127.0.0.1:", intake_port)});
}

common::v1::Actor Handler() {
  common::v1::Actor actor;
  actor.set_id("handler-1");
  actor.set_role("handler");
  actor.set_department_id("market");
  return actor;
}

void Seed(iv1::Intake::Stub& stub) {
  grpc::ClientContext c1, c2;
  iv1::UpsertDepartmentRequest department;
  *department.mutable_actor() = intake::Clerk();
  department.mutable_department()->set_department_id("market");
  department.mutable_department()->set_name("市场监督管理局");
  iv1::Department d;
  REQUIRE(stub.UpsertDepartment(&c1, department, &d).ok());
  iv1::PublishItemVersionRequest publish;
  *publish.mutable_actor() = intake::Clerk();
  *publish.mutable_definition() = intake::BusinessLicence();
  publish.mutable_definition()->clear_steps();
  auto* handle = publish.mutable_definition()->add_steps();
  handle->set_code("handle");
  handle->set_kind(iv1::STEP_KIND_HANDLE);
  handle->set_department_id("market");
  handle->set_role("handler");
  *handle->mutable_limit() = intake::WorkingDays(2);
  auto* approve = publish.mutable_definition()->add_steps();
  *approve = *handle;
  approve->set_code("approve");
  approve->set_kind(iv1::STEP_KIND_APPROVE);
  approve->set_role("approver");
  iv1::ItemVersion item;
  REQUIRE(stub.PublishItemVersion(&c2, publish, &item).ok());
}

std::string SubmitAndAccept(iv1::Intake::Stub& stub, const std::string& key) {
  iv1::SubmitCaseRequest request;
  *request.mutable_actor() = intake::Clerk();
  request.set_idempotency_key(key);
  request.set_item_code("GT-001");
  request.set_channel(iv1::CHANNEL_WINDOW);
  request.mutable_applicant()->set_kind(iv1::APPLICANT_KIND_PERSON);
  request.mutable_applicant()->set_name("王五");
  request.mutable_applicant()->set_id_number("110101199003071234");
  for (const char* code : {"id-card", "application-form"}) {
    auto* m = request.add_materials();
    m->set_code(code);
    m->set_name(code);
  }
  grpc::ClientContext submit_context;
  iv1::SubmitCaseResponse submitted;
  REQUIRE(stub.SubmitCase(&submit_context, request, &submitted).ok());
  grpc::ClientContext accept_context;
  iv1::AcceptCaseRequest accept;
  *accept.mutable_actor() = intake::Clerk();
  accept.set_case_id(submitted.case_().case_id());
  iv1::CaseResponse accepted;
  REQUIRE(stub.AcceptCase(&accept_context, accept, &accepted).ok());
  return submitted.case_().case_id();
}

TEST_CASE("SIGKILL while consuming and while serving loses no case and no acknowledged action") {
  testing::ScratchDir dir("workflow-crash");
  std::mt19937 rng(1122);
  Binary intake(dir, "intake", {SUNLIGHT_INTAKE_BINARY, "--listen=127.0.0.1:0"});
  auto intake_stub = iv1::Intake::NewStub(intake.channel());
  Seed(*intake_stub);

  // 1. Kill the workflow while it consumes a stream of acceptances.
  std::vector<std::string> accepted;
  for (int round = 0; round < 3; ++round) {
    auto workflow = StartWorkflow(dir, intake.port());
    for (int i = 0; i < 40; ++i) {
      accepted.push_back(SubmitAndAccept(*intake_stub, absl::StrCat("k", round, "-", i)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 150));
    workflow->Kill();
  }

  // 2. Kill it while it serves CompleteStep calls on the routed cases.
  absl::Mutex mu;
  std::map<std::string, bool> acknowledged;  // case id -> its handle step completion was OK
  for (int round = 0; round < 2; ++round) {
    auto workflow = StartWorkflow(dir, intake.port());
    auto stub = v1::Workflow::NewStub(workflow->channel());
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 3; ++t) {
      clients.emplace_back([&, t] {
        for (size_t i = static_cast<size_t>(t); i < accepted.size() && !stop; i += 3) {
          {
            absl::MutexLock lock(&mu);
            if (acknowledged[accepted[i]]) continue;
          }
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
          v1::CompleteStepRequest complete;
          *complete.mutable_actor() = Handler();
          complete.set_step_id(accepted[i] + "/1");
          complete.set_opinion(v1::OPINION_PASS);
          v1::ProcessResponse response;
          grpc::Status status = stub->CompleteStep(&context, complete, &response);
          if (status.ok()) {
            absl::MutexLock lock(&mu);
            acknowledged[accepted[i]] = true;
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 300));
    workflow->Kill();
    stop = true;
    for (auto& c : clients) c.join();
  }

  // 3. Restart; once caught up, every accepted case has exactly one process, and every
  //    acknowledged completion is there.
  auto workflow = StartWorkflow(dir, intake.port());
  auto stub = v1::Workflow::NewStub(workflow->channel());
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  for (const std::string& case_id : accepted) {
    v1::GetProcessResponse response;
    grpc::Status status;
    do {
      grpc::ClientContext context;
      v1::GetProcessRequest get;
      get.set_case_id(case_id);
      status = stub->GetProcess(&context, get, &response);
      if (!status.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (!status.ok() && absl::Now() < deadline);
    REQUIRE(status.ok());
    REQUIRE(response.process().steps_size() >= 1);
    if (acknowledged[case_id]) {
      CHECK(response.process().steps(0).state() == v1::STEP_STATE_PASSED);
      CHECK(response.process().steps_size() == 2);
    }
  }
  size_t acknowledged_count = 0;
  for (const auto& [id, ok] : acknowledged) acknowledged_count += ok ? 1 : 0;
  CHECK(acknowledged_count > 0);

  auto events = events::v1::EventStream::NewStub(workflow->channel());
  grpc::ClientContext info_context;
  events::v1::StreamInfo info;
  REQUIRE(events->GetStreamInfo(&info_context, events::v1::GetStreamInfoRequest(), &info).ok());
  grpc::ClientContext context;
  events::v1::SubscribeRequest request;
  request.set_from_sequence(1);
  auto reader = events->Subscribe(&context, request);
  events::v1::CaseEvent event;
  std::map<std::string, int> started;
  uint64_t expected = 1;
  while (expected <= info.last_sequence() && reader->Read(&event)) {
    REQUIRE(event.sequence() == expected++);
    if (event.type() == "workflow.process.started") ++started[event.case_id()];
  }
  context.TryCancel();
  (void)reader->Finish();
  CHECK(started.size() == accepted.size());
  for (const auto& [id, count] : started) CHECK(count == 1);
}

}  // namespace
}  // namespace sunlight::workflow
