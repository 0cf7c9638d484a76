// The notifier's messages to the public and by hand: applicants who asked (by text message, by
// e-mail, in English), complainants, and an administrator's or inspector's own text.
#include "absl/strings/match.h"
#include "google/protobuf/util/json_util.h"
#include "notifier_fixture.h"
#include "sunlight/base/utf8.h"
#include "sunlight/notify/notifier.h"

namespace sunlight::notify {
namespace {

// Answers as intake's GetApplicantContact would: "case-9" asked for text messages, "both" for
// text messages and e-mail (in English), "silent" for nothing, "unknown" is no case.
class Applicants final : public ApplicantDirectory {
 public:
  absl::StatusOr<intake::v1::ApplicantContact> Contact(const std::string& case_id) override {
    if (case_id == "unknown") return absl::NotFoundError("no such case");
    intake::v1::ApplicantContact c;
    c.set_case_id(case_id);
    c.set_case_number(case_id == "both" ? "20261201-000010" : "20261201-000009");
    c.set_item_name("个体工商户设立登记");
    c.set_phone("13912345678");
    c.set_email("li@example.cn");
    c.set_query_code("ABCD-EFGH-JK");
    c.set_notify_by_sms(case_id != "silent");
    c.set_notify_by_email(case_id == "both");
    if (case_id == "both") c.set_language("en");
    return c;
  }
};

// Answers as scoring's GetComplainantContact would: "c1" left a phone, "c2" is anonymous.
class Complainants final : public ComplainantDirectory {
 public:
  absl::StatusOr<scoring::v1::ComplainantContact> Complainant(const std::string& id) override {
    if (id != "c1" && id != "c2") return absl::NotFoundError("no such complaint");
    scoring::v1::ComplainantContact c;
    c.set_complaint_id(id);
    c.set_complaint_number(id == "c1" ? "T20261202-000001" : "T20261202-000002");
    if (id == "c1") c.set_phone("13700001111");
    return c;
  }
};

events::v1::CaseEvent Event(uint64_t sequence, const std::string& case_id, const std::string& type,
                            const google::protobuf::Message& payload) {
  events::v1::CaseEvent e;
  e.set_sequence(sequence);
  e.set_case_id(case_id);
  e.set_type(type);
  e.mutable_payload()->PackFrom(payload);
  return e;
}

events::v1::CaseEvent Accepted(uint64_t sequence, const std::string& case_id) {
  intake::v1::CaseAccepted accepted;
  *accepted.mutable_receipt()->mutable_promised_due() = ToProto(kNow + absl::Hours(24 * 7));
  return Event(sequence, case_id, "intake.case.accepted", accepted);
}

TEST_CASE_METHOD(NotifierFixture,
                 "applicants who asked are told of acceptance and completion "
                 "outside quiet hours") {
  Applicants applicants;
  Reopen(&applicants, nullptr);
  // Accepted at 22:00: the message waits for 08:00 the next morning.
  clock.Set(kNow + absl::Hours(13));
  REQUIRE(notifier
              ->ApplyEvents(kIntakeStream,
                            {Accepted(1, "case-9"), Accepted(2, "silent"), Accepted(3, "unknown")})
              .ok());
  CHECK(outbox->Backlog() == 1);  // the silent one asked for nothing; the unknown one is gone
  CHECK(*outbox->DeliverDue() == 0);
  clock.Set(kNow + absl::Hours(23) - absl::Seconds(1));  // 07:59:59
  CHECK(*outbox->DeliverDue() == 0);
  clock.Set(kNow + absl::Hours(23));  // 08:00
  REQUIRE(*outbox->DeliverDue() == 1);
  REQUIRE(sms.sent.size() == 1);
  CHECK(sms.sent[0].to == "13912345678");
  CHECK(absl::StrContains(sms.sent[0].body, "20261201-000009"));
  CHECK(absl::StrContains(sms.sent[0].body, "已受理"));
  CHECK(absl::StrContains(sms.sent[0].body, "2026-12-09"));
  // Completed during the day: at once, with the invitation to rate the service.
  REQUIRE(notifier
              ->ApplyEvents(kWorkflowStream, {Event(1, "case-9", "workflow.case.completed",
                                                    workflow::v1::CaseCompleted())})
              .ok());
  REQUIRE(*outbox->DeliverDue() == 2);
  REQUIRE(sms.sent.size() == 3);
  std::string both = sms.sent[1].body + sms.sent[2].body;
  CHECK(absl::StrContains(both, "已办结"));
  CHECK(absl::StrContains(both, "评价"));
  CHECK(*notifier->Cursor(kWorkflowStream) == 1);
  // Materials missing: the one complete list, a message per request.
  intake::v1::SupplementRequested requested;
  requested.add_missing_materials()->set_name("租赁合同");
  requested.add_missing_materials()->set_name("健康证明");
  auto supplement = Event(4, "case-9", "intake.case.supplement_requested", requested);
  supplement.set_case_version(3);
  REQUIRE(notifier->ApplyEvents(kIntakeStream, {supplement}).ok());
  REQUIRE(*outbox->DeliverDue() == 1);
  CHECK(absl::StrContains(sms.sent[3].body, "租赁合同、健康证明"));
  CHECK(*notifier->Cursor(kIntakeStream) == 4);
}

TEST_CASE_METHOD(NotifierFixture,
                 "an applicant who chose text messages and e-mail in English gets "
                 "each message on both with the query code at submission") {
  Applicants applicants;
  Reopen(&applicants, nullptr);
  intake::v1::CaseSubmitted submitted;
  REQUIRE(notifier
              ->ApplyEvents(kIntakeStream, {Event(1, "both", "intake.case.submitted", submitted),
                                            Event(2, "case-9", "intake.case.submitted", submitted)})
              .ok());
  REQUIRE(*outbox->DeliverDue() == 3);
  REQUIRE(sms.sent.size() == 2);
  REQUIRE(mail.sent.size() == 1);
  CHECK(mail.sent[0].to == "li@example.cn");
  CHECK(mail.sent[0].idempotency_key == "applicant.both.case.submitted.email");
  CHECK(absl::StrContains(mail.sent[0].body, "query code ABCD-EFGH-JK"));
  CHECK(absl::StrContains(mail.sent[0].body, "20261201-000010"));
  CHECK(mail.sent[0].subject == "Application received");
  for (const Message& m : sms.sent) {
    CHECK(absl::StrContains(m.body, "ABCD-EFGH-JK"));
    // A text message is one part: at most 70 characters (UCS-2).
    CHECK(SplitUtf8Characters(m.body).size() <= 70);
  }
  CHECK(absl::StrContains(sms.sent[1].body, "查询码ABCD-EFGH-JK"));
}

TEST_CASE_METHOD(NotifierFixture,
                 "a complainant who left a phone is told of acceptance and the "
                 "answer and an anonymous one is not") {
  Complainants complainants;
  Reopen(nullptr, &complainants);
  scoring::v1::ComplaintChanged accepted;
  accepted.mutable_complaint()->set_complaint_id("c1");
  *accepted.mutable_complaint()->mutable_handling_due_at() = ToProto(kNow + absl::Hours(24 * 14));
  scoring::v1::ComplaintChanged anonymous;
  anonymous.mutable_complaint()->set_complaint_id("c2");
  scoring::v1::ComplaintChanged concluded = accepted;
  concluded.mutable_complaint()->set_outcome(scoring::v1::COMPLAINT_OUTCOME_VALID);
  concluded.mutable_complaint()->set_outcome_reasons("窗口人员已作检查。");
  REQUIRE(
      notifier
          ->ApplyEvents(kScoringStream, {Event(1, "", "scoring.complaint.accepted", accepted),
                                         Event(2, "", "scoring.complaint.accepted", anonymous),
                                         Event(3, "", "scoring.complaint.filed", accepted),
                                         Event(4, "", "scoring.complaint.concluded", concluded)})
          .ok());
  REQUIRE(*outbox->DeliverDue() == 2);
  REQUIRE(sms.sent.size() == 2);
  CHECK(sms.sent[0].to == "13700001111");
  CHECK(absl::StrContains(sms.sent[0].body, "T20261202-000001已受理"));
  CHECK(absl::StrContains(sms.sent[0].body, "2026-12-16"));
  CHECK(absl::StrContains(sms.sent[1].body, "投诉属实"));
  CHECK(absl::StrContains(sms.sent[1].body, "窗口人员已作检查"));
  CHECK(*notifier->Cursor(kScoringStream) == 4);
}

TEST_CASE_METHOD(NotifierFixture,
                 "a message by hand reaches a case's applicant or a department's staff "
                 "once per request") {
  Applicants applicants;
  Reopen(&applicants, nullptr);
  v1::SendMessageRequest request;
  request.mutable_actor()->set_id("insp");
  request.mutable_actor()->set_name("监察室 刘");
  request.mutable_actor()->set_role("inspector");
  request.set_request_id("m-1");
  request.set_case_id("silent");  // asked for nothing: a message by hand still reaches them
  request.set_text("请于明日到窗口补签申请表。");
  auto sent = notifier->SendMessage(request);
  REQUIRE(sent.ok());
  REQUIRE(sent->notifications_size() == 1);
  CHECK(sent->notifications(0).sent_by().id() == "insp");
  CHECK(sent->notifications(0).kind() == "manual");
  auto again = notifier->SendMessage(request);  // retried: the same, nothing new
  REQUIRE(again.ok());
  CHECK(again->notifications(0).key() == sent->notifications(0).key());
  CHECK(outbox->Backlog() == 1);
  REQUIRE(*outbox->DeliverDue() == 1);
  CHECK(sms.sent[0].to == "13912345678");
  CHECK(sms.sent[0].body == "【电子监察】请于明日到窗口补签申请表。");

  request.set_request_id("m-2");
  request.clear_case_id();
  request.set_department_id("market");
  sent = notifier->SendMessage(request);
  REQUIRE(sent.ok());
  CHECK(sent->notifications_size() == 3);  // wang, head-zhao, and head-qian reported dead
  CHECK(*outbox->DeliverDue() == 2);

  request.set_department_id("nowhere");
  CHECK(notifier->SendMessage(request).status().code() == absl::StatusCode::kFailedPrecondition);
  request.set_case_id("case-9");
  CHECK(absl::StartsWith(notifier->SendMessage(request).status().message(), "case_id:"));
  request.clear_department_id();
  request.set_request_id("m 3");
  CHECK(absl::StartsWith(notifier->SendMessage(request).status().message(), "request_id:"));
  request.set_request_id("m-3");
  request.set_text(std::string(301, 'x'));
  CHECK(absl::StartsWith(notifier->SendMessage(request).status().message(), "text:"));
  request.set_text("x");
  request.set_case_id("unknown");
  CHECK(notifier->SendMessage(request).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE_METHOD(NotifierFixture,
                 "a platform reached by webhook gets a signed JSON document and English "
                 "texts for those who want them") {
  v1::SetContactRequest platform;
  platform.mutable_contact()->set_person_id("im-market");
  platform.mutable_contact()->set_department_id("market");
  platform.mutable_contact()->set_head(true);
  platform.mutable_contact()->set_webhook_url("https://im.example.cn/hooks/market");
  platform.mutable_contact()->set_language("en");
  REQUIRE(notifier->SetContact(platform).ok());
  REQUIRE(notifier->ApplyEvents(kSupervisionStream, {Light(1, sv1::LIGHT_RED, "wang")}).ok());
  REQUIRE(*outbox->DeliverDue() == 3);
  REQUIRE(hook.sent.size() == 1);
  CHECK(hook.sent[0].to == "https://im.example.cn/hooks/market");
  v1::WebhookMessage message;
  REQUIRE(google::protobuf::util::JsonStringToMessage(hook.sent[0].body, &message).ok());
  CHECK(message.key() == "light.step.case-1.1.red.im-market");
  CHECK(message.kind() == "light.red");
  CHECK(absl::StartsWith(message.subject(), "[Supervision] Red"));
  CHECK(message.template_version() == "2026-12-v3");

  platform.mutable_contact()->set_webhook_url("http://im.example.cn/hooks/market");
  CHECK(
      absl::StartsWith(notifier->SetContact(platform).status().message(), "contact.webhook_url:"));
  platform.mutable_contact()->set_webhook_url("");
  platform.mutable_contact()->set_language("fr");
  CHECK(absl::StartsWith(notifier->SetContact(platform).status().message(), "contact.language:"));
}

}  // namespace
}  // namespace sunlight::notify
