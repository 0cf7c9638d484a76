// Issue 16's findings as a hostile user of the REST API found them, each against the real
// gateway and backends: roles per route (enforced again by the services), query codes and
// their limits, bounded state, idempotent replays, caps, and masking by declaration.
#include <atomic>
#include <thread>

#include "gateway_test_fixture.h"
#include "personal_data.h"
#include "sunlight/base/case_codes.h"

namespace sunlight::gateway {
namespace {

using auth::v1::Principal;

// One HTTP/1.1 request over a socket bound to `from` (any 127.x.y.z is the loopback).
std::string ExchangeFrom(const std::string& from, int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, from.c_str(), &local.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    close(fd);
    return "";
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return "";
  }
  (void)send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) response.append(buffer, n);
  close(fd);
  return response;
}

std::string Post(const std::string& path, const std::string& body) {
  return absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
                      "Content-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

struct AbuseFixture : GatewayFixture {
  AbuseFixture() {
    for (
        const char* line :
        {R"({"user":{"user_id":"hand-1","role":"handler","department_id":"market"},"password":"handler-password"})",
         R"({"user":{"user_id":"tax-appr","role":"approver","department_id":"tax"},"password":"taxappr-password"})"}) {
      v1::CreateUserRequest request;
      REQUIRE(pb::util::JsonStringToMessage(line, &request).ok());
      REQUIRE(gateway->accounts().CreateUser(request).ok());
    }
  }
  intake::v1::SubmitCaseResponse Apply(const std::string& key, const std::string& client) {
    HttpResponse r = Call("POST", "/v1/public/applications", "", SubmitBody(key), client);
    REQUIRE(r.status == 200);
    intake::v1::SubmitCaseResponse submitted;
    REQUIRE(pb::util::JsonStringToMessage(r.body, &submitted).ok());
    return submitted;
  }
  int ReadsOfPersonalData(const std::string& user) {
    v1::ListAuditEntriesRequest all;
    all.set_page_size(1000);
    int reads = 0;
    auto listed = gateway->audit().List(all);
    REQUIRE(listed.ok());
    for (const auto& entry : listed->entries()) {
      reads += entry.user_id() == user && entry.action() == "read_personal_data";
    }
    return reads;
  }
};

TEST_CASE_METHOD(AbuseFixture, "finding 1: a handler cannot do a window clerk's work") {
  const std::string handler = Login("hand-1", "handler-password");
  const std::string clerk = Login("clerk-1", "clerk-password");
  const std::string case_id = Apply("f1", "10.1.0.1").case_().case_id();
  for (const char* action : {":accept", ":refuse", ":request-supplement", ":withdraw"}) {
    INFO(action);
    HttpResponse r = Call("POST", absl::StrCat("/v1/cases/", case_id, action), handler,
                          R"({"reason":"x","missing_materials":[{"name":"lease","reason":"x"}]})");
    CHECK(r.status == 403);
    CHECK(r.body.find("window_clerk") != std::string::npos);
    CHECK(r.body.find("110101199003071234") == std::string::npos);
  }
  CHECK(ReadsOfPersonalData("hand-1") == 0);
  // The handler sees the case masked; no read of personal data is recorded for it.
  HttpResponse r = Call("GET", "/v1/cases/" + case_id, handler);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("110101199003071234") == std::string::npos);
  CHECK(r.body.find("13812345678") == std::string::npos);
  CHECK(ReadsOfPersonalData("hand-1") == 0);
  // The window clerk's actions answer masked too; only GET of the case shows it in full.
  r = Call("POST", "/v1/cases/" + case_id + ":request-supplement", clerk,
           R"({"missing_materials":[{"name":"lease","reason":"expired"}]})");
  REQUIRE(r.status == 200);
  CHECK(r.body.find("110101199003071234") == std::string::npos);
  CHECK(Call("GET", "/v1/cases/" + case_id, clerk).body.find("110101199003071234") !=
        std::string::npos);
  CHECK(ReadsOfPersonalData("clerk-1") == 1);
}

TEST_CASE_METHOD(AbuseFixture,
                 "finding 1: the services refuse the same even if the gateway asked") {
  // The gateway's own signed principal for a handler: intake refuses it for a clerk's method.
  auto backend = NewGrpcBackend({.intake_target = absl::StrCat("127.0.0.1:", host->port()),
                                 .workflow_target = absl::StrCat("127.0.0.1:", host->port()),
                                 .signer = signer});
  const std::string case_id = Apply("f1s", "10.1.0.2").case_().case_id();
  REQUIRE(Call("POST", "/v1/cases/" + case_id + ":accept", Login("clerk-1", "clerk-password"), "{}")
              .status == 200);
  Pump();
  Principal handler;
  handler.set_user_id("hand-1");
  handler.set_role("handler");
  handler.set_department_id("market");
  intake::v1::RequestSupplementRequest ask;
  ask.mutable_actor()->set_id("hand-1");
  ask.mutable_actor()->set_role("handler");
  ask.mutable_actor()->set_department_id("market");
  ask.set_case_id(case_id);
  ask.add_missing_materials()->set_name("lease");
  ask.mutable_missing_materials(0)->set_reason("x");
  auto refused = backend->Call(IntakeMethod("RequestSupplement"), ask, handler);
  CHECK(refused.status().code() == absl::StatusCode::kPermissionDenied);
  // Workflow: an approver of a joint branch's department cannot extend the lead's case.
  Principal tax = handler;
  tax.set_user_id("tax-appr");
  tax.set_role("approver");
  tax.set_department_id("tax");
  workflow::v1::ApproveExtensionRequest extend;
  extend.mutable_actor()->set_id("tax-appr");
  extend.mutable_actor()->set_role("approver");
  extend.mutable_actor()->set_department_id("tax");
  extend.set_case_id(case_id);
  extend.set_working_days(1);
  extend.set_reason("x");
  CHECK(backend->Call(WorkflowMethod("ApproveExtension"), extend, tax).status().code() ==
        absl::StatusCode::kPermissionDenied);
}

TEST_CASE_METHOD(AbuseFixture, "finding 1: extensions and withdrawals need the right person") {
  const std::string clerk = Login("clerk-1", "clerk-password");
  const std::string approver = Login("appr-1", "approver-password");
  const std::string handler = Login("hand-1", "handler-password");
  const std::string tax = Login("tax-appr", "taxappr-password");
  const std::string case_id = Apply("f1e", "10.1.0.3").case_().case_id();
  REQUIRE(Call("POST", "/v1/cases/" + case_id + ":accept", clerk, "{}").status == 200);
  Pump();
  const std::string extend = R"({"working_days":2,"reason":"a hearing"})";
  CHECK(Call("POST", "/v1/cases/" + case_id + ":extend", handler, extend).status == 403);
  CHECK(Call("POST", "/v1/cases/" + case_id + ":extend", tax, extend).status == 404);
  CHECK(Call("POST", "/v1/cases/" + case_id + ":extend", approver, extend).status == 200);
  // Withdrawal: a reason and the applicant's own request.
  HttpResponse r = Call("POST", "/v1/cases/" + case_id + ":withdraw", clerk, "{}");
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "reason");
  r = Call("POST", "/v1/cases/" + case_id + ":withdraw", clerk, R"({"reason":"moving away"})");
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "applicant_request");
  CHECK(Call("POST", "/v1/cases/" + case_id + ":withdraw", clerk,
             R"({"reason":"moving away","applicant_request":"doc:req-1"})")
            .status == 200);
  // Work queues: one's own role only.
  CHECK(
      Call("GET", "/v1/work-queue?role.department_id=market&role.role=approver", handler).status ==
      403);
  CHECK(Call("GET", "/v1/work-queue?role.department_id=market&role.role=handler", handler).status ==
        200);
}

TEST_CASE_METHOD(AbuseFixture,
                 "finding 2 and 3: 160 parallel guesses get at most 5 answers and the applicant "
                 "still gets in") {
  auto server = HttpServer::Start({.listen_address = "127.0.0.1:0"},
                                  [this](const HttpRequest& r) { return gateway->Handle(r); });
  REQUIRE(server.ok());
  const int port = (*server)->port();
  const auto submitted = Apply("f2", "10.2.0.1");
  const std::string number = submitted.case_().case_number();
  const std::string code = submitted.case_().query_code();
  // At least 50 bits from an unambiguous alphabet.
  CHECK(code.size() == kQueryCodeLength);
  CHECK(NormalizeQueryCode(code) == code);
  std::atomic<int> answered{0}, limited{0}, with_retry_after{0};
  std::vector<std::thread> guessers;
  for (int i = 0; i < 160; ++i) {
    guessers.emplace_back([&, i] {
      std::string guess = absl::StrCat(1000000000 + i);
      std::string reply = ExchangeFrom(
          absl::StrCat("127.0.0.", 1 + i % 8), port,
          Post("/v1/public/progress",
               absl::StrCat(R"({"case_number":")", number, R"(","query_code":")", guess, R"("})")));
      if (reply.rfind("HTTP/1.1 404", 0) == 0 || reply.rfind("HTTP/1.1 200", 0) == 0) ++answered;
      if (reply.rfind("HTTP/1.1 429", 0) == 0) {
        ++limited;
        if (reply.find("Retry-After: ") != std::string::npos) ++with_retry_after;
      }
    });
  }
  for (auto& t : guessers) t.join();
  CHECK(answered.load() <= 5);
  CHECK(answered.load() >= 1);
  CHECK(limited.load() + answered.load() == 160);
  CHECK(with_retry_after.load() == limited.load());
  // The applicant, from another network, is not locked out by them.
  std::string mine = ExchangeFrom(
      "127.0.1.1", port,
      Post("/v1/public/progress",
           absl::StrCat(R"({"case_number":")", number, R"(","query_code":")", code, R"("})")));
  CHECK(mine.rfind("HTTP/1.1 200", 0) == 0);
  // And the code travels in a body, never in a URL.
  CHECK(Exchange(port, absl::StrCat("GET /v1/public/progress?case_number=", number, "&query_code=",
                                    code, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
            .rfind("HTTP/1.1 405", 0) == 0);
}

TEST_CASE("finding 5: memory stays bounded while 100000 case numbers are tried") {
  testing::ScratchDir dir("gateway-bounded");
  auto store = storage::Store::Open({.path = dir.Sub("gateway"),
                                     .column_families = GatewayColumnFamilies(),
                                     .sync_writes = false})
                   .value();
  // A backend that knows no case: every code is wrong.
  struct NoCases : Backend {
    absl::StatusOr<std::unique_ptr<pb::Message>> Call(const pb::MethodDescriptor*,
                                                      const pb::Message&,
                                                      const Principal&) override {
      return absl::NotFoundError("no case with this case number and query code");
    }
  };
  FakeClock clock(absl::FromUnixSeconds(1780000000));
  auto gateway =
      Gateway::Open(store.get(), &clock,
                    {.backend = std::make_shared<NoCases>(), .limits = {.max_entries = 1000}})
          .value();
  int answered = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string client = absl::StrCat("10.", i / 65536, ".", (i / 256) % 256, ".", i % 256);
    std::string body =
        absl::StrCat(R"({"case_number":"20260224-)", 100000 + i, R"(","query_code":"0000000000"})");
    answered +=
        gateway->Handle(TestRequest("POST", "/v1/public/progress", "", body, client)).status == 404;
  }
  CHECK(answered == 100000);
  CHECK(gateway->limits().entries() <= 3 * 1000);
  // Malformed numbers keep nothing at all.
  size_t before = gateway->limits().entries();
  HttpResponse bad =
      gateway->Handle(TestRequest("POST", "/v1/public/progress", "",
                                  R"({"case_number":"x","query_code":"0000000000"})", "10.0.0.1"));
  CHECK(bad.status == 400);
  CHECK(gateway->limits().entries() == before);
}

TEST_CASE_METHOD(AbuseFixture, "finding 6: a replayed idempotency key gives no one's data") {
  const auto first = Apply("shared-key", "192.0.2.1");
  REQUIRE(!first.case_().query_code().empty());
  CHECK(first.case_().submitted_by().id() == "applicant:online");  // no address in the record
  // Another applicant behind the same address, with the same key: refused, nothing shown.
  auto other = SubmitRequest("shared-key");
  other.clear_actor();
  other.mutable_applicant()->set_id_number("110101198001010000");
  other.mutable_applicant()->set_name("王五");
  std::string json;
  pb::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  REQUIRE(pb::util::MessageToJsonString(other, &json, o).ok());
  HttpResponse r = Call("POST", "/v1/public/applications", "", json, "192.0.2.1");
  CHECK(r.status == 409);
  CHECK(r.body.find(first.case_().case_number()) == std::string::npos);
  // The same request again (a retry): the case, masked, and no query code this time.
  r = Call("POST", "/v1/public/applications", "", SubmitBody("shared-key"), "192.0.2.1");
  REQUIRE(r.status == 200);
  intake::v1::SubmitCaseResponse replay;
  REQUIRE(pb::util::JsonStringToMessage(r.body, &replay).ok());
  CHECK(replay.replayed());
  CHECK(replay.case_().query_code().empty());
  CHECK(replay.case_().applicant().id_number() == "110101********1234");
  CHECK(r.body.find(first.case_().query_code()) == std::string::npos);
}

TEST_CASE_METHOD(AbuseFixture, "finding 7: materials and online applications are capped") {
  auto request = SubmitRequest("caps");
  request.clear_actor();
  for (int i = 0; i < 50; ++i) request.add_materials()->set_name("page");
  std::string json;
  pb::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  REQUIRE(pb::util::MessageToJsonString(request, &json, o).ok());
  HttpResponse r = Call("POST", "/v1/public/applications", "", json, "198.51.100.1");
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "materials");
  request = SubmitRequest("caps");
  request.clear_actor();
  request.mutable_materials(0)->set_document_ref("file:///etc/passwd");
  json.clear();
  REQUIRE(pb::util::MessageToJsonString(request, &json, o).ok());
  r = Call("POST", "/v1/public/applications", "", json, "198.51.100.1");
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "materials[0].document_ref");
  // A daily quota per client address (the public rate limit paced by the clock).
  int accepted = 0;
  HttpResponse last;
  for (int i = 0; i < 51; ++i) {
    clock.Advance(absl::Seconds(1));
    last = Call("POST", "/v1/public/applications", "", SubmitBody(absl::StrCat("day-", i)),
                "198.51.100.2");
    accepted += last.status == 200;
  }
  CHECK(accepted == 50);
  CHECK(last.status == 429);
  CHECK(!HeaderOf(last, "Retry-After").empty());
}

TEST_CASE_METHOD(AbuseFixture, "finding 9: personal data is masked by its declaration") {
  const std::string approver = Login("appr-1", "approver-password");
  auto request = SubmitRequest("mask");
  request.clear_actor();
  request.mutable_materials(0)->set_document_ref("doc:id-card-scan-77");
  std::string json;
  pb::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  REQUIRE(pb::util::MessageToJsonString(request, &json, o).ok());
  HttpResponse r = Call("POST", "/v1/public/applications", "", json, "203.0.113.9");
  REQUIRE(r.status == 200);
  r = Call("GET", "/v1/cases?department_id=market", approver);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("李明") == std::string::npos);  // the name, as 李*
  CHECK(r.body.find("李*") != std::string::npos);
  CHECK(r.body.find("13812345678") == std::string::npos);
  CHECK(r.body.find("doc:id-card-scan-77") == std::string::npos);
  CHECK(r.body.find("203.0.113.9") == std::string::npos);
  // A packed payload of a type this build does not know is dropped, never passed on.
  events::v1::CaseEvent event;
  event.mutable_payload()->set_type_url("type.googleapis.com/elsewhere.v1.Secret");
  event.mutable_payload()->set_value("110101199003071234");
  CHECK(MaskPersonalData(&event).dropped_payloads == 1);
  CHECK(event.payload().type_url().empty());
  CHECK(event.payload().value().empty());
  // So is one of a known type whose bytes do not parse (found by personal_data_fuzz), and one
  // packed inside 17 levels of packed payloads.
  event.mutable_payload()->set_type_url("type.googleapis.com/sunlight.intake.v1.CaseSubmitted");
  event.mutable_payload()->set_value(
      "\x0a\xff\xff\xff\xff\x0f"
      "110101199003071234");
  CHECK(MaskPersonalData(&event).dropped_payloads == 1);
  CHECK(event.payload().value().empty());
  events::v1::CaseEvent nested;
  intake::v1::CaseSubmitted submitted;
  submitted.mutable_case_()->mutable_applicant()->set_id_number("110101199003071234");
  nested.mutable_payload()->PackFrom(submitted);
  for (int level = 0; level < 17; ++level) {
    events::v1::CaseEvent outer;
    outer.mutable_payload()->PackFrom(nested);
    nested = outer;
  }
  CHECK(MaskPersonalData(&nested).dropped_payloads == 1);
  CHECK(nested.SerializeAsString().find("110101199003071234") == std::string::npos);
  // Fields this build does not know (field 999, a string) go too.
  events::v1::CaseEvent newer;
  REQUIRE(newer.ParseFromString(std::string("\xba\x3e\x12", 3) + "110101199003071234"));
  CHECK(!newer.GetReflection()->GetUnknownFields(newer).empty());
  MaskPersonalData(&newer);
  CHECK(newer.SerializeAsString().find("110101199003071234") == std::string::npos);
  // The OpenAPI document says who may call and who sees personal data in full.
  std::string doc = gateway->OpenApiJson();
  CHECK(doc.find("\"staff:window_clerk\"") != std::string::npos);
  CHECK(doc.find("\"x-personal-data-in-full\"") != std::string::npos);
}

}  // namespace
}  // namespace sunlight::gateway
