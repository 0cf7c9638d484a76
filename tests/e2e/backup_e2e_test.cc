// Backup and restore end to end: the real intake, workflow and gateway binaries (mutual TLS,
// principals) backed up online by the real `sunlight` CLI while cases are being submitted and
// accepted through the gateway, their data directories destroyed, restored by the CLI,
// restarted; then every case acknowledged before the backup began is there and routed, the
// streams go on from where the restored stores end with no gap, the audit chain verifies, and
// a consumer ahead of a producer restored behind it is refused.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "e2e_suite.h"
#include "sunlight/admin/v1/admin.grpc.pb.h"
#include "sunlight/auth/signing_channel.h"
#include "sunlight/events/v1/events.grpc.pb.h"

namespace sunlight {
namespace {

namespace av1 = admin::v1;
using e2e::Eventually;
using e2e::Field;
using e2e::ParseJson;
using e2e::ToJson;
using testing::HttpClient;
using testing::ServiceProcess;

struct BackupSuite {
  BackupSuite() : dir("backup-e2e"), secrets(dir, {"intake", "workflow", "gateway", "cli"}) {
    REQUIRE(secrets.status().ok());
    std::ofstream users(dir.Sub("users.jsonl"));
    users << R"({"user":{"user_id":"admin","role":"administrator"},"password":"system-e2e-pass"})"
          << "\n"
          << R"({"user":{"user_id":"auditor","role":"audit_administrator"},)"
          << R"("password":"ledger-e2e-pass"})"
          << "\n"
          << R"({"user":{"user_id":"clerk","role":"window_clerk","department_id":"market"},)"
          << R"("password":"window-e2e-pass"})"
          << "\n";
  }

  void StartAll() {
    const std::string next_year =
        absl::StrCat(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year() + 1);
    std::vector<std::string> calendar = {std::string("--calendar=") + SUNLIGHT_CALENDAR_FILE,
                                         "--provisional_years=" + next_year};
    if (intake == nullptr) {
      intake = Make("intake", SUNLIGHT_INTAKE_BINARY, calendar);
      workflow = Make("workflow", SUNLIGHT_WORKFLOW_BINARY, calendar);
      gateway = Make("gateway", SUNLIGHT_GATEWAY_BINARY,
                     {"--http_listen=127.0.0.1:0", "--http_port_file=" + dir.Sub("http.port"),
                      "--supervision=127.0.0.1:1", "--scoring=127.0.0.1:1",
                      "--users_file=" + dir.Sub("users.jsonl")},
                     {dir.Sub("http.port")});
    }
    Started(*intake);
    workflow->AddFlag("--intake=" + intake->target());  // the last of a flag counts
    Started(*workflow);
    gateway->AddFlag("--intake=" + intake->target());
    gateway->AddFlag("--workflow=" + workflow->target());
    Started(*gateway);
  }

  std::unique_ptr<ServiceProcess> Make(const std::string& name, const char* binary,
                                       std::vector<std::string> args,
                                       std::vector<std::string> other_port_files = {}) {
    args.push_back("--sync_writes=false");
    for (auto& flag : secrets.ServiceFlags(name)) args.push_back(flag);
    return std::make_unique<ServiceProcess>(dir, name, binary, std::move(args),
                                            std::move(other_port_files));
  }
  static void Started(ServiceProcess& process) {
    absl::Status started = process.Start();
    INFO(started.ToString());
    REQUIRE(started.ok());
  }

  std::unique_ptr<HttpClient> Client() {
    return std::make_unique<HttpClient>(gateway->port(dir.Sub("http.port")),
                                        secrets.ca_dir() + "/ca.crt");
  }

  // Runs the real CLI with the CLI's key and certificate; its exit code.
  int Cli(const std::string& arguments) {
    const std::string command = absl::StrCat(
        SUNLIGHT_CLI_BINARY, " --key_file=", secrets.key_dir(),
        "/cli.key --tls_cert_file=", secrets.ca_dir(), "/cli.crt --tls_key_file=", secrets.ca_dir(),
        "/cli.key --tls_ca_file=", secrets.ca_dir(), "/ca.crt --intake=", intake->target(),
        " --workflow=", workflow->target(), " --gateway=", gateway->target(), " ", arguments, " >>",
        dir.Sub("cli.out"), " 2>&1");
    int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // A channel to `service` as an administrator through the CLI's key, or as `as` itself.
  std::shared_ptr<grpc::Channel> Channel(const ServiceProcess& process, const std::string& service,
                                         const std::string& as = "cli") {
    auth::v1::Principal principal;
    if (as == "cli") {
      principal.set_user_id("ops");
      principal.set_role(auth::kAdministrator);
    } else {
      principal = auth::ServicePrincipal(as);
    }
    return auth::SigningChannel(process.target(), secrets.Credentials(as), secrets.Signer(as),
                                principal, service);
  }

  av1::Backup LatestBackup(const ServiceProcess& process, const std::string& service) {
    auto stub = av1::Admin::NewStub(Channel(process, service));
    grpc::ClientContext context;
    av1::ListBackupsRequest request;
    request.set_backup_dir(dir.Sub("backups/" + service));
    av1::ListBackupsResponse response;
    grpc::Status s = stub->ListBackups(&context, request, &response);
    INFO(s.error_message());
    REQUIRE(s.ok());
    REQUIRE(response.backups_size() >= 1);
    return response.backups(response.backups_size() - 1);
  }

  // Up to `count` events of `service`'s stream from `from`, read as `as`; the stream's status
  // when it ended early.
  grpc::Status ReadStream(const ServiceProcess& process, const std::string& service,
                          const std::string& as, uint64_t from, size_t count,
                          std::vector<events::v1::CaseEvent>* out) {
    auto stub = events::v1::EventStream::NewStub(Channel(process, service, as));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    events::v1::SubscribeRequest request;
    request.set_from_sequence(from);
    auto reader = stub->Subscribe(&context, request);
    events::v1::CaseEvent event;
    while (out->size() < count && reader->Read(&event)) out->push_back(event);
    if (out->size() == count) context.TryCancel();
    grpc::Status s = reader->Finish();
    return out->size() == count ? grpc::Status::OK : s;
  }

  testing::ScratchDir dir;
  testing::SuiteSecrets secrets;
  std::unique_ptr<ServiceProcess> intake, workflow, gateway;
};

std::string Submission(int n) {
  return absl::StrCat(R"({"idempotency_key":"backup-)", n,
                      R"(","item_code":"GT-001","subject":"noodles",)"
                      R"("applicant":{"kind":"APPLICANT_KIND_PERSON","name":"李明",)"
                      R"("id_number":"110101199003071234","phone":"13812345678"},)"
                      R"("materials":[{"code":"id-card","name":"身份证"},)"
                      R"({"code":"application-form","name":"申请书"},)"
                      R"({"code":"premises","name":"租赁合同"}]})");
}

TEST_CASE("backed up under load, destroyed and restored, the suite has every acknowledged case") {
  BackupSuite suite;
  suite.StartAll();
  auto http = suite.Client();
  auto login = [&](HttpClient& client, const std::string& user, const std::string& password) {
    auto reply =
        client.Send("POST", "/v1/login",
                    absl::StrCat(R"({"user_id":")", user, R"(","password":")", password, R"("})"));
    REQUIRE(reply.ok());
    REQUIRE(reply->status == 200);
    return Field(ParseJson(reply->body), "token").string_value();
  };
  const std::string admin = login(*http, "admin", "system-e2e-pass");
  {
    std::ifstream in(SUNLIGHT_DEMO_CATALOGUE);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    intake::v1::CatalogueFile catalogue;
    REQUIRE(google::protobuf::util::JsonStringToMessage(text, &catalogue).ok());
    auto post = [&](const std::string& target, const std::string& body) {
      auto reply = http->Send("POST", target, body, admin);
      REQUIRE(reply.ok());
      INFO(reply->body);
      REQUIRE(reply->status == 200);
    };
    for (const auto& d : catalogue.departments()) {
      post("/v1/departments", absl::StrCat(R"({"department":)", ToJson(d), "}"));
    }
    for (const auto& w : catalogue.windows()) {
      post("/v1/windows", absl::StrCat(R"({"window":)", ToJson(w), "}"));
    }
    for (const auto& i : catalogue.items()) {
      post("/v1/items", absl::StrCat(R"({"definition":)", ToJson(i), "}"));
    }
  }

  // Load: a clerk submits and accepts cases, one after another, before, during and after the
  // backup. A case counts as acknowledged once its acceptance returned.
  std::mutex mu;
  std::vector<std::string> accepted;  // guarded by mu, in order
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread load([&] {
    auto client = suite.Client();
    const std::string clerk = login(*client, "clerk", "window-e2e-pass");
    for (int n = 0; !stop; ++n) {
      auto submitted = client->Send("POST", "/v1/cases", Submission(n), clerk);
      if (!submitted.ok() || submitted->status != 201) {
        ++failures;
        continue;
      }
      const std::string id =
          Field(Field(ParseJson(submitted->body), "case").struct_value(), "case_id").string_value();
      auto accept = client->Send("POST", absl::StrCat("/v1/cases/", id, ":accept"),
                                 R"({"window_id":"W01"})", clerk);
      if (!accept.ok() || accept->status != 200) {
        ++failures;
        continue;
      }
      std::lock_guard lock(mu);
      accepted.push_back(id);
    }
  });
  auto accepted_count = [&] {
    std::lock_guard lock(mu);
    return accepted.size();
  };
  REQUIRE(Eventually([&] { return accepted_count() >= 20; }));

  // The backup, through the CLI: the three services, each paused in what it follows, the
  // gateway first.
  std::vector<std::string> before;
  {
    std::lock_guard lock(mu);
    before = accepted;
  }
  const absl::Time backup_start = absl::Now();
  REQUIRE(suite.Cli("backup intake workflow gateway --backup_root=" + suite.dir.Sub("backups")) ==
          0);
  const absl::Duration backup_took = absl::Now() - backup_start;
  const size_t during = accepted_count() - before.size();
  REQUIRE(Eventually([&] { return accepted_count() >= before.size() + during + 10; }));
  stop = true;
  load.join();
  WARN("backup of three services under load: " << absl::FormatDuration(backup_took) << "; "
                                               << before.size() << " cases before it, " << during
                                               << " accepted while it ran, " << accepted.size()
                                               << " in all, " << failures << " refused calls");
  const av1::Backup intake_backup = suite.LatestBackup(*suite.intake, "intake");
  const av1::Backup workflow_backup = suite.LatestBackup(*suite.workflow, "workflow");
  REQUIRE(suite.Cli("verify-backup intake --backup_dir=" + suite.dir.Sub("backups/intake")) == 0);
  // The backups agree: the workflow applied no more of intake's stream than intake's backup holds.
  uint64_t workflow_cursor = 0;
  for (const auto& c : workflow_backup.manifest().cursors()) {
    if (c.stream() == "intake") workflow_cursor = c.sequence();
  }
  CHECK(workflow_cursor > 0);
  CHECK(workflow_cursor <= intake_backup.manifest().stream().sequence());

  // The disks are lost.
  for (auto* process : {suite.gateway.get(), suite.workflow.get(), suite.intake.get()}) {
    process->Kill();
  }
  for (const char* name : {"intake", "workflow", "gateway"}) {
    std::filesystem::remove_all(suite.dir.Sub(name));
  }
  const absl::Time restore_start = absl::Now();
  for (const char* name : {"intake", "workflow", "gateway"}) {
    INFO(name);
    CHECK(suite.Cli(absl::StrCat("restore --service=", name,
                                 " --backup_dir=", suite.dir.Sub("backups/") + name,
                                 " --data_dir=", suite.dir.Sub(name))) == 0);
  }
  const absl::Duration restore_took = absl::Now() - restore_start;
  suite.StartAll();
  WARN("restore of three services: "
       << absl::FormatDuration(restore_took) << ", restarted in "
       << absl::FormatDuration(absl::Now() - restore_start - restore_took));

  // Every case acknowledged before the backup began is there, accepted, and routed.
  http = suite.Client();
  const std::string clerk = login(*http, "clerk", "window-e2e-pass");
  for (const std::string& id : before) {
    auto reply = http->Send("GET", absl::StrCat("/v1/cases/", id), "", clerk);
    REQUIRE(reply.ok());
    INFO(id << ": " << reply->body);
    CHECK(reply->status == 200);
    CHECK(reply->body.find("CASE_STATE_ACCEPTED") != std::string::npos);
  }
  CHECK(Eventually([&] {
    for (const std::string& id : before) {
      auto reply = http->Send("GET", absl::StrCat("/v1/cases/", id, "/process"), "", clerk);
      if (!reply.ok() || reply->status != 200 ||
          reply->body.find("STEP_STATE_") == std::string::npos) {
        return false;
      }
    }
    return true;
  }));

  // The streams go on from where the restored stores end: the next case's events follow the
  // restored intake stream with no gap, and the workflow applies them (its own stream, too,
  // going on from its restored end).
  const uint64_t intake_end = intake_backup.manifest().stream().sequence();
  const uint64_t workflow_end = workflow_backup.manifest().stream().sequence();
  auto submitted = http->Send("POST", "/v1/cases", Submission(100000), clerk);
  REQUIRE(submitted.ok());
  REQUIRE(submitted->status == 201);
  const std::string next_case =
      Field(Field(ParseJson(submitted->body), "case").struct_value(), "case_id").string_value();
  auto accept = http->Send("POST", absl::StrCat("/v1/cases/", next_case, ":accept"),
                           R"({"window_id":"W01"})", clerk);
  REQUIRE(accept.ok());
  REQUIRE(accept->status == 200);
  std::vector<events::v1::CaseEvent> intake_events;
  REQUIRE(suite
              .ReadStream(*suite.intake, "intake", "cli", workflow_cursor + 1,
                          intake_end - workflow_cursor + 2, &intake_events)
              .ok());
  for (size_t i = 0; i < intake_events.size(); ++i) {
    CHECK(intake_events[i].sequence() == workflow_cursor + 1 + i);
  }
  CHECK(intake_events.back().case_id() == next_case);
  CHECK(intake_events.back().type() == "intake.case.accepted");
  CHECK(Eventually([&] {
    auto reply = http->Send("GET", absl::StrCat("/v1/cases/", next_case, "/process"), "", clerk);
    return reply.ok() && reply->status == 200 &&
           reply->body.find("STEP_STATE_") != std::string::npos;
  }));
  std::vector<events::v1::CaseEvent> workflow_events;
  REQUIRE(
      suite.ReadStream(*suite.workflow, "workflow", "cli", workflow_end + 1, 3, &workflow_events)
          .ok());
  for (size_t i = 0; i < workflow_events.size(); ++i) {
    CHECK(workflow_events[i].sequence() == workflow_end + 1 + i);
  }

  // The gateway's audit chain, restored, verifies.
  const std::string auditor = login(*http, "auditor", "ledger-e2e-pass");
  auto verified = http->Send("GET", "/v1/audit:verify", "", auditor);
  REQUIRE(verified.ok());
  INFO(verified->body);
  CHECK(verified->status == 200);
  CHECK(Field(ParseJson(verified->body), "intact").bool_value());

  // The dangerous case: intake alone restored again, behind the workflow, which has applied
  // events since. The workflow's subscription from its cursor is refused, saying why.
  suite.intake->Kill();
  std::filesystem::remove_all(suite.dir.Sub("intake"));
  REQUIRE(suite.Cli("restore --service=intake --backup_dir=" + suite.dir.Sub("backups/intake") +
                    " --data_dir=" + suite.dir.Sub("intake")) == 0);
  BackupSuite::Started(*suite.intake);
  std::vector<events::v1::CaseEvent> ahead;
  grpc::Status refused =
      suite.ReadStream(*suite.intake, "intake", "workflow", intake_end + 3, 1, &ahead);
  INFO(refused.error_message());
  CHECK(refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(refused.error_message().find("restored from backup") != std::string::npos);
  // A reader at the restored end reads on.
  std::vector<events::v1::CaseEvent> behind;
  CHECK(suite.ReadStream(*suite.intake, "intake", "workflow", intake_end, 1, &behind).ok());
}

}  // namespace
}  // namespace sunlight
