// End to end, over real sockets: the real intake, workflow, supervision, scoring and gateway
// binaries, each on port 0 with its own store, its own principal key and its own certificate
// (mutual TLS between all of them). Everything the test does goes through the gateway's REST
// API, as a front-end would.
//
// Supervision runs with --clock_offset=720h: it sees every clock thirty days later than the
// others do, so the case accepted here is red when supervision ingests it.
#include <csignal>

#include "e2e_suite.h"
#include "sunlight/auth/signing_channel.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/intake/v1/intake.pb.h"

namespace sunlight {
namespace {

namespace pb = ::google::protobuf;
using e2e::Eventually;
using e2e::Field;
using e2e::ParseJson;
using e2e::Suite;
using e2e::ToJson;
using testing::HttpClient;
using testing::HttpReply;
using testing::ServiceProcess;

TEST_CASE("end to end: applied online, accepted, routed, red, seen by an inspector") {
  Suite suite;
  const std::string admin = suite.Login("admin", "system-e2e-pass");
  // REST is HTTPS only: plain HTTP on its port gets no answer.
  HttpClient plain(suite.gateway->port(suite.http_port_file()));
  CHECK_FALSE(plain.Send("GET", "/healthz").ok());

  suite.LoadDemoCatalogue(admin);

  // An applicant applies online and gets a case number and a query code.
  pb::Struct submitted = suite.Expect(
      200, "POST", "/v1/public/applications",
      R"({"idempotency_key":"e2e-1","item_code":"GT-001","subject":"Li noodles",)"
      R"("applicant":{"kind":"APPLICANT_KIND_PERSON","name":"李明",)"
      R"("id_number":"110101199003071234","phone":"13812345678"},)"
      R"("materials":[{"code":"id-card","name":"身份证"},)"
      R"({"code":"application-form","name":"申请书"},{"code":"premises","name":"租赁合同"}]})");
  const pb::Struct& record = Field(submitted, "case").struct_value();
  const std::string case_id = Field(record, "case_id").string_value();
  const std::string number = Field(record, "case_number").string_value();
  const std::string code = Field(record, "query_code").string_value();

  // The market window clerk accepts it.
  const std::string clerk = suite.Login("clerk", "window-e2e-pass");
  suite.Expect(200, "POST", absl::StrCat("/v1/cases/", case_id, ":accept"),
               R"({"window_id":"W01"})", clerk);

  // Workflow routes it: the first step appears.
  CHECK(Eventually([&] {
    auto reply =
        suite.client().Send("GET", absl::StrCat("/v1/cases/", case_id, "/process"), "", clerk);
    return reply.ok() && reply->status == 200 &&
           reply->body.find("\"STEP_STATE_") != std::string::npos;
  }));

  // Supervision, thirty days ahead, shows it red; the inspector sees it on the board, in the
  // red list and in the alerts.
  const std::string inspector = suite.Login("insp", "watchful-e2e-pass");
  CHECK(Eventually([&] {
    auto reply = suite.client().Send("GET", "/v1/clocks?light=LIGHT_RED", "", inspector);
    return reply.ok() && reply->status == 200 && reply->body.find(case_id) != std::string::npos;
  }));
  pb::Struct board = suite.Expect(200, "GET", "/v1/board", "", inspector);
  bool market_red = false;
  for (const auto& row : Field(board, "departments").list_value().values()) {
    const auto& fields = row.struct_value().fields();
    if (fields.at("department_id").string_value() == "market" && fields.contains("red")) {
      market_red = fields.at("red").string_value() != "0";
    }
  }
  CHECK(market_red);
  CHECK(Eventually([&] {
    auto reply =
        suite.client().Send("GET", absl::StrCat("/v1/alerts?case_id=", case_id), "", inspector);
    return reply.ok() && reply->status == 200 && reply->body.find("LIGHT_RED") != std::string::npos;
  }));
  pb::Struct clocks =
      suite.Expect(200, "GET", absl::StrCat("/v1/cases/", case_id, "/clocks"), "", inspector);
  CHECK(Field(clocks, "clocks").list_value().values_size() >= 2);  // the case and its step

  // The inspector issues a supervision notice on it; the inspector may not accept cases.
  pb::Struct notice =
      suite.Expect(200, "POST", "/v1/notices",
                   absl::StrCat(R"({"case_id":")", case_id,
                                R"(","reason":"overdue","response_limit":{"amount":2,)"
                                R"("unit":"LIMIT_UNIT_WORKING_DAYS"}})"),
                   inspector);
  CHECK(Field(Field(notice, "notice").struct_value(), "department_id").string_value() == "market");
  suite.Expect(403, "POST", absl::StrCat("/v1/cases/", case_id, ":accept"), "{}", inspector);

  // Scoring follows the three streams: the acceptance is counted for market on its day; the
  // month is open, so the public sees no scores of it yet.
  const absl::Time now = absl::Now();
  const std::string statistics = absl::StrCat(
      "/v1/statistics?dimension=DIMENSION_DEPARTMENT&period=PERIOD_DAY&values=market&from_day=",
      absl::FormatTime("%Y-%m-%d", now - absl::Hours(24), absl::UTCTimeZone()),
      "&to_day=", absl::FormatTime("%Y-%m-%d", now + absl::Hours(24), absl::UTCTimeZone()));
  CHECK(Eventually([&] {
    auto reply = suite.client().Send("GET", statistics, "", inspector);
    return reply.ok() && reply->status == 200 &&
           reply->body.find(R"("accepted":"1")") != std::string::npos;
  }));
  suite.Expect(404, "GET",
               absl::StrCat("/v1/public/scores/",
                            absl::FormatTime("%Y-%m", now, absl::FixedTimeZone(8 * 3600))));

  // The applicant follows progress with the query code; the audit chain holds.
  pb::Struct progress = suite.Expect(
      200, "POST", "/v1/public/progress",
      absl::StrCat(R"({"case_number":")", number, R"(","query_code":")", code, R"("})"));
  CHECK(Field(progress, "state").string_value() == "CASE_STATE_ACCEPTED");
  const std::string auditor = suite.Login("auditor", "ledger-e2e-pass");
  pb::Struct verified = suite.Expect(200, "GET", "/v1/audit:verify", "", auditor);
  CHECK(Field(verified, "intact").bool_value());
}

TEST_CASE(
    "over real sockets a bad path parameter is refused and the audit chain holds across a "
    "restart") {
  Suite suite;
  const std::string clerk = suite.Login("clerk", "window-e2e-pass");
  // Invalid UTF-8, an encoded surrogate and an overlong '/' in the case id.
  for (const char* bad : {"%FF%FE", "%ED%A0%80", "%C0%AF"}) {
    auto reply = suite.client().Send("POST", absl::StrCat("/v1/cases/", bad, ":accept"),
                                     R"({"window_id":"W01"})", clerk);
    REQUIRE(reply.ok());
    INFO(bad << " -> " << reply->status << " " << reply->body);
    CHECK(reply->status == 400);
    pb::Struct body = ParseJson(reply->body);  // well-formed JSON, no raw bytes
    const pb::Struct& error = Field(body, "error").struct_value();
    CHECK(Field(error, "code").string_value() == "INVALID_ARGUMENT");
    CHECK(Field(error, "field").string_value() == "case_id");
  }
  const std::string auditor = suite.Login("auditor", "ledger-e2e-pass");
  pb::Struct verified = suite.Expect(200, "GET", "/v1/audit:verify", "", auditor);
  CHECK(Field(verified, "intact").bool_value());
  pb::Struct entries = suite.Expect(200, "GET", "/v1/audit", "", auditor);
  CHECK(Field(entries, "entries").list_value().values_size() >= 3);  // the refusals are audited

  suite.RestartGateway();
  const std::string again = suite.Login("auditor", "ledger-e2e-pass");
  verified = suite.Expect(200, "GET", "/v1/audit:verify", "", again);
  CHECK(Field(verified, "intact").bool_value());
}

// Finding 4 of the security review: every gRPC channel was plain text. Now a service with
// TLS configured refuses plain text, a certificate of another CA and a revoked certificate.
TEST_CASE("over real sockets a service refuses plaintext and foreign or revoked certificates") {
  testing::ScratchDir dir("suite-tls");
  testing::SuiteSecrets secrets(dir, {"intake", "gateway", "revoked"});
  REQUIRE(secrets.status().ok());
  testing::ScratchDir other_dir("suite-tls-other");
  testing::SuiteSecrets other_ca(other_dir, {"gateway"});  // same names, another CA
  REQUIRE(other_ca.status().ok());
  REQUIRE(secrets.Revoke("revoked").ok());
  std::vector<std::string> args = secrets.ServiceFlags("intake");
  args.push_back(std::string("--calendar=") + SUNLIGHT_CALENDAR_FILE);
  args.push_back("--sync_writes=false");
  ServiceProcess intake(dir, "intake", SUNLIGHT_INTAKE_BINARY, args);
  REQUIRE(intake.Start().ok());
  auto list_items = [&](std::shared_ptr<grpc::ChannelCredentials> credentials) {
    REQUIRE(credentials != nullptr);
    auto channel = auth::SigningChannel(intake.target(), credentials, secrets.Signer("gateway"),
                                        auth::ServicePrincipal("gateway"));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    intake::v1::ListDepartmentsResponse response;
    return intake::v1::Intake::NewStub(channel)
        ->ListDepartments(&context, intake::v1::ListDepartmentsRequest(), &response)
        .error_code();
  };
  // The gateway's certificate gets through TLS (its service principal is then refused by
  // the method policy: people only).
  CHECK(list_items(secrets.Credentials("gateway")) == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(list_items(grpc::InsecureChannelCredentials()) == grpc::StatusCode::UNAVAILABLE);
  CHECK(list_items(other_ca.Credentials("gateway")) == grpc::StatusCode::UNAVAILABLE);
  CHECK(list_items(secrets.Credentials("revoked")) == grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace sunlight
