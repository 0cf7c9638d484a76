// Scoring through the gateway: the real scoring library over gRPC (GatewayFixture), fed the
// suite's streams as its followers would.
#include <catch2/catch.hpp>

#include "gateway_test_fixture.h"

namespace sunlight::gateway {
namespace {

using intake::At;

struct ScoringGatewayFixture : GatewayFixture {
  // A case of market accepted Fri 2026-02-13 15:00 (5 working days), yellow Feb 27 and red
  // Feb 28: February's sheet deducts for it, naming the case. The clock ends on Mar 5.
  std::string RedCaseInFebruary() {
    std::string late = AcceptNew("late");
    Pump();
    for (absl::Time at : {At(2026, 2, 27, 0), At(2026, 2, 28, 0)}) {
      clock.Set(at);
      REQUIRE(sv->FireDue().ok());
    }
    clock.Set(At(2026, 3, 5, 10));
    FeedScoring();
    return late;
  }
};

TEST_CASE_METHOD(ScoringGatewayFixture, "scoring: every route is in the OpenAPI document",
                 "[scoring]") {
  std::map<std::string, bool> is_public;
  auto routes = Routes(*gateway, &is_public);
  std::set<std::string> listed;
  for (const auto& [method, path] : routes) listed.insert(method + " " + path);
  for (const char* route :
       {"GET /v1/statistics", "GET /v1/scores/x", "GET /v1/scores/x/versions",
        "GET /v1/scores/x/diff", "POST /v1/scores/x:publish", "POST /v1/scores/x:recompute",
        "POST /v1/scores/x/versions/x:decide", "GET /v1/scoring/rule-sets",
        "POST /v1/scoring/rule-sets", "POST /v1/appeals", "POST /v1/appeals/x:decide",
        "GET /v1/appeals", "GET /v1/public/scores/x"}) {
    INFO(route);
    CHECK(listed.contains(route));
    CHECK(is_public[route] == absl::StartsWith(route, "GET /v1/public/"));
  }
  // `values` is a list, comma-separated in one argument.
  pb::Struct doc = Json(gateway->OpenApiJson());
  bool values_listed = false;
  for (const auto& p : doc.fields()
                           .at("paths")
                           .struct_value()
                           .fields()
                           .at("/v1/statistics")
                           .struct_value()
                           .fields()
                           .at("get")
                           .struct_value()
                           .fields()
                           .at("parameters")
                           .list_value()
                           .values()) {
    const auto& parameter = p.struct_value().fields();
    if (parameter.at("name").string_value() != "values") continue;
    values_listed =
        parameter.at("in").string_value() == "query" && !parameter.at("explode").bool_value() &&
        parameter.at("schema").struct_value().fields().at("type").string_value() == "array";
  }
  CHECK(values_listed);
}

TEST_CASE_METHOD(ScoringGatewayFixture,
                 "scoring: the public sees a published month's departments without cases",
                 "[scoring]") {
  const std::string late = RedCaseInFebruary();
  // Not published yet: February is computed on request for staff, refused to the public.
  HttpResponse open = Call("GET", "/v1/public/scores/2026-02");
  CHECK(open.status == 404);
  CHECK(absl::StrContains(open.body, "not published"));
  const std::string admin = Login("admin", "admin-password");
  HttpResponse staff_view = Call("GET", "/v1/scores/2026-02", Login("clerk-1", "clerk-password"));
  REQUIRE(staff_view.status == 200);
  CHECK(absl::StrContains(staff_view.body, "SHEET_STATE_OPEN"));
  CHECK(absl::StrContains(staff_view.body, late));

  HttpResponse published = Call("POST", "/v1/scores/2026-02:publish", admin, "{}");
  INFO(published.body);
  REQUIRE(published.status == 200);
  CHECK(absl::StrContains(published.body, "SHEET_STATE_PUBLISHED"));
  CHECK(absl::StrContains(published.body, R"("published_by":{"id":"admin")"));

  HttpResponse r = Call("GET", "/v1/public/scores/2026-02");
  INFO(r.body);
  REQUIRE(r.status == 200);
  pb::Struct sheet = Json(r.body);
  CHECK(sheet.fields().at("state").string_value() == "SHEET_STATE_PUBLISHED");
  const auto& scores = sheet.fields().at("scores").list_value().values();
  REQUIRE(!scores.empty());
  for (const auto& score : scores) {
    CHECK(score.struct_value().fields().at("kind").string_value() == "SUBJECT_KIND_DEPARTMENT");
  }
  // The deduction is there, the case behind it is not; nor who published it.
  CHECK(absl::StrContains(r.body, "2.2"));
  CHECK_FALSE(absl::StrContains(r.body, late));
  CHECK_FALSE(absl::StrContains(r.body, "case_number"));
  CHECK_FALSE(absl::StrContains(r.body, "\"cases\""));
  CHECK_FALSE(absl::StrContains(r.body, "published_by"));
  // Signed in, the cases are still traced.
  HttpResponse inspector = Call("GET", "/v1/scores/2026-02", Login("insp", "inspector-password"));
  CHECK(absl::StrContains(inspector.body, late));
  // Versions and the audit of the publication.
  HttpResponse versions = Call("GET", "/v1/scores/2026-02/versions", admin);
  CHECK(versions.status == 200);
  CHECK(absl::StrContains(versions.body, R"("version":1)"));
  auto entries = gateway->audit().List(v1::ListAuditEntriesRequest());
  REQUIRE(entries.ok());
  bool audited = false;
  for (const auto& entry : entries->entries()) {
    audited |= entry.action() == "POST /v1/scores/{month}:publish" && entry.target() == "2026-02" &&
               entry.http_status() == 200;
  }
  CHECK(audited);
}

TEST_CASE_METHOD(ScoringGatewayFixture, "scoring: only the system administrator publishes",
                 "[scoring]") {
  clock.Set(At(2026, 3, 5, 10));
  for (auto [user, password] :
       {std::pair{"clerk-1", "clerk-password"}, std::pair{"insp", "inspector-password"},
        std::pair{"secadm", "keeper-of-accounts"}, std::pair{"auditor", "reader-of-the-log"}}) {
    INFO(user);
    const std::string token = Login(user, password);
    CHECK(Call("POST", "/v1/scores/2026-02:publish", token, "{}").status == 403);
    CHECK(Call("POST", "/v1/scores/2026-02:recompute", token, "{}").status == 403);
    CHECK(
        Call("POST", "/v1/scores/2026-02/versions/2:decide", token, R"({"approve":true})").status ==
        403);
    CHECK(Call("POST", "/v1/scoring/rule-sets", token, "{}").status == 403);
  }
  // The security and audit administrators do not read scores either.
  CHECK(Call("GET", "/v1/scores/2026-02", Login("secadm", "keeper-of-accounts")).status == 403);
  CHECK(Call("GET", "/v1/public/scores/2026-02").status == 404);  // nothing was published
  const std::string admin = Login("admin", "admin-password");
  CHECK(Call("POST", "/v1/scores/2026-02:publish", admin, "{}").status == 200);
  CHECK(Call("GET", "/v1/public/scores/2026-02").status == 200);
  // An inspector decides appeals, not the clerk.
  CHECK(Call("POST", "/v1/appeals/a1:decide", Login("clerk-1", "clerk-password"),
             R"({"uphold":true})")
            .status == 403);
}

TEST_CASE_METHOD(ScoringGatewayFixture, "scoring: a bad month is 400 naming month", "[scoring]") {
  clock.Set(At(2026, 3, 5, 10));
  const std::string admin = Login("admin", "admin-password");
  for (const char* target :
       {"/v1/scores/2026-13", "/v1/scores/Feb/versions", "/v1/public/scores/26-02"}) {
    INFO(target);
    HttpResponse r = Call("GET", target, admin);
    CHECK(r.status == 400);
    CHECK(ErrorField(r) == "month");
  }
  HttpResponse publish = Call("POST", "/v1/scores/2026-2:publish", admin, "{}");
  CHECK(publish.status == 400);
  CHECK(ErrorField(publish) == "month");
  // A malformed version in the path names it too.
  HttpResponse decide = Call("POST", "/v1/scores/2026-02/versions/two:decide", admin, "{}");
  CHECK(decide.status == 400);
  CHECK(ErrorField(decide) == "version");
}

TEST_CASE_METHOD(ScoringGatewayFixture, "scoring: statistics, rule sets and appeals", "[scoring]") {
  RedCaseInFebruary();
  const std::string clerk = Login("clerk-1", "clerk-password");
  HttpRequest stats = TestRequest("GET", "/v1/statistics", clerk, "", "10.0.0.1");
  stats.query = {{"dimension", "DIMENSION_DEPARTMENT"},
                 {"period", "PERIOD_MONTH"},
                 {"from_day", "2026-02-01"},
                 {"to_day", "2026-02-28"},
                 {"values", "market,tax"}};
  HttpResponse r = gateway->Handle(stats);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(absl::StrContains(r.body, R"("value":"market")"));
  stats.query["values"] = "tax";
  r = gateway->Handle(stats);
  CHECK(r.status == 200);
  CHECK_FALSE(absl::StrContains(r.body, R"("value":"market")"));

  CHECK(Call("GET", "/v1/scoring/rule-sets", clerk).status == 200);
  // Staff list their own department's appeals only.
  HttpRequest appeals = TestRequest("GET", "/v1/appeals", clerk, "", "10.0.0.1");
  appeals.query = {{"month", "2026-02"}, {"department_id", "tax"}};
  CHECK(gateway->Handle(appeals).status == 403);
  appeals.query = {{"month", "2026-02"}};
  CHECK(gateway->Handle(appeals).status == 200);
}

// The body of a streamed response.
std::string Drain(HttpResponse& response) {
  std::string body;
  if (!response.stream) return response.body;
  std::string chunk;
  while (response.stream(&chunk)) {
    body += chunk;
    chunk.clear();
  }
  return body;
}

TEST_CASE_METHOD(ScoringGatewayFixture, "scoring: exports stream CSV and Excel and are audited",
                 "[scoring]") {
  const std::string late = RedCaseInFebruary();
  const std::string insp = Login("insp", "inspector-password");
  HttpResponse csv = Call("GET",
                          "/v1/statistics:export?dimension=DIMENSION_DEPARTMENT&period=PERIOD_MONTH"
                          "&from_day=2026-02-01&to_day=2026-02-28",
                          insp);
  REQUIRE(csv.status == 200);
  CHECK(csv.content_type == "text/csv; charset=utf-8");
  CHECK(HeaderOf(csv, "Content-Disposition") == "attachment; filename=\"statistics.csv\"");
  CHECK(HeaderOf(csv, "X-Export-Rows") == "1");
  std::string body = Drain(csv);
  CHECK(absl::StartsWith(body, "\xEF\xBB\xBF分组 group,期间 period,"));
  CHECK(absl::StrContains(body, "\r\nmarket,2026-02,1,1,0,0,0,0,0,,0,,0,0,0,1,1,"));
  // The score sheet, one row per subject and clause, in Excel.
  HttpResponse xlsx = Call("GET", "/v1/scores/2026-02:export?format=xlsx", insp);
  REQUIRE(xlsx.status == 200);
  CHECK(absl::StartsWith(xlsx.content_type, "application/vnd.openxmlformats"));
  std::string workbook = Drain(xlsx);
  CHECK(absl::StartsWith(workbook, "PK"));  // a zip: the workbook's parts
  CHECK(workbook.size() > 2000);
  // Bad requests name the field; signed-in only.
  HttpResponse bad = Call("GET", "/v1/scores/2026-02:export?format=pdf", insp);
  CHECK(bad.status == 400);
  CHECK(absl::StrContains(bad.body, "\"field\":\"format\""));
  bad = Call("GET", "/v1/scores/2026-13:export", insp);
  CHECK(bad.status == 400);
  CHECK(absl::StrContains(bad.body, "\"field\":\"month\""));
  CHECK(Call("GET", "/v1/scores/2026-02:export").status == 401);
  // Every export is in the audit log.
  auto entries = gateway->audit().List(v1::ListAuditEntriesRequest());
  REQUIRE(entries.ok());
  int exports = 0;
  for (const auto& e : entries->entries()) exports += e.action() == "export";
  CHECK(exports == 2);
}

}  // namespace
}  // namespace sunlight::gateway
