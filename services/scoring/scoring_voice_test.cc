// The public's voice in the scores: evaluations (好差评) with their rectifications and reviews,
// and complaints (投诉), over cases made by the real intake, workflow and supervision libraries.
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "scoring_test_fixture.h"

namespace sunlight::scoring {
namespace {

struct VoiceFixture : ScoringFixture {
  // "done" accepted Fri 2026-02-13 15:00 and completed Tue Feb 24 10:00; "open" accepted and
  // not completed.
  VoiceFixture() {
    done = AcceptNew("done");
    open = AcceptNew("open");
    Pump();
    Complete(done, intake::At(2026, 2, 24, 10));
    PumpAll();
    clock.Set(intake::At(2026, 2, 24, 11));
  }

  v1::RateCaseRequest Rating(const std::string& case_id, v1::EvaluationLevel level,
                             bool real_name = true) {
    v1::RateCaseRequest r;
    r.mutable_actor()->set_id("applicant:" + case_id);
    r.mutable_actor()->set_role("applicant");
    r.set_case_id(case_id);
    r.set_level(level);
    r.set_real_name(real_name);
    r.set_channel(v1::EVALUATION_CHANNEL_ONLINE);
    return r;
  }

  v1::Measures MonthOf(const std::string& department, const std::string& month) {
    auto stats = Stats(v1::DIMENSION_DEPARTMENT, v1::PERIOD_MONTH, month + "-01", month + "-28");
    for (const auto& row : stats.rows()) {
      if (row.value() == department) return row.measures();
    }
    return {};
  }

  std::string done, open;
};

common::v1::Actor Inspector() { return Person("insp", "inspector", ""); }

TEST_CASE_METHOD(
    VoiceFixture,
    "a bad rating with a real name deducts and opens a rectification that turns late") {
  // Not before the service has ended; one per service; bounded comments.
  auto early = scoring->RateCase(Rating(open, v1::SATISFIED));
  CHECK(early.status().code() == absl::StatusCode::kFailedPrecondition);
  auto long_comment = Rating(done, v1::SATISFIED);
  std::string comment;
  for (int i = 0; i < 501; ++i) comment += "很";
  long_comment.set_comment(comment);
  auto too_long = scoring->RateCase(long_comment);
  CHECK(too_long.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(too_long.status().message(), "comment:"));
  auto bad_aspect = Rating(done, v1::SATISFIED);
  (*bad_aspect.mutable_aspects())["speed"] = v1::SATISFIED;
  CHECK(absl::StartsWith(scoring->RateCase(bad_aspect).status().message(), "aspects"));

  auto rated = scoring->RateCase(Rating(done, v1::VERY_DISSATISFIED));
  REQUIRE(rated.ok());
  CHECK(rated->department_id() == "market");
  CHECK(rated->window_id() == "W1");
  REQUIRE(rated->rectification().state() == v1::RECTIFICATION_STATE_OPEN);
  // 10 working days from Tue Feb 24: Feb 25, 26, 27, 28 (make-up Saturday), Mar 2-6, Mar 9.
  CHECK(FromProto(rated->rectification().due_at()) == intake::At(2026, 3, 10, 0));
  auto again = scoring->RateCase(Rating(done, v1::SATISFIED));
  CHECK(again.status().code() == absl::StatusCode::kAlreadyExists);

  v1::Measures feb = MonthOf("market", "2026-02");
  CHECK(feb.evaluations() == 1);
  CHECK(feb.very_dissatisfied() == 1);
  CHECK(feb.rectifications() == 1);
  auto sheet = Sheet("2026-02");
  CHECK(Line(Of(sheet, v1::SUBJECT_KIND_DEPARTMENT, "market"), "2.6") == -200);
  CHECK(Line(Of(sheet, v1::SUBJECT_KIND_WINDOW, "W1"), "2.6") == -200);

  // Nothing late before the due instant; late on the last day after it.
  clock.Set(intake::At(2026, 3, 9, 23));
  CHECK(*scoring->MarkLateRectifications() == 0);
  clock.Set(intake::At(2026, 3, 10, 0));
  CHECK(*scoring->MarkLateRectifications() == 1);
  CHECK(*scoring->MarkLateRectifications() == 0);
  CHECK(MonthOf("market", "2026-03").rectifications_late() == 1);
  CHECK(Line(Of(Sheet("2026-03"), v1::SUBJECT_KIND_DEPARTMENT, "market"), "2.7") == -300);

  // Answered late: the return visit counts, still late, once.
  clock.Set(intake::At(2026, 3, 10, 9));
  v1::AnswerRectificationRequest answer;
  *answer.mutable_actor() = Person("head", "leader", "tax");
  answer.set_case_id(done);
  answer.set_return_visit("电话回访，申请人反映等候时间过长");
  answer.set_measures_taken("增设取号引导");
  CHECK(scoring->AnswerRectification(answer).status().code() ==
        absl::StatusCode::kPermissionDenied);
  *answer.mutable_actor() = Person("head", "leader");
  auto answered = scoring->AnswerRectification(answer);
  REQUIRE(answered.ok());
  CHECK_FALSE(answered->rectification().on_time());
  v1::Measures march = MonthOf("market", "2026-03");
  CHECK(march.rectifications_late() == 1);
  CHECK(march.return_visits() == 1);
  CHECK(scoring->AnswerRectification(answer).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE_METHOD(VoiceFixture,
                 "a rating answered in time counts on time and an anonymous one "
                 "opens nothing") {
  REQUIRE(scoring->RateCase(Rating(done, v1::DISSATISFIED)).ok());
  clock.Set(intake::At(2026, 3, 2, 9));
  v1::AnswerRectificationRequest answer;
  *answer.mutable_actor() = Person("head", "leader");
  answer.set_case_id(done);
  answer.set_return_visit("已回访");
  answer.set_measures_taken("已整改");
  auto answered = scoring->AnswerRectification(answer);
  REQUIRE(answered.ok());
  CHECK(answered->rectification().on_time());
  CHECK(MonthOf("market", "2026-03").rectifications_on_time() == 1);
  clock.Set(intake::At(2026, 3, 20, 0));
  CHECK(*scoring->MarkLateRectifications() == 0);

  // Another case rated badly without a real name: counted, no rectification.
  std::string other = AcceptNew("other");
  Pump();
  Complete(other, intake::At(2026, 3, 20, 10));
  PumpAll();
  auto anonymous = scoring->RateCase(Rating(other, v1::VERY_DISSATISFIED, false));
  REQUIRE(anonymous.ok());
  CHECK_FALSE(anonymous->has_rectification());
}

TEST_CASE_METHOD(VoiceFixture, "a malicious rating is reviewed and excluded from the scores") {
  REQUIRE(scoring->RateCase(Rating(done, v1::VERY_DISSATISFIED)).ok());
  v1::RequestEvaluationReviewRequest review;
  *review.mutable_actor() = Person("head", "leader", "tax");
  review.set_case_id(done);
  review.set_reasons("申请人误操作，现场已表示满意");
  CHECK(scoring->RequestEvaluationReview(review).status().code() ==
        absl::StatusCode::kPermissionDenied);
  *review.mutable_actor() = Person("head", "leader");
  auto requested = scoring->RequestEvaluationReview(review);
  REQUIRE(requested.ok());
  CHECK(requested->state() == v1::EVALUATION_STATE_UNDER_REVIEW);
  CHECK(scoring->RequestEvaluationReview(review).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  v1::ListEvaluationsRequest pending;
  pending.set_review_pending(true);
  CHECK(scoring->ListEvaluations(pending)->evaluations_size() == 1);

  v1::DecideEvaluationReviewRequest decide;
  *decide.mutable_actor() = Inspector();
  decide.set_case_id(done);
  decide.set_uphold(true);
  decide.set_decision("核实为误评");
  auto decided = scoring->DecideEvaluationReview(decide);
  REQUIRE(decided.ok());
  CHECK(decided->state() == v1::EVALUATION_STATE_EXCLUDED);
  CHECK(decided->rectification().state() == v1::RECTIFICATION_STATE_CANCELLED);
  CHECK(MonthOf("market", "2026-02").evaluations() == 0);
  CHECK(Line(Of(Sheet("2026-02"), v1::SUBJECT_KIND_DEPARTMENT, "market"), "2.6") == 0);
  clock.Set(intake::At(2026, 3, 20, 0));
  CHECK(*scoring->MarkLateRectifications() == 0);
  CHECK(scoring->DecideEvaluationReview(decide).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE_METHOD(VoiceFixture, "ratings close after the rule set's window") {
  clock.Set(intake::At(2026, 3, 26, 10));  // 30 days after Feb 24 10:00
  auto late = scoring->RateCase(Rating(done, v1::SATISFIED));
  CHECK(late.status().code() == absl::StatusCode::kFailedPrecondition);
}

v1::FileComplaintRequest Complaint(const std::string& case_id) {
  v1::FileComplaintRequest r;
  r.mutable_actor()->set_id("applicant:complaint");
  r.mutable_actor()->set_role("applicant");
  r.set_channel(v1::COMPLAINT_CHANNEL_ONLINE);
  r.set_category(v1::COMPLAINT_CATEGORY_EXTRA_MATERIALS);
  r.set_case_id(case_id);
  r.set_description("窗口要求提供清单以外的材料");
  r.set_complainant_name("张三");
  r.set_complainant_phone("13812345678");
  return r;
}

TEST_CASE_METHOD(VoiceFixture, "a complaint is accepted and concluded valid and costs the scores") {
  auto no_target = Complaint("");
  auto refused = scoring->FileComplaint(no_target);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(refused.status().message(), "department_id:"));

  clock.Set(intake::At(2026, 3, 2, 10));
  auto filed = scoring->FileComplaint(Complaint(done));
  REQUIRE(filed.ok());
  const v1::Complaint& c = filed->complaint();
  CHECK(c.complaint_number() == "T20260302-000001");
  CHECK(c.department_id() == "market");
  CHECK(c.window_id() == "W1");
  CHECK(c.complainant_name() == "张*");
  CHECK(c.complainant_phone() == "138****5678");
  CHECK_FALSE(absl::StrContains(c.SerializeAsString(), "13812345678"));
  // Mar 3, 4, 5, 6, 9.
  CHECK(FromProto(c.acceptance_due_at()) == intake::At(2026, 3, 10, 0));
  REQUIRE(filed->query_code().size() == 10);

  v1::QueryComplaintRequest query;
  query.set_complaint_number(c.complaint_number());
  query.set_query_code(filed->query_code());
  auto seen = scoring->QueryComplaint(query);
  REQUIRE(seen.ok());
  CHECK(seen->state() == v1::COMPLAINT_STATE_FILED);
  CHECK(seen->complainant_phone().empty());
  query.set_query_code("0000000000");
  CHECK(scoring->QueryComplaint(query).status().code() == absl::StatusCode::kNotFound);

  v1::ConcludeComplaintRequest conclude;
  *conclude.mutable_actor() = Inspector();
  conclude.set_complaint_id(c.complaint_id());
  conclude.set_outcome(v1::COMPLAINT_OUTCOME_VALID);
  conclude.set_reasons("经核实，窗口确有要求额外材料");
  CHECK(scoring->ConcludeComplaint(conclude).status().code() ==
        absl::StatusCode::kFailedPrecondition);

  v1::DecideComplaintAcceptanceRequest accept;
  *accept.mutable_actor() = Inspector();
  accept.set_complaint_id(c.complaint_id());
  accept.set_accept(true);
  accept.set_reasons("属于受理范围");
  auto accepted = scoring->DecideComplaintAcceptance(accept);
  REQUIRE(accepted.ok());
  CHECK(accepted->state() == v1::COMPLAINT_STATE_ACCEPTED);
  CHECK(accepted->handling_limit().amount() == 15);

  v1::RespondToComplaintRequest respond;
  *respond.mutable_actor() = Person("head", "leader", "tax");
  respond.set_complaint_id(c.complaint_id());
  respond.set_response("情况说明");
  CHECK(scoring->RespondToComplaint(respond).status().code() ==
        absl::StatusCode::kPermissionDenied);
  *respond.mutable_actor() = Person("head", "leader");
  REQUIRE(scoring->RespondToComplaint(respond).ok());

  clock.Set(intake::At(2026, 3, 5, 10));
  auto concluded = scoring->ConcludeComplaint(conclude);
  REQUIRE(concluded.ok());
  CHECK(concluded->on_time());
  CHECK(concluded->reply() == v1::REPLY_STATE_DUE);
  v1::Measures march = MonthOf("market", "2026-03");
  CHECK(march.complaints() == 1);
  CHECK(march.complaints_valid() == 1);
  auto sheet = Sheet("2026-03");
  CHECK(Line(Of(sheet, v1::SUBJECT_KIND_DEPARTMENT, "market"), "2.5") == -500);
  CHECK(Line(Of(sheet, v1::SUBJECT_KIND_PERSON, intake::Clerk().id()), "2.5") == -500);

  v1::ListComplaintsRequest list;
  list.set_month("2026-03");
  list.set_department_id("market");
  auto listed = scoring->ListComplaints(list);
  REQUIRE(listed.ok());
  REQUIRE(listed->complaints_size() == 1);
  CHECK(listed->complaints(0).sealed_contact().empty());
}

TEST_CASE_METHOD(VoiceFixture,
                 "a complaint against no department is routed on acceptance and a "
                 "retried filing is one complaint") {
  auto request = Complaint("");
  request.set_window_id("W9");
  request.clear_complainant_name();
  request.clear_complainant_phone();
  request.set_request_id("retry-1");
  auto first = scoring->FileComplaint(request);
  REQUIRE(first.ok());
  auto second = scoring->FileComplaint(request);
  REQUIRE(second.ok());
  CHECK(second->complaint().complaint_id() == first->complaint().complaint_id());
  CHECK(second->query_code().empty());

  v1::DecideComplaintAcceptanceRequest accept;
  *accept.mutable_actor() = Inspector();
  accept.set_complaint_id(first->complaint().complaint_id());
  accept.set_accept(true);
  accept.set_reasons("转交");
  auto unrouted = scoring->DecideComplaintAcceptance(accept);
  CHECK(absl::StartsWith(unrouted.status().message(), "department_id:"));
  accept.set_department_id("tax");
  auto routed = scoring->DecideComplaintAcceptance(accept);
  REQUIRE(routed.ok());
  CHECK(routed->department_id() == "tax");
  CHECK(MonthOf("tax", "2026-02").complaints() == 1);
  CHECK(scoring->DecideComplaintAcceptance(accept).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace sunlight::scoring
