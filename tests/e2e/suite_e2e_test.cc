// End to end, over real sockets: the real intake, workflow, supervision, scoring and gateway
// binaries, each on port 0 with its own store, its own principal key and its own certificate
// (mutual TLS between all of them). Everything the test does goes through the gateway's REST
// API, as a front-end would.
//
// Supervision runs with --clock_offset=720h: it sees every clock thirty days later than the
// others do, so the case accepted here is red when supervision ingests it.
#include <csignal>
#include <fstream>
#include <memory>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/auth/signing_channel.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/testing/http_client.h"
#include "sunlight/testing/service_process.h"
#include "sunlight/testing/suite_secrets.h"
#include "sunlight/testing/test_support.h"

namespace sunlight {
namespace {

namespace pb = ::google::protobuf;
using testing::HttpClient;
using testing::HttpReply;
using testing::ServiceProcess;

std::string ToJson(const pb::Message& message) {
  std::string json;
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  REQUIRE(pb::util::MessageToJsonString(message, &json, options).ok());
  return json;
}

pb::Struct ParseJson(const std::string& body) {
  pb::Struct out;
  INFO(body);
  REQUIRE(pb::util::JsonStringToMessage(body, &out).ok());
  return out;
}

const pb::Value& Field(const pb::Struct& s, const std::string& name) {
  INFO("field " << name);
  REQUIRE(s.fields().contains(name));
  return s.fields().at(name);
}

struct Suite {
  Suite()
      : dir("suite-e2e"),
        secrets(dir, {"intake", "workflow", "supervision", "scoring", "gateway"}) {
    REQUIRE(secrets.status().ok());
    {
      std::ofstream users(dir.Sub("users.jsonl"));
      // Passwords meet the gateway's policy (no user id in them, 12 characters or more).
      users << R"({"user":{"user_id":"admin","role":"administrator"},"password":"system-e2e-pass"})"
            << "\n"
            << R"({"user":{"user_id":"auditor","role":"audit_administrator"},)"
            << R"("password":"ledger-e2e-pass"})"
            << "\n"
            << R"({"user":{"user_id":"insp","role":"inspector"},"password":"watchful-e2e-pass"})"
            << "\n"
            << R"({"user":{"user_id":"clerk","role":"window_clerk","department_id":"market"},)"
            << R"("password":"window-e2e-pass"})"
            << "\n";
    }
    const std::string next_year =
        absl::StrCat(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year() + 1);
    const std::string calendar = std::string("--calendar=") + SUNLIGHT_CALENDAR_FILE;
    const std::string provisional = "--provisional_years=" + next_year;
    intake = Start("intake", SUNLIGHT_INTAKE_BINARY, {calendar, provisional});
    workflow = Start("workflow", SUNLIGHT_WORKFLOW_BINARY,
                     {calendar, provisional, "--intake=" + intake->target()});
    supervision = Start(
        "supervision", SUNLIGHT_SUPERVISION_BINARY,
        {calendar, provisional, "--intake=" + intake->target(), "--workflow=" + workflow->target(),
         "--alert_file=" + dir.Sub("alerts.jsonl"), "--clock_offset=720h"});
    scoring = Start("scoring", SUNLIGHT_SCORING_BINARY,
                    {calendar, provisional, "--intake=" + intake->target(),
                     "--workflow=" + workflow->target(), "--supervision=" + supervision->target()});
    gateway = Start("gateway", SUNLIGHT_GATEWAY_BINARY,
                    {"--http_listen=127.0.0.1:0", "--http_port_file=" + http_port_file(),
                     "--intake=" + intake->target(), "--workflow=" + workflow->target(),
                     "--supervision=" + supervision->target(), "--scoring=" + scoring->target(),
                     "--users_file=" + dir.Sub("users.jsonl")},
                    {http_port_file()});
  }

  // Starts a binary on its own store with the suite's flags (unsynced writes, its keys and
  // certificate); waits for its port files.
  std::unique_ptr<ServiceProcess> Start(const std::string& name, const char* binary,
                                        std::vector<std::string> args,
                                        std::vector<std::string> other_port_files = {}) {
    args.push_back("--sync_writes=false");
    for (auto& flag : secrets.ServiceFlags(name)) args.push_back(flag);
    auto process = std::make_unique<ServiceProcess>(dir, name, binary, std::move(args),
                                                    std::move(other_port_files));
    absl::Status started = process->Start();
    INFO(started.ToString());
    REQUIRE(started.ok());
    return process;
  }
  // Stops the gateway as an operator would (SIGTERM) and starts it again.
  void RestartGateway() {
    absl::Status restarted = gateway->Restart(SIGTERM);
    INFO(restarted.ToString());
    REQUIRE(restarted.ok());
    http.reset();
  }
  std::string http_port_file() const { return dir.Sub("http.port"); }

  // Sends and expects `status`; returns the parsed body.
  pb::Struct Expect(int status, const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& token = "") {
    auto reply = client().Send(method, target, body, token);
    REQUIRE(reply.ok());
    INFO(method << " " << target << " -> " << reply->status << " " << reply->body);
    REQUIRE(reply->status == status);
    return ParseJson(reply->body);
  }

  std::string Login(const std::string& user, const std::string& password) {
    pb::Struct login =
        Expect(200, "POST", "/v1/login",
               absl::StrCat(R"({"user_id":")", user, R"(","password":")", password, R"("})"));
    return Field(login, "token").string_value();
  }

  HttpClient& client() {
    if (http == nullptr) {
      http = std::make_unique<HttpClient>(gateway->port(http_port_file()),
                                          secrets.ca_dir() + "/ca.crt");
    }
    return *http;
  }

  testing::ScratchDir dir;
  testing::SuiteSecrets secrets;
  std::unique_ptr<ServiceProcess> intake, workflow, supervision, scoring, gateway;
  std::unique_ptr<HttpClient> http;
};

// Polls `probe` (true when done) for up to 30 s.
template <typename Probe>
bool Eventually(Probe probe) {
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (probe()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

TEST_CASE("end to end: applied online, accepted, routed, red, seen by an inspector") {
  Suite suite;
  const std::string admin = suite.Login("admin", "system-e2e-pass");
  // REST is HTTPS only: plain HTTP on its port gets no answer.
  HttpClient plain(suite.gateway->port(suite.http_port_file()));
  CHECK_FALSE(plain.Send("GET", "/healthz").ok());

  // The catalogue, through the administrators' API.
  std::ifstream in(SUNLIGHT_DEMO_CATALOGUE);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  intake::v1::CatalogueFile catalogue;
  REQUIRE(pb::util::JsonStringToMessage(text, &catalogue).ok());
  for (const auto& department : catalogue.departments()) {
    suite.Expect(200, "POST", "/v1/departments",
                 absl::StrCat(R"({"department":)", ToJson(department), "}"), admin);
  }
  for (const auto& window : catalogue.windows()) {
    suite.Expect(200, "POST", "/v1/windows", absl::StrCat(R"({"window":)", ToJson(window), "}"),
                 admin);
  }
  for (const auto& item : catalogue.items()) {
    suite.Expect(200, "POST", "/v1/items", absl::StrCat(R"({"definition":)", ToJson(item), "}"),
                 admin);
  }

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
