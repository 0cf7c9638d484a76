// Golden tests of the scoring service over histories made by the real intake, workflow and
// supervision libraries (SuiteFixture), fed to scoring as their streams would.
#include "sunlight/scoring/scoring.h"

#include <catch2/catch.hpp>
#include <random>

#include "absl/strings/match.h"
#include "scoring_test_fixture.h"

namespace sunlight::scoring {
namespace {

TEST_CASE_METHOD(ScoringFixture,
                 "golden: measures by department and month across the Spring Festival") {
  MakeHistory();
  PumpAll();
  auto stats = Stats(v1::DIMENSION_DEPARTMENT, v1::PERIOD_MONTH, "2026-02-01", "2026-03-31");
  REQUIRE(stats.rows_size() == 2);
  const auto& feb = stats.rows(0);
  CHECK(feb.value() == "market");
  CHECK(feb.period() == "2026-02");
  CHECK(feb.measures().received() == 2);
  CHECK(feb.measures().accepted() == 2);
  CHECK(feb.measures().completed() == 1);
  CHECK(feb.measures().completed_on_time() == 1);
  CHECK(feb.measures().overdue() == 0);
  CHECK(feb.measures().completed_same_day() == 0);
  CHECK(feb.measures().yellow() == 1);
  CHECK(feb.measures().red() == 1);
  // Feb 14 whole (24 h) and Feb 24 to 10:00 (10 h); 120 h budget.
  CHECK(feb.measures().working_seconds_used() == 34 * 3600);
  CHECK(feb.measures().working_seconds_saved() == 86 * 3600);
  CHECK(feb.on_time_rate_bp() == 10000);
  const auto& mar = stats.rows(1);
  CHECK(mar.period() == "2026-03");
  CHECK(mar.measures().completed() == 1);
  CHECK(mar.measures().overdue() == 1);
  CHECK(mar.measures().received() == 0);
  CHECK(mar.on_time_rate_bp() == 0);
  CHECK(mar.previous().completed() == 1);  // month over month: February
  // By day: the completion lands on its local day.
  auto days = Stats(v1::DIMENSION_CENTER, v1::PERIOD_DAY, "2026-02-24", "2026-02-24");
  REQUIRE(days.rows_size() == 1);
  CHECK(days.rows(0).period() == "2026-02-24");
  CHECK(days.rows(0).measures().completed() == 1);
  // By window and person (who accepted), by item category and channel.
  CHECK(Stats(v1::DIMENSION_WINDOW, v1::PERIOD_YEAR, "2026-01-01", "2026-12-31").rows(0).value() ==
        "W1");
  auto quarter = Stats(v1::DIMENSION_ITEM, v1::PERIOD_QUARTER, "2026-01-01", "2026-03-31");
  REQUIRE(quarter.rows_size() == 1);
  CHECK(quarter.rows(0).period() == "2026-Q1");
  CHECK(quarter.rows(0).measures().completed() == 2);
  auto week = Stats(v1::DIMENSION_CHANNEL, v1::PERIOD_WEEK, "2026-02-23", "2026-03-01");
  REQUIRE(week.rows_size() == 1);
  CHECK(week.rows(0).period() == "2026-W09");
  CHECK(week.rows(0).value() == "window");
}

TEST_CASE_METHOD(ScoringFixture, "golden: monthly scores with every point traced to its case") {
  MakeHistory();
  PumpAll();
  v1::ScoreSheet feb = Sheet("2026-02");
  CHECK(feb.state() == v1::SHEET_STATE_OPEN);
  const auto& market = Of(feb, v1::SUBJECT_KIND_DEPARTMENT, "market");
  CHECK(Line(market, "1 ") == 0);       // on time 1 of 1
  CHECK(Line(market, "2.1") == -500);   // yellow: "late"
  CHECK(Line(market, "2.2") == -1000);  // red: "late"
  CHECK(Line(market, "3 ") == 300);     // 3 whole working days saved by "early"
  CHECK(market.total_centipoints() == 8800);
  CHECK(market.rank() == 1);
  bool traced = false;
  for (const auto& line : market.lines()) {
    if (line.clause().rfind("2.2", 0) != 0) continue;
    REQUIRE(line.cases_size() == 1);
    CHECK(line.cases(0).case_id() == late);
    CHECK(line.cases(0).what() == "red");
    CHECK(FromProto(line.cases(0).at()) == At(2026, 2, 28, 0));
    traced = true;
  }
  CHECK(traced);
  // March: the overdue completion costs the whole on-time weight.
  v1::ScoreSheet mar = Sheet("2026-03");
  const auto& m = Of(mar, v1::SUBJECT_KIND_DEPARTMENT, "market");
  CHECK(Line(m, "1 ") == -2000);
  CHECK(m.total_centipoints() == 8000);
  CHECK(Of(mar, v1::SUBJECT_KIND_WINDOW, "W1").total_centipoints() == 8000);
  v1::GetScoreSheetRequest bad;
  bad.set_month("2026-13");
  CHECK(scoring->GetScoreSheet(bad).status().message() == "month: a month YYYY-MM");
  v1::StatisticsRequest no_dimension;
  CHECK(absl::StartsWith(scoring->GetStatistics(no_dimension).status().message(), "dimension"));
}

TEST_CASE_METHOD(ScoringFixture,
                 "a month rerun 100 times is byte-identical and a rule change drafts a version") {
  MakeHistory();
  PumpAll();
  const std::string open = Sheet("2026-03").SerializeAsString();
  for (int i = 0; i < 100; ++i) REQUIRE(Sheet("2026-03").SerializeAsString() == open);

  v1::PublishMonthRequest current;
  *current.mutable_actor() = Person("admin", "system_administrator", "");
  current.set_month("2026-03");
  CHECK(scoring->PublishMonth(current).status().code() == absl::StatusCode::kFailedPrecondition);
  v1::ScoreSheet published = Publish("2026-02");
  CHECK(published.version() == 1);
  CHECK(published.state() == v1::SHEET_STATE_PUBLISHED);
  const std::string v1_bytes = Sheet("2026-02", 1).SerializeAsString();
  current.set_month("2026-02");
  CHECK(scoring->PublishMonth(current).status().code() == absl::StatusCode::kFailedPrecondition);

  v1::RecomputeMonthRequest recompute;
  *recompute.mutable_actor() = Person("admin", "system_administrator", "");
  recompute.set_month("2026-02");
  recompute.set_reason("check");
  auto same = scoring->RecomputeMonth(recompute);
  REQUIRE(same.ok());
  CHECK_FALSE(same->has_draft());  // nothing moved

  v1::SetRuleSetRequest set;
  *set.mutable_actor() = Person("admin", "system_administrator", "");
  *set.mutable_rule_set() = scoring->ListRuleSets({})->rule_sets(0);
  set.mutable_rule_set()->set_version("2026 v2");
  set.mutable_rule_set()->set_effective_from("2026-02");
  for (auto& d : *set.mutable_rule_set()->mutable_deductions()) {
    if (d.event() == "red") d.set_centipoints(2000);
  }
  auto rules = scoring->SetRuleSet(set);
  REQUIRE(rules.ok());
  CHECK(rules->content_hash().size() == 64);
  set.mutable_rule_set()->mutable_deductions(0)->set_event("coffee");
  CHECK(scoring->SetRuleSet(set).status().message() ==
        "rule_set.deductions[0].event: an event the rules know");

  recompute.set_reason("red costs 20 points from February");
  auto drafted = scoring->RecomputeMonth(recompute);
  REQUIRE(drafted.ok());
  REQUIRE(drafted->has_draft());
  CHECK(drafted->draft().version() == 2);
  CHECK(drafted->draft().state() == v1::SHEET_STATE_DRAFT);
  CHECK(drafted->draft().rule_set_hash() == rules->content_hash());
  bool market_moved = false;
  for (const auto& change : drafted->diff().changes()) {
    if (change.kind() != v1::SUBJECT_KIND_DEPARTMENT) continue;
    CHECK(change.subject_id() == "market");
    CHECK(change.from_centipoints() == 8800);
    CHECK(change.to_centipoints() == 7800);
    REQUIRE(change.why_size() == 1);
    CHECK(absl::StrContains(change.why(0), "-1000 -> -2000"));
    market_moved = true;
  }
  CHECK(market_moved);
  // The published version is untouched and stays in force until the draft is approved.
  CHECK(Sheet("2026-02", 1).SerializeAsString() == v1_bytes);
  CHECK(Sheet("2026-02").version() == 1);
  v1::DecideVersionRequest approve;
  *approve.mutable_actor() = Person("admin", "system_administrator", "");
  approve.set_month("2026-02");
  approve.set_version(2);
  approve.set_approve(true);
  REQUIRE(scoring->DecideVersion(approve).ok());
  CHECK(Sheet("2026-02").version() == 2);
  CHECK(Sheet("2026-02", 1).state() == v1::SHEET_STATE_SUPERSEDED);
  auto versions = scoring->ListScoreVersions([] {
    v1::ListScoreVersionsRequest r;
    r.set_month("2026-02");
    return r;
  }());
  REQUIRE(versions.ok());
  CHECK(versions->versions_size() == 2);
  // March compares itself with the published February.
  CHECK(Of(Sheet("2026-03"), v1::SUBJECT_KIND_DEPARTMENT, "market").previous_month_centipoints() ==
        7800);
}

TEST_CASE_METHOD(ScoringFixture,
                 "any interleaving of the three streams gives the same aggregates and scores") {
  MakeHistory();
  Pump();
  std::vector<std::pair<std::string, std::vector<events::v1::CaseEvent>>> streams = {
      {kIntakeStream, EventsAfter(intake->event_log(), 0)},
      {kWorkflowStream, EventsAfter(wf->event_log(), 0)},
      {kSupervisionStream, EventsAfter(sv->event_log(), 0)}};
  Feed(*scoring);
  const std::string want_sheet = Sheet("2026-02").scores_digest();
  const std::string want_stats =
      Stats(v1::DIMENSION_PERSON, v1::PERIOD_DAY, "2026-02-01", "2026-03-31").SerializeAsString();
  std::mt19937 random(17);
  for (int round = 0; round < 6; ++round) {
    auto store = ScoringStore(dir, absl::StrCat("interleaved-", round));
    auto s = *Scoring::Open(store.get(), calendar, &clock);
    std::vector<size_t> next(3, 0);
    // One event at a time from a random stream that has one left (each stream in order).
    while (next[0] < streams[0].second.size() || next[1] < streams[1].second.size() ||
           next[2] < streams[2].second.size()) {
      size_t pick = random() % 3;
      if (next[pick] >= streams[pick].second.size()) continue;
      REQUIRE(s->ApplyEvents(streams[pick].first, {streams[pick].second[next[pick]++]}).ok());
    }
    CHECK(Sheet("2026-02", 0, s.get()).scores_digest() == want_sheet);
    CHECK(Stats(v1::DIMENSION_PERSON, v1::PERIOD_DAY, "2026-02-01", "2026-03-31", s.get())
              .SerializeAsString() == want_stats);
  }
}

TEST_CASE_METHOD(ScoringFixture, "an upheld appeal removes the deduction in a new version") {
  MakeHistory();
  PumpAll();
  Publish("2026-02");
  v1::FileAppealRequest appeal;
  *appeal.mutable_actor() = Person("head", "director", "health");
  appeal.set_month("2026-02");
  appeal.set_kind(v1::SUBJECT_KIND_DEPARTMENT);
  appeal.set_subject_id("market");
  appeal.set_clause("2.2 红灯 red light");
  appeal.set_case_id(late);
  appeal.set_reasons("the applicant asked for the hearing date");
  CHECK(scoring->FileAppeal(appeal).status().code() == absl::StatusCode::kPermissionDenied);
  *appeal.mutable_actor() = Person("head", "director", "market");
  appeal.set_case_id(early);
  CHECK(scoring->FileAppeal(appeal).status().message() ==
        "case_id: no deduction of that clause for that case");
  appeal.set_case_id(late);
  auto filed = scoring->FileAppeal(appeal);
  REQUIRE(filed.ok());
  CHECK(filed->appeal_id() == "a1");
  v1::DecideAppealRequest decide;
  *decide.mutable_actor() = Person("insp", "inspector", "");
  decide.set_appeal_id("a1");
  decide.set_uphold(true);
  decide.set_decision("the delay was the applicant's");
  auto upheld = scoring->DecideAppeal(decide);
  REQUIRE(upheld.ok());
  CHECK(upheld->state() == v1::APPEAL_STATE_UPHELD);
  CHECK(upheld->new_version() == 2);
  v1::ScoreSheet draft = Sheet("2026-02", 2);
  const auto& market = Of(draft, v1::SUBJECT_KIND_DEPARTMENT, "market");
  CHECK(Line(market, "2.2") == 0);
  CHECK(market.total_centipoints() == 9800);
  // The window's deduction was not appealed.
  CHECK(Line(Of(draft, v1::SUBJECT_KIND_WINDOW, "W1"), "2.2") == -1000);
  CHECK(scoring->DecideAppeal(decide).status().code() == absl::StatusCode::kFailedPrecondition);
  // Past the limit (5 working days after publication on Thu Mar 5: Mar 6, 9, 10, 11, 12).
  clock.Set(At(2026, 3, 13, 0));
  CHECK(scoring->FileAppeal(appeal).status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE_METHOD(ScoringFixture, "a late event for a published month drafts a new version") {
  MakeHistory();
  PumpAll();
  Publish("2026-02");
  CHECK(*scoring->DraftStaleMonths() == 0);
  // An anomaly of Feb 20 reported only now (as if supervision had been down).
  supervision::v1::AlertRaised raised;
  raised.mutable_alert()->set_alert_id("late-anomaly");
  raised.mutable_alert()->set_kind(supervision::v1::ALERT_KIND_ANOMALY);
  raised.mutable_alert()->set_anomaly("long_gap_before_acceptance");
  raised.mutable_alert()->set_case_id(early);
  raised.mutable_alert()->set_department_id("market");
  *raised.mutable_alert()->mutable_occurred_at() = ToProto(At(2026, 2, 20, 11));
  events::v1::CaseEvent event;
  event.set_sequence(*scoring->Cursor(kSupervisionStream) + 1);
  event.set_case_id(early);
  event.set_type("supervision.alert.raised");
  *event.mutable_occurred_at() = ToProto(clock.Now());
  event.mutable_payload()->PackFrom(raised);
  REQUIRE(scoring->ApplyEvents(kSupervisionStream, {event}).ok());
  CHECK(*scoring->DraftStaleMonths() == 1);
  CHECK(*scoring->DraftStaleMonths() == 0);  // drafted once
  v1::ScoreSheet draft = Sheet("2026-02", 2);
  CHECK(draft.state() == v1::SHEET_STATE_DRAFT);
  CHECK(draft.reason() == "late events");
  CHECK(Line(Of(draft, v1::SUBJECT_KIND_DEPARTMENT, "market"), "2.3") == -200);
  CHECK(Sheet("2026-02").version() == 1);  // the published one stays in force
  // The statistics took the late event on its own day.
  auto day = Stats(v1::DIMENSION_CENTER, v1::PERIOD_DAY, "2026-02-20", "2026-02-20");
  REQUIRE(day.rows_size() == 1);
  CHECK(day.rows(0).measures().anomalies() == 1);
}

TEST_CASE_METHOD(ScoringFixture,
                 "a clock that turned red while supervision was away counts its yellow too") {
  std::string skipped = AcceptNew("skipped");
  Pump();
  Fire(At(2026, 3, 1, 0));  // the first firing after both instants: one transition, to red
  PumpAll();
  auto days = Stats(v1::DIMENSION_CENTER, v1::PERIOD_DAY, "2026-02-27", "2026-02-28");
  REQUIRE(days.rows_size() == 2);
  CHECK(days.rows(0).period() == "2026-02-27");
  CHECK(days.rows(0).measures().yellow() == 1);
  CHECK(days.rows(1).measures().red() == 1);
}

TEST_CASE_METHOD(ScoringFixture, "a reopened store resumes from its cursors with nothing twice") {
  MakeHistory();
  PumpAll();
  const std::string before =
      Stats(v1::DIMENSION_CENTER, v1::PERIOD_MONTH, "2026-02-01", "2026-03-31").SerializeAsString();
  scoring.reset();
  scoring = *Scoring::Open(scoring_store.get(), calendar, &clock);
  // Replaying everything from the start is skipped by the cursors.
  REQUIRE(scoring->ApplyEvents(kIntakeStream, EventsAfter(intake->event_log(), 0)).ok());
  REQUIRE(scoring->ApplyEvents(kSupervisionStream, EventsAfter(sv->event_log(), 0)).ok());
  CHECK(Stats(v1::DIMENSION_CENTER, v1::PERIOD_MONTH, "2026-02-01", "2026-03-31")
            .SerializeAsString() == before);
}

}  // namespace
}  // namespace sunlight::scoring

namespace sunlight::scoring {
namespace {

TEST_CASE_METHOD(ScoringFixture, "a step's handler answers for the step's own lights") {
  // The GT-001 approval step has 3 working days of its own (Feb 14, 24, 25: due Feb 26
  // 00:00): the late case's step went red while waiting, and a1 completed it on Mar 2.
  MakeHistory();
  PumpAll();
  auto feb = Sheet("2026-02");
  const auto& handler = Of(feb, v1::SUBJECT_KIND_PERSON, "a1");
  CHECK(Line(handler, "2.10") == -500);
  CHECK(Line(handler, "2.9") == -200);
  bool traced = false;
  for (const auto& line : handler.lines()) {
    for (const auto& ref : line.cases()) {
      traced |= ref.case_id() == late && absl::StartsWith(ref.what(), "step red:" + late + "/");
    }
  }
  CHECK(traced);
  // The clerk who accepted the case answers for the case's lights, not for the step's.
  const auto& clerk = Of(feb, v1::SUBJECT_KIND_PERSON, intake::Clerk().id());
  CHECK(Line(clerk, "2.10") == 0);
  CHECK(Line(clerk, "2.1") == -500);
}

}  // namespace
}  // namespace sunlight::scoring
