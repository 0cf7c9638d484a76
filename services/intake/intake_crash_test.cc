// Crash safety of the real intake binary: submissions are driven from several threads, the
// process is killed with SIGKILL at a random moment, restarted on the same data, and every
// acknowledged case must be there, with a gap-free event sequence. Several rounds.
#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/testing/event_stream.h"
#include "sunlight/testing/intake_fixture.h"
#include "sunlight/testing/service_process.h"

namespace sunlight::intake {
namespace {

v1::SubmitCaseRequest Submission(const std::string& key) {
  v1::SubmitCaseRequest request = IntakeFixture::SubmitRequest(key);
  request.set_channel(v1::CHANNEL_ONLINE);
  return request;
}

TEST_CASE(
    "every acknowledged case survives SIGKILL at random moments, with no gap in the "
    "event sequence") {
  testing::ScratchDir dir("intake-crash");
  std::mt19937 rng(20261122);
  testing::ServiceProcess intake(dir, "intake", SUNLIGHT_INTAKE_BINARY,
                                 CalendarFlags({"--insecure_development=true"}));
  REQUIRE(intake.Start().ok());
  SeedCatalogue(*v1::Intake::NewStub(intake.channel()));
  intake.Kill();  // SIGKILL here too: the catalogue was acknowledged, so it must survive.

  absl::Mutex mu;
  std::vector<std::pair<std::string, std::string>> acknowledged;  // (case id, state)
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    REQUIRE(intake.Start().ok());
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

  REQUIRE(intake.Start().ok());
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

  testing::StreamFromStart stream = testing::ReadStreamFromStart(intake.channel());
  uint64_t expected = 1;
  for (const events::v1::CaseEvent& event : stream.events) {
    REQUIRE(event.sequence() == expected);
    ++expected;
  }
  CHECK(expected == stream.last_sequence + 1);
}

}  // namespace
}  // namespace sunlight::intake
