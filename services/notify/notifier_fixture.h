// The notifier over a real store and outbox for its tests (notifier_test, notifier_public_test):
// the channels answer from a script here (each channel is tested against its real server in
// libs/notify, and the whole path through Kannel in notify_e2e_test).
#ifndef SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_FIXTURE_H_
#define SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_FIXTURE_H_

#include <catch2/catch.hpp>

#include "sunlight/base/proto_time.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/notify/notifier.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::notify {

namespace sv1 = ::sunlight::supervision::v1;

class RecordingChannel final : public Channel {
 public:
  SendResult Send(const Message& message) override {
    sent.push_back(message);
    return {SendOutcome::kDelivered, "250 OK"};
  }
  std::vector<Message> sent;
};

inline const absl::Time kNow =
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
        std::map<v1::Channel, Channel*>{
            {v1::CHANNEL_SMS, &sms}, {v1::CHANNEL_EMAIL, &mail}, {v1::CHANNEL_WEBHOOK, &hook}});
    REQUIRE(outbox->Open().ok());
    Reopen(nullptr, nullptr);
    Contact("wang", "market", false, "13812345678", "");
    Contact("head-zhao", "market", true, "", "zhao@market.example");
    Contact("head-qian", "market", true, "", "");  // no way to reach
  }

  // The notifier again, over the same store, with these directories of the public.
  void Reopen(ApplicantDirectory* applicants, ComplainantDirectory* complainants) {
    auto templates = LoadTemplates(SUNLIGHT_TEMPLATES_FILE);
    REQUIRE(templates.ok());
    notifier =
        *Notifier::Open(store.get(), &clock, *templates, outbox.get(), applicants, complainants);
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
  RecordingChannel sms, mail, hook;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Outbox> outbox;
  std::unique_ptr<Notifier> notifier;
};

}  // namespace sunlight::notify

#endif  // SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_FIXTURE_H_
