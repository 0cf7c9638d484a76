// The notifier over a real store and outbox, fed supervision events as the stream would; the
// channels answer from a script here (each channel is tested against its real server in
// libs/notify, and the whole path through Kannel in notify_e2e_test).
#include "sunlight/notify/notifier.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::notify {
namespace {

namespace sv1 = ::sunlight::supervision::v1;

class RecordingChannel final : public Channel {
 public:
  SendResult Send(const Message& message) override {
    sent.push_back(message);
    return {SendOutcome::kDelivered, "250 OK"};
  }
  std::vector<Message> sent;
};

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 12, 2, 9, 0, 0), absl::FixedTimeZone(8 * 3600));

struct NotifierFixture {
  NotifierFixture() {
    storage::StoreOptions options;
    options.path = dir.Sub("store");
    options.column_families = NotifierColumnFamilies();
    for (const auto& f : eventlog::ColumnFamilies()) options.column_families.push_back(f);
    store = *storage::Store::Open(options);
    outbox = std::make_unique<Outbox>(
        store.get(), &clock, OutboxOptions{},
        std::map<v1::Channel, Channel*>{{v1::CHANNEL_SMS, &sms}, {v1::CHANNEL_EMAIL, &mail}});
    REQUIRE(outbox->Open().ok());
    auto templates = LoadTemplates(SUNLIGHT_TEMPLATES_FILE);
    REQUIRE(templates.ok());
    notifier = *Notifier::Open(store.get(), &clock, *templates, outbox.get());
    Contact("wang", "market", false, "13812345678", "");
    Contact("head-zhao", "market", true, "", "zhao@market.example");
    Contact("head-qian", "market", true, "", "");  // no way to reach
  }

  void Contact(const std::string& id, const std::string& department, bool head,
               const std::string& phone, const std::string& email) {
    v1::SetContactRequest request;
    auto* c = request.mutable_contact();
    c->set_person_id(id);
    c->set_name(id);
    c->set_department_id(department);
    c->set_head(head);
    c->set_phone(phone);
    c->set_email(email);
    REQUIRE(notifier->SetContact(request).ok());
  }

  events::v1::CaseEvent Light(uint64_t sequence, sv1::Light to, const std::string& person) {
    sv1::LightChanged changed;
    auto* clock = changed.mutable_clock();
    clock->set_clock_id("step/case-1/1");
    clock->set_kind(sv1::CLOCK_KIND_STEP);
    clock->set_case_id("case-1");
    clock->set_case_number("20261201-000001");
    clock->set_department_id("market");
    clock->set_responsible_person(person);
    *clock->mutable_due() = ToProto(kNow + absl::Hours(24));
    changed.set_from(sv1::LIGHT_GREEN);
    changed.set_to(to);
    events::v1::CaseEvent e;
    e.set_sequence(sequence);
    e.set_case_id("case-1");
    e.set_type("supervision.light.changed");
    e.mutable_payload()->PackFrom(changed);
    return e;
  }

  testing::ScratchDir dir{"notifier"};
  FakeClock clock{kNow};
  RecordingChannel sms, mail;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Outbox> outbox;
  std::unique_ptr<Notifier> notifier;
};

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
  CHECK(dead->notifications(0).dead_reason() == "no phone or e-mail for head-qian");

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
  CHECK(got->notification().template_version() == "2026-12-v2");
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

namespace sunlight::notify {
namespace {

// Answers as intake's GetApplicantContact would.
class Applicants final : public ApplicantDirectory {
 public:
  absl::StatusOr<intake::v1::ApplicantContact> Contact(const std::string& case_id) override {
    if (case_id == "unknown") return absl::NotFoundError("no such case");
    intake::v1::ApplicantContact c;
    c.set_case_id(case_id);
    c.set_case_number("20261201-000009");
    c.set_item_name("个体工商户设立登记");
    c.set_phone("13912345678");
    c.set_notify_by_sms(case_id != "silent");
    return c;
  }
};

events::v1::CaseEvent Accepted(uint64_t sequence, const std::string& case_id) {
  intake::v1::CaseAccepted accepted;
  *accepted.mutable_receipt()->mutable_promised_due() = ToProto(kNow + absl::Hours(24 * 7));
  events::v1::CaseEvent e;
  e.set_sequence(sequence);
  e.set_case_id(case_id);
  e.set_type("intake.case.accepted");
  e.mutable_payload()->PackFrom(accepted);
  return e;
}

TEST_CASE_METHOD(NotifierFixture,
                 "applicants who asked are told of acceptance and completion "
                 "outside quiet hours") {
  Applicants applicants;
  auto templates = LoadTemplates(SUNLIGHT_TEMPLATES_FILE);
  auto told = *Notifier::Open(store.get(), &clock, *templates, outbox.get(), &applicants);
  // Accepted at 22:00: the message waits for 08:00 the next morning.
  clock.Set(kNow + absl::Hours(13));
  REQUIRE(told->ApplyEvents(kIntakeStream,
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
  // Completed during the day: at once.
  events::v1::CaseEvent completed;
  completed.set_sequence(1);
  completed.set_case_id("case-9");
  completed.set_type("workflow.case.completed");
  completed.mutable_payload()->PackFrom(workflow::v1::CaseCompleted());
  REQUIRE(told->ApplyEvents(kWorkflowStream, {completed}).ok());
  REQUIRE(*outbox->DeliverDue() == 1);
  CHECK(absl::StrContains(sms.sent[1].body, "已办结"));
  CHECK(*told->Cursor(kWorkflowStream) == 1);
  // Materials missing: the one complete list, a message per request.
  intake::v1::SupplementRequested requested;
  requested.add_missing_materials()->set_name("租赁合同");
  requested.add_missing_materials()->set_name("健康证明");
  events::v1::CaseEvent supplement;
  supplement.set_sequence(4);
  supplement.set_case_id("case-9");
  supplement.set_case_version(3);
  supplement.set_type("intake.case.supplement_requested");
  supplement.mutable_payload()->PackFrom(requested);
  REQUIRE(told->ApplyEvents(kIntakeStream, {supplement}).ok());
  REQUIRE(*outbox->DeliverDue() == 1);
  CHECK(absl::StrContains(sms.sent[2].body, "租赁合同、健康证明"));
  CHECK(*told->Cursor(kIntakeStream) == 4);
}

}  // namespace
}  // namespace sunlight::notify
