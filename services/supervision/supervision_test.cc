#include "sunlight/supervision/supervision.h"
#include "absl/strings/match.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>

#include "google/protobuf/util/json_util.h"

#include "sunlight/eventlog/event_log.h"
#include "sunlight/scoring/v1/scoring.pb.h"
#include "sunlight/storage/proto_record.h"
#include "sunlight/testing/suite_fixture.h"
#include "sunlight/workflow/workflow.h"
#include "supervision_store.h"

namespace sunlight::supervision {
namespace {

namespace iv1 = ::sunlight::intake::v1;
namespace wv1 = ::sunlight::workflow::v1;
using intake::At;
using intake::Person;
using intake::WorkingDays;
using testing::EventsAfter;

// The suite in process, and supervision's side of it: firing, clocks and alerts.
struct SupervisionFixture : testing::SuiteFixture {
  void Fire(absl::Time at) {
    clock.Set(at);
    REQUIRE(sv->FireDue().ok());
  }

  std::string AcceptCase(const std::string& key) {
    std::string case_id = AcceptNew(key);
    Pump();
    return case_id;
  }

  v1::Clock CaseClock(const std::string& case_id) {
    v1::GetCaseClocksRequest request;
    request.set_case_id(case_id);
    auto response = sv->GetCaseClocks(request);
    REQUIRE(response.ok());
    for (const auto& c : response->clocks()) {
      if (c.clock().kind() == v1::CLOCK_KIND_CASE) return c.clock();
    }
    FAIL("no case clock");
    return {};
  }

  std::vector<v1::Alert> Alerts(const std::string& case_id = "") {
    v1::ListAlertsRequest request;
    request.set_case_id(case_id);
    request.mutable_page()->set_page_size(500);
    auto response = sv->ListAlerts(request);
    REQUIRE(response.ok());
    return {response->alerts().begin(), response->alerts().end()};
  }

  // A clock as stored (clocks of no case are in no case's listing once finished).
  v1::Clock StoredClock(const std::string& id) {
    auto stored = storage::LoadProto<v1::Clock>(*sv_store, store::kClocks, id);
    REQUIRE(stored.ok());
    REQUIRE(stored->has_value());
    return **stored;
  }

  // The open clocks of `kind` with `light`.
  std::vector<v1::Clock> OpenClocks(v1::ClockKind kind, v1::Light light) {
    v1::ListClocksRequest request;
    request.set_kind(kind);
    request.set_light(light);
    auto response = sv->ListClocks(request);
    REQUIRE(response.ok());
    return {response->clocks().begin(), response->clocks().end()};
  }

  // The board's row of a department (an empty row when it has none).
  v1::DepartmentLights BoardRow(const std::string& department_id) {
    auto board = sv->GetLightBoard(v1::GetLightBoardRequest());
    REQUIRE(board.ok());
    for (const auto& row : board->departments()) {
      if (row.department_id() == department_id) return row;
    }
    return {};
  }

  std::vector<v1::Alert> LightAlertsOf(const std::string& clock_id) {
    std::vector<v1::Alert> lights;
    for (const auto& a : Alerts()) {
      if (a.kind() == v1::ALERT_KIND_LIGHT && a.clock_id() == clock_id) lights.push_back(a);
    }
    return lights;
  }

  // The next scoring-stream event, as scoring writes it.
  events::v1::CaseEvent ScoringEvent(const std::string& type, const std::string& case_id,
                                     absl::Time at, const google::protobuf::Message& payload) {
    events::v1::CaseEvent e;
    e.set_sequence(++scoring_sequence);
    e.set_case_id(case_id);
    e.set_type(type);
    *e.mutable_occurred_at() = ToProto(at);
    e.mutable_payload()->PackFrom(payload);
    return e;
  }

  void ApplyScoring(const events::v1::CaseEvent& event) {
    clock.Set(FromProto(event.occurred_at()));
    REQUIRE(sv->ApplyEvents(kScoringStream, {event}).ok());
  }

  // Evaluation events of a bad real-name rating of `case_id`, with an open rectification of
  // `days` working days from `opened`.
  scoring::v1::EvaluationChanged BadRating(const std::string& case_id, absl::Time opened,
                                           uint32_t days) {
    scoring::v1::EvaluationChanged changed;
    auto* evaluation = changed.mutable_evaluation();
    evaluation->set_case_id(case_id);
    evaluation->set_case_number(CaseClock(case_id).case_number());
    evaluation->set_item_code("GT-001");
    evaluation->set_department_id("market");
    evaluation->set_level(scoring::v1::VERY_DISSATISFIED);
    evaluation->set_real_name(true);
    *evaluation->mutable_rated_at() = ToProto(opened);
    evaluation->set_state(scoring::v1::EVALUATION_STATE_COUNTED);
    auto* rectification = evaluation->mutable_rectification();
    rectification->set_state(scoring::v1::RECTIFICATION_STATE_OPEN);
    *rectification->mutable_opened_at() = ToProto(opened);
    *rectification->mutable_limit() = WorkingDays(days);
    return changed;
  }

  // A complaint just filed at `filed` (against `case_id`, or no case), acceptance within 5
  // working days.
  static scoring::v1::ComplaintChanged FiledComplaint(const std::string& id,
                                                      const std::string& number,
                                                      const std::string& case_id,
                                                      absl::Time filed) {
    scoring::v1::ComplaintChanged changed;
    auto* complaint = changed.mutable_complaint();
    complaint->set_complaint_id(id);
    complaint->set_complaint_number(number);
    complaint->set_case_id(case_id);
    complaint->set_department_id("market");
    complaint->set_category(scoring::v1::COMPLAINT_CATEGORY_DELAY);
    complaint->set_state(scoring::v1::COMPLAINT_STATE_FILED);
    *complaint->mutable_filed_at() = ToProto(filed);
    *complaint->mutable_acceptance_limit() = WorkingDays(5);
    return changed;
  }

  // The national calendar file, to change in a test.
  static calendar::v1::HolidayCalendarFile NationalCalendarFile() {
    std::ifstream in(SUNLIGHT_CALENDAR_FILE);
    std::stringstream text;
    text << in.rdbuf();
    calendar::v1::HolidayCalendarFile file;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    REQUIRE(google::protobuf::util::JsonStringToMessage(text.str(), &file, options).ok());
    return file;
  }

  uint64_t scoring_sequence = 0;
};

TEST_CASE_METHOD(SupervisionFixture,
                 "clocks loaded ahead of their instant fire as stored, even if they changed "
                 "after loading") {
  std::string kept = AcceptCase("kept");
  std::string withdrawn = AcceptCase("withdrawn");
  absl::Time yellow = FromProto(CaseClock(kept).yellow_at());
  clock.Set(yellow - absl::Seconds(5));
  auto prepared = sv->PrepareDue(absl::Seconds(10));
  REQUIRE(prepared.ok());
  CHECK(*prepared >= 2);
  CHECK(*sv->PrepareDue(absl::Seconds(10)) == 0);  // nothing new to load
  // One case is withdrawn after its clock was loaded: firing must see the finished clock.
  intake::v1::WithdrawCaseRequest withdraw;
  *withdraw.mutable_actor() = intake::Clerk();
  withdraw.set_case_id(withdrawn);
  withdraw.set_reason("changed mind");
  withdraw.set_applicant_request("doc:withdrawal-request");
  REQUIRE(intake->WithdrawCase(withdraw).ok());
  Pump();
  Fire(yellow);
  CHECK(CaseClock(kept).light() == v1::LIGHT_YELLOW);
  CHECK(CaseClock(withdrawn).light() == v1::LIGHT_GREEN);
  CHECK(CaseClock(withdrawn).has_finished_at());
  auto case_light_alerts = [&](const std::string& case_id) {
    int n = 0;
    for (const auto& alert : Alerts(case_id)) {
      if (alert.kind() == v1::ALERT_KIND_LIGHT && alert.clock_id() == "case/" + case_id) ++n;
    }
    return n;
  };
  CHECK(case_light_alerts(withdrawn) == 0);
  CHECK(case_light_alerts(kept) == 1);

  // A step clock loaded ahead, then claimed (its responsible person changes, its instants do
  // not): firing it must keep the claim, not write back the copy loaded before it.
  std::string claimed = AcceptCase("claimed");
  std::string step_clock = "step/" + claimed + "/1";
  v1::GetCaseClocksRequest request;
  request.set_case_id(claimed);
  auto step_of = [&]() {
    auto clocks = sv->GetCaseClocks(request);
    REQUIRE(clocks.ok());
    for (const auto& c : clocks->clocks()) {
      if (c.clock().clock_id() == step_clock) return c.clock();
    }
    FAIL("no step clock");
    return v1::Clock();
  };
  absl::Time step_yellow = FromProto(step_of().yellow_at());
  clock.Set(step_yellow - absl::Seconds(5));
  REQUIRE(*sv->PrepareDue(absl::Seconds(10)) >= 1);
  workflow::v1::ClaimStepRequest claim;
  claim.mutable_actor()->set_id("appr-9");
  claim.mutable_actor()->set_role("approver");
  claim.mutable_actor()->set_department_id("market");
  claim.set_step_id(claimed + "/1");
  REQUIRE(wf->ClaimStep(claim).ok());
  Pump();
  Fire(step_yellow);
  CHECK(step_of().light() == v1::LIGHT_YELLOW);
  CHECK(step_of().responsible_person() == "appr-9");
}

TEST_CASE_METHOD(SupervisionFixture,
                 "a clock planned late, with instants before the last firing, still fires") {
  std::string first = AcceptCase("first");
  // A second case accepted at the same time, but supervision hears of it only after it
  // has fired past both cases' instants (its streams lag).
  auto submitted = intake->SubmitCase(SubmitRequest("late"));
  REQUIRE(submitted.ok());
  REQUIRE(Accept(submitted->case_().case_id()).ok());
  absl::Time later = FromProto(CaseClock(first).due()) + absl::Hours(24 * 30);
  Fire(later);
  CHECK(CaseClock(first).light() == v1::LIGHT_RED);
  Pump();
  std::string late = submitted->case_().case_id();
  CHECK(CaseClock(late).light() == v1::LIGHT_GREEN);
  Fire(later);
  CHECK(CaseClock(late).light() == v1::LIGHT_RED);
  CHECK(Alerts(late).size() == 2);  // yellow and red, once each
  Fire(later + absl::Seconds(1));
  CHECK(Alerts(late).size() == 2);
}

TEST_CASE_METHOD(SupervisionFixture,
                 "a case turns yellow and red exactly at its instants across "
                 "the Spring Festival and a make-up day") {
  std::string case_id = AcceptCase("golden");
  v1::Clock clock_record = CaseClock(case_id);
  // Accepted Fri 2026-02-13 15:00, 5 working days (Feb 14 make-up, 24, 25, 26, 27).
  CHECK(FromProto(clock_record.due()) == At(2026, 2, 28, 0));
  CHECK(FromProto(clock_record.yellow_at()) == At(2026, 2, 27, 0));  // 1 working day left
  CHECK(FromProto(clock_record.red_at()) == At(2026, 2, 28, 0));
  CHECK(clock_record.light() == v1::LIGHT_GREEN);
  CHECK(clock_record.rule_version() == "r1");
  CHECK(clock_record.calendar_version() == calendar->versioned_name());

  Fire(At(2026, 2, 27, 0) - absl::Seconds(1));
  CHECK(CaseClock(case_id).light() == v1::LIGHT_GREEN);
  Fire(At(2026, 2, 27, 0));
  CHECK(CaseClock(case_id).light() == v1::LIGHT_YELLOW);
  Fire(At(2026, 2, 28, 0) - absl::Seconds(1));
  CHECK(CaseClock(case_id).light() == v1::LIGHT_YELLOW);
  Fire(At(2026, 2, 28, 0));
  CHECK(CaseClock(case_id).light() == v1::LIGHT_RED);
  Fire(At(2026, 3, 5, 0));

  std::vector<v1::Alert> lights;
  for (const auto& a : Alerts(case_id)) {
    if (a.kind() == v1::ALERT_KIND_LIGHT && a.clock_id() == "case/" + case_id) lights.push_back(a);
  }
  REQUIRE(lights.size() == 2);
  CHECK(lights[0].light() == v1::LIGHT_YELLOW);
  CHECK(FromProto(lights[0].occurred_at()) == At(2026, 2, 27, 0));
  CHECK(lights[1].light() == v1::LIGHT_RED);
  CHECK(FromProto(lights[1].occurred_at()) == At(2026, 2, 28, 0));
  CHECK(lights[1].department_id() == "market");

  v1::GetLightBoardRequest board_request;
  auto board = sv->GetLightBoard(board_request);
  REQUIRE(board.ok());
  REQUIRE(board->departments_size() == 1);
  CHECK(board->departments(0).red() == 1);
  v1::ListClocksRequest reds;
  reds.set_light(v1::LIGHT_RED);
  auto red_list = sv->ListClocks(reds);
  REQUIRE(red_list.ok());
  REQUIRE(red_list->clocks_size() == 1);
  CHECK(red_list->clocks(0).case_id() == case_id);
}

TEST_CASE_METHOD(SupervisionFixture,
                 "a supplement pause moves the instants to the second and an "
                 "open pause does not move") {
  std::string case_id = AcceptCase("pause");
  clock.Set(At(2026, 2, 24, 10));
  iv1::RequestSupplementRequest request;
  *request.mutable_actor() = intake::Clerk();
  request.set_case_id(case_id);
  request.add_missing_materials()->set_name("lease");
  request.mutable_missing_materials(0)->set_reason("expired");
  REQUIRE(intake->RequestSupplement(request).ok());
  Pump();
  // Open pause: far past every instant, the clock does not turn.
  Fire(At(2026, 3, 20, 0));
  v1::Clock paused = CaseClock(case_id);
  CHECK(paused.paused());
  CHECK(paused.light() == v1::LIGHT_GREEN);

  clock.Set(At(2026, 3, 20, 0));
  iv1::ReceiveSupplementRequest receive;
  *receive.mutable_actor() = intake::Clerk();
  receive.set_case_id(case_id);
  receive.add_materials()->set_name("new lease");
  REQUIRE(intake->ReceiveSupplement(receive).ok());
  Pump();
  v1::Clock resumed = CaseClock(case_id);
  CHECK_FALSE(resumed.paused());
  // Before the pause: Feb 14 (24 h) and Feb 24 00:00-10:00 (10 h) = 34 h of 120 h.
  // Paused Feb 24 10:00 to Mar 20 00:00. Then Mar 20 (Fri), 23, 24, 25 give 96 h = 130 h:
  // the budget is reached on Mar 25 at 14:00; yellow (96 h used) on Mar 24 at 14:00.
  CHECK(FromProto(resumed.due()) == At(2026, 3, 25, 14));
  CHECK(FromProto(resumed.yellow_at()) == At(2026, 3, 24, 14));
  Fire(At(2026, 3, 24, 14) - absl::Seconds(1));
  CHECK(CaseClock(case_id).light() == v1::LIGHT_GREEN);
  Fire(At(2026, 3, 24, 14));
  CHECK(CaseClock(case_id).light() == v1::LIGHT_YELLOW);
}

TEST_CASE_METHOD(SupervisionFixture,
                 "a finished clock keeps the colour it had when it "
                 "finished") {
  // The fixture's item has one approve step.
  std::string case_id = AcceptCase("finish");
  Fire(At(2026, 2, 27, 12));
  CHECK(CaseClock(case_id).light() == v1::LIGHT_YELLOW);
  wv1::CompleteStepRequest complete;
  *complete.mutable_actor() = Person("a1", "approver");
  complete.set_step_id(case_id + "/1");
  complete.set_opinion(wv1::OPINION_PASS);
  REQUIRE(wf->CompleteStep(complete).ok());
  Pump();
  Fire(At(2026, 4, 1, 0));
  v1::Clock done = CaseClock(case_id);
  CHECK(done.has_finished_at());
  CHECK(done.light() == v1::LIGHT_YELLOW);
  for (const auto& a : Alerts(case_id)) {
    if (a.clock_id() == "case/" + case_id) CHECK(a.light() != v1::LIGHT_RED);
  }
  CHECK(sv->GetLightBoard(v1::GetLightBoardRequest())->departments_size() == 0);
}

TEST_CASE_METHOD(SupervisionFixture,
                 "anomalies are raised once each: refusal, supplements, "
                 "long gap, repeated procedures, denial") {
  auto refused_case = intake->SubmitCase(SubmitRequest("refuse"));
  REQUIRE(refused_case.ok());
  iv1::RefuseCaseRequest refuse;
  *refuse.mutable_actor() = intake::Clerk();
  refuse.set_case_id(refused_case->case_().case_id());
  refuse.set_reason("outside the remit");
  REQUIRE(intake->RefuseCase(refuse).ok());

  auto late = intake->SubmitCase(SubmitRequest("late"));
  REQUIRE(late.ok());
  clock.Advance(absl::Hours(72));
  REQUIRE(Accept(late->case_().case_id()).ok());
  Pump();
  std::string case_id = late->case_().case_id();
  for (int i = 0; i < 2; ++i) {
    wv1::StartSpecialProcedureRequest start;
    *start.mutable_actor() = Person("a1", "approver");
    start.set_case_id(case_id);
    start.set_type(wv1::PROCEDURE_TYPE_TESTING);
    start.set_reason("samples");
    *start.mutable_limit() = WorkingDays(3);
    auto started = wf->StartSpecialProcedure(start);
    REQUIRE(started.ok());
    wv1::EndSpecialProcedureRequest end;
    *end.mutable_actor() = Person("a1", "approver");
    end.set_procedure_id(started->procedures(i).procedure_id());
    end.set_outcome("passed");
    REQUIRE(wf->EndSpecialProcedure(end).ok());
  }
  wv1::CompleteStepRequest deny;
  *deny.mutable_actor() = Person("a1", "approver");
  deny.set_step_id(case_id + "/1");
  deny.set_opinion(wv1::OPINION_DENY);
  deny.set_comment("premises unsafe");
  REQUIRE(wf->CompleteStep(deny).ok());
  Pump();
  Pump();  // a second delivery changes nothing

  std::multiset<std::string> anomalies;
  for (const auto& a : Alerts()) {
    if (a.kind() == v1::ALERT_KIND_ANOMALY) anomalies.insert(a.anomaly());
  }
  CHECK(anomalies.count("refusal") == 1);
  CHECK(anomalies.count("long_gap_before_acceptance") == 1);
  CHECK(anomalies.count("repeated_procedures") == 1);
  CHECK(anomalies.count("denial") == 1);
}

TEST_CASE_METHOD(SupervisionFixture,
                 "a notice is issued on a red case, answered by the "
                 "department and escalated by the inspector") {
  std::string green_case = AcceptCase("green");
  v1::IssueNoticeRequest issue;
  *issue.mutable_actor() = Person("insp", "inspector", "");
  issue.set_case_id(green_case);
  issue.set_reason("overdue");
  *issue.mutable_response_limit() = WorkingDays(2);
  CHECK(sv->IssueNotice(issue).status().code() == absl::StatusCode::kFailedPrecondition);
  Fire(At(2026, 3, 2, 9));
  *issue.mutable_actor() = Person("clerk", "window_clerk");
  CHECK(sv->IssueNotice(issue).status().code() == absl::StatusCode::kPermissionDenied);
  *issue.mutable_actor() = Person("insp", "inspector", "");
  auto notice = sv->IssueNotice(issue);
  REQUIRE(notice.ok());
  CHECK(notice->state() == v1::NOTICE_STATE_ISSUED);
  // Issued Mon 2026-03-02 09:00, 2 working days: Mar 3 and 4.
  CHECK(FromProto(notice->response_due()) == At(2026, 3, 5, 0));

  v1::RespondToNoticeRequest respond;
  *respond.mutable_actor() = Person("head", "director", "health");
  respond.set_notice_id(notice->notice_id());
  respond.set_response("expert unavailable");
  CHECK(sv->RespondToNotice(respond).status().code() == absl::StatusCode::kPermissionDenied);
  *respond.mutable_actor() = Person("head", "director", "market");
  auto answered = sv->RespondToNotice(respond);
  REQUIRE(answered.ok());
  CHECK(answered->state() == v1::NOTICE_STATE_ANSWERED);

  v1::DecideNoticeRequest decide;
  *decide.mutable_actor() = Person("insp", "inspector", "");
  decide.set_notice_id(notice->notice_id());
  decide.set_decision(v1::NOTICE_STATE_ESCALATED);
  decide.set_text("supervision recommendation: assign a second approver");
  auto escalated = sv->DecideNotice(decide);
  REQUIRE(escalated.ok());
  CHECK(escalated->state() == v1::NOTICE_STATE_ESCALATED);
  CHECK(sv->DecideNotice(decide).status().code() == absl::StatusCode::kFailedPrecondition);
  v1::GetNoticeRequest get;
  get.set_notice_id("bogus");
  CHECK(sv->GetNotice(get).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE_METHOD(SupervisionFixture,
                 "changing the rules or the calendar re-plans open clocks "
                 "and records the versions") {
  std::string case_id = AcceptCase("replan");
  v1::SetRuleSetRequest rules;
  rules.mutable_actor()->set_id("admin");
  rules.mutable_rules()->mutable_yellow()->set_reference(v1::REFERENCE_LIMIT);
  rules.mutable_rules()->mutable_yellow()->set_offset_working_days(-2);
  rules.mutable_rules()->mutable_red()->set_reference(v1::REFERENCE_STATUTORY);
  rules.mutable_rules()->mutable_red()->set_offset_working_days(1);
  auto replanned = sv->SetRuleSet(rules);
  REQUIRE(replanned.ok());
  CHECK(replanned->rule_version() == "r2");
  CHECK(replanned->replanned() >= 2);  // the case clock and its step
  v1::Clock c = CaseClock(case_id);
  CHECK(c.rule_version() == "r2");
  // Yellow 2 working days before the promised limit: after 3 (Feb 14, 24, 25).
  CHECK(FromProto(c.yellow_at()) == At(2026, 2, 26, 0));
  // Red 1 working day past the statutory 10: the 11th working day is Mar 6.
  CHECK(FromProto(c.red_at()) == At(2026, 3, 7, 0));

  // A new holiday on Feb 25 (a made-up change) moves the limit by one working day.
  calendar::v1::HolidayCalendarFile file = NationalCalendarFile();
  (*file.mutable_years())["2026"].add_days_off("2026-02-25");
  file.set_version("test-extra-holiday");
  v1::SetCalendarRequest set_calendar;
  set_calendar.mutable_actor()->set_id("admin");
  *set_calendar.mutable_calendar() = file;
  auto changed = sv->SetCalendar(set_calendar);
  REQUIRE(changed.ok());
  c = CaseClock(case_id);
  CHECK(c.calendar_version() == changed->calendar_version());
  CHECK(FromProto(c.due()) == At(2026, 3, 1, 0));  // Feb 14, 24, 26, 27, 28
  CHECK(sv->SetCalendar(set_calendar).status().code() == absl::StatusCode::kAlreadyExists);
}

TEST_CASE_METHOD(SupervisionFixture,
                 "a calendar change re-plans only the clocks whose days it changes, a change "
                 "of the anomaly rules none") {
  std::string case_id = AcceptCase("windows");
  const v1::Clock before = CaseClock(case_id);
  calendar::v1::HolidayCalendarFile file = NationalCalendarFile();
  v1::SetCalendarRequest set_calendar;
  set_calendar.mutable_actor()->set_id("admin");

  // Months after every open clock's last instant: nothing to re-plan.
  (*file.mutable_years())["2026"].add_days_off("2026-11-02");
  file.set_version("test-holiday-outside");
  *set_calendar.mutable_calendar() = file;
  auto outside = sv->SetCalendar(set_calendar);
  REQUIRE(outside.ok());
  CHECK(outside->replanned() == 0);
  CHECK(CaseClock(case_id).SerializeAsString() == before.SerializeAsString());

  // Inside the case's days: its clocks (the case's and its step's) move.
  (*file.mutable_years())["2026"].add_days_off("2026-02-25");
  file.set_version("test-holiday-inside");
  *set_calendar.mutable_calendar() = file;
  auto inside = sv->SetCalendar(set_calendar);
  REQUIRE(inside.ok());
  CHECK(inside->replanned() >= 2);
  v1::Clock after = CaseClock(case_id);
  CHECK(after.calendar_version() == inside->calendar_version());
  CHECK(FromProto(after.due()) == FromProto(before.due()) + absl::Hours(24));

  // The anomaly rules move no instant.
  v1::SetRuleSetRequest rules;
  rules.mutable_actor()->set_id("admin");
  *rules.mutable_rules() = sv->GetRuleSet();
  rules.mutable_rules()->set_long_gap_hours(72);
  auto anomaly_only = sv->SetRuleSet(rules);
  REQUIRE(anomaly_only.ok());
  CHECK(anomaly_only->replanned() == 0);
  CHECK(sv->GetRuleSet().long_gap_hours() == 72);
  rules.mutable_rules()->mutable_red()->set_offset_working_days(1);
  auto red_later = sv->SetRuleSet(rules);
  REQUIRE(red_later.ok());
  CHECK(red_later->replanned() >= 2);
  CHECK(FromProto(CaseClock(case_id).red_at()) > FromProto(after.red_at()));
}

TEST_CASE_METHOD(SupervisionFixture,
                 "the metrics list counts what happened once it is registered") {
  // Unregistered, counting costs nothing and shows nothing.
  AcceptCase("before");
  CHECK(sv->metrics().events_applied.value() == 0);
  prometheus::Registry registry;
  sv->metrics().Register(registry);
  AcceptCase("counted");
  CHECK(sv->metrics().events_applied.value() >= 2);  // submitted, accepted (+ workflow's)
  Fire(At(2026, 3, 2, 0));
  const double fired = sv->metrics().transitions_fired.value();
  CHECK(fired >= 2);  // both cases' lights at least
  CHECK(sv->metrics().alerts_raised.value() >= fired);
  auto sink = FileAlertSink::Open(dir.Sub("metrics-alerts.jsonl"));
  REQUIRE(sink.ok());
  auto delivered = sv->DeliverAlerts(**sink);
  REQUIRE(delivered.ok());
  CHECK(sv->metrics().alerts_delivered.value() == static_cast<double>(*delivered));
  // The registry exposes them under their names.
  bool found = false;
  for (const auto& family : registry.Collect()) {
    if (family.name == "sunlight_supervision_transitions_fired_total") {
      found = true;
      CHECK(family.metric.at(0).counter.value == fired);
    }
  }
  CHECK(found);
}

TEST_CASE_METHOD(SupervisionFixture, "alerts reach the sink once, also when delivery repeats") {
  AcceptCase("sink");
  Fire(At(2026, 3, 2, 0));
  std::string path = dir.Sub("alerts.jsonl");
  auto sink = FileAlertSink::Open(path);
  REQUIRE(sink.ok());
  auto delivered = sv->DeliverAlerts(**sink);
  REQUIRE(delivered.ok());
  CHECK(*delivered >= 2);
  CHECK(*sv->DeliverAlerts(**sink) == 0);
  // A sink reopened after a crash recognises what it has.
  auto reopened = FileAlertSink::Open(path);
  REQUIRE(reopened.ok());
  v1::Alert again = Alerts().front();
  REQUIRE((*reopened)->Deliver(again).ok());
  std::ifstream in(path);
  size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  CHECK(lines == *delivered);
}

TEST_CASE_METHOD(SupervisionFixture,
                 "the same history in any interleaving and with restarts "
                 "gives the same lights and the same alerts") {
  // A history with pauses, a procedure, an extension, a completion and a withdrawal.
  std::vector<std::string> cases;
  for (int i = 0; i < 3; ++i) cases.push_back(AcceptCase(absl::StrCat("h", i)));
  clock.Set(At(2026, 2, 24, 10));
  iv1::RequestSupplementRequest request;
  *request.mutable_actor() = intake::Clerk();
  request.set_case_id(cases[0]);
  request.add_missing_materials()->set_name("lease");
  request.mutable_missing_materials(0)->set_reason("expired");
  REQUIRE(intake->RequestSupplement(request).ok());
  wv1::StartSpecialProcedureRequest start;
  *start.mutable_actor() = Person("a1", "approver");
  start.set_case_id(cases[1]);
  start.set_type(wv1::PROCEDURE_TYPE_HEARING);
  start.set_reason("objection");
  *start.mutable_limit() = WorkingDays(2);
  REQUIRE(wf->StartSpecialProcedure(start).ok());
  clock.Set(At(2026, 2, 25, 16));
  iv1::ReceiveSupplementRequest receive;
  *receive.mutable_actor() = intake::Clerk();
  receive.set_case_id(cases[0]);
  receive.add_materials()->set_name("lease");
  REQUIRE(intake->ReceiveSupplement(receive).ok());
  wv1::ApproveExtensionRequest extend;
  *extend.mutable_actor() = Person("d", "approver");
  extend.set_case_id(cases[2]);
  extend.set_working_days(2);
  extend.set_reason("complex");
  REQUIRE(wf->ApproveExtension(extend).ok());
  iv1::WithdrawCaseRequest withdraw;
  *withdraw.mutable_actor() = intake::Clerk();
  withdraw.set_case_id(cases[1]);
  withdraw.set_reason("gave up");
  withdraw.set_applicant_request("doc:withdrawal-request");
  REQUIRE(intake->WithdrawCase(withdraw).ok());
  REQUIRE(wf->ApplyIntakeEvents(EventsAfter(intake->event_log(), *wf->IntakeCursor())).ok());
  std::vector<events::v1::CaseEvent> intake_events = EventsAfter(intake->event_log(), 0);
  std::vector<events::v1::CaseEvent> workflow_events = EventsAfter(wf->event_log(), 0);

  const std::vector<absl::Time> ticks = {At(2026, 2, 26, 0), At(2026, 2, 28, 0), At(2026, 3, 3, 0),
                                         At(2026, 3, 10, 0)};
  auto run = [&](std::mt19937* rng) {
    testing::ScratchDir scratch("supervision-interleave");
    auto store = testing::OpenScratchStore(scratch.Sub("db"), SupervisionColumnFamilies());
    clock.Set(At(2026, 2, 25, 16));
    auto s = Supervision::Open(store.get(), calendar, &clock);
    REQUIRE(s.ok());
    std::unique_ptr<Supervision> replay = *std::move(s);
    size_t i = 0, w = 0;
    while (i < intake_events.size() || w < workflow_events.size()) {
      bool take_intake = w == workflow_events.size() ||
                         (i < intake_events.size() && (rng == nullptr || (*rng)() % 2 == 0));
      auto& source = take_intake ? intake_events : workflow_events;
      size_t& pos = take_intake ? i : w;
      size_t n = rng == nullptr ? source.size() : 1 + (*rng)() % 3;
      std::vector<events::v1::CaseEvent> batch(
          source.begin() + static_cast<long>(pos),
          source.begin() + static_cast<long>(std::min(source.size(), pos + n)));
      // Re-deliver the previous event now and then, as a reconnect would.
      if (rng != nullptr && pos > 0 && (*rng)() % 4 == 0) {
        batch.insert(batch.begin(), source[pos - 1]);
      }
      REQUIRE(replay->ApplyEvents(take_intake ? kIntakeStream : kWorkflowStream, batch).ok());
      pos = std::min(source.size(), pos + n);
      if (rng != nullptr && (*rng)() % 5 == 0) {  // restart
        replay.reset();
        auto reopened = Supervision::Open(store.get(), calendar, &clock);
        REQUIRE(reopened.ok());
        replay = *std::move(reopened);
      }
    }
    for (absl::Time t : ticks) {
      clock.Set(t);
      REQUIRE(replay->FireDue().ok());
    }
    std::map<std::string, std::string> outcome;  // alert ids and clock lights
    v1::ListAlertsRequest list;
    list.mutable_page()->set_page_size(500);
    auto alerts = replay->ListAlerts(list);
    REQUIRE(alerts.ok());
    for (const auto& a : alerts->alerts()) outcome[a.alert_id()] = "alert";
    for (const auto& case_id : cases) {
      v1::GetCaseClocksRequest get;
      get.set_case_id(case_id);
      auto clocks = replay->GetCaseClocks(get);
      REQUIRE(clocks.ok());
      for (const auto& c : clocks->clocks()) {
        outcome[c.clock().clock_id()] =
            absl::StrCat(v1::Light_Name(c.clock().light()), " ", c.clock().due().seconds());
      }
    }
    return outcome;
  };
  auto in_order = run(nullptr);
  CHECK(in_order.size() > 6);
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    std::mt19937 rng(seed);
    auto got = run(&rng);
    for (const auto& [k, v] : in_order) {
      INFO("seed " << seed << " key " << k);
      CHECK(got[k] == v);
    }
    CHECK(got.size() == in_order.size());
  }
}

TEST_CASE_METHOD(SupervisionFixture,
                 "an appeal against a score deduction has a decision clock that turns red") {
  std::string case_id = AcceptCase("appealed");
  auto appeal_event = [&](uint64_t sequence, const char* type, absl::Time filed,
                          std::optional<absl::Time> decided) {
    scoring::v1::AppealChanged changed;
    auto* appeal = changed.mutable_appeal();
    appeal->set_appeal_id("a1");
    appeal->set_case_id(case_id);
    appeal->set_department_id("market");
    *appeal->mutable_filed_at() = ToProto(filed);
    if (decided) *appeal->mutable_decided_at() = ToProto(*decided);
    events::v1::CaseEvent e;
    e.set_sequence(sequence);
    e.set_case_id(case_id);
    e.set_type(type);
    *e.mutable_occurred_at() = ToProto(decided ? *decided : filed);
    e.mutable_payload()->PackFrom(changed);
    return e;
  };
  // Filed Mon 2026-03-02 10:00; 5 working days: Mar 3, 4, 5, 6, 9.
  REQUIRE(sv->ApplyEvents(kScoringStream,
                          {appeal_event(1, "scoring.appeal.filed", At(2026, 3, 2, 10), {})})
              .ok());
  auto clock_of = [&] {
    v1::GetCaseClocksRequest request;
    request.set_case_id(case_id);
    auto response = sv->GetCaseClocks(request);
    REQUIRE(response.ok());
    for (const auto& c : response->clocks()) {
      if (c.clock().kind() == v1::CLOCK_KIND_APPEAL) return c.clock();
    }
    FAIL("no appeal clock");
    return v1::Clock();
  };
  CHECK(clock_of().clock_id() == "appeal/a1");
  CHECK(clock_of().department_id() == "market");
  CHECK(FromProto(clock_of().due()) == At(2026, 3, 10, 0));
  Fire(At(2026, 3, 10, 0));
  CHECK(clock_of().light() == v1::LIGHT_RED);
  // Decided late: the clock stops, red.
  REQUIRE(sv->ApplyEvents(kScoringStream, {appeal_event(2, "scoring.appeal.decided",
                                                        At(2026, 3, 2, 10), At(2026, 3, 11, 9))})
              .ok());
  CHECK(clock_of().has_finished_at());
  CHECK(clock_of().light() == v1::LIGHT_RED);
  CHECK(*sv->Cursor(kScoringStream) == 2);
}

TEST_CASE_METHOD(SupervisionFixture,
                 "a rectification clock turns yellow and red at its working-day instants and "
                 "keeps red when answered late") {
  std::string case_id = AcceptCase("rated");
  // Opened Thu 2026-04-30 14:00, 5 working days: May 1-5 is the Labour Day holiday and
  // Sat May 9 a make-up working day, so May 6, 7, 8, 9 and 11: due May 12 00:00, yellow
  // with one working day left, at the end of the make-up day (May 10 00:00).
  scoring::v1::EvaluationChanged rated = BadRating(case_id, At(2026, 4, 30, 14), 5);
  ApplyScoring(ScoringEvent("scoring.evaluation.rated", case_id, At(2026, 4, 30, 14), rated));
  const std::string id = "rectification/" + case_id;
  v1::Clock planned = StoredClock(id);
  CHECK(planned.kind() == v1::CLOCK_KIND_RECTIFICATION);
  CHECK(planned.case_id() == case_id);
  CHECK(planned.case_number() == CaseClock(case_id).case_number());
  CHECK(planned.subject_ref() == "rectification of " + planned.case_number());
  CHECK(planned.department_id() == "market");
  CHECK(planned.item_code() == "GT-001");
  CHECK(FromProto(planned.started_at()) == At(2026, 4, 30, 14));
  CHECK(FromProto(planned.due()) == At(2026, 5, 12, 0));
  CHECK(FromProto(planned.yellow_at()) == At(2026, 5, 10, 0));
  CHECK(FromProto(planned.red_at()) == At(2026, 5, 12, 0));
  CHECK(planned.light() == v1::LIGHT_GREEN);
  // The case's own clocks list it.
  v1::GetCaseClocksRequest of_case;
  of_case.set_case_id(case_id);
  auto listed = sv->GetCaseClocks(of_case);
  REQUIRE(listed.ok());
  CHECK(std::count_if(listed->clocks().begin(), listed->clocks().end(),
                      [&](const auto& c) { return c.clock().clock_id() == id; }) == 1);
  CHECK(BoardRow("market").rectifications().green() == 1);

  Fire(At(2026, 5, 10, 0) - absl::Seconds(1));
  CHECK(StoredClock(id).light() == v1::LIGHT_GREEN);
  Fire(At(2026, 5, 10, 0));
  CHECK(StoredClock(id).light() == v1::LIGHT_YELLOW);
  CHECK(BoardRow("market").rectifications().yellow() == 1);
  CHECK(BoardRow("market").rectifications().green() == 0);
  Fire(At(2026, 5, 12, 0) - absl::Seconds(1));
  CHECK(StoredClock(id).light() == v1::LIGHT_YELLOW);
  Fire(At(2026, 5, 12, 0));
  CHECK(StoredClock(id).light() == v1::LIGHT_RED);
  CHECK(BoardRow("market").rectifications().red() == 1);
  std::vector<v1::Alert> lights = LightAlertsOf(id);
  REQUIRE(lights.size() == 2);
  CHECK(lights[0].light() == v1::LIGHT_YELLOW);
  CHECK(FromProto(lights[0].occurred_at()) == At(2026, 5, 10, 0));
  CHECK(lights[1].light() == v1::LIGHT_RED);
  CHECK(FromProto(lights[1].occurred_at()) == At(2026, 5, 12, 0));
  CHECK(lights[1].case_id() == case_id);
  CHECK(lights[1].subject_ref() == planned.subject_ref());

  // Answered late, on Wed May 13: the clock stops there and keeps red.
  scoring::v1::EvaluationChanged answered = rated;
  auto* rectification = answered.mutable_evaluation()->mutable_rectification();
  rectification->set_state(scoring::v1::RECTIFICATION_STATE_ANSWERED);
  *rectification->mutable_answered_at() = ToProto(At(2026, 5, 13, 10));
  ApplyScoring(
      ScoringEvent("scoring.rectification.answered", case_id, At(2026, 5, 13, 10), answered));
  Fire(At(2026, 6, 1, 0));
  v1::Clock done = StoredClock(id);
  REQUIRE(done.has_finished_at());
  CHECK(FromProto(done.finished_at()) == At(2026, 5, 13, 10));
  CHECK(done.light() == v1::LIGHT_RED);
  CHECK(LightAlertsOf(id).size() == 2);
  CHECK(BoardRow("market").rectifications().red() == 0);
  CHECK(*sv->Cursor(kScoringStream) == 2);
}

TEST_CASE_METHOD(SupervisionFixture,
                 "a rectification cancelled when its rating is excluded on review finishes") {
  std::string case_id = AcceptCase("reviewed");
  scoring::v1::EvaluationChanged changed = BadRating(case_id, At(2026, 3, 2, 10), 5);
  ApplyScoring(ScoringEvent("scoring.evaluation.rated", case_id, At(2026, 3, 2, 10), changed));
  auto* evaluation = changed.mutable_evaluation();
  evaluation->set_state(scoring::v1::EVALUATION_STATE_UNDER_REVIEW);
  evaluation->mutable_review()->set_reasons("rated the wrong window");
  ApplyScoring(
      ScoringEvent("scoring.evaluation.review_requested", case_id, At(2026, 3, 3, 9), changed));
  const std::string id = "rectification/" + case_id;
  CHECK_FALSE(StoredClock(id).has_finished_at());  // a review requested does not stop it
  evaluation->set_state(scoring::v1::EVALUATION_STATE_EXCLUDED);
  evaluation->mutable_review()->set_decided(true);
  evaluation->mutable_review()->set_upheld(true);
  evaluation->mutable_rectification()->set_state(scoring::v1::RECTIFICATION_STATE_CANCELLED);
  ApplyScoring(
      ScoringEvent("scoring.evaluation.review_decided", case_id, At(2026, 3, 5, 11), changed));
  v1::Clock cancelled = StoredClock(id);
  REQUIRE(cancelled.has_finished_at());
  CHECK(FromProto(cancelled.finished_at()) == At(2026, 3, 5, 11));
  CHECK(cancelled.light() == v1::LIGHT_GREEN);
  Fire(At(2026, 4, 1, 0));  // past its due instant (Mar 10): nothing more
  CHECK(StoredClock(id).light() == v1::LIGHT_GREEN);
  CHECK(LightAlertsOf(id).empty());
  CHECK(BoardRow("market").rectifications().green() == 0);
}

TEST_CASE_METHOD(SupervisionFixture,
                 "a complaint of no case has an acceptance clock and then a handling clock "
                 "that turns red when late") {
  // Filed Fri 2026-09-18 10:00, acceptance within 5 working days: Sun Sep 20 is a make-up
  // working day, so Sep 20, 21, 22, 23 and 24: due Sep 25 00:00 (the Mid-Autumn holiday).
  scoring::v1::ComplaintChanged changed =
      FiledComplaint("c7", "T20260918-000007", "", At(2026, 9, 18, 10));
  ApplyScoring(ScoringEvent("scoring.complaint.filed", "", At(2026, 9, 18, 10), changed));
  CHECK(*sv->Cursor(kScoringStream) == 1);
  std::vector<v1::Clock> waiting = OpenClocks(v1::CLOCK_KIND_COMPLAINT_ACCEPTANCE, v1::LIGHT_GREEN);
  REQUIRE(waiting.size() == 1);
  const v1::Clock& acceptance = waiting[0];
  CHECK(acceptance.clock_id() == "complaint-acceptance/c7");
  CHECK(acceptance.case_id().empty());
  CHECK(acceptance.department_id() == "market");
  CHECK(acceptance.subject_ref() == "complaint T20260918-000007");
  CHECK(FromProto(acceptance.due()) == At(2026, 9, 25, 0));
  CHECK(FromProto(acceptance.yellow_at()) == At(2026, 9, 24, 0));
  v1::DepartmentLights row = BoardRow("market");
  CHECK(row.complaints().green() == 1);
  CHECK(row.green() + row.yellow() + row.red() == 0);  // no case clocks

  // Accepted Tue Sep 22 15:00 (in time), handling within 10 working days: Sep 23, 24, 28,
  // 29, 30, Oct 8, 9, Sat Oct 10 (make-up), 12 and 13: due Oct 14 00:00.
  auto* complaint = changed.mutable_complaint();
  complaint->set_state(scoring::v1::COMPLAINT_STATE_ACCEPTED);
  *complaint->mutable_acceptance_decided_at() = ToProto(At(2026, 9, 22, 15));
  *complaint->mutable_handling_limit() = WorkingDays(10);
  ApplyScoring(ScoringEvent("scoring.complaint.accepted", "", At(2026, 9, 22, 15), changed));
  v1::Clock decided = StoredClock("complaint-acceptance/c7");
  REQUIRE(decided.has_finished_at());
  CHECK(FromProto(decided.finished_at()) == At(2026, 9, 22, 15));
  CHECK(decided.light() == v1::LIGHT_GREEN);
  const std::string id = "complaint/c7";
  v1::Clock handling = StoredClock(id);
  CHECK(handling.kind() == v1::CLOCK_KIND_COMPLAINT);
  CHECK(handling.case_id().empty());
  CHECK(handling.subject_ref() == "complaint T20260918-000007");
  CHECK(FromProto(handling.started_at()) == At(2026, 9, 22, 15));
  CHECK(FromProto(handling.due()) == At(2026, 10, 14, 0));
  CHECK(FromProto(handling.yellow_at()) == At(2026, 10, 13, 0));
  CHECK(BoardRow("market").complaints().green() == 1);  // one open clock per complaint

  Fire(At(2026, 10, 13, 0) - absl::Seconds(1));
  CHECK(StoredClock(id).light() == v1::LIGHT_GREEN);
  Fire(At(2026, 10, 13, 0));
  CHECK(StoredClock(id).light() == v1::LIGHT_YELLOW);
  CHECK(BoardRow("market").complaints().yellow() == 1);
  Fire(At(2026, 10, 14, 0));
  CHECK(StoredClock(id).light() == v1::LIGHT_RED);
  row = BoardRow("market");
  CHECK(row.complaints().red() == 1);
  CHECK(row.complaints().green() + row.complaints().yellow() == 0);
  std::vector<v1::Clock> late = OpenClocks(v1::CLOCK_KIND_COMPLAINT, v1::LIGHT_RED);
  REQUIRE(late.size() == 1);
  CHECK(late[0].clock_id() == id);
  std::vector<v1::Alert> lights = LightAlertsOf(id);
  REQUIRE(lights.size() == 2);
  CHECK(FromProto(lights[0].occurred_at()) == At(2026, 10, 13, 0));
  CHECK(lights[1].light() == v1::LIGHT_RED);
  CHECK(FromProto(lights[1].occurred_at()) == At(2026, 10, 14, 0));
  CHECK(lights[1].case_id().empty());
  CHECK(lights[1].department_id() == "market");
  CHECK(lights[1].subject_ref() == "complaint T20260918-000007");
  CHECK(LightAlertsOf("complaint-acceptance/c7").empty());

  // The department's response does not stop it; the conclusion does, red.
  complaint->set_department_response("the applicant's file was mislaid");
  *complaint->mutable_responded_at() = ToProto(At(2026, 10, 14, 9));
  ApplyScoring(ScoringEvent("scoring.complaint.responded", "", At(2026, 10, 14, 9), changed));
  CHECK_FALSE(StoredClock(id).has_finished_at());
  complaint->set_state(scoring::v1::COMPLAINT_STATE_CONCLUDED);
  complaint->set_outcome(scoring::v1::COMPLAINT_OUTCOME_VALID);
  *complaint->mutable_concluded_at() = ToProto(At(2026, 10, 15, 10));
  ApplyScoring(ScoringEvent("scoring.complaint.concluded", "", At(2026, 10, 15, 10), changed));
  Fire(At(2026, 11, 1, 0));
  v1::Clock concluded = StoredClock(id);
  REQUIRE(concluded.has_finished_at());
  CHECK(FromProto(concluded.finished_at()) == At(2026, 10, 15, 10));
  CHECK(concluded.light() == v1::LIGHT_RED);
  CHECK(LightAlertsOf(id).size() == 2);
  CHECK(sv->GetLightBoard(v1::GetLightBoardRequest())->departments_size() == 0);
  CHECK(*sv->Cursor(kScoringStream) == 4);
}

TEST_CASE_METHOD(SupervisionFixture, "a complaint not accepted has no handling clock") {
  scoring::v1::ComplaintChanged changed =
      FiledComplaint("c9", "T20260302-000009", "", At(2026, 3, 2, 10));
  ApplyScoring(ScoringEvent("scoring.complaint.filed", "", At(2026, 3, 2, 10), changed));
  auto* complaint = changed.mutable_complaint();
  complaint->set_state(scoring::v1::COMPLAINT_STATE_NOT_ACCEPTED);
  complaint->set_acceptance_reasons("not a matter of the center");
  *complaint->mutable_acceptance_decided_at() = ToProto(At(2026, 3, 12, 9));  // late
  ApplyScoring(ScoringEvent("scoring.complaint.not_accepted", "", At(2026, 3, 12, 9), changed));
  v1::Clock decided = StoredClock("complaint-acceptance/c9");
  REQUIRE(decided.has_finished_at());
  CHECK(decided.light() == v1::LIGHT_RED);  // due Mar 10 00:00, decided after it
  Fire(At(2026, 3, 12, 9));
  CHECK(LightAlertsOf("complaint-acceptance/c9").size() == 2);  // passed, alerted once each
  auto handling = storage::LoadProto<v1::Clock>(*sv_store, store::kClocks, "complaint/c9");
  REQUIRE(handling.ok());
  CHECK_FALSE(handling->has_value());
}

TEST_CASE_METHOD(SupervisionFixture,
                 "complaint and rectification clocks run on through other cases' events and "
                 "their own case's withdrawal") {
  std::string withdrawn = AcceptCase("complained-of");
  clock.Set(At(2026, 2, 24, 10));
  ApplyScoring(ScoringEvent("scoring.complaint.filed", "", At(2026, 2, 24, 10),
                            FiledComplaint("c1", "T20260224-000001", "", At(2026, 2, 24, 10))));
  ApplyScoring(
      ScoringEvent("scoring.complaint.filed", withdrawn, At(2026, 2, 24, 11),
                   FiledComplaint("c2", "T20260224-000002", withdrawn, At(2026, 2, 24, 11))));
  ApplyScoring(ScoringEvent("scoring.evaluation.rated", withdrawn, At(2026, 2, 24, 12),
                            BadRating(withdrawn, At(2026, 2, 24, 12), 5)));
  const v1::Clock caseless = StoredClock("complaint-acceptance/c1");

  // Other cases come and go; the complained-of case is withdrawn.
  clock.Set(At(2026, 2, 25, 9));
  std::string other = AcceptCase("other");
  iv1::WithdrawCaseRequest withdraw;
  *withdraw.mutable_actor() = intake::Clerk();
  withdraw.set_case_id(withdrawn);
  withdraw.set_reason("gave up");
  withdraw.set_applicant_request("doc:withdrawal-request");
  REQUIRE(intake->WithdrawCase(withdraw).ok());
  wv1::CompleteStepRequest complete;
  *complete.mutable_actor() = Person("a1", "approver");
  complete.set_step_id(other + "/1");
  complete.set_opinion(wv1::OPINION_PASS);
  REQUIRE(wf->CompleteStep(complete).ok());
  Pump();
  CHECK(CaseClock(withdrawn).has_finished_at());
  CHECK(CaseClock(other).has_finished_at());

  CHECK(StoredClock("complaint-acceptance/c1").SerializeAsString() == caseless.SerializeAsString());
  v1::Clock of_case = StoredClock("complaint-acceptance/c2");
  CHECK(of_case.case_id() == withdrawn);
  CHECK_FALSE(of_case.has_finished_at());
  CHECK_FALSE(StoredClock("rectification/" + withdrawn).has_finished_at());
  CHECK(BoardRow("market").complaints().green() == 2);
  CHECK(BoardRow("market").rectifications().green() == 1);
  // Both still turn at their instants (filed Tue Feb 24: Feb 25, 26, 27, 28 (make-up) and
  // Mar 2 give due Mar 3 00:00).
  CHECK(FromProto(caseless.due()) == At(2026, 3, 3, 0));
  Fire(At(2026, 3, 3, 0));
  CHECK(StoredClock("complaint-acceptance/c1").light() == v1::LIGHT_RED);
  CHECK(StoredClock("complaint-acceptance/c2").light() == v1::LIGHT_RED);
  CHECK(StoredClock("rectification/" + withdrawn).light() == v1::LIGHT_RED);
  CHECK(BoardRow("market").complaints().red() == 2);
}

}  // namespace
}  // namespace sunlight::supervision

namespace sunlight::supervision {
namespace {

TEST_CASE_METHOD(SupervisionFixture,
                 "an inspector issues a supervision notice on an accepted "
                 "complaint of no case") {
  scoring::v1::ComplaintChanged changed =
      FiledComplaint("c8", "T20260918-000008", "", At(2026, 9, 18, 10));
  ApplyScoring(ScoringEvent("scoring.complaint.filed", "", At(2026, 9, 18, 10), changed));
  v1::IssueNoticeRequest issue;
  issue.mutable_actor()->set_id("insp");
  issue.mutable_actor()->set_role("inspector");
  issue.set_complaint_id("c8");
  issue.set_reason("投诉反映窗口要求额外材料，请说明");
  *issue.mutable_response_limit() = WorkingDays(3);
  // Not before it is accepted; a case and a complaint at once is refused.
  CHECK(sv->IssueNotice(issue).status().code() == absl::StatusCode::kFailedPrecondition);
  issue.set_case_id("some-case");
  CHECK(absl::StartsWith(sv->IssueNotice(issue).status().message(), "complaint_id:"));
  issue.clear_case_id();

  auto* complaint = changed.mutable_complaint();
  complaint->set_state(scoring::v1::COMPLAINT_STATE_ACCEPTED);
  *complaint->mutable_acceptance_decided_at() = ToProto(At(2026, 9, 22, 15));
  *complaint->mutable_handling_limit() = WorkingDays(10);
  ApplyScoring(ScoringEvent("scoring.complaint.accepted", "", At(2026, 9, 22, 15), changed));
  auto notice = sv->IssueNotice(issue);
  REQUIRE(notice.ok());
  CHECK(notice->complaint_id() == "c8");
  CHECK(notice->case_id().empty());
  CHECK(notice->department_id() == "market");
  CHECK(notice->subject_ref() == "complaint T20260918-000008");
  v1::Clock clock = StoredClock("notice/" + notice->notice_id());
  CHECK(clock.kind() == v1::CLOCK_KIND_NOTICE);
  CHECK(clock.case_id().empty());
  CHECK(clock.subject_ref() == "notice on complaint T20260918-000008");
  // Sep 23, 24 and 28 (Sep 25-27 the Mid-Autumn holiday): due Sep 29 00:00.
  CHECK(FromProto(clock.due()) == At(2026, 9, 29, 0));

  // The department answers as to any notice.
  v1::RespondToNoticeRequest respond;
  *respond.mutable_actor() = intake::Person("head", "leader");
  respond.set_notice_id(notice->notice_id());
  respond.set_response("已核实并整改");
  REQUIRE(sv->RespondToNotice(respond).ok());
  CHECK(StoredClock("notice/" + notice->notice_id()).has_finished_at());
}

}  // namespace
}  // namespace sunlight::supervision
