// Evaluations (好差评), complaints (投诉) and attendance (考勤) through the gateway, over a real
// socket: the real backends over gRPC (GatewayFixture), scoring fed the suite's streams as its
// followers would.
#include <catch2/catch.hpp>

#include "gateway_test_fixture.h"
#include "sunlight/gateway/v1/gateway.pb.h"
#include "sunlight/scoring/v1/scoring.pb.h"
#include "sunlight/testing/http_client.h"

namespace sunlight::gateway {
namespace {

namespace scv1 = ::sunlight::scoring::v1;
using intake::At;

template <typename Message>
Message Parse(const std::string& json) {
  Message message;
  INFO(json);
  REQUIRE(pb::util::JsonStringToMessage(json, &message).ok());
  return message;
}

struct VoiceFixture : GatewayFixture {
  VoiceFixture() {
    auto started = HttpServer::Start({.listen_address = "127.0.0.1:0"},
                                     [this](const HttpRequest& r) { return gateway->Handle(r); });
    REQUIRE(started.ok());
    server = *std::move(started);
    client = std::make_unique<testing::HttpClient>(server->port());
  }

  testing::HttpReply Send(const std::string& method, const std::string& target,
                          const std::string& body = "", const std::string& token = "") {
    auto reply = client->Send(method, target, body, token);
    REQUIRE(reply.ok());
    return *std::move(reply);
  }
  // Logs in over the socket; the bearer token.
  std::string SocketLogin(const std::string& user, const std::string& password) {
    testing::HttpReply r =
        Send("POST", "/v1/login",
             absl::StrCat(R"({"user_id":")", user, R"(","password":")", password, R"("})"));
    REQUIRE(r.status == 200);
    return Parse<v1::LoginResponse>(r.body).token();
  }

  struct Applied {
    std::string case_id, number, code;
  };
  // An online application of GT-001 (market), submitted now.
  Applied Apply(const std::string& key) {
    testing::HttpReply r = Send("POST", "/v1/public/applications", SubmitBody(key));
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto submitted = Parse<intake::v1::SubmitCaseResponse>(r.body);
    return {submitted.case_().case_id(), submitted.case_().case_number(),
            submitted.case_().query_code()};
  }
  // Accepted at W1 by clerk-1 and routed; scoring told.
  void AcceptAtWindow(const std::string& case_id) {
    const std::string clerk = SocketLogin("clerk-1", "clerk-password");
    REQUIRE(
        Send("POST", "/v1/cases/" + case_id + ":accept", R"({"window_id":"W1"})", clerk).status ==
        200);
    FeedScoring();
  }
  // Its one step claimed and passed by appr-1: completed (办结); scoring told.
  void Approve(const std::string& case_id) {
    const std::string approver = SocketLogin("appr-1", "approver-password");
    const std::string step = absl::StrCat(R"({"step_id":")", case_id, R"(/1")");
    REQUIRE(Send("POST", "/v1/cases/" + case_id + "/steps:claim", step + "}", approver).status ==
            200);
    REQUIRE(Send("POST", "/v1/cases/" + case_id + "/steps:complete",
                 step + R"(,"opinion":"OPINION_PASS"})", approver)
                .status == 200);
    FeedScoring();
  }
  std::string ProgressBody(const Applied& a) {
    return absl::StrCat(R"({"case_number":")", a.number, R"(","query_code":")", a.code, R"("})");
  }
  std::string RatingBody(const Applied& a, const std::string& rest) {
    return absl::StrCat(R"({"case_number":")", a.number, R"(","query_code":")", a.code, R"(",)",
                        rest, "}");
  }

  std::unique_ptr<HttpServer> server;
  std::unique_ptr<testing::HttpClient> client;
};

TEST_CASE_METHOD(VoiceFixture, "voice: every route is in the OpenAPI document for its callers",
                 "[voice]") {
  std::map<std::string, bool> is_public;
  std::set<std::string> listed;
  for (const auto& [method, path] : Routes(*gateway, &is_public))
    listed.insert(method + " " + path);
  for (const char* route : {"POST /v1/public/evaluations",
                            "POST /v1/public/complaints",
                            "POST /v1/public/complaints:query",
                            "GET /v1/public/complaint-counts/x",
                            "POST /v1/device/evaluations",
                            "POST /v1/device/punches",
                            "GET /v1/evaluations",
                            "GET /v1/evaluations/x",
                            "POST /v1/evaluations/x:answer-rectification",
                            "POST /v1/evaluations/x:request-review",
                            "POST /v1/evaluations/x:decide-review",
                            "GET /v1/complaints",
                            "GET /v1/complaints/x",
                            "POST /v1/complaints",
                            "POST /v1/complaints/x:decide-acceptance",
                            "POST /v1/complaints/x:respond",
                            "POST /v1/complaints/x:conclude",
                            "PUT /v1/staff-assignments/x",
                            "GET /v1/staff-assignments",
                            "POST /v1/attendance-corrections",
                            "POST /v1/attendance-corrections/x:decide",
                            "GET /v1/attendance-corrections",
                            "GET /v1/attendance/x",
                            "GET /v1/attendance/x/x"}) {
    INFO(route);
    CHECK(listed.contains(route));
    CHECK(is_public[route] == absl::StrContains(route, " /v1/public/"));
  }
  // The devices' routes name the devices' roles.
  pb::Struct doc = Json(gateway->OpenApiJson());
  auto roles_of = [&](const std::string& pattern, const std::string& method) {
    std::set<std::string> roles;
    for (const auto& role : doc.fields()
                                .at("paths")
                                .struct_value()
                                .fields()
                                .at(pattern)
                                .struct_value()
                                .fields()
                                .at(method)
                                .struct_value()
                                .fields()
                                .at("x-roles")
                                .list_value()
                                .values()) {
      roles.insert(role.string_value());
    }
    return roles;
  };
  CHECK(roles_of("/v1/device/evaluations", "post") == std::set<std::string>{"rating_device"});
  CHECK(roles_of("/v1/device/punches", "post") == std::set<std::string>{"attendance_device"});
  CHECK(roles_of("/v1/me", "get").contains("rating_device"));
  CHECK(roles_of("/v1/attendance-corrections/{correction_id}:decide", "post") ==
        std::set<std::string>{"staff:leader"});
}

TEST_CASE_METHOD(VoiceFixture,
                 "voice: an applicant rates a completed case once, with a real name, and the "
                 "progress shows the steps and the rating",
                 "[voice]") {
  const Applied a = Apply("rate-1");
  AcceptAtWindow(a.case_id);

  // Before completion: the steps so far, nothing to rate yet.
  testing::HttpReply r = Send("POST", "/v1/public/progress", ProgressBody(a));
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto progress = Parse<v1::PublicProgress>(r.body);
  CHECK(progress.state() == intake::v1::CASE_STATE_ACCEPTED);  // intake's, as before
  CHECK(progress.process_state() == workflow::v1::PROCESS_STATE_IN_PROGRESS);
  REQUIRE(progress.steps_size() == 1);
  CHECK(progress.steps(0).state() == workflow::v1::STEP_STATE_OPEN);
  CHECK_FALSE(progress.evaluation().can_evaluate());
  CHECK(absl::StrContains(progress.complaint_hint(), "/v1/public/complaints"));
  r = Send("POST", "/v1/public/evaluations", RatingBody(a, R"("level":"VERY_SATISFIED")"));
  INFO(r.body);
  CHECK(r.status / 100 == 4);
  CHECK_FALSE(absl::StrContains(r.body, "rated_at"));

  Approve(a.case_id);
  r = Send("POST", "/v1/public/progress", ProgressBody(a));
  REQUIRE(r.status == 200);
  progress = Parse<v1::PublicProgress>(r.body);
  CHECK(progress.process_state() == workflow::v1::PROCESS_STATE_COMPLETED);
  REQUIRE(progress.steps_size() == 1);
  CHECK(progress.steps(0).state() == workflow::v1::STEP_STATE_PASSED);
  CHECK(progress.steps(0).has_completed_at());
  CHECK(progress.decision() == workflow::v1::DECISION_APPROVED);
  CHECK(progress.has_completed_at());
  CHECK(progress.evaluation().can_evaluate());
  // Nothing of the staff who handled it.
  CHECK_FALSE(absl::StrContains(r.body, "appr-1"));
  CHECK_FALSE(absl::StrContains(r.body, "assignee"));

  // A wrong code opens nothing; a comment over 500 characters names `comment`.
  r = Send("POST", "/v1/public/evaluations",
           RatingBody({a.case_id, a.number, "0000000000"}, R"("level":"SATISFIED")"));
  CHECK(r.status == 404);
  clock.Advance(absl::Seconds(2));  // past the wait the wrong code earned
  std::string long_comment;
  for (int i = 0; i < 501; ++i) long_comment += "好";
  r = Send("POST", "/v1/public/evaluations",
           RatingBody(a, absl::StrCat(R"("level":"SATISFIED","comment":")", long_comment, "\"")));
  INFO(r.body);
  CHECK(r.status == 400);
  CHECK(absl::StrContains(r.body, R"("field":"comment")"));

  // 非常不满意, under one's real name: a return visit and rectification are due.
  r = Send("POST", "/v1/public/evaluations",
           RatingBody(a, R"("level":"VERY_DISSATISFIED","aspects":{"attitude":"DISSATISFIED"},)"
                         R"("comment":"等了很久","real_name":true)"));
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto rated = Parse<scv1::Evaluation>(r.body);
  CHECK(rated.case_id() == a.case_id);
  CHECK(rated.level() == scv1::VERY_DISSATISFIED);
  CHECK(rated.aspects().at("attitude") == scv1::DISSATISFIED);
  CHECK(rated.channel() == scv1::EVALUATION_CHANNEL_ONLINE);
  CHECK(rated.real_name());
  CHECK(rated.rectification().state() == scv1::RECTIFICATION_STATE_OPEN);
  CHECK_FALSE(rated.has_counted());
  // A second rating: 409, saying it is rated already.
  r = Send("POST", "/v1/public/evaluations", RatingBody(a, R"("level":"VERY_SATISFIED")"));
  INFO(r.body);
  CHECK(r.status == 409);
  CHECK(absl::StrContains(r.body, R"("code":"ALREADY_EXISTS")"));

  // The progress shows the rating.
  r = Send("POST", "/v1/public/progress", ProgressBody(a));
  REQUIRE(r.status == 200);
  progress = Parse<v1::PublicProgress>(r.body);
  CHECK_FALSE(progress.evaluation().can_evaluate());
  CHECK(progress.evaluation().level() == scv1::VERY_DISSATISFIED);
  CHECK(progress.evaluation().has_rated_at());

  // Market's staff see it, with its rectification due; tax's do not.
  const std::string clerk = SocketLogin("clerk-1", "clerk-password");
  const std::string tax = SocketLogin("tax-1", "taxclerk-password");
  r = Send("GET", "/v1/evaluations/" + a.case_id, "", clerk);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(Parse<scv1::Evaluation>(r.body).department_id() == "market");
  testing::HttpReply other = Send("GET", "/v1/evaluations/" + a.case_id, "", tax);
  testing::HttpReply none = Send("GET", "/v1/evaluations/c000000000999", "", tax);
  CHECK(other.status == 404);
  CHECK(other.body == none.body);
  r = Send("GET", "/v1/evaluations?rectification_open=true", "", clerk);
  CHECK(r.status == 200);
  CHECK(absl::StrContains(r.body, a.case_id));
  r = Send("GET", "/v1/evaluations", "", tax);  // forced to tax
  CHECK(r.status == 200);
  CHECK_FALSE(absl::StrContains(r.body, a.case_id));
  CHECK(Send("GET", "/v1/evaluations?department_id=market", "", tax).status == 403);
  CHECK(Send("POST", "/v1/evaluations/" + a.case_id + ":request-review", R"({"reasons":"x"})", tax)
            .status == 404);
  // The department answers the rectification; the review is the inspectors' to decide.
  r = Send("POST", "/v1/evaluations/" + a.case_id + ":answer-rectification",
           R"({"return_visit":"called on Monday","measures_taken":"a second clerk at peak hours"})",
           clerk);
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(Parse<scv1::Evaluation>(r.body).rectification().state() ==
        scv1::RECTIFICATION_STATE_ANSWERED);
  CHECK(Send("POST", "/v1/evaluations/" + a.case_id + ":decide-review", R"({"uphold":true})", clerk)
            .status == 403);

  // The rating is audited for the applicant of the case, intent and outcome.
  auto entries = gateway->audit().List(v1::ListAuditEntriesRequest());
  REQUIRE(entries.ok());
  int audited = 0;
  for (const auto& entry : entries->entries()) {
    if (entry.action() == "POST /v1/public/evaluations" && entry.target() == a.number &&
        entry.user_id() == "applicant:" + a.number) {
      ++audited;
    }
  }
  CHECK(audited >= 2);
}

TEST_CASE_METHOD(VoiceFixture, "voice: a refused case may be rated but a withdrawn or open one not",
                 "[voice]") {
  const Applied refused = Apply("refused-1");
  const std::string clerk = SocketLogin("clerk-1", "clerk-password");
  REQUIRE(
      Send("POST", "/v1/cases/" + refused.case_id + ":refuse", R"({"reason":"not ours"})", clerk)
          .status == 200);
  FeedScoring();
  testing::HttpReply r = Send("POST", "/v1/public/progress", ProgressBody(refused));
  REQUIRE(r.status == 200);
  auto progress = Parse<v1::PublicProgress>(r.body);
  CHECK(progress.steps().empty());
  CHECK(progress.evaluation().can_evaluate());
  r = Send("POST", "/v1/public/evaluations",
           RatingBody(refused, R"("level":"BASICALLY_SATISFIED")"));
  INFO(r.body);
  CHECK(r.status == 201);

  const Applied open = Apply("open-1");
  r = Send("POST", "/v1/public/progress", ProgressBody(open));
  REQUIRE(r.status == 200);
  CHECK_FALSE(Parse<v1::PublicProgress>(r.body).evaluation().can_evaluate());
}

TEST_CASE_METHOD(VoiceFixture, "voice: a rating device rates a case of its department by number",
                 "[voice]") {
  const Applied a = Apply("device-1");
  AcceptAtWindow(a.case_id);
  Approve(a.case_id);
  const std::string device = SocketLogin("rater-w1", "rating-device-password");
  // A device logs in, says who it is and reaches nothing of people's.
  testing::HttpReply r = Send("GET", "/v1/me", "", device);
  CHECK(r.status == 200);
  CHECK(absl::StrContains(r.body, "rating_device"));
  CHECK(Send("GET", "/v1/cases", "", device).status == 403);
  CHECK(Send("GET", "/v1/evaluations", "", device).status == 403);
  CHECK(Send("POST", "/v1/device/punches", "{}", device).status == 403);
  // A person cannot pose as the device.
  const std::string clerk = SocketLogin("clerk-1", "clerk-password");
  CHECK(Send("POST", "/v1/device/evaluations",
             absl::StrCat(R"({"case_number":")", a.number, R"(","level":"SATISFIED"})"), clerk)
            .status == 403);

  // A device of another department is told there is no such case.
  v1::CreateUserRequest tax_device;
  tax_device.mutable_user()->set_user_id("rater-tax");
  tax_device.mutable_user()->set_role("rating_device");
  tax_device.mutable_user()->set_department_id("tax");
  tax_device.set_password("tax rating device 7");
  REQUIRE(gateway->accounts().CreateUser(tax_device).ok());
  r = Send("POST", "/v1/device/evaluations",
           absl::StrCat(R"({"case_number":")", a.number, R"(","level":"SATISFIED"})"),
           SocketLogin("rater-tax", "tax rating device 7"));
  CHECK(r.status == 404);

  r = Send("POST", "/v1/device/evaluations",
           absl::StrCat(R"({"case_number":")", a.number,
                        R"(","level":"SATISFIED","aspects":{"environment":"VERY_SATISFIED"}})"),
           device);
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto rated = Parse<scv1::Evaluation>(r.body);
  CHECK(rated.channel() == scv1::EVALUATION_CHANNEL_DEVICE);
  CHECK(rated.level() == scv1::SATISFIED);
  CHECK(rated.case_id() == a.case_id);
  // Staff see which device it came from.
  r = Send("GET", "/v1/evaluations/" + a.case_id, "", clerk);
  REQUIRE(r.status == 200);
  CHECK(Parse<scv1::Evaluation>(r.body).device_id() == "rater-w1");
  // A malformed number names the field.
  r = Send("POST", "/v1/device/evaluations", R"({"case_number":"7","level":"SATISFIED"})", device);
  CHECK(r.status == 400);
  CHECK(absl::StrContains(r.body, R"("field":"case_number")"));
}

TEST_CASE_METHOD(VoiceFixture, "voice: a complaint with no target is 400 naming department_id",
                 "[voice]") {
  testing::HttpReply r =
      Send("POST", "/v1/public/complaints",
           R"({"category":"COMPLAINT_CATEGORY_ATTITUDE","description":"rude at the door"})");
  INFO(r.body);
  CHECK(r.status == 400);
  CHECK(absl::StrContains(r.body, R"("field":"department_id")"));
  // A query code without its case number names the case number.
  r = Send("POST", "/v1/public/complaints",
           R"({"query_code":"7KQ2M9XD4R","department_id":"market","description":"x"})");
  CHECK(r.status == 400);
  CHECK(absl::StrContains(r.body, R"("field":"case_number")"));
}

TEST_CASE_METHOD(VoiceFixture,
                 "voice: a complaint filed online is followed by number and code, accepted and "
                 "concluded by an inspector, and hidden from other departments",
                 "[voice]") {
  const Applied a = Apply("complain-1");
  AcceptAtWindow(a.case_id);
  testing::HttpReply r =
      Send("POST", "/v1/public/complaints",
           RatingBody(a, R"("category":"COMPLAINT_CATEGORY_EXTRA_MATERIALS",)"
                         R"("description":"asked for a paper not on the list",)"
                         R"("complainant_name":"李四","complainant_phone":"13812345678")"));
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto filed = Parse<scv1::FileComplaintResponse>(r.body);
  const std::string id = filed.complaint().complaint_id();
  const std::string number = filed.complaint().complaint_number();
  const std::string code = filed.query_code();
  CHECK(absl::StartsWith(number, "T"));
  CHECK(code.size() == 10);
  CHECK(filed.complaint().case_id() == a.case_id);
  CHECK(filed.complaint().department_id() == "market");
  CHECK(filed.complaint().channel() == scv1::COMPLAINT_CHANNEL_ONLINE);
  CHECK(filed.complaint().state() == scv1::COMPLAINT_STATE_FILED);
  CHECK_FALSE(absl::StrContains(r.body, "13812345678"));
  CHECK_FALSE(absl::StrContains(r.body, "query_code_digest"));
  CHECK_FALSE(absl::StrContains(r.body, "sealed_contact"));

  auto query = [&](const std::string& query_code) {
    return Send("POST", "/v1/public/complaints:query",
                absl::StrCat(R"({"complaint_number":")", number, R"(","query_code":")", query_code,
                             R"("})"));
  };
  r = query(code);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(Parse<scv1::Complaint>(r.body).state() == scv1::COMPLAINT_STATE_FILED);
  CHECK(query("0000000000").status == 404);
  CHECK(query(code).status == 429);  // the pair waits after a wrong code
  clock.Advance(absl::Seconds(2));

  // Another department's staff see nothing of it.
  const std::string tax = SocketLogin("tax-1", "taxclerk-password");
  const std::string clerk = SocketLogin("clerk-1", "clerk-password");
  const std::string insp = SocketLogin("insp", "inspector-password");
  testing::HttpReply other = Send("GET", "/v1/complaints/" + id, "", tax);
  testing::HttpReply none = Send("GET", "/v1/complaints/c999999", "", tax);
  CHECK(other.status == 404);
  CHECK(other.body == none.body);
  r = Send("GET", "/v1/complaints", "", tax);
  CHECK(r.status == 200);
  CHECK_FALSE(absl::StrContains(r.body, id));
  CHECK(Send("POST", "/v1/complaints/" + id + ":respond", R"({"response":"x"})", tax).status ==
        404);
  // Market's see it, the complainant masked.
  r = Send("GET", "/v1/complaints/" + id, "", clerk);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK_FALSE(absl::StrContains(r.body, "13812345678"));
  CHECK(absl::StrContains(
      Send("GET", "/v1/complaints?states=COMPLAINT_STATE_FILED", "", clerk).body, id));

  // Accepted and concluded by the inspector; the department answers in between.
  CHECK(Send("POST", "/v1/complaints/" + id + ":decide-acceptance", R"({"accept":true})", clerk)
            .status == 403);
  r = Send("POST", "/v1/complaints/" + id + ":decide-acceptance",
           R"({"accept":true,"reasons":"a named case and a concrete request"})", insp);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(Parse<scv1::Complaint>(r.body).state() == scv1::COMPLAINT_STATE_ACCEPTED);
  r = Send("POST", "/v1/complaints/" + id + ":respond",
           R"({"response":"the clerk asked for the lease by mistake"})", clerk);
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(Send("POST", "/v1/complaints/" + id + ":conclude",
             R"({"outcome":"COMPLAINT_OUTCOME_VALID"})", clerk)
            .status == 403);
  r = Send("POST", "/v1/complaints/" + id + ":conclude",
           R"({"outcome":"COMPLAINT_OUTCOME_VALID","reasons":"the lease is not required"})", insp);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(Parse<scv1::Complaint>(r.body).state() == scv1::COMPLAINT_STATE_CONCLUDED);

  // The complainant reads the outcome, not the inside of its handling.
  r = query(code);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto seen = Parse<scv1::Complaint>(r.body);
  CHECK(seen.state() == scv1::COMPLAINT_STATE_CONCLUDED);
  CHECK(seen.outcome() == scv1::COMPLAINT_OUTCOME_VALID);
  CHECK(seen.outcome_reasons() == "the lease is not required");
  CHECK(seen.department_response().empty());
  CHECK_FALSE(seen.has_concluded_by());
  CHECK_FALSE(absl::StrContains(r.body, "insp"));
}

TEST_CASE_METHOD(VoiceFixture, "voice: an inspector enters a phone complaint by case number",
                 "[voice]") {
  const Applied a = Apply("phone-1");
  AcceptAtWindow(a.case_id);
  const std::string insp = SocketLogin("insp", "inspector-password");
  const std::string body = absl::StrCat(
      R"({"case_number":")", a.number,
      R"(","category":"COMPLAINT_CATEGORY_DELAY","description":"no answer for a week",)"
      R"("complainant_name":"王五","complainant_phone":"13900001111"})");
  CHECK(Send("POST", "/v1/complaints", body, SocketLogin("clerk-1", "clerk-password")).status ==
        403);
  testing::HttpReply r = Send("POST", "/v1/complaints", body, insp);
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto filed = Parse<scv1::FileComplaintResponse>(r.body);
  CHECK(filed.complaint().channel() == scv1::COMPLAINT_CHANNEL_PHONE);
  CHECK(filed.complaint().case_id() == a.case_id);
  CHECK(filed.query_code().size() == 10);  // to tell the complainant
  CHECK_FALSE(absl::StrContains(r.body, "13900001111"));
  r = Send(
      "POST", "/v1/complaints",
      R"({"case_number":"20260213-999999","description":"x","category":"COMPLAINT_CATEGORY_OTHER"})",
      insp);
  CHECK(r.status == 400);
  CHECK(absl::StrContains(r.body, R"("field":"case_number")"));
}

TEST_CASE_METHOD(VoiceFixture,
                 "attendance: a device's punches uploaded twice count once, and staff see their "
                 "own department's sheets",
                 "[voice]") {
  clock.Set(At(2026, 2, 13, 18));
  const std::string admin = SocketLogin("admin", "admin-password");
  testing::HttpReply r =
      Send("PUT", "/v1/staff-assignments/clerk-1",
           R"({"assignment":{"name":"Wang Fang","department_id":"market","window_id":"W1",)"
           R"("hours":[{"start":"09:00","end":"12:00"},{"start":"13:30","end":"17:30"}],)"
           R"("effective_from":"2026-02-01"}})",
           admin);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(
      Send("PUT", "/v1/staff-assignments/clerk-1", R"({"assignment":{"person_id":"tax-1"}})", admin)
          .status == 400);

  const std::string device = SocketLogin("clock-1", "attendance-device-password");
  const std::string batch =
      R"({"device_time":"2026-02-13T10:00:00Z","punches":[)"
      R"({"device_sequence":"1","person_id":"clerk-1","at":"2026-02-13T00:55:00Z","kind":"PUNCH_KIND_IN"},)"
      R"({"device_sequence":"2","person_id":"clerk-1","at":"2026-02-13T09:35:00Z","kind":"PUNCH_KIND_OUT"}]})";
  r = Send("POST", "/v1/device/punches", batch, device);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto first = Parse<scv1::UploadPunchesResponse>(r.body);
  CHECK(first.accepted() == 2);
  CHECK(first.duplicates() == 0);
  r = Send("POST", "/v1/device/punches", batch, device);
  REQUIRE(r.status == 200);
  auto again = Parse<scv1::UploadPunchesResponse>(r.body);
  CHECK(again.accepted() == 0);
  CHECK(again.duplicates() == 2);
  const std::string clerk = SocketLogin("clerk-1", "clerk-password");
  CHECK(Send("POST", "/v1/device/punches", batch, clerk).status == 403);

  r = Send("GET", "/v1/attendance/2026-02/clerk-1", "", clerk);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto sheet = Parse<scv1::AttendanceSheet>(r.body);
  int punches = 0;
  for (const auto& day : sheet.days()) {
    if (day.day() == "2026-02-13") punches = day.punches_size();
  }
  CHECK(punches == 2);
  const std::string tax = SocketLogin("tax-1", "taxclerk-password");
  CHECK(Send("GET", "/v1/attendance/2026-02/clerk-1", "", tax).status == 404);
  r = Send("GET", "/v1/attendance/2026-02", "", tax);
  CHECK(r.status == 200);
  CHECK_FALSE(absl::StrContains(r.body, "clerk-1"));
  CHECK_FALSE(absl::StrContains(Send("GET", "/v1/staff-assignments", "", tax).body, "clerk-1"));

  // A missed punch: asked by the clerk for themselves, decided by the department's leader.
  r = Send("POST", "/v1/attendance-corrections",
           R"({"at":"2026-02-12T01:00:00Z","kind":"PUNCH_KIND_IN","reasons":"the clock was down"})",
           clerk);
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto correction = Parse<scv1::AttendanceCorrection>(r.body);
  CHECK(correction.person_id() == "clerk-1");
  CHECK(Send("POST", "/v1/attendance-corrections",
             R"({"person_id":"appr-1","at":"2026-02-12T01:00:00Z","reasons":"x"})", clerk)
            .status == 403);
  const std::string decide = "/v1/attendance-corrections/" + correction.correction_id() + ":decide";
  CHECK(Send("POST", decide, R"({"approve":true})", clerk).status == 403);
  r = Send("POST", decide, R"({"approve":true,"decision":"seen on the camera"})",
           SocketLogin("lead-1", "leader-password"));
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(Parse<scv1::AttendanceCorrection>(r.body).state() == scv1::CORRECTION_STATE_APPROVED);
}

TEST_CASE_METHOD(VoiceFixture,
                 "devices have accounts of their own: a department optional, login, who am I, "
                 "logout",
                 "[voice]") {
  const std::string secadm = SocketLogin("secadm", "keeper-of-accounts");
  for (
      const char* user :
      {R"({"user":{"user_id":"rater-w2","role":"rating_device"},"password":"window two rater 9"})",
       R"({"user":{"user_id":"rater-w3","role":"rating_device","department_id":"market"},"password":"window three rater 9"})",
       R"({"user":{"user_id":"clock-2","role":"attendance_device"},"password":"hall clock number 2"})"}) {
    testing::HttpReply r = Send("POST", "/v1/users", user, secadm);
    INFO(user << " -> " << r.body);
    CHECK(r.status / 100 == 2);
  }
  // Staff still need a department.
  testing::HttpReply r =
      Send("POST", "/v1/users",
           R"({"user":{"user_id":"nobody","role":"window_clerk"},"password":"a clerk of nowhere"})",
           secadm);
  CHECK(r.status == 400);
  CHECK(absl::StrContains(r.body, R"("field":"user.department_id")"));

  const std::string device = SocketLogin("clock-1", "attendance-device-password");
  r = Send("GET", "/v1/me", "", device);
  CHECK(r.status == 200);
  CHECK(absl::StrContains(r.body, "attendance_device"));
  CHECK(Send("GET", "/v1/attendance/2026-02", "", device).status == 403);
  CHECK(Send("POST", "/v1/logout", "{}", device).status == 200);
  CHECK(Send("GET", "/v1/me", "", device).status == 401);
}

TEST_CASE_METHOD(VoiceFixture,
                 "voice: the public reads a published month's complaint counts per department",
                 "[voice]") {
  const Applied a = Apply("counted-1");
  AcceptAtWindow(a.case_id);
  testing::HttpReply r = Send("POST", "/v1/public/complaints",
                              RatingBody(a, R"("category":"COMPLAINT_CATEGORY_ATTITUDE",)"
                                            R"("description":"shouted at")"));
  INFO(r.body);
  REQUIRE(r.status == 201);
  const std::string id = Parse<scv1::FileComplaintResponse>(r.body).complaint().complaint_id();
  const std::string insp = SocketLogin("insp", "inspector-password");
  REQUIRE(Send("POST", "/v1/complaints/" + id + ":decide-acceptance",
               R"({"accept":true,"reasons":"named"})", insp)
              .status == 200);
  REQUIRE(Send("POST", "/v1/complaints/" + id + ":conclude",
               R"({"outcome":"COMPLAINT_OUTCOME_VALID","reasons":"witnessed"})", insp)
              .status == 200);
  FeedScoring();
  CHECK(Send("GET", "/v1/public/complaint-counts/2026-02").status == 404);  // not published
  clock.Set(At(2026, 3, 5, 10));
  REQUIRE(Send("POST", "/v1/scores/2026-02:publish", "{}", SocketLogin("admin", "admin-password"))
              .status == 200);
  r = Send("GET", "/v1/public/complaint-counts/2026-02");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto counts = Parse<v1::PublicComplaintCounts>(r.body);
  CHECK(counts.month() == "2026-02");
  bool market = false;
  for (const auto& department : counts.departments()) {
    if (department.department_id() != "market") continue;
    market = true;
    CHECK(department.complaints() == 1);
    CHECK(department.complaints_valid() == 1);
  }
  CHECK(market);
  CHECK_FALSE(absl::StrContains(r.body, id));
  CHECK(Send("GET", "/v1/public/complaint-counts/2026-13").status == 400);
}

}  // namespace
}  // namespace sunlight::gateway
