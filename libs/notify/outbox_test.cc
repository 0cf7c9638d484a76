// The delivery engine on its own: a scripted channel (the channels themselves are tested
// against real Kannel, SMTP and HTTPS servers in their own tests) over a real RocksDB store.
#include "sunlight/notify/outbox.h"

#include <catch2/catch.hpp>
#include <deque>

#include "absl/strings/match.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::notify {
namespace {

// Answers each Send with the next scripted outcome (kDelivered once the script is used up)
// and remembers what it was asked to send.
class ScriptedChannel final : public Channel {
 public:
  SendResult Send(const Message& message) override {
    sent.push_back(message);
    if (script.empty()) return {SendOutcome::kDelivered, "250 OK"};
    SendResult r = script.front();
    script.pop_front();
    return r;
  }
  std::deque<SendResult> script;
  std::vector<Message> sent;
};

const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2026, 12, 1, 9, 0, 0), absl::UTCTimeZone());

struct OutboxFixture {
  OutboxFixture() { Reopen(); }

  void Reopen() {
    outbox.reset();
    store.reset();
    storage::StoreOptions options;
    options.path = dir.Sub("store");
    options.column_families = OutboxColumnFamilies();
    store = *storage::Store::Open(options);
    OutboxOptions o;
    o.max_attempts = 4;
    o.first_backoff = absl::Seconds(10);
    o.max_backoff = absl::Seconds(60);
    o.jitter = 0.2;
    o.report_wait = absl::Minutes(30);
    outbox = std::make_unique<Outbox>(
        store.get(), &clock, o,
        std::map<v1::Channel, Channel*>{{v1::CHANNEL_SMS, &sms}, {v1::CHANNEL_EMAIL, &mail}});
    REQUIRE(outbox->Open().ok());
  }

  bool Stage(const std::string& key, v1::Channel channel = v1::CHANNEL_EMAIL) {
    v1::Notification n;
    n.set_key(key);
    n.set_channel(channel);
    n.set_to(channel == v1::CHANNEL_SMS ? "13812345678" : "wang@example.org");
    n.set_subject("黄灯提示");
    n.set_body("您部门办理的 20261201-000001 号办件将于 12 月 3 日到期。");
    storage::WriteBatch batch;
    auto staged = outbox->Stage(batch, n);
    REQUIRE(staged.ok());
    REQUIRE(store->Write(batch).ok());
    outbox->Committed(*staged ? 1 : 0);
    return *staged;
  }

  v1::State StateOf(const std::string& key) { return outbox->Get(key)->state(); }

  testing::ScratchDir dir{"outbox"};
  FakeClock clock{kStart};
  ScriptedChannel sms, mail;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Outbox> outbox;
};

TEST_CASE_METHOD(OutboxFixture, "a notification is staged once per key and delivered once") {
  CHECK(Stage("light/case-1/red/wang"));
  CHECK_FALSE(Stage("light/case-1/red/wang"));  // a redelivered event
  CHECK(outbox->Backlog() == 1);
  CHECK(*outbox->DeliverDue() == 1);
  CHECK(*outbox->DeliverDue() == 0);
  REQUIRE(mail.sent.size() == 1);
  CHECK(mail.sent[0].idempotency_key == "light/case-1/red/wang");
  CHECK(StateOf("light/case-1/red/wang") == v1::STATE_DELIVERED);
  CHECK(outbox->Backlog() == 0);
  CHECK(outbox->Delivered() == 1);
  auto attempts = outbox->Attempts("light/case-1/red/wang");
  REQUIRE(attempts->size() == 1);
  CHECK((*attempts)[0].result() == v1::STATE_DELIVERED);
  CHECK((*attempts)[0].detail() == "250 OK");
}

TEST_CASE_METHOD(OutboxFixture, "bad notifications are refused naming the field") {
  v1::Notification n;
  n.set_key("k");
  storage::WriteBatch batch;
  CHECK(absl::StartsWith(outbox->Stage(batch, n).status().message(), "channel:"));
  n.set_channel(v1::CHANNEL_SMS);
  CHECK(absl::StartsWith(outbox->Stage(batch, n).status().message(), "to:"));
  n.set_to("13812345678");
  CHECK(absl::StartsWith(outbox->Stage(batch, n).status().message(), "body:"));
}

TEST_CASE_METHOD(OutboxFixture,
                 "failures back off exponentially with jitter until dead and a "
                 "dead notification can be resent") {
  for (int i = 0; i < 4; ++i) mail.script.push_back({SendOutcome::kRetry, "connection refused"});
  Stage("n1");
  absl::Duration expected = absl::Seconds(10);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    REQUIRE(*outbox->DeliverDue() == 1);
    v1::Notification n = *outbox->Get("n1");
    REQUIRE(n.state() == v1::STATE_RETRYING);
    absl::Duration wait = FromProto(n.next_attempt_at()) - clock.Now();
    CHECK(wait >= expected * 0.8);
    CHECK(wait <= expected * 1.2);
    CHECK(*outbox->DeliverDue() == 0);  // not before its time
    clock.Advance(wait);
    expected = std::min(expected * 2, absl::Seconds(60));
  }
  REQUIRE(*outbox->DeliverDue() == 1);
  v1::Notification dead = *outbox->Get("n1");
  CHECK(dead.state() == v1::STATE_DEAD);
  CHECK(absl::StrContains(dead.dead_reason(), "gave up after 4 attempts"));
  CHECK(absl::StrContains(dead.dead_reason(), "connection refused"));
  CHECK(outbox->Backlog() == 0);
  CHECK(outbox->Dead() == 1);
  CHECK(outbox->Attempts("n1")->size() == 4);
  CHECK(outbox->List(v1::STATE_DEAD, "", 10)->size() == 1);

  auto resent = outbox->Resend("n1");
  REQUIRE(resent.ok());
  CHECK(outbox->Backlog() == 1);
  CHECK(*outbox->DeliverDue() == 1);
  CHECK(StateOf("n1") == v1::STATE_DELIVERED);
  CHECK(outbox->Resend("n1").status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE_METHOD(OutboxFixture, "a permanent refusal is dead-lettered at once with the reason") {
  mail.script.push_back({SendOutcome::kRejected, "550 mailbox unavailable"});
  Stage("n1");
  CHECK(*outbox->DeliverDue() == 1);
  v1::Notification n = *outbox->Get("n1");
  CHECK(n.state() == v1::STATE_DEAD);
  CHECK(n.dead_reason() == "550 mailbox unavailable");
  v1::Notification webhook;
  webhook.set_key("n2");
  webhook.set_channel(v1::CHANNEL_WEBHOOK);
  webhook.set_to("https://platform.example/hook");
  webhook.set_body("{}");
  storage::WriteBatch batch;
  REQUIRE(*outbox->Stage(batch, webhook));
  REQUIRE(store->Write(batch).ok());
  outbox->Committed(1);
  CHECK(*outbox->DeliverDue() == 1);
  CHECK(outbox->Get("n2")->dead_reason() == "no CHANNEL_WEBHOOK channel is configured");
}

TEST_CASE_METHOD(OutboxFixture,
                 "a text message is delivered only when its delivery report says "
                 "so") {
  sms.script.push_back({SendOutcome::kAccepted, "202 0: Accepted for delivery"});
  sms.script.push_back({SendOutcome::kAccepted, "202 0: Accepted for delivery"});
  Stage("s1", v1::CHANNEL_SMS);
  CHECK(*outbox->DeliverDue() == 1);
  CHECK(StateOf("s1") == v1::STATE_SENT);
  CHECK(outbox->Backlog() == 1);
  // An intermediate report (SMSC accepted) is only recorded.
  REQUIRE(outbox->ApplyDeliveryReport("s1", false, false, "8 ACK").ok());
  CHECK(StateOf("s1") == v1::STATE_SENT);
  // The operator failed it: tried again after a backoff.
  REQUIRE(outbox->ApplyDeliveryReport("s1", false, true, "2 undeliverable").ok());
  CHECK(StateOf("s1") == v1::STATE_RETRYING);
  clock.Advance(absl::Seconds(13));
  CHECK(*outbox->DeliverDue() == 1);
  REQUIRE(outbox->ApplyDeliveryReport("s1", true, true, "1 delivered").ok());
  CHECK(StateOf("s1") == v1::STATE_DELIVERED);
  CHECK(outbox->Backlog() == 0);
  CHECK(outbox->Attempts("s1")->size() == 5);  // 2 attempts, 3 reports
  CHECK(outbox->ApplyDeliveryReport("nope", true, true, "").code() == absl::StatusCode::kNotFound);

  // No final report within the wait: tried again.
  sms.script.push_back({SendOutcome::kAccepted, "202"});
  Stage("s2", v1::CHANNEL_SMS);
  CHECK(*outbox->DeliverDue() == 1);
  clock.Advance(absl::Minutes(31));
  CHECK(*outbox->DeliverDue() == 0);  // the timeout moves it to RETRYING, not an attempt
  CHECK(StateOf("s2") == v1::STATE_RETRYING);
  CHECK(outbox->Get("s2")->last_detail() == "no delivery report in time");
}

TEST_CASE_METHOD(OutboxFixture, "quiet hours hold a notification until its time") {
  v1::Notification n;
  n.set_key("q1");
  n.set_channel(v1::CHANNEL_SMS);
  n.set_to("13812345678");
  n.set_body("您的办件已办结。");
  *n.mutable_not_before() = ToProto(kStart + absl::Hours(2));
  storage::WriteBatch batch;
  REQUIRE(*outbox->Stage(batch, n));
  REQUIRE(store->Write(batch).ok());
  outbox->Committed(1);
  CHECK(*outbox->DeliverDue() == 0);
  clock.Advance(absl::Hours(2));
  CHECK(*outbox->DeliverDue() == 1);
}

TEST_CASE_METHOD(OutboxFixture,
                 "after a crash during an attempt e-mail goes again and a text "
                 "message waits for its report") {
  Stage("m1");
  Stage("s1", v1::CHANNEL_SMS);
  // The attempts were claimed (SENDING) and the process died before recording them: replay
  // that state by claiming with channels that never return to the engine.
  class Crash final : public Channel {
   public:
    SendResult Send(const Message&) override { throw std::runtime_error("killed"); }
  };
  {
    Crash crash;
    OutboxOptions o;
    Outbox dying(store.get(), &clock, o, {{v1::CHANNEL_SMS, &crash}, {v1::CHANNEL_EMAIL, &crash}});
    REQUIRE(dying.Open().ok());
    CHECK_THROWS(dying.DeliverDue());
  }
  Reopen();
  CHECK(outbox->Backlog() == 2);
  // Both were claimed (SENDING) in one write before the first channel call.
  CHECK(StateOf("m1") == v1::STATE_RETRYING);
  CHECK(StateOf("s1") == v1::STATE_SENT);
  // The e-mail goes again now, with its key; the text message waits for its report.
  CHECK(*outbox->DeliverDue() == 1);
  CHECK(StateOf("m1") == v1::STATE_DELIVERED);
  REQUIRE(mail.sent.size() == 1);
  CHECK(mail.sent[0].idempotency_key == "m1");
  CHECK(sms.sent.empty());
  REQUIRE(outbox->ApplyDeliveryReport("s1", true, true, "1 delivered").ok());
  CHECK(StateOf("s1") == v1::STATE_DELIVERED);
  CHECK(outbox->Backlog() == 0);
}

}  // namespace
}  // namespace sunlight::notify

namespace sunlight::notify {
namespace {

// Kannel's report can come back before its sendsms call has returned to us.
class ReportFirstChannel final : public Channel {
 public:
  SendResult Send(const Message& message) override {
    reported = outbox->ApplyDeliveryReport(message.idempotency_key, true, true, "1 delivered");
    return {SendOutcome::kAccepted, "202 0: Accepted for delivery"};
  }
  Outbox* outbox = nullptr;
  absl::Status reported;
};

TEST_CASE_METHOD(OutboxFixture, "a delivery report that overtakes its send is kept") {
  ReportFirstChannel fast;
  OutboxOptions o;
  Outbox racing(store.get(), &clock, o, {{v1::CHANNEL_SMS, &fast}});
  fast.outbox = &racing;
  REQUIRE(racing.Open().ok());
  Stage("s1", v1::CHANNEL_SMS);
  racing.Committed(1);
  CHECK(*racing.DeliverDue() == 1);
  CHECK(fast.reported.ok());
  CHECK(racing.Get("s1")->state() == v1::STATE_DELIVERED);
  CHECK(racing.Backlog() == 0);
  clock.Advance(absl::Hours(2));  // past any report wait: nothing is sent again
  CHECK(*racing.DeliverDue() == 0);
}

}  // namespace
}  // namespace sunlight::notify
