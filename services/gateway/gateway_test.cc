#include "gateway.h"

#include "gateway_test_fixture.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>

#include <catch2/catch.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#include "audit_log.h"
#include "exchange/relay.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "http_server.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/eventlog/event_stream_service.h"
#include "sunlight/exchange/v1/exchange.pb.h"
#include "sunlight/intake/intake_grpc_service.h"
#include "sunlight/server/service_host.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/supervision/supervision.h"
#include "sunlight/supervision/supervision_grpc_service.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/workflow/workflow.h"
#include "sunlight/workflow/workflow_grpc_service.h"

namespace sunlight::gateway {
namespace {

namespace pb = ::google::protobuf;

TEST_CASE_METHOD(GatewayFixture, "every signed-in route refuses a missing or forged token (401)") {
  std::map<std::string, bool> is_public;
  auto routes = Routes(*gateway, &is_public);
  CHECK(routes.size() > 35);
  for (const auto& [method, path] : routes) {
    if (is_public[method + " " + path]) continue;
    INFO(method << " " << path);
    CHECK(Call(method, path).status == 401);
    CHECK(Call(method, path, "forged.token").status == 401);
  }
  // Public routes ignore a stale Authorization header: logging in again works.
  CHECK(Call("POST", "/v1/login", "expired.token",
             R"({"user_id":"admin","password":"admin-password"})")
            .status == 200);
}

TEST_CASE_METHOD(GatewayFixture,
                 "every body route answers malformed JSON and wrong types with 400 "
                 "naming the field") {
  std::map<std::string, bool> is_public;
  auto routes = Routes(*gateway, &is_public);
  std::map<std::string, std::string> tokens = {{"admin", Login("admin", "admin-password")},
                                               {"insp", Login("insp", "inspector-password")},
                                               {"clerk", Login("clerk-1", "clerk-password")},
                                               {"secadm", Login("secadm", "keeper-of-accounts")}};
  int checked = 0;
  for (const auto& [method, path] : routes) {
    if (method == "GET") continue;
    INFO(method << " " << path);
    // Some caller may use it: try each until one is not refused for its role.
    for (const auto& [who, token] : tokens) {
      HttpResponse r = Call(method, path, token, "{\"unclosed\": ");
      if (r.status == 403) continue;
      CHECK(r.status == 400);
      HttpResponse typed = Call(method, path, token, R"({"no_such_field": 1})");
      CHECK(typed.status == 400);
      CHECK(ErrorField(typed) == "no_such_field");
      ++checked;
      break;
    }
  }
  CHECK(checked > 20);
  // A wrong type names its field.
  HttpResponse r = Call("POST", "/v1/cases", tokens["clerk"], R"({"item_code": 5})");
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "item_code");
  // A bad query argument names its parameter.
  r = Call("GET", "/v1/clocks?light=PURPLE", tokens["insp"]);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "light");
  r = Call("GET", "/v1/cases?page_size=many", tokens["clerk"]);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "page.page_size");
}

TEST_CASE_METHOD(GatewayFixture,
                 "roles: on every route, a role the document does not list gets 403") {
  pb::Struct doc;
  REQUIRE(pb::util::JsonStringToMessage(gateway->OpenApiJson(), &doc).ok());
  std::map<std::string, std::string> tokens = {
      {"administrator", Login("admin", "admin-password")},
      {"inspector", Login("insp", "inspector-password")},
      {"staff:window_clerk", Login("clerk-1", "clerk-password")},
      {"staff:approver", Login("appr-1", "approver-password")},
      {"security_administrator", Login("secadm", "keeper-of-accounts")},
      {"audit_administrator", Login("auditor", "reader-of-the-log")},
      {"rating_device", Login("rater-w1", "rating-device-password")},
      {"attendance_device", Login("clock-1", "attendance-device-password")}};
  int refused = 0;
  for (const auto& [pattern, item] : doc.fields().at("paths").struct_value().fields()) {
    for (const auto& [method, op] : item.struct_value().fields()) {
      const auto& fields = op.struct_value().fields();
      // Public routes have no roles; logout would end the sessions used here.
      if (!fields.contains("security") || pattern == "/v1/logout") continue;
      std::set<std::string> roles;
      for (const auto& role : fields.at("x-roles").list_value().values()) {
        roles.insert(role.string_value());
      }
      std::string path;
      bool in_brace = false;
      for (char c : pattern) {
        if (c == '{' || c == '}') {
          in_brace = c == '{';
          if (in_brace) path += 'x';
        } else if (!in_brace) {
          path += c;
        }
      }
      std::string verb = absl::AsciiStrToUpper(method);
      for (const auto& [role, token] : tokens) {
        INFO(verb << " " << path << " as " << role);
        HttpResponse r = Call(verb, path, token, verb == "GET" ? "" : "{}");
        CHECK(r.status != 401);
        // Staff in a role: allowed when the route admits any staff or names the role.
        bool staff = absl::StartsWith(role, "staff:");
        if (roles.contains(role) || (staff && roles.contains("staff"))) {
          CHECK(r.body.find("may not") == std::string::npos);
        } else {
          CHECK(r.status == 403);
          ++refused;
        }
      }
    }
  }
  CHECK(refused > 30);
}

TEST_CASE_METHOD(GatewayFixture, "roles: each audience reaches only its routes (403)") {
  std::string clerk = Login("clerk-1", "clerk-password");
  std::string insp = Login("insp", "inspector-password");
  CHECK(Call("POST", "/v1/users", clerk, "{}").status == 403);
  CHECK(Call("GET", "/v1/users", insp).status == 403);
  CHECK(Call("PUT", "/v1/rule-set", insp, "{}").status == 403);
  CHECK(Call("PUT", "/v1/calendar", clerk, "{}").status == 403);
  CHECK(Call("POST", "/v1/items", clerk, "{}").status == 403);
  CHECK(Call("POST", "/v1/notices", clerk, R"({"case_id":"c"})").status == 403);
  CHECK(Call("POST", "/v1/notices/n1:decide", clerk, "{}").status == 403);
  CHECK(Call("POST", "/v1/cases/x:accept", insp, "{}").status == 403);
  CHECK(Call("POST", "/v1/cases", insp, "{}").status == 403);
  CHECK(Call("GET", "/v1/cases?department_id=tax", clerk).status == 403);
}

TEST_CASE_METHOD(GatewayFixture,
                 "a case from application to an inspector's notice, through the "
                 "gateway only") {
  std::string clerk = Login("clerk-1", "clerk-password");
  std::string approver = Login("appr-1", "approver-password");
  std::string insp = Login("insp", "inspector-password");
  std::string tax = Login("tax-1", "taxclerk-password");
  std::string admin = Login("admin", "admin-password");

  // Online application: the applicant gets the case number and query code.
  HttpResponse r = Call("POST", "/v1/public/applications", "", SubmitBody("web-1"));
  REQUIRE(r.status == 200);
  intake::v1::SubmitCaseResponse submitted;
  REQUIRE(pb::util::JsonStringToMessage(r.body, &submitted).ok());
  const std::string case_id = submitted.case_().case_id();
  const std::string number = submitted.case_().case_number();
  const std::string code = submitted.case_().query_code();
  CHECK(submitted.case_().channel() == intake::v1::CHANNEL_ONLINE);
  CHECK(submitted.case_().submitted_by().role() == "applicant");

  // Progress with the right code; a wrong code looks like no case, and makes the next try
  // from that network wait; the applicant elsewhere is not locked out.
  auto progress = [&](const std::string& query_code) {
    return absl::StrCat(R"({"case_number":")", number, R"(","query_code":")", query_code, R"("})");
  };
  r = Call("POST", "/v1/public/progress", "", progress(code));
  CHECK(r.status == 200);
  r = Call("POST", "/v1/public/progress", "", progress("0000000000"), "10.0.0.9");
  CHECK(r.status == 404);
  r = Call("POST", "/v1/public/progress", "", progress("0000000001"), "10.0.0.9");
  CHECK(r.status == 429);
  r = Call("POST", "/v1/public/progress", "", progress(code), "10.0.0.10");  // same network
  CHECK(r.status == 429);
  r = Call("POST", "/v1/public/progress", "", progress(code), "10.0.1.10");
  CHECK(r.status == 200);

  // The owning department's window clerk sees the applicant in full (audited); an approver
  // masked; another department's clerk gets the same 404 as for no case at all.
  r = Call("GET", "/v1/cases/" + case_id, clerk);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("110101199003071234") != std::string::npos);
  r = Call("GET", "/v1/cases/" + case_id, approver);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("110101199003071234") == std::string::npos);
  CHECK(r.body.find("110101********1234") != std::string::npos);
  CHECK(r.body.find(code) == std::string::npos);
  HttpResponse other = Call("GET", "/v1/cases/" + case_id, tax);
  HttpResponse none = Call("GET", "/v1/cases/c-999999999999", tax);
  CHECK(other.status == 404);
  CHECK(other.body == none.body);
  CHECK(Call("POST", "/v1/cases/" + case_id + ":accept", tax, "{}").status == 404);
  CHECK(Call("GET", "/v1/cases?department_id=market", clerk).status == 200);

  // Accept, route, approve.
  r = Call("POST", "/v1/cases/" + case_id + ":accept", clerk, R"({"window_id":"W1"})");
  REQUIRE(r.status == 200);
  Pump();
  r = Call("GET", "/v1/cases/" + case_id + "/process", approver);
  REQUIRE(r.status == 200);
  workflow::v1::GetProcessResponse process;
  REQUIRE(pb::util::JsonStringToMessage(r.body, &process).ok());
  REQUIRE(process.process().steps_size() == 1);
  std::string step = process.process().steps(0).step_id();
  r = Call("POST", "/v1/cases/" + case_id + "/steps:claim", approver,
           absl::StrCat(R"({"step_id":")", step, R"("})"));
  CHECK(r.status == 200);
  r = Call("GET", "/v1/work-queue", approver);
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(r.body.find(step) != std::string::npos);
  // A step id of another case is refused on this one.
  r = Call("POST", "/v1/cases/" + case_id + "/steps:claim", approver,
           R"({"step_id":"c-000000000777/1"})");
  INFO(r.body);
  CHECK(r.status == 404);

  // Time passes: the case goes red; the inspector sees it, and issues a notice.
  clock.Advance(absl::Hours(24 * 30));
  REQUIRE(sv->FireDue().ok());
  insp = Login("insp", "inspector-password");  // the earlier tokens have expired
  clerk = Login("clerk-1", "clerk-password");
  tax = Login("tax-1", "taxclerk-password");
  admin = Login("admin", "admin-password");
  r = Call("GET", "/v1/board", insp);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("\"red\":\"1\"") != std::string::npos);
  r = Call("GET", "/v1/clocks?light=LIGHT_RED", insp);
  REQUIRE(r.status == 200);
  CHECK(r.body.find(case_id) != std::string::npos);
  CHECK(Call("GET", "/v1/cases/" + case_id + "/clocks", insp).status == 200);
  CHECK(Call("GET", "/v1/alerts", insp).status == 200);
  CHECK(Call("GET", "/v1/alerts", clerk).status == 403);
  CHECK(Call("GET", "/v1/alerts?case_id=" + case_id, clerk).status == 200);
  r = Call(
      "POST", "/v1/notices", insp,
      absl::StrCat(
          R"({"case_id":")", case_id,
          R"(","reason":"overdue","response_limit":{"amount":2,"unit":"LIMIT_UNIT_WORKING_DAYS"}})"));
  REQUIRE(r.status == 200);
  supervision::v1::NoticeResponse notice;
  REQUIRE(pb::util::JsonStringToMessage(r.body, &notice).ok());
  std::string id = notice.notice().notice_id();
  CHECK(Call("GET", "/v1/notices/" + id, tax).status == 404);
  CHECK(Call("POST", "/v1/notices/" + id + ":respond", tax, R"({"response":"x"})").status == 404);
  CHECK(Call("POST", "/v1/notices/" + id + ":respond", clerk,
             R"({"response":"the approver was ill; done today"})")
            .status == 200);
  CHECK(Call("POST", "/v1/notices/" + id + ":decide", insp,
             R"({"decision":"NOTICE_STATE_ACCEPTED","text":"accepted"})")
            .status == 200);

  // Everything above is in the audit log, which verifies; logout ends the token.
  const std::string auditor = Login("auditor", "reader-of-the-log");
  r = Call("GET", "/v1/audit:verify", auditor);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("\"intact\":true") != std::string::npos);
  r = Call("GET", "/v1/audit?page_size=1000", auditor);
  CHECK(r.body.find("read_personal_data") != std::string::npos);
  CHECK(r.body.find("POST /v1/cases/{case_id}:accept") != std::string::npos);
  CHECK(Call("POST", "/v1/logout", clerk, "{}").status == 200);
  CHECK(Call("GET", "/v1/me", clerk).status == 401);
}

TEST_CASE_METHOD(GatewayFixture,
                 "the backends enforce the principal themselves (defence in depth)") {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host->port()),
                                     grpc::InsecureChannelCredentials());
  auto intake_stub = intake::v1::Intake::NewStub(channel);
  auto streams = events::v1::EventStream::NewStub(channel);
  auto principal_of = [](const common::v1::Actor& actor) {
    auth::v1::Principal principal;
    principal.set_user_id(actor.id());
    principal.set_role(actor.role());
    principal.set_department_id(actor.department_id());
    return principal;
  };
  // A token for calling `request`'s method of intake, as the gateway signs it.
  auto token_for = [&](const common::v1::Actor& actor, const pb::Message& request,
                       absl::Duration ttl = absl::Seconds(30)) {
    return signer->Sign(principal_of(actor), "intake", request.GetDescriptor()->full_name(),
                        absl::Now(), ttl);
  };
  auto call = [&](const std::string& token, auto method, const auto& request, auto* response) {
    grpc::ClientContext context;
    if (!token.empty()) auth::AttachPrincipal(&context, token);
    return ((*intake_stub).*method)(&context, request, response).error_code();
  };
  const common::v1::Actor clerk = intake::Clerk();
  common::v1::Actor tax_clerk = clerk;
  tax_clerk.set_id("tax-1");
  tax_clerk.set_department_id("tax");
  common::v1::Actor inspector;
  inspector.set_id("insp");
  inspector.set_role("inspector");

  intake::v1::SubmitCaseResponse submitted;
  auto submit = SubmitRequest("k1");
  REQUIRE(call(token_for(clerk, submit), &intake::v1::Intake::Stub::SubmitCase, submit,
               &submitted) == grpc::StatusCode::OK);
  intake::v1::GetCaseRequest get;
  get.set_case_id(submitted.case_().case_id());
  intake::v1::GetCaseResponse got;
  CHECK(call("", &intake::v1::Intake::Stub::GetCase, get, &got) ==
        grpc::StatusCode::UNAUTHENTICATED);
  // Signed with a key intake does not trust, though it says "gateway".
  auth::PrincipalSigner impostor(auth::kGatewayIssuer, auth::SigningKey::Generate());
  CHECK(call(impostor.Sign(principal_of(inspector), "intake", "sunlight.intake.v1.GetCaseRequest",
                           absl::Now()),
             &intake::v1::Intake::Stub::GetCase, get, &got) == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(call(token_for(inspector, get, -absl::Seconds(1)), &intake::v1::Intake::Stub::GetCase, get,
             &got) == grpc::StatusCode::UNAUTHENTICATED);
  // Finding 2 of the security review: a principal was good for any service and any method,
  // as often as it was sent, and any service could sign for a person.
  const std::string good = token_for(inspector, get);
  CHECK(call(good, &intake::v1::Intake::Stub::GetCase, get, &got) == grpc::StatusCode::OK);
  CHECK(call(good, &intake::v1::Intake::Stub::GetCase, get, &got) ==
        grpc::StatusCode::UNAUTHENTICATED);  // replayed
  CHECK(call(signer->Sign(principal_of(inspector), "workflow", "sunlight.intake.v1.GetCaseRequest",
                          absl::Now()),
             &intake::v1::Intake::Stub::GetCase, get,
             &got) == grpc::StatusCode::UNAUTHENTICATED);  // for workflow, not intake
  intake::v1::ListCasesRequest list_all;
  CHECK(call(token_for(inspector, list_all), &intake::v1::Intake::Stub::GetCase, get, &got) ==
        grpc::StatusCode::UNAUTHENTICATED);  // for ListCases, not GetCase
  auto supervision_key = auth::SigningKey::Generate();
  verifier_for_test->Trust("supervision",
                           auth::VerifyingKey::FromPem(supervision_key->PublicKeyPem()).value());
  auth::PrincipalSigner supervision_signer("supervision", supervision_key);
  CHECK(call(supervision_signer.Sign(principal_of(inspector), "intake",
                                     "sunlight.intake.v1.GetCaseRequest", absl::Now()),
             &intake::v1::Intake::Stub::GetCase, get,
             &got) == grpc::StatusCode::PERMISSION_DENIED);  // a service acting for a person

  intake::v1::AcceptCaseRequest accept;
  accept.set_case_id(submitted.case_().case_id());
  accept.set_window_id("W1");
  intake::v1::CaseResponse accepted;
  // An inspector may not accept; a clerk may not act in another's name; another
  // department's clerk is told the case does not exist.
  *accept.mutable_actor() = inspector;
  CHECK(call(token_for(inspector, accept), &intake::v1::Intake::Stub::AcceptCase, accept,
             &accepted) == grpc::StatusCode::PERMISSION_DENIED);
  *accept.mutable_actor() = clerk;
  CHECK(call(token_for(tax_clerk, accept), &intake::v1::Intake::Stub::AcceptCase, accept,
             &accepted) == grpc::StatusCode::PERMISSION_DENIED);
  *accept.mutable_actor() = tax_clerk;
  CHECK(call(token_for(tax_clerk, accept), &intake::v1::Intake::Stub::AcceptCase, accept,
             &accepted) == grpc::StatusCode::NOT_FOUND);
  intake::v1::ListCasesRequest list;
  list.set_department_id("market");
  intake::v1::ListCasesResponse listed;
  CHECK(call(token_for(tax_clerk, list), &intake::v1::Intake::Stub::ListCases, list, &listed) ==
        grpc::StatusCode::PERMISSION_DENIED);
  *accept.mutable_actor() = clerk;
  CHECK(call(token_for(clerk, accept), &intake::v1::Intake::Stub::AcceptCase, accept, &accepted) ==
        grpc::StatusCode::OK);

  // Event streams are for the services that consume them (and administrators), not staff.
  events::v1::GetStreamInfoRequest info_request;
  events::v1::StreamInfo info;
  auto stream_call = [&](const std::string& token) {
    grpc::ClientContext context;
    auth::AttachPrincipal(&context, token);
    return streams->GetStreamInfo(&context, info_request, &info).error_code();
  };
  CHECK(stream_call(signer->Sign(principal_of(clerk), "intake",
                                 "sunlight.events.v1.GetStreamInfoRequest", absl::Now())) ==
        grpc::StatusCode::PERMISSION_DENIED);
  // A service this stream does not list (only the gateway reads it here).
  CHECK(stream_call(supervision_signer.Sign(auth::ServicePrincipal("supervision"), "intake",
                                            "sunlight.events.v1.GetStreamInfoRequest",
                                            absl::Now())) == grpc::StatusCode::PERMISSION_DENIED);
  // A service may not sign for another.
  CHECK(stream_call(supervision_signer.Sign(auth::ServicePrincipal("gateway"), "intake",
                                            "sunlight.events.v1.GetStreamInfoRequest",
                                            absl::Now())) == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(stream_call(signer->Sign(auth::ServicePrincipal("gateway"), "intake",
                                 "sunlight.events.v1.GetStreamInfoRequest", absl::Now())) ==
        grpc::StatusCode::OK);
  CHECK(info.last_sequence() > 0);
}

// Turns a route pattern of the OpenAPI document into a regular expression for paths.
std::regex PatternRegex(const std::string& pattern) {
  std::string out;
  bool in_brace = false;
  for (char c : pattern) {
    if (c == '{') {
      in_brace = true;
      out += "[^/:]+";
    } else if (c == '}') {
      in_brace = false;
    } else if (!in_brace) {
      if (std::string(".[]()*+?^$|\\").find(c) != std::string::npos) out += '\\';
      out += c;
    }
  }
  return std::regex(out);
}

TEST_CASE_METHOD(GatewayFixture, "every route has a happy path") {
  std::set<std::string> succeeded;  // "METHOD /path" of 2xx answers
  auto ok = [&](const std::string& method, const std::string& target, const std::string& token,
                const std::string& body = "") {
    HttpResponse r = Call(method, target, token, body);
    INFO(method << " " << target << " -> " << r.status << " " << r.body);
    CHECK(r.status / 100 == 2);
    succeeded.insert(method + " " + target.substr(0, target.find('?')));
    return r.body;
  };
  auto json_of = [](const pb::Message& m) {
    std::string out;
    pb::util::JsonPrintOptions o;
    o.preserve_proto_field_names = true;
    REQUIRE(pb::util::MessageToJsonString(m, &out, o).ok());
    return out;
  };
  auto field = [](const std::string& body, const std::string& path) {
    pb::Struct s = Json(body);
    const pb::Value* v = nullptr;
    const pb::Struct* at = &s;
    for (absl::string_view part : absl::StrSplit(path, '.')) {
      v = &at->fields().at(std::string(part));
      if (v->has_struct_value()) at = &v->struct_value();
    }
    return v->string_value();
  };

  // Public: the guide, an application, its progress, supplements handed in.
  ok("GET", "/v1/public/items", "");
  ok("GET", "/v1/public/items/GT-001", "");
  std::string applied = ok("POST", "/v1/public/applications", "", SubmitBody("happy-web"));
  const std::string online = field(applied, "case.case_id");
  const std::string number = field(applied, "case.case_number");
  const std::string code = field(applied, "case.query_code");
  ok("POST", "/v1/public/progress", "",
     absl::StrCat(R"({"case_number":")", number, R"(","query_code":")", code, R"("})"));

  std::string admin = Login("admin", "admin-password");
  std::string insp = Login("insp", "inspector-password");
  std::string clerk = Login("clerk-1", "clerk-password");
  std::string approver = Login("appr-1", "approver-password");
  succeeded.insert("POST /v1/login");
  CHECK(ok("GET", "/v1/me", clerk).find("Wang Fang") != std::string::npos);

  // The security administrator: users and their lifecycle; the user's first-login change.
  std::string secadm = Login("secadm", "keeper-of-accounts");
  ok("POST", "/v1/users", secadm,
     R"({"user":{"user_id":"handler-2","role":"handler","department_id":"market"},)"
     R"("password":"handler-password"})");
  ok("GET", "/v1/users", secadm);
  std::string handler = Login("handler-2", "handler-password");
  ok("POST", "/v1/me:change-password", handler,
     R"({"old_password":"handler-password","new_password":"a handler's own words"})");
  ok("POST", "/v1/users/handler-2:change-role", secadm,
     R"({"role":"approver","department_id":"market"})");
  ok("POST", "/v1/users/handler-2:reset-password", secadm,
     R"({"new_password":"given by the desk 42"})");
  ok("POST", "/v1/users/handler-2:end-sessions", secadm);
  ok("POST", "/v1/users/handler-2:disable", secadm);
  ok("POST", "/v1/users/handler-2:enable", secadm);
  // The system administrator: departments, windows, items, rule set, calendar.
  ok("POST", "/v1/departments", admin, R"({"department":{"department_id":"tax","name":"Tax"}})");
  ok("GET", "/v1/departments", clerk);
  ok("POST", "/v1/windows", admin,
     R"({"window":{"window_id":"W9","department_id":"tax","name":"Window 9"}})");
  ok("GET", "/v1/windows", clerk);
  ok("POST", "/v1/items", admin,
     absl::StrCat(R"({"definition":)", json_of(intake::BusinessLicence()), "}"));
  ok("GET", "/v1/items", clerk);
  ok("GET", "/v1/items/GT-001", clerk);
  ok("POST", "/v1/deadlines:compute", clerk,
     R"({"accepted_at":"2026-02-13T07:00:00Z","limit":{"amount":5,)"
     R"("unit":"LIMIT_UNIT_WORKING_DAYS"}})");
  std::string rules = ok("GET", "/v1/rule-set", insp);
  ok("PUT", "/v1/rule-set", admin, absl::StrCat(R"({"rules":)", rules, "}"));
  // How market's head is reached when its lights change (notify).
  ok("PUT", "/v1/contacts/lead-1", admin,
     R"({"contact":{"name":"Zhao Lei","department_id":"market","head":true,)"
     R"("phone":"13900002222"}})");

  // Window work: supplements asked for and handed in (by the applicant, then at the window),
  // acceptance, a refusal, a withdrawal, a window submission.
  const std::string missing =
      R"({"missing_materials":[{"name":"premises","reason":"not attached"}]})";
  ok("POST", "/v1/cases/" + online + ":request-supplement", clerk, missing);
  ok("POST", "/v1/public/supplements", "",
     absl::StrCat(R"({"case_number":")", number, R"(","query_code":")", code,
                  R"(","materials":[{"code":"premises","name":"lease"}]})"));
  ok("POST", "/v1/cases/" + online + ":request-supplement", clerk, missing);
  ok("POST", "/v1/cases/" + online + ":receive-supplement", clerk,
     R"({"materials":[{"code":"premises","name":"lease"}]})");
  ok("POST", "/v1/cases/" + online + ":accept", clerk, R"({"window_id":"W1"})");
  const std::string second_body = ok("POST", "/v1/cases", clerk, SubmitBody("happy-2"));
  const std::string second = field(second_body, "case.case_id");
  const std::string second_number = field(second_body, "case.case_number");
  ok("POST", "/v1/cases/" + second + ":refuse", clerk, R"({"reason":"not ours"})");
  std::string third = field(ok("POST", "/v1/cases", clerk, SubmitBody("happy-3")), "case.case_id");
  ok("POST", "/v1/cases/" + third + ":withdraw", clerk,
     R"({"reason":"changed mind","applicant_request":"doc:withdrawal-1"})");
  ok("GET", "/v1/cases?department_id=market", clerk);
  ok("GET", "/v1/cases/" + online, clerk);
  CHECK(field(ok("GET", "/v1/case-numbers/" + number, insp), "case.case_id") == online);

  // Department work on the accepted case.
  Pump();
  ok("GET", "/v1/cases/" + online + "/process", approver);
  // Open clocks, filtered by item and by when they started.
  CHECK(ok("GET", "/v1/clocks?light=LIGHT_GREEN&item_code=GT-001", insp).find(online) !=
        std::string::npos);
  CHECK(ok("GET", "/v1/clocks?light=LIGHT_GREEN&item_code=GT-002", insp).find(online) ==
        std::string::npos);
  CHECK(ok("GET", "/v1/clocks?light=LIGHT_GREEN&started_to=2026-01-01T00:00:00Z", insp)
            .find(online) == std::string::npos);
  CHECK(ok("GET", "/v1/clocks?light=LIGHT_GREEN&started_from=2026-01-01T00:00:00Z", insp)
            .find(online) != std::string::npos);
  const std::string step = online + "/1";
  ok("GET", "/v1/work-queue", approver);
  ok("POST", "/v1/cases/" + online + "/steps:claim", approver,
     absl::StrCat(R"({"step_id":")", step, R"("})"));
  ok("POST", "/v1/cases/" + online + "/steps:transfer", approver,
     absl::StrCat(R"({"step_id":")", step, R"(","to_assignee":"appr-1","reason":"mine"})"));
  std::string started = ok("POST", "/v1/cases/" + online + "/special-procedures", approver,
                           R"({"type":"PROCEDURE_TYPE_HEARING","reason":"hearing",)"
                           R"("limit":{"amount":3,"unit":"LIMIT_UNIT_WORKING_DAYS"}})");
  pb::Struct process = Json(started);
  const auto& procedures =
      process.fields().at("process").struct_value().fields().at("procedures").list_value();
  const std::string procedure =
      procedures.values(0).struct_value().fields().at("procedure_id").string_value();
  ok("POST", "/v1/cases/" + online + "/special-procedures:end", approver,
     absl::StrCat(R"({"procedure_id":")", procedure, R"(","outcome":"heard"})"));
  ok("POST", "/v1/cases/" + online + ":extend", approver,
     R"({"working_days":2,"reason":"complex"})");
  ok("POST", "/v1/cases/" + online + "/steps:complete", approver,
     absl::StrCat(R"({"step_id":")", step, R"(","opinion":"OPINION_PASS"})"));

  // Supervision: the board, clocks, alerts, a notice answered and decided.
  Pump();
  ok("GET", "/v1/board", insp);
  ok("GET", "/v1/clocks?light=LIGHT_GREEN", insp);
  {
    // The console's live stream: the board at once, then each alert as it is raised.
    HttpResponse events = Call("GET", "/v1/events:stream", insp);
    REQUIRE(events.status == 200);
    REQUIRE(events.stream);
    succeeded.insert("GET /v1/events:stream");
    std::string chunk;
    REQUIRE(events.stream(&chunk));
    CHECK(absl::StartsWith(chunk, "event: board\ndata: {\"departments\":"));
    auto supervision_events = testing::EventsAfter(sv->event_log(), 0);
    REQUIRE(live->Apply(supervision_events).ok());
    chunk.clear();
    REQUIRE(events.stream(&chunk));
    CHECK(chunk.find("event: board") != std::string::npos);
  }
  ok("GET", "/v1/cases/" + online + "/clocks", insp);
  ok("GET", "/v1/alerts", insp);
  std::string notice = field(ok("POST", "/v1/notices", insp,
                                absl::StrCat(R"({"case_id":")", online,
                                             R"(","reason":"check","response_limit":)"
                                             R"({"amount":2,"unit":"LIMIT_UNIT_WORKING_DAYS"}})")),
                             "notice.notice_id");
  ok("GET", "/v1/notices/" + notice, clerk);
  ok("POST", "/v1/notices/" + notice + ":respond", clerk, R"({"response":"done"})");
  ok("POST", "/v1/notices/" + notice + ":decide", insp,
     R"({"decision":"NOTICE_STATE_ACCEPTED","text":"fine"})");

  // A new calendar version (the same days): every open clock is re-planned.
  std::ifstream calendar_in(SUNLIGHT_CALENDAR_FILE);
  std::string calendar_text((std::istreambuf_iterator<char>(calendar_in)),
                            std::istreambuf_iterator<char>());
  calendar::v1::HolidayCalendarFile file;
  REQUIRE(pb::util::JsonStringToMessage(calendar_text, &file).ok());
  file.set_version("happy-2");
  ok("PUT", "/v1/calendar", admin, absl::StrCat(R"({"calendar":)", json_of(file), "}"));

  // Items a platform pushed (staged here as the exchange stages them), approved or rejected.
  for (int i = 0; i < 2; ++i) {
    intake::v1::GetItemRequest get;
    get.set_item_code("GT-001");
    exchange::v1::StagedPush push;
    push.set_platform_id("zj-province");
    push.set_item_code("GT-001");
    *push.mutable_definition() = intake::BusinessLicence();
    push.set_base_version(intake->GetItem(get).value().version());
    std::string id = gateway->pushes().Stage(push).value().push_id();
    ok("GET", "/v1/exchange/pushes", admin);
    ok("POST", "/v1/exchange/pushes/" + id + (i == 0 ? ":approve" : ":reject"), admin,
       i == 0 ? "{}" : R"({"reason":"not now"})");
  }

  // Scoring: a case of market turns red in February; in March February is published, the
  // public reads it, market appeals the red deduction, an inspector upholds the appeal and
  // the administrator approves the version it drafted.
  {
    const std::string red = AcceptNew("happy-red");
    Pump();
    for (absl::Time at : {intake::At(2026, 2, 27, 0), intake::At(2026, 2, 28, 0)}) {
      clock.Set(at);
      REQUIRE(sv->FireDue().ok());
    }
    clock.Set(intake::At(2026, 3, 5, 10));
    FeedScoring();
    // Sessions last 30 minutes of the gateway's clock.
    admin = Login("admin", "admin-password");
    insp = Login("insp", "inspector-password");
    clerk = Login("clerk-1", "clerk-password");
    ok("GET",
       "/v1/statistics?dimension=DIMENSION_DEPARTMENT&period=PERIOD_MONTH&from_day=2026-02-01&"
       "to_day=2026-02-28&values=market,tax",
       clerk);
    ok("GET", "/v1/scores/2026-02?kind=SUBJECT_KIND_DEPARTMENT", clerk);
    ok("POST", "/v1/scores/2026-02:publish", admin, "{}");
    ok("GET", "/v1/public/scores/2026-02", "");
    ok("POST", "/v1/appeals", clerk,
       absl::StrCat(R"({"month":"2026-02","kind":"SUBJECT_KIND_DEPARTMENT","subject_id":"market",)",
                    R"("clause":"2.2 红灯 red light","case_id":")", red,
                    R"(","reasons":"the applicant's materials arrived late"})"));
    ok("GET", "/v1/appeals?month=2026-02", clerk);
    ok("POST", "/v1/appeals/a1:decide", insp, R"({"uphold":true,"decision":"upheld"})");
    ok("GET", "/v1/scores/2026-02/versions", insp);
    ok("GET", "/v1/scores/2026-02/diff?from_version=1&to_version=2", insp);
    ok("POST", "/v1/scores/2026-02/versions/2:decide", admin, R"({"approve":true})");
    ok("POST", "/v1/scores/2026-02:recompute", admin, R"({"reason":"checked"})");
    ok("GET", "/v1/scoring/rule-sets", insp);
    ok("GET",
       "/v1/statistics:export?dimension=DIMENSION_CENTER&period=PERIOD_YEAR&from_day=2026-01-01&"
       "to_day=2026-12-31",
       insp);
    ok("GET", "/v1/scores/2026-02:export?format=xlsx", insp);
    scoring::v1::RuleSet rules = scoring->ListRuleSets({}).value().rule_sets(0);
    rules.set_jurisdiction("center");
    rules.set_version("happy");
    rules.set_effective_from("2026-04");
    rules.set_base_centipoints(9000);
    rules.clear_content_hash();
    ok("POST", "/v1/scoring/rule-sets", admin,
       absl::StrCat(R"({"rule_set":)", json_of(rules), "}"));
  }

  // Notifications: market's lights told to its head by text message; with no channel
  // configured each is a dead letter, which the administrator resends.
  {
    FeedNotify();
    ok("GET", "/v1/contacts?department_id=market", insp);
    notify::v1::ListNotificationsResponse dead;
    REQUIRE(
        pb::util::JsonStringToMessage(ok("GET", "/v1/notifications?state=STATE_DEAD", insp), &dead)
            .ok());
    REQUIRE(dead.notifications_size() > 0);
    const std::string key = dead.notifications(0).key();
    ok("GET", "/v1/notifications/" + key, insp);
    ok("POST", "/v1/notifications/" + key + ":resend", admin);
    ok("POST", "/v1/messages", insp,
       R"({"request_id":"happy-1","department_id":"market","text":"请及时处理亮灯办件。"})");
  }

  // The public's voice, in March: the online case (completed in February) rated 非常不满意
  // with a real name, its rectification answered and a review asked and decided; the refused
  // case rated at the window's device; a complaint online, followed, accepted, answered and
  // concluded; a phone complaint; the month's published complaint counts.
  {
    ok("POST", "/v1/public/evaluations", "",
       absl::StrCat(R"({"case_number":")", number, R"(","query_code":")", code,
                    R"(","level":"VERY_DISSATISFIED","comment":"slow","real_name":true})"));
    ok("GET", "/v1/evaluations?month=2026-03", clerk);
    ok("GET", "/v1/evaluations/" + online, clerk);
    ok("POST", "/v1/evaluations/" + online + ":answer-rectification", clerk,
       R"({"return_visit":"called","measures_taken":"a second window at peak hours"})");
    ok("POST", "/v1/evaluations/" + online + ":request-review", clerk,
       R"({"reasons":"the applicant rated the wrong case"})");
    ok("POST", "/v1/evaluations/" + online + ":decide-review", insp,
       R"({"uphold":false,"decision":"the rating stands"})");
    const std::string rater = Login("rater-w1", "rating-device-password");
    ok("POST", "/v1/device/evaluations", rater,
       absl::StrCat(R"({"case_number":")", second_number, R"(","level":"SATISFIED"})"));
    std::string filed =
        ok("POST", "/v1/public/complaints", "",
           absl::StrCat(R"({"case_number":")", number, R"(","query_code":")", code,
                        R"(","category":"COMPLAINT_CATEGORY_DELAY","description":"late",)"
                        R"("complainant_name":"李四","complainant_phone":"13812345678"})"));
    const std::string complaint = field(filed, "complaint.complaint_id");
    ok("POST", "/v1/public/complaints:query", "",
       absl::StrCat(R"({"complaint_number":")", field(filed, "complaint.complaint_number"),
                    R"(","query_code":")", field(filed, "query_code"), R"("})"));
    ok("GET", "/v1/complaints?month=2026-03", clerk);
    ok("GET", "/v1/complaints/" + complaint, clerk);
    ok("POST", "/v1/complaints/" + complaint + ":decide-acceptance", insp,
       R"({"accept":true,"reasons":"a named case"})");
    ok("POST", "/v1/complaints/" + complaint + ":respond", clerk, R"({"response":"we were late"})");
    ok("POST", "/v1/complaints/" + complaint + ":conclude", insp,
       R"({"outcome":"COMPLAINT_OUTCOME_VALID","reasons":"late indeed"})");
    ok("POST", "/v1/complaints", insp,
       R"({"department_id":"market","category":"COMPLAINT_CATEGORY_ATTITUDE",)"
       R"("description":"by phone","complainant_name":"王五","complainant_phone":"13900001111"})");
    ok("GET", "/v1/public/complaint-counts/2026-02", "");
  }
  // Attendance in March: clerk-1's post and hours, the hall's device punches, a missed punch
  // asked and approved by market's leader, the sheets.
  {
    ok("PUT", "/v1/staff-assignments/clerk-1", admin,
       R"({"assignment":{"name":"Wang Fang","department_id":"market","window_id":"W1",)"
       R"("hours":[{"start":"09:00","end":"12:00"},{"start":"13:30","end":"17:30"}],)"
       R"("effective_from":"2026-03-01"}})");
    ok("GET", "/v1/staff-assignments", clerk);
    ok("POST", "/v1/device/punches", Login("clock-1", "attendance-device-password"),
       R"({"device_time":"2026-03-05T02:00:00Z","punches":[{"device_sequence":"1",)"
       R"("person_id":"clerk-1","at":"2026-03-05T00:58:00Z","kind":"PUNCH_KIND_IN"}]})");
    std::string asked = ok("POST", "/v1/attendance-corrections", clerk,
                           R"({"at":"2026-03-04T09:31:00Z","kind":"PUNCH_KIND_OUT",)"
                           R"("reasons":"left by the side door"})");
    const std::string leader = Login("lead-1", "leader-password");
    ok("GET", "/v1/attendance-corrections?pending=true", leader);
    ok("POST", "/v1/attendance-corrections/" + field(asked, "correction_id") + ":decide", leader,
       R"({"approve":true,"decision":"seen"})");
    ok("GET", "/v1/attendance/2026-03", clerk);
    ok("GET", "/v1/attendance/2026-03/clerk-1", clerk);
  }

  // Video (the fixture's fake service and its camera hall-w07): the camera changed, its
  // coverage, segments and gaps, clips by range and by hold, a hold for the online case made
  // and released, the pending conduct event's snapshot and its confirmation, the storage.
  {
    const std::string range = "from=2026-03-05T01:00:00Z&to=2026-03-05T01:05:00Z";
    ok("GET", "/v1/video/cameras", insp);
    ok("GET", "/v1/video/cameras/hall-w07", insp);
    ok("PUT", "/v1/video/cameras/hall-w07", admin,
       R"({"camera":{"name":"7 号窗口","rtsp_url":"rtsp://10.1.0.7/stream1","window_id":"W1",)"
       R"("enabled":true},"username":"viewer","password":"camera-password"})");
    ok("GET", "/v1/video/cameras/hall-w07/coverage?day=2026-03-05", insp);
    ok("GET", "/v1/video/cameras/hall-w07/segments?" + range, insp);
    ok("GET", "/v1/video/cameras/hall-w07/gaps?" + range, insp);
    ok("GET", "/v1/video/cameras/hall-w07/clip.mp4?" + range, insp);
    ok("GET", "/v1/video/holds/h-000000000001/clip.mp4", insp);
    const std::string hold =
        field(ok("POST", "/v1/video/holds", insp,
                 absl::StrCat(R"({"camera_id":"hall-w07","start":"2026-03-05T01:00:00Z",)",
                              R"("end":"2026-03-05T01:05:00Z","reason":"投诉调查","case_id":")",
                              online, R"("})")),
              "hold_id");
    ok("GET", "/v1/video/holds?case_id=" + online, insp);
    ok("POST", "/v1/video/holds/" + hold + ":release", admin, R"({"reason":"调查结束"})");
    ok("GET", "/v1/video/conduct-events?decision=CONDUCT_DECISION_PENDING", insp);
    ok("GET", "/v1/video/conduct-events/ce-000000000001", insp);
    ok("GET", "/v1/video/conduct-events/ce-000000000001/snapshot.jpg", insp);
    ok("POST", "/v1/video/conduct-events/ce-000000000001:decide", insp,
       R"({"decision":"CONDUCT_DECISION_CONFIRMED","reason":"窗口无人 20 分钟"})");
    ok("GET", "/v1/video/storage", insp);
  }

  // The audit log (the audit administrator's), and logging out.
  std::string auditor = Login("auditor", "reader-of-the-log");
  ok("GET", "/v1/audit", auditor);
  ok("GET", "/v1/audit:verify", auditor);
  ok("POST", "/v1/logout", clerk);

  // Every route of the document answered 2xx at least once.
  pb::Struct doc = Json(gateway->OpenApiJson());
  for (const auto& [pattern, item] : doc.fields().at("paths").struct_value().fields()) {
    std::regex re = PatternRegex(pattern);
    for (const auto& [method, op] : item.struct_value().fields()) {
      std::string verb = absl::AsciiStrToUpper(method);
      bool hit = false;
      for (const auto& done : succeeded) {
        if (absl::StartsWith(done, verb + " ") &&
            std::regex_match(done.substr(verb.size() + 1), re)) {
          hit = true;
        }
      }
      INFO(verb << " " << pattern);
      CHECK(hit);
    }
  }
}

TEST_CASE_METHOD(GatewayFixture,
                 "the live stream sends alerts as they are raised, a clerk's only of their "
                 "department, and ends with the session") {
  std::string clerk = Login("clerk-1", "clerk-password");
  HttpResponse events = Call("GET", "/v1/events:stream", clerk);
  REQUIRE(events.status == 200);
  CHECK(events.content_type.rfind("text/event-stream", 0) == 0);
  std::string chunk;
  REQUIRE(events.stream(&chunk));  // the board, on connecting
  auto raised = [](uint64_t sequence, const std::string& id, const std::string& department) {
    supervision::v1::AlertRaised payload;
    payload.mutable_alert()->set_alert_id(id);
    payload.mutable_alert()->set_department_id(department);
    payload.mutable_alert()->set_light(supervision::v1::LIGHT_RED);
    events::v1::CaseEvent event;
    event.set_sequence(sequence);
    event.set_type("supervision.alert.raised");
    event.mutable_payload()->PackFrom(payload);
    return event;
  };
  REQUIRE(live->Apply({raised(1, "alert-market", "market"), raised(2, "alert-tax", "tax")}).ok());
  chunk.clear();
  REQUIRE(events.stream(&chunk));
  CHECK(chunk.find("event: alert\ndata: {\"alert_id\":\"alert-market\"") != std::string::npos);
  CHECK(chunk.find("alert-tax") == std::string::npos);

  // An inspector connecting now sees only what comes next.
  std::string insp = Login("insp", "inspector-password");
  HttpResponse inspector_events = Call("GET", "/v1/events:stream", insp);
  chunk.clear();
  REQUIRE(inspector_events.stream(&chunk));
  CHECK(chunk.find("alert-market") == std::string::npos);
  REQUIRE(live->Apply({raised(3, "alert-tax-2", "tax")}).ok());
  chunk.clear();
  REQUIRE(inspector_events.stream(&chunk));
  CHECK(chunk.find("alert-tax-2") != std::string::npos);

  // Logging out ends the clerk's stream.
  CHECK(Call("POST", "/v1/logout", clerk).status == 200);
  REQUIRE(live->Apply({raised(4, "alert-market-2", "market")}).ok());
  chunk.clear();
  REQUIRE(events.stream(&chunk));
  CHECK(chunk.rfind("event: end", 0) == 0);
  CHECK_FALSE(events.stream(&chunk));
}

TEST_CASE("the exchange relays four streams in one order, once each, masked, across reopens") {
  testing::ScratchDir dir("exchange");
  auto store = storage::Store::Open({.path = dir.Sub("gateway"),
                                     .column_families = GatewayColumnFamilies(),
                                     .sync_writes = false})
                   .value();
  auto event = [](uint64_t sequence, const std::string& id_number) {
    events::v1::CaseEvent e;
    e.set_sequence(sequence);
    e.set_case_id("c1");
    e.set_case_version(sequence);
    e.set_type("intake.case.submitted");
    intake::v1::CaseSubmitted submitted;
    submitted.mutable_case_()->mutable_applicant()->set_id_number(id_number);
    e.mutable_payload()->PackFrom(submitted);
    return e;
  };
  {
    auto relay = ExchangeRelay::Open(store.get(), {}).value();
    REQUIRE(relay->Relay("intake", {event(1, "110101199003071234"), event(2, "x"), event(3, "x")})
                .ok());
    // A reconnect re-sends 2 and 3: only 4 is new.
    REQUIRE(relay->Relay("intake", {event(2, "x"), event(3, "x"), event(4, "x")}).ok());
    // A gap is refused, and nothing of it is kept.
    CHECK(relay->Relay("workflow", {event(2, "x")}).code() == absl::StatusCode::kDataLoss);
    REQUIRE(relay->Relay("supervision", {event(1, "x")}).ok());
    CHECK(relay->log().last_sequence() == 5);
  }
  // Reopened (a gateway restart): the order and the cursors are where they were.
  auto relay = ExchangeRelay::Open(store.get(), {}).value();
  CHECK(relay->log().last_sequence() == 5);
  CHECK(*relay->Cursor("intake") == 4);
  CHECK(*relay->Cursor("workflow") == 0);
  CHECK(*relay->Cursor("supervision") == 1);
  std::vector<events::v1::CaseEvent> stored;
  REQUIRE(relay->log().Read(1, 100, &stored).ok());
  REQUIRE(stored.size() == 5);
  std::vector<std::string> ids;
  for (const auto& wrapper : stored) {
    exchange::v1::ExchangeRecord record;
    REQUIRE(wrapper.payload().UnpackTo(&record));
    ids.push_back(record.record_id());
    CHECK(record.version() == record.source_sequence());
  }
  CHECK(ids ==
        std::vector<std::string>{"intake/1", "intake/2", "intake/3", "intake/4", "supervision/1"});
  exchange::v1::ExchangeRecord first;
  REQUIRE(stored[0].payload().UnpackTo(&first));
  intake::v1::CaseSubmitted submitted;
  REQUIRE(first.event().payload().UnpackTo(&submitted));
  CHECK(submitted.case_().applicant().id_number() == "110101********1234");

  // Scoring: a published sheet goes without the cases behind its points; a draft not at all
  // (its cursor moves on all the same).
  auto sheet_event = [](uint64_t sequence, const char* type) {
    scoring::v1::SheetChanged changed;
    changed.mutable_sheet()->set_month("2026-02");
    auto* line = changed.mutable_sheet()->add_scores()->add_lines();
    line->set_clause("2.2 red");
    line->add_cases()->set_case_number("SL-20260213-000001");
    events::v1::CaseEvent e;
    e.set_sequence(sequence);
    e.set_type(type);
    e.mutable_payload()->PackFrom(changed);
    return e;
  };
  REQUIRE(relay->Relay("scoring", {sheet_event(1, "scoring.sheet.drafted")}).ok());
  CHECK(*relay->Cursor("scoring") == 1);
  CHECK(relay->log().last_sequence() == 5);
  REQUIRE(relay->Relay("scoring", {sheet_event(2, "scoring.sheet.published")}).ok());
  REQUIRE(relay->log().last_sequence() == 6);
  stored.clear();
  REQUIRE(relay->log().Read(6, 1, &stored).ok());
  exchange::v1::ExchangeRecord sheet_record;
  REQUIRE(stored.at(0).payload().UnpackTo(&sheet_record));
  CHECK(sheet_record.record_id() == "scoring/2");
  scoring::v1::SheetChanged relayed;
  REQUIRE(sheet_record.event().payload().UnpackTo(&relayed));
  CHECK(relayed.sheet().scores(0).lines(0).clause() == "2.2 red");
  CHECK(relayed.sheet().scores(0).lines(0).cases_size() == 0);
}

// Finding 3 of the security review: the token key was in the gateway's store and a token
// was good while its session id existed, whatever the session or the user said.
TEST_CASE_METHOD(
    GatewayFixture,
    "bearer tokens are checked against the session and the user and forged ones fail") {
  const std::string clerk = Login("clerk-1", "clerk-password");
  CHECK(Call("GET", "/v1/me", clerk).status == 200);
  CHECK_FALSE(gateway_store->Get(kGatewayMetaFamily, "token_key").value().has_value());
  // The one session in a copy of the store, as an attacker would read it.
  std::string session_key;
  auth::v1::Principal session;
  REQUIRE(gateway_store
              ->Scan(kSessionsFamily, "", "",
                     [&](std::string_view key, std::string_view value) {
                       session_key = std::string(key);
                       return !session.ParseFromString(std::string(value));
                     })
              .ok());
  REQUIRE(!session.session_id().empty());
  CHECK(session_key != session.session_id());  // stored under a keyed hash of the id
  // Re-sealed with any key but the token key, even as an administrator: refused.
  auto guessed = auth::HmacSigner::FromKey(std::string(32, 'g')).value();
  auth::v1::Principal admin = session;
  admin.set_role("administrator");
  admin.clear_department_id();
  CHECK(Call("GET", "/v1/me", guessed->SignPrincipal(session)).status == 401);
  CHECK(Call("GET", "/v1/me", guessed->SignPrincipal(admin)).status == 401);
  // The stored session is what counts: a session edited to another role ends the token, so
  // does one that has expired as stored (and the purge then removes it).
  auto put_session = [&](const auth::v1::Principal& p) {
    storage::WriteBatch batch;
    batch.Put(kSessionsFamily, session_key, p.SerializeAsString());
    REQUIRE(gateway_store->Write(batch).ok());
  };
  put_session(admin);
  CHECK(Call("GET", "/v1/me", clerk).status == 401);
  auth::v1::Principal expired = session;
  *expired.mutable_expires_at() = ToProto(clock.Now() - absl::Seconds(1));
  put_session(expired);
  CHECK(Call("GET", "/v1/me", clerk).status == 401);
  CHECK(gateway->accounts().PurgeExpiredSessions().value() == 1);
  CHECK_FALSE(gateway_store->Get(kSessionsFamily, session_key).value().has_value());
  // A user who no longer exists loses their session at once.
  const std::string approver = Login("appr-1", "approver-password");
  CHECK(Call("GET", "/v1/me", approver).status == 200);
  storage::WriteBatch remove;
  remove.Delete(kUsersFamily, "appr-1");
  REQUIRE(gateway_store->Write(remove).ok());
  CHECK(Call("GET", "/v1/me", approver).status == 401);
}

// Logins and the account lifecycle: gateway_accounts_test.cc.

TEST_CASE_METHOD(GatewayFixture, "public endpoints are rate limited per client with Retry-After") {
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 40; ++i) {
    HttpResponse r = Call("GET", "/v1/public/items", "", "", "192.0.2.7");
    if (r.status == 429) {
      ++limited;
      for (const auto& [name, value] : r.headers) {
        if (name == "Retry-After") retry_after = value;
      }
    }
  }
  CHECK(limited == 20);
  CHECK(retry_after == "1");
  CHECK(Call("GET", "/v1/public/items", "", "", "192.0.2.8").status == 200);
}

TEST_CASE_METHOD(GatewayFixture, "the audit chain detects an edited or a deleted entry") {
  std::string admin = Login("admin", "admin-password");
  for (int i = 0; i < 4; ++i) {
    CHECK(Call("POST", "/v1/departments", admin,
               absl::StrCat(R"({"department":{"department_id":"d)", i, R"(","name":"D"}})"))
              .status == 200);
  }
  auto verified = gateway->audit().Verify();
  REQUIRE(verified.ok());
  CHECK(verified->intact());
  CHECK(verified->entries() == 9);  // the login, and the intent and outcome of 4 changes

  SECTION("edited") {
    auto bytes = gateway_store->Get(kAuditFamily, storage::EncodeU64(3)).value();
    v1::AuditEntry entry;
    REQUIRE(entry.ParseFromString(*bytes));
    entry.set_user_id("someone-else");
    storage::WriteBatch batch;
    batch.Put(kAuditFamily, storage::EncodeU64(3), entry.SerializeAsString());
    REQUIRE(gateway_store->Write(batch).ok());
    auto result = gateway->audit().Verify();
    REQUIRE(result.ok());
    CHECK_FALSE(result->intact());
    CHECK(result->first_bad_sequence() == 3);
  }
  SECTION("deleted") {
    storage::WriteBatch batch;
    batch.Delete(kAuditFamily, storage::EncodeU64(2));
    REQUIRE(gateway_store->Write(batch).ok());
    auto result = gateway->audit().Verify();
    REQUIRE(result.ok());
    CHECK_FALSE(result->intact());
    CHECK(result->first_bad_sequence() == 2);
  }
  SECTION("the last one deleted") {
    storage::WriteBatch batch;
    batch.Delete(kAuditFamily, storage::EncodeU64(5));
    REQUIRE(gateway_store->Write(batch).ok());
    auto result = gateway->audit().Verify();
    REQUIRE(result.ok());
    CHECK_FALSE(result->intact());
  }
}

// Finding 5 of the security review: the chain was plain SHA-256, its head in the same
// store, and an empty or missing log verified as intact.
TEST_CASE("the audit log cannot be wiped truncated or rewritten unnoticed") {
  testing::ScratchDir dir("audit-checkpoints");
  auto key = auth::HmacSigner::FromKey("audit key of at least thirty-two bytes").value();
  const std::string file = dir.Sub("checkpoints.jsonl");
  auto store = storage::Store::Open({.path = dir.Sub("gateway"),
                                     .column_families = GatewayColumnFamilies(),
                                     .sync_writes = false})
                   .value();
  auto open = [&](const std::string& checkpoint_file = "") {
    return AuditLog::Open(store.get(), key, checkpoint_file).value();
  };
  auto intact = [](const absl::StatusOr<v1::VerifyAuditChainResponse>& r) {
    REQUIRE(r.ok());
    INFO(r->problem());
    return r->intact();
  };
  CHECK_FALSE(intact(open()->Verify()));  // empty
  auto gateway_key = auth::SigningKey::Generate();
  auto log = AuditLog::Open(store.get(), key, file, gateway_key).value();
  for (int i = 0; i < 5; ++i) {
    v1::AuditEntry entry;
    entry.set_user_id("admin");
    entry.set_action(absl::StrCat("POST /v1/departments #", i));
    REQUIRE(log->Append(entry).ok());
  }
  auto checkpoint = log->Checkpoint(absl::FromUnixSeconds(1'800'000'000));
  REQUIRE(checkpoint.ok());
  REQUIRE(checkpoint->has_value());
  CHECK(!log->Checkpoint(absl::FromUnixSeconds(1'800'000'060))->has_value());  // nothing new
  const std::vector<v1::AuditCheckpoint> province = {**checkpoint};  // the province's copy
  // The province checks where it came from with gateway.pub.
  CHECK(auth::VerifyingKey::FromPem(gateway_key->PublicKeyPem())
            .value()
            ->Verify(AuditLog::CheckpointSigned(**checkpoint), (*checkpoint)->signature()));
  auto verified = log->Verify(province);
  CHECK(intact(verified));
  CHECK(verified->checkpoints_checked() == 2);
  log.reset();

  auto entry_at = [&](uint64_t sequence) {
    v1::AuditEntry e;
    REQUIRE(e.ParseFromString(store->Get(kAuditFamily, storage::EncodeU64(sequence))->value()));
    return e;
  };
  auto put = [&](const v1::AuditEntry& e, bool head) {
    storage::WriteBatch batch;
    batch.Put(kAuditFamily, storage::EncodeU64(e.sequence()), e.SerializeAsString());
    if (head) batch.Put(kAuditHeadFamily, "head", e.SerializeAsString());
    REQUIRE(store->Write(batch).ok());
  };
  // Rewrites entries `from`..5 consistently: re-linked and re-hashed, with the key or, without
  // it, as an unkeyed (plain SHA-256) chain.
  auto rewrite = [&](uint64_t from, bool with_key) {
    std::string previous = from > 1 ? entry_at(from - 1).hash() : "";
    for (uint64_t s = from; s <= 5; ++s) {
      v1::AuditEntry e = entry_at(s);
      if (s == from) e.set_user_id("someone-else");
      e.set_previous_hash(previous);
      e.set_chain_version(with_key ? 2 : 0);
      e.set_hash(AuditLog::Hash(e, *key));
      put(e, s == 5);
      previous = e.hash();
    }
  };
  SECTION("rewritten with the key: the chain holds but not against the checkpoints") {
    rewrite(3, true);
    CHECK(intact(open()->Verify()));  // no checkpoints: a consistent rewrite
    auto result = open(file)->Verify();
    CHECK_FALSE(intact(result));
    CHECK(result->first_bad_sequence() == 5);
    CHECK_FALSE(intact(open()->Verify(province)));  // the province's copy alone shows it too
  }
  SECTION("rewritten without the key") {
    rewrite(3, false);
    CHECK_FALSE(intact(open()->Verify()));
  }
  SECTION("truncated, the head rewritten to match") {
    storage::WriteBatch cut;
    cut.Delete(kAuditFamily, storage::EncodeU64(5));
    cut.Delete(kAuditFamily, storage::EncodeU64(4));
    REQUIRE(store->Write(cut).ok());
    put(entry_at(3), true);
    CHECK(intact(open()->Verify()));
    CHECK_FALSE(intact(open(file)->Verify()));
    CHECK_FALSE(intact(open()->Verify(province)));
  }
  SECTION("wiped, and a new log begun") {
    storage::WriteBatch wipe;
    for (uint64_t s = 1; s <= 5; ++s) wipe.Delete(kAuditFamily, storage::EncodeU64(s));
    wipe.Delete(kAuditHeadFamily, "head");
    REQUIRE(store->Write(wipe).ok());
    CHECK_FALSE(intact(open()->Verify()));  // empty
    v1::AuditEntry fresh;
    fresh.set_action("login");
    REQUIRE(open()->Append(fresh).ok());
    CHECK(intact(open()->Verify()));
    CHECK_FALSE(intact(open(file)->Verify()));
    CHECK_FALSE(intact(open()->Verify(province)));
  }
  SECTION("the checkpoint file edited") {
    std::string text;
    {
      std::ifstream in(file);
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    INFO(text);
    REQUIRE(text.find("\"sequence\":\"5\"") != std::string::npos);
    text.replace(text.find("\"sequence\":\"5\""), 14, "\"sequence\":\"3\"");
    std::ofstream(file, std::ios::trunc) << text;
    CHECK_FALSE(intact(open(file)->Verify()));
  }
}

TEST_CASE_METHOD(GatewayFixture, "the OpenAPI document covers every route and names the messages") {
  HttpResponse r = Call("GET", "/v1/openapi.json");
  REQUIRE(r.status == 200);
  pb::Struct doc = Json(r.body);
  const auto& paths = doc.fields().at("paths").struct_value().fields();
  CHECK(paths.contains("/v1/cases/{case_id}:accept"));
  const auto& schemas =
      doc.fields().at("components").struct_value().fields().at("schemas").struct_value().fields();
  CHECK(schemas.contains("sunlight.intake.v1.AcceptCaseRequest"));
  CHECK(schemas.contains("sunlight.supervision.v1.GetLightBoardResponse"));
  // Each schema's properties are exactly the message's fields.
  const auto& accept = schemas.at("sunlight.intake.v1.AcceptCaseRequest")
                           .struct_value()
                           .fields()
                           .at("properties")
                           .struct_value()
                           .fields();
  CHECK(static_cast<int>(accept.size()) ==
        intake::v1::AcceptCaseRequest::descriptor()->field_count());
}

// What Redocly's recommended rules ask of it (tests/openapi runs `redocly lint` itself).
TEST_CASE_METHOD(GatewayFixture,
                 "the OpenAPI document: URL-safe unique operation ids, 4xx answers, security") {
  pb::Struct doc = Json(gateway->OpenApiJson());
  const auto& top = doc.fields();
  REQUIRE(top.contains("servers"));
  CHECK(top.at("servers").list_value().values_size() > 0);
  // Public by default; every other operation declares its token.
  REQUIRE(top.contains("security"));
  CHECK(top.at("security").list_value().values_size() == 0);
  const auto& components = top.at("components").struct_value().fields();
  const auto& shared = components.at("responses").struct_value().fields();
  std::set<std::string> ids;
  int operations = 0;
  for (const auto& [pattern, item] : top.at("paths").struct_value().fields()) {
    for (const auto& [method, op] : item.struct_value().fields()) {
      INFO(method << " " << pattern);
      ++operations;
      const auto& fields = op.struct_value().fields();
      const std::string& id = fields.at("operationId").string_value();
      CHECK(std::regex_match(id, std::regex("[a-z]+[A-Za-z0-9]*")));
      CHECK(ids.insert(id).second);
      const auto& responses = fields.at("responses").struct_value().fields();
      bool is_public = !fields.contains("security");
      std::set<std::string> statuses;
      for (const auto& [status, response] : responses) {
        statuses.insert(status);
        const auto& r = response.struct_value().fields();
        if (r.contains("$ref")) {
          absl::string_view name = r.at("$ref").string_value();
          REQUIRE(absl::ConsumePrefix(&name, "#/components/responses/"));
          CHECK(shared.contains(std::string(name)));
        }
      }
      CHECK(statuses.contains("400"));
      CHECK(statuses.contains("default"));
      CHECK(statuses.contains(is_public ? "429" : "401"));
      CHECK(statuses.contains("403") == !is_public);
      CHECK(statuses.contains("413") == (method != "get"));
      CHECK(statuses.contains("404") == absl::StrContains(pattern, "{"));
    }
  }
  CHECK(operations > 100);
  CHECK(ids.contains("postCasesCaseIdAccept"));
  // The success status is the route's: 201 for what creates a resource.
  const auto& submit = top.at("paths")
                           .struct_value()
                           .fields()
                           .at("/v1/cases")
                           .struct_value()
                           .fields()
                           .at("post")
                           .struct_value()
                           .fields()
                           .at("responses")
                           .struct_value()
                           .fields();
  CHECK(submit.contains("201"));
  CHECK_FALSE(submit.contains("200"));
}

TEST_CASE_METHOD(GatewayFixture, "over a real socket: errors in JSON, oversized bodies get 413") {
  auto server = HttpServer::Start({.listen_address = "127.0.0.1:0", .max_body_bytes = 1024},
                                  [this](const HttpRequest& r) { return gateway->Handle(r); });
  REQUIRE(server.ok());
  int port = (*server)->port();
  std::string big(4096, 'x');
  std::string response = Exchange(
      port, absl::StrCat("POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: ",
                         big.size(), "\r\nConnection: close\r\n\r\n", big));
  CHECK(response.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(response.find("\"code\":\"RESOURCE_EXHAUSTED\"") != std::string::npos);
  // Every route that takes a body refuses an oversized one, signed in or not.
  std::map<std::string, bool> is_public;
  std::string token = Login("admin", "admin-password");
  int oversized = 0;
  for (const auto& [method, path] : Routes(*gateway, &is_public)) {
    if (method == "GET") continue;
    INFO(method << " " << path);
    std::string reply = Exchange(
        port,
        absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ", token,
                     "\r\nContent-Length: ", big.size(), "\r\nConnection: close\r\n\r\n", big));
    CHECK(reply.rfind("HTTP/1.1 413", 0) == 0);
    ++oversized;
  }
  CHECK(oversized > 20);
  response = Exchange(port, "GET /v1/cases HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(response.rfind("HTTP/1.1 401", 0) == 0);
  CHECK(response.find("\"code\":\"UNAUTHENTICATED\"") != std::string::npos);
  response = Exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(response.rfind("HTTP/1.1 200", 0) == 0);
}

}  // namespace
}  // namespace sunlight::gateway
