// Crash safety of the real scoring binary: it is killed with SIGKILL while it ingests the
// intake, workflow and supervision streams and while it publishes a month, and restarted on
// the same data. A second scoring binary that is never killed follows the same streams; in
// the end both give the same scores, and the published month is the one they agree on.
#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/scoring/v1/scoring.grpc.pb.h"
#include "sunlight/testing/intake_fixture.h"
#include "sunlight/testing/service_process.h"

namespace sunlight::scoring {
namespace {

namespace iv1 = ::sunlight::intake::v1;

// The month (in Shanghai) of now + offset.
std::string MonthOf(absl::Duration offset) {
  return absl::FormatTime("%Y-%m", absl::Now() + offset, intake::Shanghai());
}

absl::StatusOr<v1::ScoreSheet> Sheet(v1::Scoring::Stub& stub, const std::string& month) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetScoreSheetRequest request;
  request.set_month(month);
  v1::ScoreSheet sheet;
  grpc::Status s = stub.GetScoreSheet(&context, request, &sheet);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  return sheet;
}

uint64_t Accepted(v1::Scoring::Stub& stub, const std::string& month) {
  grpc::ClientContext context;
  v1::StatisticsRequest request;
  request.set_dimension(v1::DIMENSION_CENTER);
  request.set_period(v1::PERIOD_YEAR);
  request.set_from_day(month + "-01");
  request.set_to_day(month + "-01");
  v1::StatisticsResponse response;
  if (!stub.GetStatistics(&context, request, &response).ok()) return 0;
  uint64_t accepted = 0;
  for (const auto& row : response.rows()) accepted += row.measures().accepted();
  return accepted;
}

TEST_CASE("SIGKILL during ingestion and during a month's publication changes no score") {
  testing::ScratchDir dir("scoring-crash");
  std::mt19937 rng(1702);
  testing::ServiceProcess intake(dir, "intake", SUNLIGHT_INTAKE_BINARY,
                                 intake::CalendarFlags({"--insecure_development=true"}));
  REQUIRE(intake.Start().ok());
  auto intake_stub = iv1::Intake::NewStub(intake.channel());
  intake::SeedCatalogue(*intake_stub);
  testing::ServiceProcess workflow(
      dir, "workflow", SUNLIGHT_WORKFLOW_BINARY,
      intake::CalendarFlags({"--insecure_development=true", "--intake=" + intake.target()}));
  REQUIRE(workflow.Start().ok());
  // Supervision's clock runs 30 days ahead: every clock turns yellow and red at once.
  testing::ServiceProcess supervision(
      dir, "supervision", SUNLIGHT_SUPERVISION_BINARY,
      intake::CalendarFlags({"--insecure_development=true", "--intake=" + intake.target(),
                             "--workflow=" + workflow.target(), "--clock_offset=720h",
                             "--tick=20ms", "--alert_file=" + dir.Sub("alerts.jsonl")}));
  REQUIRE(supervision.Start().ok());
  // Scoring's clock runs 40 days ahead, so this month has ended for it and can be published.
  auto scoring_flags =
      intake::CalendarFlags({"--insecure_development=true", "--intake=" + intake.target(),
                             "--workflow=" + workflow.target(),
                             "--supervision=" + supervision.target(), "--clock_offset=960h"});
  testing::ServiceProcess scoring(dir, "scoring", SUNLIGHT_SCORING_BINARY, scoring_flags);
  testing::ServiceProcess reference(dir, "scoring-reference", SUNLIGHT_SCORING_BINARY,
                                    scoring_flags);
  REQUIRE(reference.Start().ok());

  const std::string month = MonthOf(absl::ZeroDuration());
  size_t cases = 0;
  for (int round = 0; round < 4; ++round) {
    REQUIRE(scoring.Start().ok());
    for (int i = 0; i < 12; ++i) {
      intake::SubmitAndAccept(*intake_stub, absl::StrCat("r", round, "-", i));
      ++cases;
      if (i == 5) std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 200));
    scoring.Kill();
  }
  REQUIRE(scoring.Start().ok());
  auto stub = v1::Scoring::NewStub(scoring.channel());
  auto reference_stub = v1::Scoring::NewStub(reference.channel());
  // Both have caught up when every case is counted and their scores agree twice in a row.
  std::string agreed;
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  int equal_in_a_row = 0;
  while (absl::Now() < deadline && equal_in_a_row < 2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (Accepted(*stub, month) != cases || Accepted(*reference_stub, month) != cases) continue;
    auto a = Sheet(*stub, month), b = Sheet(*reference_stub, month);
    if (!a.ok() || !b.ok() || a->scores_digest() != b->scores_digest()) {
      equal_in_a_row = 0;
      continue;
    }
    equal_in_a_row = agreed == a->scores_digest() ? equal_in_a_row + 1 : 1;
    agreed = a->scores_digest();
  }
  REQUIRE(equal_in_a_row >= 2);
  auto open = Sheet(*stub, month);
  REQUIRE(open.ok());
  REQUIRE(open->scores_size() > 0);
  // Every case turned red (supervision runs 30 days ahead): one red deduction per case.
  int64_t reds = 0;
  for (const auto& line : open->scores(0).lines()) {
    if (line.clause().rfind("2.2", 0) == 0) reds = line.count();
  }
  CHECK(reds == static_cast<int64_t>(cases));

  // Killed while publishing: afterwards the month is published once, with the agreed scores.
  std::thread publisher([&] {
    grpc::ClientContext context;
    v1::PublishMonthRequest request;
    request.mutable_actor()->set_id("admin");
    request.set_month(month);
    v1::ScoreSheet sheet;
    (void)stub->PublishMonth(&context, request, &sheet);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 20));
  scoring.Kill();
  publisher.join();
  REQUIRE(scoring.Start().ok());
  stub = v1::Scoring::NewStub(scoring.channel());
  auto after = Sheet(*stub, month);
  REQUIRE(after.ok());
  if (after->state() != v1::SHEET_STATE_PUBLISHED) {
    grpc::ClientContext context;
    v1::PublishMonthRequest request;
    request.mutable_actor()->set_id("admin");
    request.set_month(month);
    v1::ScoreSheet sheet;
    REQUIRE(stub->PublishMonth(&context, request, &sheet).ok());
    after = Sheet(*stub, month);
    REQUIRE(after.ok());
  }
  CHECK(after->state() == v1::SHEET_STATE_PUBLISHED);
  CHECK(after->version() == 1);
  CHECK(after->scores_digest() == agreed);
  grpc::ClientContext context;
  v1::ListScoreVersionsRequest list;
  list.set_month(month);
  v1::ListScoreVersionsResponse versions;
  REQUIRE(stub->ListScoreVersions(&context, list, &versions).ok());
  CHECK(versions.versions_size() == 1);
}

}  // namespace
}  // namespace sunlight::scoring
