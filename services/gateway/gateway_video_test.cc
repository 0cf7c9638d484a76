// The video routes against a fake video service over gRPC on port 0 (gateway_test_video.h),
// which checks the principals the gateway signs: roles, clips streamed chunk by chunk, the
// snapshot, the audit of footage, binding errors and the camera credentials never shown.
#include <catch2/catch.hpp>

#include <random>

#include "absl/strings/match.h"
#include "gateway.h"
#include "gateway_test_http.h"
#include "gateway_test_video.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "http_server.h"
#include "sunlight/server/service_host.h"
#include "sunlight/testing/http_client.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::gateway {
namespace {

namespace pb = ::google::protobuf;
namespace vv1 = ::sunlight::video::v1;

constexpr char kClipPath[] =
    "/v1/video/cameras/hall-w07/clip.mp4?from=2026-03-05T01:00:00Z&to=2026-03-05T01:05:00Z";
constexpr char kClipTarget[] = "hall-w07 2026-03-05T01:00:00Z/2026-03-05T01:05:00Z";

struct VideoGatewayFixture {
  VideoGatewayFixture() : dir("gateway-video"), clock(absl::FromUnixSeconds(1772675100)) {
    auto key = auth::SigningKey::Generate();
    auto verifier = std::make_shared<auth::PrincipalVerifier>();
    verifier->Trust(auth::kGatewayIssuer, auth::VerifyingKey::FromPem(key->PublicKeyPem()).value());
    video.verifier = verifier;
    host = std::make_unique<server::ServiceHost>(server::HostOptions{.service_name = "video"});
    host->AddService(&video);
    REQUIRE(host->Start().ok());
    store = storage::Store::Open({.path = dir.Sub("gateway"),
                                  .column_families = GatewayColumnFamilies(),
                                  .sync_writes = false})
                .value();
    // Only video answers there: the other services are not called.
    const std::string target = absl::StrCat("127.0.0.1:", host->port());
    gateway = Gateway::Open(store.get(), &clock,
                            {.intake_target = target,
                             .workflow_target = target,
                             .supervision_target = target,
                             .scoring_target = target,
                             .video_target = target,
                             .principal_signer = std::make_shared<auth::PrincipalSigner>(
                                 auth::kGatewayIssuer, key)})
                  .value();
    for (
        const char* line :
        {R"({"user":{"user_id":"admin","role":"administrator"},"password":"admin-password"})",
         R"({"user":{"user_id":"insp","role":"inspector"},"password":"inspector-password"})",
         R"({"user":{"user_id":"clerk-1","role":"window_clerk","department_id":"market"},"password":"clerk-password"})"}) {
      v1::CreateUserRequest request;
      REQUIRE(pb::util::JsonStringToMessage(line, &request).ok());
      REQUIRE(gateway->accounts().CreateUser(request, Accounts::PasswordRules::kLengthOnly).ok());
    }
    admin = TestLogin(*gateway, "admin", "admin-password");
    insp = TestLogin(*gateway, "insp", "inspector-password");
    clerk = TestLogin(*gateway, "clerk-1", "clerk-password");
  }
  ~VideoGatewayFixture() { host->Shutdown(); }

  HttpResponse Call(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = "") {
    return gateway->Handle(TestRequest(method, target, token, body));
  }
  // A streamed body, read to its end.
  static std::string Drain(const HttpResponse& r) {
    std::string body, chunk;
    while (r.stream(&chunk)) {
      body += chunk;
      chunk.clear();
    }
    return body;
  }
  static std::string ErrorField(const HttpResponse& r) {
    pb::Struct body;
    REQUIRE(pb::util::JsonStringToMessage(r.body, &body).ok());
    const auto& error = body.fields().at("error").struct_value().fields();
    auto it = error.find("field");
    return it == error.end() ? "" : it->second.string_value();
  }
  std::vector<v1::AuditEntry> AuditEntries() {
    v1::ListAuditEntriesRequest list;
    list.set_page_size(1000);
    auto entries = gateway->audit().List(list);
    REQUIRE(entries.ok());
    return {entries->entries().begin(), entries->entries().end()};
  }
  // The audit entries of one action (logins aside).
  std::vector<v1::AuditEntry> AuditOf(const std::string& action) {
    std::vector<v1::AuditEntry> out;
    for (auto& e : AuditEntries()) {
      if (e.action() == action) out.push_back(e);
    }
    return out;
  }
  // `n` bytes no two chunks share a stretch of.
  static std::string RandomBytes(size_t n) {
    std::mt19937 random(20260305);
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(random() & 0xFF);
    return out;
  }

  testing::ScratchDir dir;
  FakeClock clock;
  FakeVideo video;
  std::unique_ptr<server::ServiceHost> host;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Gateway> gateway;
  std::string admin, insp, clerk;
};

TEST_CASE_METHOD(VideoGatewayFixture,
                 "gateway video: a clip of several chunks streams byte for byte, chunk by chunk") {
  video.clip = RandomBytes(5 << 20);
  HttpResponse r = Call("GET", kClipPath, insp);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "video/mp4");
  CHECK(r.stream_length == 5 << 20);
  CHECK(HeaderOf(r, "X-Clip-Start") == "2026-03-05T01:00:00Z");
  CHECK(HeaderOf(r, "X-Clip-End") == "2026-03-05T01:05:00Z");
  CHECK(HeaderOf(r, "X-Clip-Unreadable-Segments") == "0");
  CHECK(HeaderOf(r, "Content-Disposition") == "inline; filename=\"hall-w07.mp4\"");
  // The first chunk came before the head; the others as the body is read.
  CHECK(video.Calls("GetClip").size() == 1);
  CHECK(Drain(r) == video.clip);
  std::vector<FakeVideo::Call> calls = video.Calls("GetClip");
  REQUIRE(calls.size() == 3);
  std::vector<int64_t> offsets;
  for (const auto& call : calls) {
    const auto& request = static_cast<const vv1::GetClipRequest&>(*call.request);
    offsets.push_back(request.offset());
    CHECK(request.max_bytes() == 2u << 20);
    CHECK(request.camera_id() == "hall-w07");
    CHECK(request.from().seconds() == 1772672400);
    CHECK(request.to().seconds() == 1772672700);
    // Each chunk is asked for the caller, signed for the video service.
    CHECK(call.principal.user_id() == "insp");
    CHECK(call.principal.method() == "sunlight.video.v1.GetClipRequest");
  }
  CHECK(offsets == std::vector<int64_t>{0, 2 << 20, 4 << 20});
}

TEST_CASE_METHOD(VideoGatewayFixture,
                 "gateway video: over a socket a clip carries its length and every byte") {
  video.clip = RandomBytes(3 << 20);
  auto server = HttpServer::Start({.listen_address = "127.0.0.1:0"},
                                  [this](const HttpRequest& r) { return gateway->Handle(r); });
  REQUIRE(server.ok());
  testing::HttpClient client((*server)->port());
  auto reply = client.Send("GET", "/v1/video/holds/h-000000000001/clip.mp4", "", insp);
  REQUIRE(reply.ok());
  CHECK(reply->status == 200);
  CHECK(reply->headers["content-type"] == "video/mp4");
  CHECK(reply->headers["content-length"] == absl::StrCat(3 << 20));
  CHECK(reply->headers.count("transfer-encoding") == 0);
  CHECK(reply->body == video.clip);
  REQUIRE(video.Calls("GetClip").size() == 2);
  CHECK(static_cast<const vv1::GetClipRequest&>(*video.Calls("GetClip")[0].request).hold_id() ==
        "h-000000000001");
}

TEST_CASE_METHOD(VideoGatewayFixture,
                 "gateway video: a clip the service stops serving ends short of its length") {
  video.clip = RandomBytes(5 << 20);
  video.clip_fails_from = 2 << 20;
  HttpResponse r = Call("GET", kClipPath, insp);
  REQUIRE(r.status == 200);
  CHECK(r.stream_length == 5 << 20);
  CHECK(Drain(r) == video.clip.substr(0, 2 << 20));
  // Failing on the first chunk, it is an error with its status.
  video.clip_fails_from = 0;
  HttpResponse refused = Call("GET", kClipPath, insp);
  CHECK(refused.status == 503);
  CHECK_FALSE(refused.stream);
  // Nor is a camera that does not exist a clip.
  CHECK(Call("GET", "/v1/video/cameras/hall-w99/clip.mp4", insp).status == 404);
}

TEST_CASE_METHOD(VideoGatewayFixture,
                 "gateway video: clerks get 403 on footage, decisions and cameras, audited") {
  const std::string decide = R"({"decision":"CONDUCT_DECISION_CONFIRMED","reason":"seen"})";
  CHECK(Call("GET", kClipPath, clerk).status == 403);
  CHECK(Call("GET", "/v1/video/holds/h-000000000001/clip.mp4", clerk).status == 403);
  CHECK(Call("GET", "/v1/video/conduct-events/ce-000000000001/snapshot.jpg", clerk).status == 403);
  CHECK(Call("POST", "/v1/video/conduct-events/ce-000000000001:decide", clerk, decide).status ==
        403);
  CHECK(Call("GET", "/v1/video/cameras", clerk).status == 403);
  CHECK(Call("GET", "/v1/video/conduct-events", clerk).status == 403);
  // The administrator watches but does not decide; only the administrator releases.
  CHECK(Call("POST", "/v1/video/conduct-events/ce-000000000001:decide", admin, decide).status ==
        403);
  CHECK(Call("POST", "/v1/video/holds/h-000000000001:release", insp, R"({"reason":"x"})").status ==
        403);
  CHECK(Call("PUT", "/v1/video/cameras/hall-w07", insp, "{}").status == 403);
  CHECK(video.Calls().empty());
  // The refused reads of footage are recorded like refused changes.
  auto refused = AuditOf("GET /v1/video/cameras/{camera_id}/clip.mp4");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].user_id() == "clerk-1");
  CHECK(refused[0].http_status() == 403);
  CHECK(AuditOf("GET /v1/video/conduct-events/{event_id}/snapshot.jpg").size() == 1);
  CHECK(AuditOf("GET /v1/video/cameras").empty());
}

TEST_CASE_METHOD(VideoGatewayFixture,
                 "gateway video: every read of footage is audited with what was seen") {
  REQUIRE(Call("GET", kClipPath, insp).status == 200);
  REQUIRE(Call("GET", "/v1/video/holds/h-000000000001/clip.mp4", admin).status == 200);
  REQUIRE(Call("GET", "/v1/video/conduct-events/ce-000000000001/snapshot.jpg", insp).status == 200);
  CHECK(Call("GET", "/v1/video/holds/h-000000000404/clip.mp4", insp).status == 404);
  auto clips = AuditOf("GET /v1/video/cameras/{camera_id}/clip.mp4");
  REQUIRE(clips.size() == 1);
  CHECK(clips[0].user_id() == "insp");
  CHECK(clips[0].target() == kClipTarget);
  CHECK(clips[0].http_status() == 200);
  auto holds = AuditOf("GET /v1/video/holds/{hold_id}/clip.mp4");
  REQUIRE(holds.size() == 2);
  CHECK(holds[0].user_id() == "admin");
  CHECK(holds[0].target() == "h-000000000001");
  CHECK(holds[1].target() == "h-000000000404");
  CHECK(holds[1].http_status() == 404);
  auto snapshots = AuditOf("GET /v1/video/conduct-events/{event_id}/snapshot.jpg");
  REQUIRE(snapshots.size() == 1);
  CHECK(snapshots[0].target() == "ce-000000000001");
  // Lists and metadata are plain reads.
  REQUIRE(Call("GET", "/v1/video/cameras", insp).status == 200);
  REQUIRE(Call("GET", "/v1/video/conduct-events/ce-000000000001", insp).status == 200);
  CHECK(AuditOf("GET /v1/video/cameras").empty());
  CHECK(AuditOf("GET /v1/video/conduct-events/{event_id}").empty());
  auto verified = gateway->audit().Verify();
  REQUIRE(verified.ok());
  CHECK(verified->intact());
}

TEST_CASE_METHOD(VideoGatewayFixture, "gateway video: the snapshot is the JPEG itself") {
  HttpResponse r = Call("GET", "/v1/video/conduct-events/ce-000000000001/snapshot.jpg", insp);
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "image/jpeg");
  CHECK_FALSE(r.stream);
  CHECK(r.body == video.snapshot);
  CHECK(Call("GET", "/v1/video/conduct-events/ce-9/snapshot.jpg", insp).status == 404);
  video.snapshot.clear();  // none kept
  HttpResponse none = Call("GET", "/v1/video/conduct-events/ce-000000000001/snapshot.jpg", insp);
  CHECK(none.status == 404);
  CHECK(absl::StrContains(none.body, "no snapshot"));
}

TEST_CASE_METHOD(VideoGatewayFixture, "gateway video: a malformed time is 400 naming its field") {
  HttpResponse r = Call("GET", "/v1/video/cameras/hall-w07/clip.mp4?from=yesterday&to=now", insp);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "from");
  r = Call("GET", "/v1/video/cameras/hall-w07/clip.mp4?from=2026-03-05T01:00:00Z&to=soon", insp);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "to");
  r = Call("GET", "/v1/video/cameras/hall-w07/segments?from=2026-13-45T00:00:00Z", insp);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "from");
  // The gateway reads clips in its own chunks.
  r = Call("GET", std::string(kClipPath) + "&offset=100", insp);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "offset");
  r = Call("POST", "/v1/video/holds", insp,
           R"({"camera_id":"hall-w07","start":"soon","end":"2026-03-05T01:05:00Z","reason":"x"})");
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "start");
  r = Call("GET", "/v1/video/conduct-events?decision=CONDUCT_DECISION_MAYBE", insp);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "decision");
  CHECK(video.Calls().empty());
  // The service's own refusals name their field too.
  r = Call(
      "POST", "/v1/video/holds", insp,
      R"({"camera_id":"hall-w07","start":"2026-03-05T01:00:00Z","end":"2026-03-05T01:05:00Z"})");
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "reason");
}

TEST_CASE_METHOD(VideoGatewayFixture,
                 "gateway video: a camera's credentials go in and are never shown or recorded") {
  const std::string body =
      R"({"camera":{"name":"9 号窗口","rtsp_url":"rtsp://viewer:url-secret@10.1.0.9:554/live",)"
      R"("enabled":true},"username":"viewer","password":"s3cret-pw","actor":{"id":"someone"}})";
  HttpResponse r = Call("PUT", "/v1/video/cameras/hall-w09", admin, body);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto upserts = video.Calls("UpsertCamera");
  REQUIRE(upserts.size() == 1);
  const auto& sent = static_cast<const vv1::UpsertCameraRequest&>(*upserts[0].request);
  CHECK(sent.camera().camera_id() == "hall-w09");
  CHECK(sent.password() == "s3cret-pw");
  CHECK(sent.actor().id() == "admin");
  CHECK(absl::StrContains(r.body, R"("rtsp_url":"rtsp://10.1.0.9:554/live")"));
  CHECK(absl::StrContains(r.body, R"("has_credentials":true)"));
  for (const HttpResponse& shown :
       {r, Call("GET", "/v1/video/cameras/hall-w09", insp), Call("GET", "/v1/video/cameras", insp),
        Call("PUT", "/v1/video/cameras/hall-w09", admin,
             R"({"camera":{"name":"x"},"password":"s3cret-pw","no_such_field":1})"),
        Call("PUT", "/v1/video/cameras/hall-w09", admin,
             R"({"camera":{"name":"x"},"password":["s3cret-pw"]})")}) {
    CHECK_FALSE(absl::StrContains(shown.body, "s3cret-pw"));
    CHECK_FALSE(absl::StrContains(shown.body, "url-secret"));
  }
  for (const auto& entry : AuditEntries()) {
    CHECK_FALSE(absl::StrContains(entry.SerializeAsString(), "s3cret-pw"));
    CHECK_FALSE(absl::StrContains(entry.SerializeAsString(), "url-secret"));
  }
  auto audited = AuditOf("PUT /v1/video/cameras/{camera_id}");
  REQUIRE(!audited.empty());
  CHECK(audited[0].target() == "hall-w09");
  // The camera of the body is the path's.
  r = Call("PUT", "/v1/video/cameras/hall-w09", admin, R"({"camera":{"camera_id":"hall-w07"}})");
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "camera.camera_id");
}

TEST_CASE_METHOD(VideoGatewayFixture,
                 "gateway video: holds and decisions are the caller's, audited as changes") {
  HttpResponse held =
      Call("POST", "/v1/video/holds", insp,
           R"({"camera_id":"hall-w07","start":"2026-03-05T01:00:00Z","end":"2026-03-05T01:05:00Z",)"
           R"("reason":"投诉 T20260305-000001 调查","case_id":"c1","actor":{"id":"someone"}})");
  INFO(held.body);
  REQUIRE(held.status == 201);
  CHECK(static_cast<const vv1::CreateHoldRequest&>(*video.Calls("CreateHold")[0].request)
            .actor()
            .id() == "insp");
  HttpResponse of_case = Call("GET", "/v1/video/holds?case_id=c1", insp);
  CHECK(of_case.status == 200);
  CHECK(absl::StrContains(of_case.body, R"("hold_id":"h-000000000002")"));
  CHECK(Call("POST", "/v1/video/holds/h-000000000002:release", admin, R"({"reason":"done"})")
            .status == 200);
  CHECK_FALSE(
      absl::StrContains(Call("GET", "/v1/video/holds?case_id=c1", insp).body, "h-000000000002"));
  CHECK(
      absl::StrContains(Call("GET", "/v1/video/holds?case_id=c1&include_released=true", insp).body,
                        "h-000000000002"));

  const std::string decide = R"({"decision":"CONDUCT_DECISION_DISMISSED","reason":"授权离岗"})";
  HttpResponse decided =
      Call("POST", "/v1/video/conduct-events/ce-000000000001:decide", insp, decide);
  CHECK(decided.status == 200);
  CHECK(absl::StrContains(decided.body, R"("decided_by":{"id":"insp")"));
  CHECK(Call("POST", "/v1/video/conduct-events/ce-000000000001:decide", insp, decide).status ==
        409);
  std::vector<std::pair<std::string, int>> outcomes;
  for (const auto& e : AuditEntries()) {
    if (e.phase().empty() && absl::StartsWith(e.action(), "POST /v1/video/")) {
      outcomes.emplace_back(e.target(), e.http_status());
    }
  }
  CHECK(outcomes == std::vector<std::pair<std::string, int>>{{kClipTarget, 201},
                                                             {"h-000000000002", 200},
                                                             {"ce-000000000001", 200},
                                                             {"ce-000000000001", 409}});
}

TEST_CASE_METHOD(VideoGatewayFixture,
                 "gateway video: the document lists each route with its roles and media") {
  pb::Struct doc;
  REQUIRE(pb::util::JsonStringToMessage(gateway->OpenApiJson(), &doc).ok());
  const auto& paths = doc.fields().at("paths").struct_value().fields();
  auto op = [&](const std::string& pattern, const std::string& method) {
    INFO(method << " " << pattern);
    REQUIRE(paths.contains(pattern));
    REQUIRE(paths.at(pattern).struct_value().fields().contains(method));
    return paths.at(pattern).struct_value().fields().at(method).struct_value();
  };
  auto roles = [&](const pb::Struct& operation) {
    std::vector<std::string> out;
    for (const auto& v : operation.fields().at("x-roles").list_value().values()) {
      out.push_back(v.string_value());
    }
    return out;
  };
  const std::vector<std::string> watchers = {"inspector", "administrator"};
  for (const auto& [pattern, method] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/video/cameras", "get"},
           {"/v1/video/cameras/{camera_id}", "get"},
           {"/v1/video/cameras/{camera_id}/coverage", "get"},
           {"/v1/video/cameras/{camera_id}/segments", "get"},
           {"/v1/video/cameras/{camera_id}/gaps", "get"},
           {"/v1/video/cameras/{camera_id}/clip.mp4", "get"},
           {"/v1/video/holds", "post"},
           {"/v1/video/holds", "get"},
           {"/v1/video/holds/{hold_id}/clip.mp4", "get"},
           {"/v1/video/conduct-events", "get"},
           {"/v1/video/conduct-events/{event_id}", "get"},
           {"/v1/video/conduct-events/{event_id}/snapshot.jpg", "get"},
           {"/v1/video/storage", "get"}}) {
    CHECK(roles(op(pattern, method)) == watchers);
  }
  CHECK(roles(op("/v1/video/cameras/{camera_id}", "put")) ==
        std::vector<std::string>{"administrator"});
  CHECK(roles(op("/v1/video/holds/{hold_id}:release", "post")) ==
        std::vector<std::string>{"administrator"});
  CHECK(roles(op("/v1/video/conduct-events/{event_id}:decide", "post")) ==
        std::vector<std::string>{"inspector"});
  const pb::Struct clip = op("/v1/video/cameras/{camera_id}/clip.mp4", "get");
  CHECK(clip.fields().at("x-audited-read").bool_value());
  CHECK(clip.fields()
            .at("responses")
            .struct_value()
            .fields()
            .at("200")
            .struct_value()
            .fields()
            .at("content")
            .struct_value()
            .fields()
            .contains("video/mp4"));
  CHECK_FALSE(op("/v1/video/cameras", "get").fields().contains("x-audited-read"));
}

TEST_CASE("gateway video: without a video service the routes answer 503") {
  testing::ScratchDir dir("gateway-no-video");
  FakeClock clock(absl::FromUnixSeconds(1772675100));
  auto store = storage::Store::Open({.path = dir.Sub("gateway"),
                                     .column_families = GatewayColumnFamilies(),
                                     .sync_writes = false})
                   .value();
  // Nothing listens on port 1: no other service is called here either.
  auto gateway = Gateway::Open(store.get(), &clock,
                               {.intake_target = "127.0.0.1:1",
                                .workflow_target = "127.0.0.1:1",
                                .supervision_target = "127.0.0.1:1",
                                .scoring_target = "127.0.0.1:1"})
                     .value();
  v1::CreateUserRequest user;
  REQUIRE(pb::util::JsonStringToMessage(
              R"({"user":{"user_id":"insp","role":"inspector"},"password":"inspector-password"})",
              &user)
              .ok());
  REQUIRE(gateway->accounts().CreateUser(user, Accounts::PasswordRules::kLengthOnly).ok());
  const std::string insp = TestLogin(*gateway, "insp", "inspector-password");
  CHECK(gateway->Handle(TestRequest("GET", "/v1/video/cameras", insp)).status == 503);
  CHECK(gateway->Handle(TestRequest("GET", kClipPath, insp)).status == 503);
}

}  // namespace
}  // namespace sunlight::gateway
