// Test-only: the scoring service in process over the history of the real intake, workflow and
// supervision libraries (SuiteFixture), fed as their streams would be.
#ifndef SUNLIGHT_SERVICES_SCORING_SCORING_TEST_FIXTURE_H_
#define SUNLIGHT_SERVICES_SCORING_SCORING_TEST_FIXTURE_H_

#include <catch2/catch.hpp>

#include "scoring_store.h"
#include "sunlight/scoring/scoring.h"
#include "sunlight/testing/suite_fixture.h"

namespace sunlight::scoring {

namespace wv1 = ::sunlight::workflow::v1;
using intake::At;
using intake::Person;
using testing::EventsAfter;

inline std::unique_ptr<storage::Store> ScoringStore(testing::ScratchDir& dir,
                                                    const std::string& name) {
  return testing::OpenScratchStore(dir.path() + "/" + name, ScoringColumnFamilies());
}

struct ScoringFixture : testing::SuiteFixture {
  ScoringFixture() {
    scoring_store = ScoringStore(dir, "scoring");
    scoring = *Scoring::Open(scoring_store.get(), calendar, &clock, scoring_key);
  }

  // Everything pending through the suite and into scoring.
  void PumpAll() {
    Pump();
    Feed(*scoring);
  }

  void Feed(Scoring& s) {
    REQUIRE(s.ApplyEvents(kIntakeStream, EventsAfter(intake->event_log(), *s.Cursor(kIntakeStream)))
                .ok());
    REQUIRE(s.ApplyEvents(kWorkflowStream, EventsAfter(wf->event_log(), *s.Cursor(kWorkflowStream)))
                .ok());
    REQUIRE(s.ApplyEvents(kSupervisionStream,
                          EventsAfter(sv->event_log(), *s.Cursor(kSupervisionStream)))
                .ok());
  }

  void Fire(absl::Time at) {
    clock.Set(at);
    REQUIRE(sv->FireDue().ok());
  }

  void Complete(const std::string& case_id, absl::Time at) {
    clock.Set(at);
    wv1::CompleteStepRequest complete;
    *complete.mutable_actor() = Person("a1", "approver");
    complete.set_step_id(case_id + "/1");
    complete.set_opinion(wv1::OPINION_PASS);
    REQUIRE(wf->CompleteStep(complete).ok());
    Pump();
  }

  // The history every test starts from (all accepted Fri 2026-02-13 15:00 at W1 by the
  // fixture's clerk, 5 working days promised: Feb 14 (make-up Saturday), 24, 25, 26, 27,
  // due Feb 28 00:00, yellow from Feb 27 00:00):
  //  - "early" completed Tue Feb 24 10:00: on time, 34 h of working time used, 86 h saved;
  //  - "late" turns yellow Feb 27 and red Feb 28, completed Mon Mar 2 09:00: overdue.
  void MakeHistory() {
    early = AcceptNew("early");
    late = AcceptNew("late");
    Pump();
    Complete(early, At(2026, 2, 24, 10));
    Fire(At(2026, 2, 27, 0));
    Fire(At(2026, 2, 28, 0));
    Complete(late, At(2026, 3, 2, 9));
    Fire(At(2026, 3, 2, 9));
    clock.Set(At(2026, 3, 5, 10));
  }

  v1::StatisticsResponse Stats(v1::Dimension dimension, v1::Period period, const std::string& from,
                               const std::string& to, Scoring* s = nullptr) {
    v1::StatisticsRequest request;
    request.set_dimension(dimension);
    request.set_period(period);
    request.set_from_day(from);
    request.set_to_day(to);
    auto response = (s ? s : scoring.get())->GetStatistics(request);
    REQUIRE(response.ok());
    return *response;
  }

  v1::ScoreSheet Sheet(const std::string& month, uint32_t version = 0, Scoring* s = nullptr) {
    v1::GetScoreSheetRequest request;
    request.set_month(month);
    request.set_version(version);
    auto sheet = (s ? s : scoring.get())->GetScoreSheet(request);
    REQUIRE(sheet.ok());
    return *sheet;
  }

  static const v1::SubjectScore& Of(const v1::ScoreSheet& sheet, v1::SubjectKind kind,
                                    const std::string& id) {
    for (const auto& s : sheet.scores()) {
      if (s.kind() == kind && s.subject_id() == id) return s;
    }
    FAIL("no score of " << id);
    static v1::SubjectScore none;
    return none;
  }

  static int64_t Line(const v1::SubjectScore& s, const std::string& clause_prefix) {
    for (const auto& line : s.lines()) {
      if (line.clause().rfind(clause_prefix, 0) == 0) return line.centipoints();
    }
    return 0;
  }

  v1::ScoreSheet Publish(const std::string& month) {
    v1::PublishMonthRequest request;
    *request.mutable_actor() = Person("admin", "system_administrator", "");
    request.set_month(month);
    auto sheet = scoring->PublishMonth(request);
    REQUIRE(sheet.ok());
    return *sheet;
  }

  // Complainants' contacts sealed and query codes hashed, as in production.
  std::shared_ptr<const auth::DataKey> scoring_key =
      auth::DataKey::FromKey("scoring fixture data key of at least 32 bytes").value();
  std::unique_ptr<storage::Store> scoring_store;
  std::unique_ptr<Scoring> scoring;
  std::string early, late;
};
}  // namespace sunlight::scoring

#endif  // SUNLIGHT_SERVICES_SCORING_SCORING_TEST_FIXTURE_H_
