// Conduct events of the video stream in the scores: only those an inspector confirmed count,
// each once, for the department and the window on the local day it started.
#include <catch2/catch.hpp>

#include "scoring_test_fixture.h"
#include "sunlight/eventlog/case_event.h"
#include "sunlight/video/v1/video.pb.h"

namespace sunlight::scoring {
namespace {

namespace vv1 = ::sunlight::video::v1;

constexpr char kAbsentClause[] = "2.11";

struct ConductFixture : ScoringFixture {
  // ce-1: nobody at W07's staff zone of "hall-w07" from Thu 2026-12-03 10:05, market's window.
  static vv1::ConductEvent Absent(const std::string& id = "ce-000000000001") {
    vv1::ConductEvent e;
    e.set_event_id(id);
    e.set_camera_id("hall-w07");
    e.set_zone_id("w07-staff");
    e.set_rule(vv1::CONDUCT_RULE_ABSENT_FROM_POST);
    *e.mutable_start() = ToProto(At(2026, 12, 3, 10, 5));
    e.set_window_id("W07");
    e.set_department_id("market");
    e.set_hold_id("h-000000000001");
    *e.mutable_detected_at() = ToProto(At(2026, 12, 3, 10, 7));
    e.set_decision(vv1::CONDUCT_DECISION_PENDING);
    return e;
  }

  static vv1::ConductEvent Decided(vv1::ConductEvent e, vv1::ConductDecision decision) {
    *e.mutable_end() = ToProto(At(2026, 12, 3, 10, 20));
    e.set_decision(decision);
    e.set_decision_reason(decision == vv1::CONDUCT_DECISION_CONFIRMED ? "the post was empty"
                                                                      : "an authorised break");
    e.mutable_decided_by()->set_id("insp");
    *e.mutable_decided_at() = ToProto(At(2026, 12, 4, 9));
    return e;
  }

  // The event the video service writes at `sequence` of its stream.
  static events::v1::CaseEvent Video(uint64_t sequence, const std::string& type,
                                     const google::protobuf::Message& payload) {
    events::v1::CaseEvent event =
        eventlog::NewEvent(type, "", eventlog::ServiceActor("video"), At(2026, 12, 4, 9), payload);
    event.set_stream(kVideoStream);
    event.set_sequence(sequence);
    return event;
  }
  static events::v1::CaseEvent Conduct(uint64_t sequence, const std::string& type,
                                       const vv1::ConductEvent& e) {
    vv1::ConductEventChanged changed;
    *changed.mutable_event() = e;
    return Video(sequence, type, changed);
  }

  void Apply(const std::vector<events::v1::CaseEvent>& batch) {
    REQUIRE(scoring->ApplyEvents(kVideoStream, batch).ok());
  }

  static const v1::ScoreLine* Clause(const v1::SubjectScore& s, const std::string& prefix) {
    for (const auto& line : s.lines()) {
      if (line.clause().rfind(prefix, 0) == 0) return &line;
    }
    return nullptr;
  }
};

TEST_CASE_METHOD(ConductFixture, "a detected or dismissed conduct event never reaches a score") {
  Apply({Conduct(1, "video.conduct.detected", Absent()),
         Conduct(2, "video.conduct.ended", Decided(Absent(), vv1::CONDUCT_DECISION_PENDING)),
         Conduct(3, "video.conduct.detected", Absent("ce-000000000002")),
         Conduct(4, "video.conduct.dismissed",
                 Decided(Absent("ce-000000000002"), vv1::CONDUCT_DECISION_DISMISSED))});
  CHECK(*scoring->Cursor(kVideoStream) == 4);
  CHECK(Sheet("2026-12").scores_size() == 0);
}

TEST_CASE_METHOD(ConductFixture,
                 "a confirmed conduct event costs the department and the window its points") {
  Apply(
      {Conduct(1, "video.conduct.detected", Absent()),
       Conduct(2, "video.conduct.confirmed", Decided(Absent(), vv1::CONDUCT_DECISION_CONFIRMED))});
  CHECK(*scoring->Cursor(kVideoStream) == 2);
  v1::ScoreSheet dec = Sheet("2026-12");
  for (const auto& [kind, id] : {std::pair{v1::SUBJECT_KIND_DEPARTMENT, "market"},
                                 std::pair{v1::SUBJECT_KIND_WINDOW, "W07"}}) {
    const v1::SubjectScore& s = Of(dec, kind, id);
    CHECK(s.department_id() == "market");
    CHECK(s.total_centipoints() == 9800);  // the default rule set: -2 per confirmed event
    const v1::ScoreLine* line = Clause(s, kAbsentClause);
    REQUIRE(line != nullptr);
    CHECK(line->clause() == "2.11 视频监察违规(经核实) confirmed conduct event");
    CHECK(line->count() == 1);
    CHECK(line->centipoints() == -200);
    REQUIRE(line->cases_size() == 1);
    CHECK(line->cases(0).case_id() == "conduct/ce-000000000001");
    CHECK(line->cases(0).what() == "conduct:absent_from_post 2026-12-03 10:05 W07");
    CHECK(FromProto(line->cases(0).at()) == At(2026, 12, 3, 10, 5));
  }
  CHECK(dec.scores_size() == 2);  // no person: a camera names none
  CHECK(Sheet("2026-11").scores_size() == 0);
  CHECK(Sheet("2027-01").scores_size() == 0);
}

TEST_CASE_METHOD(ConductFixture, "a confirmed conduct event delivered twice counts once") {
  const auto confirmed = Decided(Absent(), vv1::CONDUCT_DECISION_CONFIRMED);
  // Twice in one batch, again in a later one, and a batch the cursor has passed.
  Apply({Conduct(1, "video.conduct.confirmed", confirmed),
         Conduct(2, "video.conduct.confirmed", confirmed)});
  Apply({Conduct(3, "video.conduct.confirmed", confirmed)});
  Apply({Conduct(2, "video.conduct.confirmed", confirmed),
         Conduct(3, "video.conduct.confirmed", confirmed)});
  CHECK(*scoring->Cursor(kVideoStream) == 3);
  v1::ScoreSheet dec = Sheet("2026-12");
  for (const auto& [kind, id] : {std::pair{v1::SUBJECT_KIND_DEPARTMENT, "market"},
                                 std::pair{v1::SUBJECT_KIND_WINDOW, "W07"}}) {
    const v1::ScoreLine* line = Clause(Of(dec, kind, id), kAbsentClause);
    REQUIRE(line != nullptr);
    CHECK(line->count() == 1);
    CHECK(line->centipoints() == -200);
  }
  // A reopened store resumes from its cursor with nothing twice.
  scoring.reset();
  scoring = *Scoring::Open(scoring_store.get(), calendar, &clock);
  Apply({Conduct(4, "video.conduct.confirmed", confirmed)});
  CHECK(*scoring->Cursor(kVideoStream) == 4);
  CHECK(Of(Sheet("2026-12"), v1::SUBJECT_KIND_DEPARTMENT, "market").total_centipoints() == 9800);
}

TEST_CASE_METHOD(ConductFixture, "a conduct event counts on the local day it started") {
  // 00:30 in Shanghai on Dec 1 is still Nov 30 in UTC; a hall camera covers no window.
  vv1::ConductEvent crowding = Absent("ce-000000000003");
  crowding.set_rule(vv1::CONDUCT_RULE_CROWDING);
  crowding.set_camera_id("hall-east");
  crowding.set_zone_id("queue");
  crowding.clear_window_id();
  crowding.set_peak_people(14);
  *crowding.mutable_start() = ToProto(At(2026, 12, 1, 0, 30));
  Apply(
      {Conduct(1, "video.conduct.confirmed", Decided(crowding, vv1::CONDUCT_DECISION_CONFIRMED))});
  CHECK(Sheet("2026-11").scores_size() == 0);
  v1::ScoreSheet dec = Sheet("2026-12");
  REQUIRE(dec.scores_size() == 1);  // the department only
  const v1::ScoreLine* line = Clause(Of(dec, v1::SUBJECT_KIND_DEPARTMENT, "market"), "2.11");
  REQUIRE(line != nullptr);
  REQUIRE(line->cases_size() == 1);
  CHECK(line->cases(0).what() == "conduct:crowding 2026-12-01 00:30 hall-east");
}

TEST_CASE_METHOD(ConductFixture,
                 "other video events and unreadable payloads are skipped and pass the cursor") {
  vv1::CameraUpserted camera;
  camera.mutable_camera()->set_camera_id("hall-w07");
  vv1::HoldChanged hold;
  hold.mutable_hold()->set_hold_id("h-000000000001");
  vv1::GapRecorded gap;
  gap.mutable_gap()->set_camera_id("hall-w07");
  vv1::ConductEvent unconfirmed = Absent("ce-000000000004");  // confirmed, says the type only
  vv1::ConductEvent nameless = Decided(Absent(""), vv1::CONDUCT_DECISION_CONFIRMED);
  Apply({Video(1, "video.camera.upserted", camera), Video(2, "video.hold.created", hold),
         Video(3, "video.hold.released", hold), Video(4, "video.gap.recorded", gap),
         Video(5, "video.conduct.confirmed", camera),  // a payload of another type
         Conduct(6, "video.conduct.confirmed", unconfirmed),
         Conduct(7, "video.conduct.confirmed", nameless),
         Conduct(8, "video.something.new", Decided(Absent(), vv1::CONDUCT_DECISION_CONFIRMED))});
  CHECK(*scoring->Cursor(kVideoStream) == 8);
  CHECK(Sheet("2026-12").scores_size() == 0);
  CHECK(scoring->ApplyEvents("cameras", {Video(9, "video.gap.recorded", gap)}).code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE_METHOD(ConductFixture,
                 "a rule set prices conduct_confirmed and a late confirmation drafts a version") {
  v1::SetRuleSetRequest set;
  *set.mutable_actor() = Person("admin", "system_administrator", "");
  *set.mutable_rule_set() = scoring->ListRuleSets({})->rule_sets(0);
  set.mutable_rule_set()->set_version("2026 v3");
  set.mutable_rule_set()->set_effective_from("2026-12");
  set.mutable_rule_set()->clear_deductions();
  auto* d = set.mutable_rule_set()->add_deductions();
  d->set_clause("4.1 视频监察违规 (经核实)");
  d->set_event("conduct_confirmed");
  d->set_centipoints(500);
  REQUIRE(scoring->SetRuleSet(set).ok());

  clock.Set(At(2027, 1, 5, 10));
  Publish("2026-12");  // nothing to score yet
  Apply(
      {Conduct(1, "video.conduct.confirmed", Decided(Absent(), vv1::CONDUCT_DECISION_CONFIRMED))});
  CHECK(Sheet("2026-12", 1).scores_size() == 0);  // the published version stays as it was
  auto drafted = scoring->DraftStaleMonths();
  REQUIRE(drafted.ok());
  CHECK(*drafted == 1);
  v1::ScoreSheet draft = Sheet("2026-12", 2);
  const v1::SubjectScore& market = Of(draft, v1::SUBJECT_KIND_DEPARTMENT, "market");
  CHECK(Line(market, "4.1") == -500);
  CHECK(market.total_centipoints() == 9500);
}

}  // namespace
}  // namespace sunlight::scoring
