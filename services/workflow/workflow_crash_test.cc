// Crash safety of the real workflow binary: it is killed with SIGKILL while it consumes the
// intake stream and while it serves actions, and restarted on the same data. Afterwards
// every accepted case has exactly one process and no acknowledged action is lost.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/testing/event_stream.h"
#include "sunlight/testing/intake_fixture.h"
#include "sunlight/testing/service_process.h"
#include "sunlight/workflow/v1/workflow.grpc.pb.h"

namespace sunlight::workflow {
namespace {

namespace iv1 = ::sunlight::intake::v1;

// The business licence with two steps: handle (by a handler), then approve.
iv1::ItemDefinition HandleAndApprove() {
  iv1::ItemDefinition item = intake::BusinessLicence();
  item.clear_steps();
  auto* handle = item.add_steps();
  handle->set_code("handle");
  handle->set_kind(iv1::STEP_KIND_HANDLE);
  handle->set_department_id("market");
  handle->set_role("handler");
  *handle->mutable_limit() = intake::WorkingDays(2);
  auto* approve = item.add_steps();
  *approve = *handle;
  approve->set_code("approve");
  approve->set_kind(iv1::STEP_KIND_APPROVE);
  approve->set_role("approver");
  return item;
}

TEST_CASE("SIGKILL while consuming and while serving loses no case and no acknowledged action") {
  testing::ScratchDir dir("workflow-crash");
  std::mt19937 rng(1122);
  testing::ServiceProcess intake(dir, "intake", SUNLIGHT_INTAKE_BINARY,
                                 intake::CalendarFlags({"--insecure_development=true"}));
  REQUIRE(intake.Start().ok());
  auto intake_stub = iv1::Intake::NewStub(intake.channel());
  intake::SeedCatalogue(*intake_stub, HandleAndApprove());
  testing::ServiceProcess workflow(
      dir, "workflow", SUNLIGHT_WORKFLOW_BINARY,
      intake::CalendarFlags({"--insecure_development=true", "--intake=" + intake.target()}));

  // 1. Kill the workflow while it consumes a stream of acceptances.
  std::vector<std::string> accepted;
  for (int round = 0; round < 3; ++round) {
    REQUIRE(workflow.Start().ok());
    for (int i = 0; i < 40; ++i) {
      accepted.push_back(intake::SubmitAndAccept(*intake_stub, absl::StrCat("k", round, "-", i)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 150));
    workflow.Kill();
  }

  // 2. Kill it while it serves CompleteStep calls on the routed cases.
  absl::Mutex mu;
  std::map<std::string, bool> acknowledged;  // case id -> its handle step completion was OK
  for (int round = 0; round < 2; ++round) {
    REQUIRE(workflow.Start().ok());
    auto stub = v1::Workflow::NewStub(workflow.channel());
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
          *complete.mutable_actor() = intake::Person("handler-1", "handler");
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
    workflow.Kill();
    stop = true;
    for (auto& c : clients) c.join();
  }

  // 3. Restart; once caught up, every accepted case has exactly one process, and every
  //    acknowledged completion is there.
  REQUIRE(workflow.Start().ok());
  auto stub = v1::Workflow::NewStub(workflow.channel());
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

  testing::StreamFromStart stream = testing::ReadStreamFromStart(workflow.channel());
  std::map<std::string, int> started;
  uint64_t expected = 1;
  for (const events::v1::CaseEvent& event : stream.events) {
    REQUIRE(event.sequence() == expected++);
    if (event.type() == "workflow.process.started") ++started[event.case_id()];
  }
  CHECK(started.size() == accepted.size());
  for (const auto& [id, count] : started) CHECK(count == 1);
}

}  // namespace
}  // namespace sunlight::workflow
