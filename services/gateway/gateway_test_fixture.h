// The gateway test fixture: the backends (real libraries: intake, workflow, supervision,
// scoring and notify; a fake video service) over gRPC on port 0, and a gateway in front of
// them; helpers to list the routes and to talk HTTP over a real socket.
#ifndef SUNLIGHT_SERVICES_GATEWAY_GATEWAY_TEST_FIXTURE_H_
#define SUNLIGHT_SERVICES_GATEWAY_GATEWAY_TEST_FIXTURE_H_

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <set>
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "audit_log.h"
#include "exchange/relay.h"
#include "gateway.h"
#include "gateway_test_http.h"
#include "gateway_test_video.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "http_server.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/eventlog/event_stream_service.h"
#include "sunlight/intake/intake_grpc_service.h"
#include "sunlight/notify/notifier.h"
#include "sunlight/notify/notifier_grpc_service.h"
#include "sunlight/scoring/scoring.h"
#include "sunlight/scoring/scoring_grpc_service.h"
#include "sunlight/server/service_host.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/supervision/supervision.h"
#include "sunlight/supervision/supervision_grpc_service.h"
#include "sunlight/testing/intake_fixture.h"
#include "sunlight/testing/suite_fixture.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/workflow/workflow.h"
#include "sunlight/workflow/workflow_grpc_service.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

// The backends (real libraries) over gRPC on port 0, and a gateway in front of them.
// Nothing runs on its own: scoring is fed the suite's streams by the test (FeedScoring),
// notify supervision's (FeedNotify). Notify has no channels: what it sends goes dead ("no
// CHANNEL_SMS channel is configured").
struct GatewayFixture : testing::SuiteFixture {
  GatewayFixture() {
    // Not started: tests hand it supervision's events (LiveEventsFrom).
    live = std::make_unique<LiveEvents>(LiveEventsOptions{});
    // The backends verify the principals the gateway signs, as in production: each service
    // its own, with its own policy.
    gateway_key = auth::SigningKey::Generate();
    signer = std::make_shared<auth::PrincipalSigner>(auth::kGatewayIssuer, gateway_key);
    auto verifier = std::make_shared<auth::PrincipalVerifier>();
    verifier_for_test = verifier;
    verifier->Trust(auth::kGatewayIssuer,
                    auth::VerifyingKey::FromPem(gateway_key->PublicKeyPem()).value());
    auto authorize = [&](const char* service, auth::MethodPolicy policy) {
      policy.merge(eventlog::StreamMethodPolicy({"gateway"}));
      // Principals live by real time (the gateway signs them so), whatever the fake clock says.
      return std::make_unique<auth::Authorizer>(service, verifier, &real_clock, std::move(policy));
    };
    intake_authorizer = authorize("intake", intake::IntakeMethodPolicy());
    workflow_authorizer = authorize("workflow", workflow::WorkflowMethodPolicy());
    supervision_authorizer = authorize("supervision", supervision::SupervisionMethodPolicy());
    intake_service =
        std::make_unique<intake::IntakeGrpcService>(intake.get(), intake_authorizer.get());
    workflow_service =
        std::make_unique<workflow::WorkflowGrpcService>(wf.get(), workflow_authorizer.get());
    supervision_service = std::make_unique<supervision::SupervisionGrpcService>(
        sv.get(), supervision_authorizer.get());
    scoring_store = testing::OpenScratchStore(dir.Sub("scoring"), scoring::ScoringColumnFamilies());
    scoring =
        scoring::Scoring::Open(scoring_store.get(), calendar, &clock, scoring_data_key).value();
    scoring_authorizer = authorize("scoring", scoring::ScoringMethodPolicy());
    scoring_service =
        std::make_unique<scoring::ScoringGrpcService>(scoring.get(), scoring_authorizer.get());
    notify_store = testing::OpenScratchStore(dir.Sub("notify"), notify::NotifierColumnFamilies());
    notify_outbox =
        std::make_unique<notify::Outbox>(notify_store.get(), &clock, notify::OutboxOptions{},
                                         std::map<notify::v1::Channel, notify::Channel*>{});
    REQUIRE(notify_outbox->Open().ok());
    notifier = notify::Notifier::Open(notify_store.get(), &clock,
                                      notify::LoadTemplates(SUNLIGHT_TEMPLATES_FILE).value(),
                                      notify_outbox.get())
                   .value();
    notify_authorizer = authorize("notify", notify::NotifierMethodPolicy());
    notify_service =
        std::make_unique<notify::NotifierGrpcService>(notifier.get(), notify_authorizer.get());
    stream_service = std::make_unique<eventlog::EventStreamService>(&intake->event_log(),
                                                                    intake_authorizer.get());
    host = std::make_unique<server::ServiceHost>(server::HostOptions{.service_name = "backends"});
    host->AddService(intake_service.get());
    host->AddService(workflow_service.get());
    host->AddService(supervision_service.get());
    host->AddService(scoring_service.get());
    host->AddService(notify_service.get());
    host->AddService(stream_service.get());
    // No video library yet: a fake in memory, checking the principals as a service would.
    fake_video.verifier = verifier;
    host->AddService(&fake_video);
    REQUIRE(host->Start().ok());
    std::string target = absl::StrCat("127.0.0.1:", host->port());
    gateway_store = storage::Store::Open({.path = dir.Sub("gateway"),
                                          .column_families = GatewayColumnFamilies(),
                                          .sync_writes = false})
                        .value();
    OpenGateway(target);
    for (
        const char* line :
        {R"({"user":{"user_id":"admin","role":"administrator"},"password":"admin-password"})",
         R"({"user":{"user_id":"insp","role":"inspector"},"password":"inspector-password"})",
         R"({"user":{"user_id":"clerk-1","name":"Wang Fang","role":"window_clerk","department_id":"market"},"password":"clerk-password"})",
         R"({"user":{"user_id":"appr-1","role":"approver","department_id":"market"},"password":"approver-password"})",
         R"({"user":{"user_id":"tax-1","role":"window_clerk","department_id":"tax"},"password":"taxclerk-password"})",
         R"({"user":{"user_id":"secadm","role":"security_administrator"},"password":"keeper-of-accounts"})",
         R"({"user":{"user_id":"auditor","role":"audit_administrator"},"password":"reader-of-the-log"})",
         R"({"user":{"user_id":"lead-1","role":"leader","department_id":"market"},"password":"leader-password"})",
         R"({"user":{"user_id":"rater-w1","name":"Window W1 rating device","role":"rating_device","department_id":"market"},"password":"rating-device-password"})",
         R"({"user":{"user_id":"clock-1","role":"attendance_device"},"password":"attendance-device-password"})"}) {
      v1::CreateUserRequest request;
      REQUIRE(pb::util::JsonStringToMessage(line, &request).ok());
      // (The fixture's passwords predate the policy: some contain the user id.)
      REQUIRE(gateway->accounts().CreateUser(request, Accounts::PasswordRules::kLengthOnly).ok());
    }
  }
  ~GatewayFixture() { host->Shutdown(); }

  void OpenGateway(const std::string& target) {
    gateway.reset();
    gateway = Gateway::Open(gateway_store.get(), &clock,
                            {.intake_target = target,
                             .workflow_target = target,
                             .supervision_target = target,
                             .scoring_target = target,
                             .notify_target = target,
                             .video_target = target,
                             .principal_signer = signer,
                             .audit_key = audit_key,
                             .live_events = live.get()})
                  .value();
  }

  // Everything pending through the suite and into scoring, as its followers would.
  void FeedScoring() {
    Pump();
    for (auto [stream, log] : {std::pair{scoring::kIntakeStream, &intake->event_log()},
                               std::pair{scoring::kWorkflowStream, &wf->event_log()},
                               std::pair{scoring::kSupervisionStream, &sv->event_log()}}) {
      REQUIRE(
          scoring->ApplyEvents(stream, testing::EventsAfter(*log, *scoring->Cursor(stream))).ok());
    }
  }

  // Supervision's events so far into notify, as its follower would, and one round of
  // deliveries (each a dead letter: there are no channels).
  void FeedNotify() {
    Pump();
    REQUIRE(notifier
                ->ApplyEvents(notify::kSupervisionStream,
                              testing::EventsAfter(sv->event_log(),
                                                   *notifier->Cursor(notify::kSupervisionStream)))
                .ok());
    REQUIRE(notify_outbox->DeliverDue().ok());
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& token = "", const std::string& body = "",
                    const std::string& client = "10.0.0.1") {
    return gateway->Handle(TestRequest(method, target, token, body, client));
  }
  std::string Login(const std::string& user, const std::string& password) {
    return TestLogin(*gateway, user, password);
  }

  static pb::Struct Json(const std::string& body) {
    pb::Struct out;
    REQUIRE(pb::util::JsonStringToMessage(body, &out).ok());
    return out;
  }
  static std::string ErrorField(const HttpResponse& r) {
    pb::Struct body = Json(r.body);
    const auto& error = body.fields().at("error").struct_value().fields();
    auto it = error.find("field");
    return it == error.end() ? "" : it->second.string_value();
  }

  std::string SubmitBody(const std::string& key) {
    std::string json;
    auto request = SubmitRequest(key);
    request.clear_actor();
    pb::util::JsonPrintOptions o;
    o.preserve_proto_field_names = true;
    REQUIRE(pb::util::MessageToJsonString(request, &json, o).ok());
    return json;
  }

  std::unique_ptr<LiveEvents> live;
  SystemClock real_clock;
  // Keys the audit chain, as --audit_key_file does.
  std::shared_ptr<const auth::HmacSigner> audit_key =
      auth::HmacSigner::FromKey("gateway fixture audit key of 32+ bytes").value();
  std::shared_ptr<const auth::SigningKey> gateway_key;
  std::shared_ptr<const auth::PrincipalSigner> signer;
  // The backends' verifier; a test may trust more identities (before the calls it makes).
  std::shared_ptr<auth::PrincipalVerifier> verifier_for_test;
  std::unique_ptr<auth::Authorizer> intake_authorizer, workflow_authorizer, supervision_authorizer,
      scoring_authorizer;
  // Seals complainants' contacts and hashes complaint query codes, as --data_key_file does.
  std::shared_ptr<const auth::DataKey> scoring_data_key =
      auth::DataKey::FromKey("scoring fixture data key of at least 32 bytes").value();
  std::unique_ptr<storage::Store> scoring_store;
  std::unique_ptr<scoring::Scoring> scoring;
  std::unique_ptr<scoring::ScoringGrpcService> scoring_service;
  std::unique_ptr<storage::Store> notify_store;
  std::unique_ptr<notify::Outbox> notify_outbox;
  std::unique_ptr<notify::Notifier> notifier;
  std::unique_ptr<auth::Authorizer> notify_authorizer;
  std::unique_ptr<notify::NotifierGrpcService> notify_service;
  std::unique_ptr<intake::IntakeGrpcService> intake_service;
  std::unique_ptr<eventlog::EventStreamService> stream_service;
  std::unique_ptr<workflow::WorkflowGrpcService> workflow_service;
  std::unique_ptr<supervision::SupervisionGrpcService> supervision_service;
  FakeVideo fake_video;
  std::unique_ptr<server::ServiceHost> host;
  std::unique_ptr<storage::Store> gateway_store;
  std::unique_ptr<Gateway> gateway;
};

// Every route of the OpenAPI document, with "x" for each path parameter.
inline std::vector<std::pair<std::string, std::string>> Routes(
    const Gateway& gateway, std::map<std::string, bool>* is_public) {
  pb::Struct doc;
  REQUIRE(pb::util::JsonStringToMessage(gateway.OpenApiJson(), &doc).ok());
  std::vector<std::pair<std::string, std::string>> routes;
  for (const auto& [pattern, item] : doc.fields().at("paths").struct_value().fields()) {
    for (const auto& [method, op] : item.struct_value().fields()) {
      std::string path;
      bool in_brace = false;
      for (char c : pattern) {
        if (c == '{') {
          in_brace = true;
          path += "x";
        } else if (c == '}') {
          in_brace = false;
        } else if (!in_brace) {
          path += c;
        }
      }
      std::string upper = absl::AsciiStrToUpper(method);
      routes.emplace_back(upper, path);
      (*is_public)[upper + " " + path] = !op.struct_value().fields().contains("security");
    }
  }
  return routes;
}

// A raw HTTP/1.1 exchange over a real socket.
inline std::string Exchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0)
    response.append(buffer, static_cast<size_t>(n));
  close(fd);
  return response;
}

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_GATEWAY_TEST_FIXTURE_H_
