// The notifier over a real store and outbox, fed supervision events as the stream would; the
// channels answer from a script here (each channel is tested against its real server in
// libs/notify, and the whole path through Kannel in notify_e2e_test).
#include "sunlight/notify/notifier.h"

#include "absl/strings/match.h"
#include "notifier_fixture.h"

namespace sunlight::notify {
namespace {

TEST_CASE_METHOD(NotifierFixture,
                 "a light is told once to the responsible person and each "
                 "department head by the channel they have") {
  REQUIRE(notifier->ApplyEvents(kSupervisionStream, {Light(1, sv1::LIGHT_YELLOW, "wang")}).ok());
  // Redelivered (a reconnect replays from the cursor): nothing new.
  REQUIRE(notifier->ApplyEvents(kSupervisionStream, {Light(1, sv1::LIGHT_YELLOW, "wang")}).ok());
  CHECK(*notifier->Cursor(kSupervisionStream) == 1);
  CHECK(outbox->Backlog() == 2);
  CHECK(outbox->Dead() == 1);
  REQUIRE(*outbox->DeliverDue() == 2);
  REQUIRE(sms.sent.size() == 1);
  CHECK(sms.sent[0].to == "13812345678");
  CHECK(absl::StrContains(sms.sent[0].body, "20261201-000001"));
  CHECK(absl::StrContains(sms.sent[0].body, "黄灯"));
  CHECK(sms.sent[0].idempotency_key == "light.step.case-1.1.yellow.wang");
  REQUIRE(mail.sent.size() == 1);  // the head without a phone gets e-mail
  CHECK(mail.sent[0].to == "zhao@market.example");
  // The head with neither is reported, not dropped.
  auto dead = notifier->ListNotifications([] {
    v1::ListNotificationsRequest r;
    r.set_state(v1::STATE_DEAD);
    return r;
  }());
  REQUIRE(dead->notifications_size() == 1);
  CHECK(dead->notifications(0).recipient() == "head-qian");
  CHECK(dead->notifications(0).dead_reason() == "no phone, e-mail or webhook for head-qian");

  // The red light is a notification of its own; green changes tell nobody.
  REQUIRE(notifier
              ->ApplyEvents(kSupervisionStream,
                            {Light(2, sv1::LIGHT_RED, "wang"), Light(3, sv1::LIGHT_GREEN, "wang")})
              .ok());
  REQUIRE(*outbox->DeliverDue() == 2);
  REQUIRE(sms.sent.size() == 2);
  CHECK(absl::StrContains(sms.sent[1].body, "红灯"));
  v1::GetNotificationRequest get;
  get.set_key("light.step.case-1.1.red.wang");
  auto got = notifier->GetNotification(get);
  REQUIRE(got.ok());
  CHECK(got->notification().state() == v1::STATE_DELIVERED);
  CHECK(got->notification().template_version() == "2026-12-v3");
  CHECK(got->attempts_size() == 1);
}

TEST_CASE_METHOD(NotifierFixture, "bad contacts are refused naming the field") {
  v1::SetContactRequest request;
  request.mutable_contact()->set_person_id("li");
  request.mutable_contact()->set_department_id("market");
  request.mutable_contact()->set_phone("138-1234");
  CHECK(absl::StartsWith(notifier->SetContact(request).status().message(), "contact.phone:"));
  request.mutable_contact()->set_phone("");
  request.mutable_contact()->set_email("li@x.org\r\nBcc: y@z.org");
  CHECK(absl::StartsWith(notifier->SetContact(request).status().message(), "contact.email:"));
  request.mutable_contact()->clear_department_id();
  request.mutable_contact()->clear_email();
  CHECK(
      absl::StartsWith(notifier->SetContact(request).status().message(), "contact.department_id:"));
}

TEST_CASE_METHOD(NotifierFixture, "a notice issued is told to the department's heads") {
  sv1::NoticeChanged changed;
  auto* notice = changed.mutable_notice();
  notice->set_notice_id("n7");
  notice->set_department_id("market");
  notice->set_reason("办件超期未办结");
  *notice->mutable_response_due() = ToProto(kNow + absl::Hours(72));
  events::v1::CaseEvent e;
  e.set_sequence(1);
  e.set_type("supervision.notice.issued");
  e.mutable_payload()->PackFrom(changed);
  absl::Status applied = notifier->ApplyEvents(kSupervisionStream, {e});
  INFO(applied.ToString());
  REQUIRE(applied.ok());
  REQUIRE(*outbox->DeliverDue() == 1);
  REQUIRE(mail.sent.size() == 1);
  CHECK(absl::StrContains(mail.sent[0].subject, "n7"));
  CHECK(absl::StrContains(mail.sent[0].body, "办件超期未办结"));
  CHECK(sms.sent.empty());  // wang is no head
}

}  // namespace
}  // namespace sunlight::notify
