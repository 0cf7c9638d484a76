// Test-only: the whole suite over real sockets for the end-to-end tests: the real intake,
// workflow, supervision, scoring and gateway binaries, each on port 0 with its own store, its
// own principal key and its own certificate (mutual TLS between all of them), and a client of
// the gateway's REST API.
//
// Supervision runs with --clock_offset=720h: it sees every clock thirty days later than the
// others do, so what is accepted or opened in a test is red when supervision ingests it.
#ifndef SUNLIGHT_TESTS_E2E_E2E_SUITE_H_
#define SUNLIGHT_TESTS_E2E_E2E_SUITE_H_

#include <csignal>
#include <fstream>
#include <memory>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/testing/http_client.h"
#include "sunlight/testing/service_process.h"
#include "sunlight/testing/suite_secrets.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::e2e {

namespace pb = ::google::protobuf;
using testing::HttpClient;
using testing::HttpReply;
using testing::ServiceProcess;

inline std::string ToJson(const pb::Message& message) {
  std::string json;
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  REQUIRE(pb::util::MessageToJsonString(message, &json, options).ok());
  return json;
}

inline pb::Struct ParseJson(const std::string& body) {
  pb::Struct out;
  INFO(body);
  REQUIRE(pb::util::JsonStringToMessage(body, &out).ok());
  return out;
}

inline const pb::Value& Field(const pb::Struct& s, const std::string& name) {
  INFO("field " << name);
  REQUIRE(s.fields().contains(name));
  return s.fields().at(name);
}

struct Suite {
  // With `notify_flags` (its channels: Kannel's sendsms URL and the like), the notify service
  // runs too, following intake, workflow and supervision, and the gateway reaches it.
  explicit Suite(std::vector<std::string> notify_flags = {})
      : dir("suite-e2e"),
        secrets(dir, {"intake", "workflow", "supervision", "scoring", "notify", "gateway"}) {
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
            << "\n"
            << R"({"user":{"user_id":"lead","role":"leader","department_id":"market"},)"
            << R"("password":"guiding-e2e-pass"})"
            << "\n"
            << R"({"user":{"user_id":"handler","role":"handler","department_id":"market"},)"
            << R"("password":"handling-e2e-pass"})"
            << "\n"
            << R"({"user":{"user_id":"reviewer","role":"reviewer","department_id":"market"},)"
            << R"("password":"checking-e2e-pass"})"
            << "\n"
            << R"({"user":{"user_id":"approver","role":"approver","department_id":"market"},)"
            << R"("password":"signing-e2e-pass"})"
            << "\n"
            << R"({"user":{"user_id":"clock-1","role":"attendance_device"},)"
            << R"("password":"punching-e2e-pass"})"
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
    // Supervision follows scoring's stream too (complaints, rectifications, appeals): its
    // address is known once scoring has started.
    supervision->AddFlag("--scoring=" + scoring->target());
    absl::Status restarted = supervision->Restart(SIGTERM);
    INFO(restarted.ToString());
    REQUIRE(restarted.ok());
    std::vector<std::string> gateway_flags = {"--http_listen=127.0.0.1:0",
                                              "--http_port_file=" + http_port_file(),
                                              "--intake=" + intake->target(),
                                              "--workflow=" + workflow->target(),
                                              "--supervision=" + supervision->target(),
                                              "--scoring=" + scoring->target(),
                                              "--users_file=" + dir.Sub("users.jsonl")};
    if (!notify_flags.empty()) {
      notify_flags.insert(
          notify_flags.end(),
          {"--intake=" + intake->target(), "--workflow=" + workflow->target(),
           "--supervision=" + supervision->target(), "--scoring=" + scoring->target(),
           std::string("--templates=") + SUNLIGHT_TEMPLATES_FILE});
      notify = Start("notify", SUNLIGHT_NOTIFY_BINARY, notify_flags);
      gateway_flags.push_back("--notify=" + notify->target());
    }
    gateway = Start("gateway", SUNLIGHT_GATEWAY_BINARY, gateway_flags, {http_port_file()});
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

  // The demo catalogue (departments, windows, items), through the administrators' API.
  void LoadDemoCatalogue(const std::string& admin) {
    std::ifstream in(SUNLIGHT_DEMO_CATALOGUE);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    intake::v1::CatalogueFile catalogue;
    REQUIRE(pb::util::JsonStringToMessage(text, &catalogue).ok());
    for (const auto& department : catalogue.departments()) {
      Expect(200, "POST", "/v1/departments",
             absl::StrCat(R"({"department":)", ToJson(department), "}"), admin);
    }
    for (const auto& window : catalogue.windows()) {
      Expect(200, "POST", "/v1/windows", absl::StrCat(R"({"window":)", ToJson(window), "}"), admin);
    }
    for (const auto& item : catalogue.items()) {
      Expect(200, "POST", "/v1/items", absl::StrCat(R"({"definition":)", ToJson(item), "}"), admin);
    }
  }

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
  std::unique_ptr<ServiceProcess> intake, workflow, supervision, scoring, notify, gateway;
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

}  // namespace sunlight::e2e

#endif  // SUNLIGHT_TESTS_E2E_E2E_SUITE_H_
