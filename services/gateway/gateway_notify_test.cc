// Contacts and notifications through the gateway: the real notify library behind gRPC
// (GatewayFixture), fed supervision's events as its follower would. Notify has no channels
// here, so every text message goes dead ("no CHANNEL_SMS channel is configured").
#include <catch2/catch.hpp>

#include "gateway_test_fixture.h"

namespace sunlight::gateway {
namespace {

namespace nv1 = ::sunlight::notify::v1;

template <typename Message>
Message Parse(const std::string& json) {
  Message message;
  INFO(json);
  REQUIRE(pb::util::JsonStringToMessage(json, &message).ok());
  return message;
}

std::string ContactBody(const std::string& person, const std::string& phone,
                        const std::string& email = "", bool head = true) {
  return absl::StrCat(R"({"contact":{"person_id":")", person,
                      R"(","name":"Zhao Lei","department_id":"market","head":)",
                      head ? "true" : "false", R"(,"phone":")", phone, R"(","email":")", email,
                      R"("}})");
}

TEST_CASE_METHOD(GatewayFixture, "notify: the routes are in the OpenAPI document for their callers",
                 "[notify]") {
  pb::Struct doc = Json(gateway->OpenApiJson());
  const auto& paths = doc.fields().at("paths").struct_value().fields();
  auto roles_of = [&](const std::string& pattern, const std::string& method) {
    std::set<std::string> roles;
    INFO(method << " " << pattern);
    REQUIRE(paths.contains(pattern));
    const auto& op = paths.at(pattern).struct_value().fields();
    REQUIRE(op.contains(method));
    for (const auto& role :
         op.at(method).struct_value().fields().at("x-roles").list_value().values()) {
      roles.insert(role.string_value());
    }
    return roles;
  };
  const std::set<std::string> admin = {"administrator"};
  const std::set<std::string> watch = {"administrator", "inspector"};
  CHECK(roles_of("/v1/contacts/{person_id}", "put") == admin);
  CHECK(roles_of("/v1/contacts", "get") == watch);
  CHECK(roles_of("/v1/notifications", "get") == watch);
  CHECK(roles_of("/v1/notifications/{key}", "get") == watch);
  CHECK(roles_of("/v1/notifications/{key}:resend", "post") == admin);
  CHECK(roles_of("/v1/messages", "post") == watch);
}

TEST_CASE_METHOD(GatewayFixture,
                 "notify: an inspector sends a message by hand to a department and it is "
                 "audited",
                 "[notify]") {
  const std::string admin = Login("admin", "admin-password");
  const std::string insp = Login("insp", "inspector-password");
  REQUIRE(Call("PUT", "/v1/contacts/lead-1", admin, ContactBody("lead-1", "13900002222")).status ==
          200);
  const std::string body =
      R"({"request_id":"m-1","department_id":"market","text":"请于今日下班前报送整改情况。"})";
  HttpResponse r = Call("POST", "/v1/messages", insp, body);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto sent = Parse<nv1::SendMessageResponse>(r.body);
  REQUIRE(sent.notifications_size() == 1);
  CHECK(sent.notifications(0).to() == "139****2222");
  CHECK(sent.notifications(0).sent_by().id() == "insp");
  CHECK(sent.notifications(0).kind() == "manual");
  // Retried: the same notification, nothing new.
  r = Call("POST", "/v1/messages", insp, body);
  REQUIRE(r.status == 200);
  CHECK(Parse<nv1::SendMessageResponse>(r.body).notifications(0).key() ==
        sent.notifications(0).key());
  // Bad input names the field; a clerk may not.
  r = Call("POST", "/v1/messages", insp, R"({"request_id":"m-2","text":"x"})");
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "case_id");
  r = Call("POST", "/v1/messages", insp, R"({"request_id":"m-2","department_id":"market"})");
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "text");
  CHECK(Call("POST", "/v1/messages", Login("clerk-1", "clerk-password"), body).status == 403);
  r = Call("GET", "/v1/audit?page_size=1000", Login("auditor", "reader-of-the-log"));
  CHECK(r.body.find("POST /v1/messages") != std::string::npos);
  CHECK(r.body.find("market") != std::string::npos);
}

TEST_CASE_METHOD(GatewayFixture,
                 "notify: the administrator sets a contact and lists show its phone and e-mail "
                 "masked",
                 "[notify]") {
  const std::string admin = Login("admin", "admin-password");
  const std::string insp = Login("insp", "inspector-password");

  HttpResponse r = Call("PUT", "/v1/contacts/lead-1", admin,
                        ContactBody("lead-1", "13900002222", "zhao@market.example"));
  INFO(r.body);
  REQUIRE(r.status == 200);
  // Even the answer to the one who set it is masked.
  CHECK(r.body.find("13900002222") == std::string::npos);
  CHECK(r.body.find("139****2222") != std::string::npos);
  CHECK(r.body.find("z***@market.example") != std::string::npos);

  // A bad phone, a person who is not the path's, an inspector.
  r = Call("PUT", "/v1/contacts/lead-1", admin, ContactBody("lead-1", "call me"));
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "contact.phone");
  r = Call("PUT", "/v1/contacts/lead-1", admin, ContactBody("someone-else", "13900002222"));
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "contact.person_id");
  r = Call("PUT", "/v1/contacts/lead-1", insp, ContactBody("lead-1", "13900002222"));
  CHECK(r.status == 403);
  // The person may be left to the path.
  r = Call("PUT", "/v1/contacts/clerk-1", admin,
           R"({"contact":{"department_id":"market","email":"wang@market.example"}})");
  INFO(r.body);
  CHECK(r.status == 200);

  // Listed masked, to inspectors and the administrator alike; by department.
  for (const std::string& token : {insp, admin}) {
    r = Call("GET", "/v1/contacts?department_id=market", token);
    REQUIRE(r.status == 200);
    CHECK(r.body.find("13900002222") == std::string::npos);
    CHECK(r.body.find("zhao@market.example") == std::string::npos);
    CHECK(r.body.find("wang@market.example") == std::string::npos);
    auto listed = Parse<nv1::ListContactsResponse>(r.body);
    REQUIRE(listed.contacts_size() == 2);
    CHECK(listed.contacts(0).person_id() == "clerk-1");
    CHECK(listed.contacts(0).email() == "w***@market.example");
    CHECK(listed.contacts(1).person_id() == "lead-1");
    CHECK(listed.contacts(1).phone() == "139****2222");
    CHECK(listed.contacts(1).head());
  }
  r = Call("GET", "/v1/contacts?department_id=tax", insp);
  REQUIRE(r.status == 200);
  CHECK(Parse<nv1::ListContactsResponse>(r.body).contacts_size() == 0);
  CHECK(Call("GET", "/v1/contacts", Login("clerk-1", "clerk-password")).status == 403);

  // Edited as listed: the masked values stand for the stored ones; a masked value that is not
  // the stored one's is refused, naming it.
  r = Call("PUT", "/v1/contacts/lead-1", admin,
           ContactBody("lead-1", "139****2222", "z***@market.example", false));
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto stored = notifier->ListContacts({}).value();
  REQUIRE(stored.contacts_size() == 2);
  CHECK(stored.contacts(1).phone() == "13900002222");
  CHECK(stored.contacts(1).email() == "zhao@market.example");
  CHECK_FALSE(stored.contacts(1).head());
  r = Call("PUT", "/v1/contacts/lead-1", admin, ContactBody("lead-1", "139****3333"));
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "contact.phone");
  r = Call("PUT", "/v1/contacts/lead-1", admin, ContactBody("lead-1", "", "q***@market.example"));
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "contact.email");

  // Every change is in the audit log, the refused ones too.
  r = Call("GET", "/v1/audit?page_size=1000", Login("auditor", "reader-of-the-log"));
  CHECK(r.body.find("PUT /v1/contacts/{person_id}") != std::string::npos);
  CHECK(r.body.find("13900002222") == std::string::npos);
}

TEST_CASE_METHOD(GatewayFixture,
                 "notify: no notifications yet: an empty list with backlog 0, 404 for an "
                 "unknown key, to read or to resend",
                 "[notify]") {
  const std::string admin = Login("admin", "admin-password");
  const std::string insp = Login("insp", "inspector-password");
  HttpResponse r = Call("GET", "/v1/notifications", insp);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto listed = Parse<nv1::ListNotificationsResponse>(r.body);
  CHECK(listed.notifications_size() == 0);
  CHECK(listed.backlog() == 0);
  CHECK(Call("GET", "/v1/notifications?state=STATE_DEAD&limit=10", admin).status == 200);
  r = Call("GET", "/v1/notifications?state=STATE_LOST", admin);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "state");
  CHECK(Call("GET", "/v1/notifications/light.no.such.key", insp).status == 404);
  CHECK(Call("POST", "/v1/notifications/light.no.such.key:resend", admin).status == 404);
  CHECK(Call("POST", "/v1/notifications/light.no.such.key:resend", insp).status == 403);
  CHECK(Call("GET", "/v1/notifications", Login("clerk-1", "clerk-password")).status == 403);
}

TEST_CASE_METHOD(GatewayFixture,
                 "notify: a light's text message with no channel is a dead letter with its "
                 "reason and attempt, its number masked, and the administrator resends it",
                 "[notify]") {
  std::string admin = Login("admin", "admin-password");
  REQUIRE(Call("PUT", "/v1/contacts/lead-1", admin, ContactBody("lead-1", "13900002222")).status ==
          200);
  // A case of market overdue: its lights are told to market's head.
  AcceptNew("notify-red");
  Pump();
  clock.Advance(absl::Hours(24 * 30));
  REQUIRE(sv->FireDue().ok());
  FeedNotify();
  admin = Login("admin", "admin-password");  // the earlier token has expired
  const std::string insp = Login("insp", "inspector-password");

  HttpResponse r = Call("GET", "/v1/notifications?state=STATE_DEAD", insp);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("13900002222") == std::string::npos);
  auto dead = Parse<nv1::ListNotificationsResponse>(r.body);
  CHECK(dead.backlog() == 0);
  const nv1::Notification* sms = nullptr;
  for (const auto& n : dead.notifications()) {
    CHECK(n.state() == nv1::STATE_DEAD);
    CHECK_FALSE(n.dead_reason().empty());
    if (n.recipient() == "lead-1" && n.kind() == "light.red") sms = &n;
  }
  REQUIRE(sms != nullptr);
  CHECK(sms->channel() == nv1::CHANNEL_SMS);
  CHECK(sms->to() == "139****2222");
  CHECK(sms->dead_reason() == "no CHANNEL_SMS channel is configured");
  const std::string key = sms->key();

  r = Call("GET", "/v1/notifications/" + key, insp);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("13900002222") == std::string::npos);
  auto got = Parse<nv1::GetNotificationResponse>(r.body);
  CHECK(got.notification().key() == key);
  CHECK(got.notification().to() == "139****2222");
  REQUIRE(got.attempts_size() == 1);
  CHECK(got.attempts(0).result() == nv1::STATE_DEAD);
  CHECK(got.attempts(0).detail() == "no CHANNEL_SMS channel is configured");

  // Resent: queued again (the inspector may not); once queued it is not dead, so not again.
  CHECK(Call("POST", "/v1/notifications/" + key + ":resend", insp).status == 403);
  r = Call("POST", "/v1/notifications/" + key + ":resend", admin);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto resent = Parse<nv1::Notification>(r.body);
  CHECK(resent.state() == nv1::STATE_QUEUED);
  CHECK(resent.to() == "139****2222");
  CHECK(Call("POST", "/v1/notifications/" + key + ":resend", admin).status == 409);
  r = Call("GET", "/v1/notifications", insp);
  REQUIRE(r.status == 200);
  CHECK(Parse<nv1::ListNotificationsResponse>(r.body).backlog() == 1);
  r = Call("GET", "/v1/audit?page_size=1000", Login("auditor", "reader-of-the-log"));
  CHECK(r.body.find("POST /v1/notifications/{key}:resend") != std::string::npos);
}

TEST_CASE_METHOD(GatewayFixture, "notify: without --notify the routes answer 503", "[notify]") {
  gateway.reset();
  gateway = Gateway::Open(gateway_store.get(), &clock,
                          {.intake_target = "127.0.0.1:1",
                           .workflow_target = "127.0.0.1:1",
                           .supervision_target = "127.0.0.1:1",
                           .scoring_target = "127.0.0.1:1",
                           .principal_signer = signer,
                           .audit_key = audit_key})
                .value();
  const std::string admin = Login("admin", "admin-password");
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"PUT", "/v1/contacts/lead-1"},
                                                        {"GET", "/v1/contacts"},
                                                        {"GET", "/v1/notifications"},
                                                        {"GET", "/v1/notifications/k"},
                                                        {"POST", "/v1/notifications/k:resend"},
                                                        {"POST", "/v1/messages"}}) {
    HttpResponse r = Call(method, path, admin,
                          method == "PUT"    ? ContactBody("lead-1", "13900002222")
                          : method == "POST" ? "{}"
                                             : "");
    INFO(method << " " << path << " -> " << r.body);
    CHECK(r.status == 503);
    CHECK(r.body.find("notifications are not configured") != std::string::npos);
  }
  // Who may call is still checked first.
  CHECK(Call("GET", "/v1/notifications", Login("clerk-1", "clerk-password")).status == 403);
}

}  // namespace
}  // namespace sunlight::gateway
