// Crash safety of the real supervision binary: it is killed with SIGKILL while it ingests the
// intake and workflow streams and while it fires transitions, and restarted on the same data.
// Its clock runs 30 days ahead, so every clock it plans is past its yellow and red instants
// and fires at once. Afterwards every case and step clock has exactly one yellow and one red
// alert, and the alert file holds each alert exactly once.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/supervision/v1/supervision.grpc.pb.h"
#include "sunlight/testing/intake_fixture.h"
#include "sunlight/testing/service_process.h"

namespace sunlight::supervision {
namespace {

namespace iv1 = ::sunlight::intake::v1;

TEST_CASE("SIGKILL during ingestion and firing loses and repeats no transition") {
  testing::ScratchDir dir("supervision-crash");
  std::mt19937 rng(2211);
  testing::ServiceProcess intake(dir, "intake", SUNLIGHT_INTAKE_BINARY,
                                 intake::CalendarFlags({"--insecure_development=true"}));
  REQUIRE(intake.Start().ok());
  auto intake_stub = iv1::Intake::NewStub(intake.channel());
  intake::SeedCatalogue(*intake_stub);
  testing::ServiceProcess workflow(
      dir, "workflow", SUNLIGHT_WORKFLOW_BINARY,
      intake::CalendarFlags({"--insecure_development=true", "--intake=" + intake.target()}));
  REQUIRE(workflow.Start().ok());
  testing::ServiceProcess supervision(
      dir, "supervision", SUNLIGHT_SUPERVISION_BINARY,
      intake::CalendarFlags({"--insecure_development=true", "--intake=" + intake.target(),
                             "--workflow=" + workflow.target(), "--clock_offset=720h",
                             "--tick=20ms", "--alert_file=" + dir.Sub("alerts.jsonl")}));

  std::vector<std::string> cases;
  for (int round = 0; round < 4; ++round) {
    REQUIRE(supervision.Start().ok());
    for (int i = 0; i < 15; ++i) {
      cases.push_back(intake::SubmitAndAccept(*intake_stub, absl::StrCat("r", round, "-", i)));
      if (i == 7) std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 200));
    supervision.Kill();
  }

  REQUIRE(supervision.Start().ok());
  auto stub = v1::Supervision::NewStub(supervision.channel());
  // Wait until every case and step clock has fired both transitions.
  const size_t expected = cases.size() * 4;
  std::vector<v1::Alert> alerts;
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    alerts.clear();
    std::string token;
    do {
      grpc::ClientContext context;
      v1::ListAlertsRequest request;
      request.mutable_page()->set_page_size(500);
      request.mutable_page()->set_page_token(token);
      v1::ListAlertsResponse response;
      REQUIRE(stub->ListAlerts(&context, request, &response).ok());
      for (const auto& a : response.alerts()) {
        if (a.kind() == v1::ALERT_KIND_LIGHT) alerts.push_back(a);
      }
      token = response.next_page_token();
    } while (!token.empty());
    if (alerts.size() >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::map<std::string, int> per_clock;
  std::set<std::string> ids;
  for (const auto& a : alerts) {
    ++per_clock[a.clock_id()];
    CHECK(ids.insert(a.alert_id()).second);  // no transition twice
  }
  CHECK(alerts.size() == expected);
  for (const auto& case_id : cases) {
    CHECK(per_clock["case/" + case_id] == 2);
    CHECK(per_clock["step/" + case_id + "/1"] == 2);
  }
  // The sink got each alert exactly once (give the notifier a moment to drain).
  std::map<std::string, int> in_file;
  deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    in_file.clear();
    std::ifstream in(dir.Sub("alerts.jsonl"));
    for (std::string line; std::getline(in, line);) {
      v1::Alert alert;
      REQUIRE(google::protobuf::util::JsonStringToMessage(line, &alert).ok());
      if (alert.kind() == v1::ALERT_KIND_LIGHT) ++in_file[alert.alert_id()];
    }
    if (in_file.size() >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(in_file.size() == expected);
  for (const auto& [id, count] : in_file) CHECK(count == 1);
}

}  // namespace
}  // namespace sunlight::supervision
