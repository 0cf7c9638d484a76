// sunlight: command-line client for the Sunlight services. Prints results as JSON.
//
//   sunlight load-catalogue deploy/demo/catalogue.json
//   sunlight submit --item=GT-001 --name=李明 --id-number=110101199003071234
//       --material=id-card:身份证 --material=application-form:申请书 --material=premises:租赁合同
//   sunlight accept c000000000001 --window=W01
//   sunlight get c000000000001 --history
//   sunlight deadline --accepted=2026-02-13T15:00:00+08:00 --days=5
//   sunlight backup intake --backup_dir=/var/backups/sunlight/intake     (admin_commands.h)
//   sunlight restore --backup_dir=/var/backups/sunlight/intake --data_dir=/srv/sunlight/intake
//
// Global flags (before or after the command): --intake=host:port (env SUNLIGHT_INTAKE,
// default 127.0.0.1:7001), --actor=id (env SUNLIGHT_ACTOR, default "cli"), --role= (env
// SUNLIGHT_ROLE, default window_clerk), --department= (env SUNLIGHT_DEPARTMENT), and
// --key_file= (env SUNLIGHT_KEY_FILE): the CLI's own Ed25519 key (cli.key); with it every
// call carries a principal for the actor, which the services accept only where an
// administrator has put cli.pub in their key directory. --tls_cert_file=, --tls_key_file=,
// --tls_ca_file= (env SUNLIGHT_TLS_CERT_FILE, ...): mutual TLS to the services.
#include <cctype>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "admin_commands.h"
#include "cli_output.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/auth/principal.h"
#include "sunlight/auth/signing_channel.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/utf8.h"
#include "sunlight/events/v1/events.grpc.pb.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/server/service_host.h"
#include "sunlight/server/tls.h"
#include "sunlight/supervision/v1/supervision.grpc.pb.h"
#include "sunlight/workflow/v1/workflow.grpc.pb.h"

namespace {

using sunlight::cli::Env;
using sunlight::cli::Print;
namespace iv1 = sunlight::intake::v1;
namespace wv1 = sunlight::workflow::v1;
namespace sv1 = sunlight::supervision::v1;

struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> flags;

  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  }
  std::vector<std::string> All(const std::string& name) const {
    std::vector<std::string> out;
    for (auto [it, end] = flags.equal_range(name); it != end; ++it) out.push_back(it->second);
    return out;
  }
  bool Has(const std::string& name) const { return flags.contains(name); }
};

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      size_t eq = a.find('=');
      if (eq == std::string::npos) {
        args.flags.emplace(a.substr(2), "true");
      } else {
        args.flags.emplace(a.substr(2, eq - 2), a.substr(eq + 1));
      }
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

int Report(const grpc::Status& status) {
  if (status.ok()) return 0;
  std::cerr << "error: " << sunlight::server::StatusCodeName(status.error_code()) << ": "
            << status.error_message() << "\n";
  return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? 2 : 1;
}

int Usage() {
  std::cerr << R"(usage: sunlight [--intake=host:port] [--actor=id] [--role=R] [--department=D]
                [--key_file=F] [--tls_cert_file=F --tls_key_file=F --tls_ca_file=F] COMMAND ...
commands:
  load-catalogue FILE                      departments, windows and items from a JSON file
  items [--department=D]                   latest version of every item
  item CODE [--version=N]                  one item version
  submit --item=CODE --name=N --id-number=ID [--phone=P] [--kind=person|organisation]
         [--channel=window|online] [--key=K] [--subject=S] [--material=code:name ...]
  accept CASE_ID [--window=W]
  refuse CASE_ID --reason=R [--window=W]
  request-supplement CASE_ID --missing=name:reason ...
  receive-supplement CASE_ID --material=code:name ...
  withdraw CASE_ID --reason=R --applicant_request=doc:ID|https://…
  get CASE_ID [--history]
  list --department=D [--state=ACCEPTED] [--page-size=N] [--page-token=T]
  progress CASE_NUMBER QUERY_CODE
  deadline --accepted=RFC3339 --days=N [--unit=working|natural|same-day]
           [--pause=START/END ...] [--as-of=RFC3339]
  watch [--from=SEQ] [--stream=intake|workflow|supervision]   follow an event stream
workflow (--workflow=host:port, env SUNLIGHT_WORKFLOW, default 127.0.0.1:7002):
  process CASE_ID [--history]              the case's steps, clocks and decision
  queue --person=P | --role=R --department=D | --department=D   work queue, most urgent first
  claim STEP_ID
  complete STEP_ID --opinion=pass|return|deny [--comment=C] [--return-to=CODE]
                   [--certificate=NUMBER]
  transfer STEP_ID [--to-person=P] [--to-department=D] --reason=R
  procedure-start CASE_ID --type=expert_review|hearing|... --reason=R --days=N
  procedure-end PROCEDURE_ID --outcome=O
  extend CASE_ID --days=N --reason=R
supervision (--supervision=host:port, env SUNLIGHT_SUPERVISION, default 127.0.0.1:7003):
  board                                    green / yellow / red case counts by department
  lights --light=red|yellow|green [--department=D]   case clocks of a light
  clocks CASE_ID                           a case's clocks with explanations
  alerts [--case=CASE_ID]                  alerts, oldest first
  notice-issue CASE_ID --reason=R --days=N (as an inspector: --role=inspector)
  notice-respond NOTICE_ID --response=R    (as the department)
  notice-decide NOTICE_ID --decision=accepted|escalated --text=T
  notice NOTICE_ID
  rules                                    the light rules in force
)" << sunlight::cli::kAdminUsage;
  return 2;
}

sunlight::common::v1::Actor MakeActor(const Args& args) {
  sunlight::common::v1::Actor actor;
  actor.set_id(args.Get("actor", Env("SUNLIGHT_ACTOR", "cli")));
  actor.set_name(args.Get("actor-name", actor.id()));
  actor.set_role(args.Get("role", Env("SUNLIGHT_ROLE", "window_clerk")));
  actor.set_department_id(args.Get("department", Env("SUNLIGHT_DEPARTMENT", "")));
  return actor;
}

bool ParseTime(const std::string& text, google::protobuf::Timestamp* out) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    std::cerr << "error: not an RFC 3339 time: " << text << " (" << err << ")\n";
    return false;
  }
  out->set_seconds(absl::ToUnixSeconds(t));
  return true;
}

std::pair<std::string, std::string> SplitPair(const std::string& s) {
  size_t colon = s.find(':');
  if (colon == std::string::npos) return {"", s};
  return {s.substr(0, colon), s.substr(colon + 1)};
}

int LoadCatalogue(iv1::Intake::Stub& stub, const Args& args) {
  if (args.positional.size() < 2) return Usage();
  std::ifstream in(args.positional[1]);
  if (!in) {
    std::cerr << "error: cannot read " << args.positional[1] << "\n";
    return 1;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  iv1::CatalogueFile file;
  auto parsed = google::protobuf::util::JsonStringToMessage(buffer.str(), &file);
  if (!parsed.ok()) {
    std::cerr << "error: " << args.positional[1] << ": " << parsed.ToString() << "\n";
    return 2;
  }
  auto actor = MakeActor(args);
  for (const auto& department : file.departments()) {
    grpc::ClientContext context;
    iv1::UpsertDepartmentRequest request;
    *request.mutable_actor() = actor;
    *request.mutable_department() = department;
    iv1::Department response;
    if (int rc = Report(stub.UpsertDepartment(&context, request, &response))) return rc;
  }
  for (const auto& window : file.windows()) {
    grpc::ClientContext context;
    iv1::UpsertWindowRequest request;
    *request.mutable_actor() = actor;
    *request.mutable_window() = window;
    iv1::Window response;
    if (int rc = Report(stub.UpsertWindow(&context, request, &response))) return rc;
  }
  for (const auto& item : file.items()) {
    grpc::ClientContext context;
    iv1::PublishItemVersionRequest request;
    *request.mutable_actor() = actor;
    *request.mutable_definition() = item;
    iv1::ItemVersion response;
    if (int rc = Report(stub.PublishItemVersion(&context, request, &response))) return rc;
    std::cout << "published " << response.definition().item_code() << " version "
              << response.version() << "  " << response.definition().name() << "\n";
  }
  std::cout << file.departments_size() << " departments, " << file.windows_size() << " windows, "
            << file.items_size() << " items\n";
  return 0;
}

int Submit(iv1::Intake::Stub& stub, const Args& args) {
  iv1::SubmitCaseRequest request;
  *request.mutable_actor() = MakeActor(args);
  request.set_idempotency_key(
      args.Get("key", absl::StrCat("cli-", absl::ToUnixNanos(absl::Now()))));
  request.set_item_code(args.Get("item"));
  request.set_channel(args.Get("channel", "window") == "online" ? iv1::CHANNEL_ONLINE
                                                                : iv1::CHANNEL_WINDOW);
  request.set_subject(args.Get("subject"));
  auto* applicant = request.mutable_applicant();
  applicant->set_kind(args.Get("kind", "person") == "organisation"
                          ? iv1::APPLICANT_KIND_ORGANISATION
                          : iv1::APPLICANT_KIND_PERSON);
  applicant->set_name(args.Get("name"));
  applicant->set_id_number(args.Get("id-number"));
  applicant->set_phone(args.Get("phone"));
  for (const auto& m : args.All("material")) {
    auto [code, name] = SplitPair(m);
    auto* material = request.add_materials();
    material->set_code(code);
    material->set_name(name);
  }
  grpc::ClientContext context;
  iv1::SubmitCaseResponse response;
  if (int rc = Report(stub.SubmitCase(&context, request, &response))) return rc;
  Print(response);
  return 0;
}

template <typename Request, typename Method>
int CaseAction(iv1::Intake::Stub& stub, const Args& args, Request request, Method method) {
  if (args.positional.size() < 2) return Usage();
  *request.mutable_actor() = MakeActor(args);
  request.set_case_id(args.positional[1]);
  grpc::ClientContext context;
  iv1::CaseResponse response;
  if (int rc = Report((stub.*method)(&context, request, &response))) return rc;
  Print(response);
  return 0;
}

int Deadline(iv1::Intake::Stub& stub, const Args& args) {
  iv1::ComputeDeadlineRequest request;
  if (!ParseTime(args.Get("accepted"), request.mutable_accepted_at())) return 2;
  uint32_t days = 0;
  if (!absl::SimpleAtoi(args.Get("days", "0"), &days)) {
    std::cerr << "error: --days: not a number\n";
    return 2;
  }
  request.mutable_limit()->set_amount(days);
  std::string unit = args.Get("unit", "working");
  request.mutable_limit()->set_unit(
      unit == "natural"    ? sunlight::common::v1::LIMIT_UNIT_NATURAL_DAYS
      : unit == "same-day" ? sunlight::common::v1::LIMIT_UNIT_SAME_DAY
                           : sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS);
  for (const auto& p : args.All("pause")) {
    std::vector<std::string> parts = absl::StrSplit(p, '/');
    auto* pause = request.add_pauses();
    if (!ParseTime(parts[0], pause->mutable_start())) return 2;
    if (parts.size() > 1 && !parts[1].empty() && !ParseTime(parts[1], pause->mutable_end())) {
      return 2;
    }
  }
  if (args.Has("as-of") && !ParseTime(args.Get("as-of"), request.mutable_as_of())) return 2;
  grpc::ClientContext context;
  sunlight::calendar::v1::DeadlineExplanation response;
  if (int rc = Report(stub.ComputeDeadline(&context, request, &response))) return rc;
  Print(response);
  return 0;
}

template <typename Request, typename Method>
int WorkflowAction(wv1::Workflow::Stub& stub, Request request, Method method) {
  grpc::ClientContext context;
  wv1::ProcessResponse response;
  if (int rc = Report((stub.*method)(&context, request, &response))) return rc;
  Print(response);
  return 0;
}

// Workflow commands; returns -1 when `command` is not one of them.
int RunWorkflowCommand(wv1::Workflow::Stub& stub, const std::string& command, const Args& args) {
  const std::string target = args.positional.size() >= 2 ? args.positional[1] : "";
  if (command == "process" && !target.empty()) {
    grpc::ClientContext context;
    wv1::GetProcessRequest request;
    request.set_case_id(target);
    request.set_include_history(args.Has("history"));
    wv1::GetProcessResponse response;
    if (int rc = Report(stub.GetProcess(&context, request, &response))) return rc;
    Print(response);
    return 0;
  }
  if (command == "queue") {
    grpc::ClientContext context;
    wv1::ListWorkQueueRequest request;
    if (args.Has("person")) {
      request.set_person_id(args.Get("person"));
    } else if (args.Has("role")) {
      request.mutable_role()->set_role(args.Get("role"));
      request.mutable_role()->set_department_id(args.Get("department"));
    } else {
      request.set_department_id(args.Get("department"));
    }
    uint32_t page_size = 0;
    (void)absl::SimpleAtoi(args.Get("page-size", "0"), &page_size);
    request.mutable_page()->set_page_size(page_size);
    request.mutable_page()->set_page_token(args.Get("page-token"));
    wv1::ListWorkQueueResponse response;
    if (int rc = Report(stub.ListWorkQueue(&context, request, &response))) return rc;
    Print(response);
    return 0;
  }
  if (target.empty()) return -1;
  if (command == "claim") {
    wv1::ClaimStepRequest request;
    *request.mutable_actor() = MakeActor(args);
    request.set_step_id(target);
    return WorkflowAction(stub, request, &wv1::Workflow::Stub::ClaimStep);
  }
  if (command == "complete") {
    wv1::CompleteStepRequest request;
    *request.mutable_actor() = MakeActor(args);
    request.set_step_id(target);
    wv1::Opinion opinion = wv1::OPINION_UNSPECIFIED;
    std::string text = args.Get("opinion", "pass");
    for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    (void)wv1::Opinion_Parse("OPINION_" + text, &opinion);
    request.set_opinion(opinion);
    request.set_comment(args.Get("comment"));
    request.set_return_to_step_code(args.Get("return-to"));
    request.set_certificate_number(args.Get("certificate"));
    return WorkflowAction(stub, request, &wv1::Workflow::Stub::CompleteStep);
  }
  if (command == "transfer") {
    wv1::TransferStepRequest request;
    *request.mutable_actor() = MakeActor(args);
    request.set_step_id(target);
    request.set_to_assignee(args.Get("to-person"));
    request.set_to_department_id(args.Get("to-department"));
    request.set_reason(args.Get("reason"));
    return WorkflowAction(stub, request, &wv1::Workflow::Stub::TransferStep);
  }
  if (command == "procedure-start") {
    wv1::StartSpecialProcedureRequest request;
    *request.mutable_actor() = MakeActor(args);
    request.set_case_id(target);
    wv1::ProcedureType type = wv1::PROCEDURE_TYPE_UNSPECIFIED;
    std::string text = args.Get("type");
    for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    (void)wv1::ProcedureType_Parse("PROCEDURE_TYPE_" + text, &type);
    request.set_type(type);
    request.set_reason(args.Get("reason"));
    uint32_t days = 0;
    (void)absl::SimpleAtoi(args.Get("days", "0"), &days);
    request.mutable_limit()->set_amount(days);
    request.mutable_limit()->set_unit(sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS);
    return WorkflowAction(stub, request, &wv1::Workflow::Stub::StartSpecialProcedure);
  }
  if (command == "procedure-end") {
    wv1::EndSpecialProcedureRequest request;
    *request.mutable_actor() = MakeActor(args);
    request.set_procedure_id(target);
    request.set_outcome(args.Get("outcome"));
    return WorkflowAction(stub, request, &wv1::Workflow::Stub::EndSpecialProcedure);
  }
  if (command == "extend") {
    wv1::ApproveExtensionRequest request;
    *request.mutable_actor() = MakeActor(args);
    request.set_case_id(target);
    uint32_t days = 0;
    (void)absl::SimpleAtoi(args.Get("days", "0"), &days);
    request.set_working_days(days);
    request.set_reason(args.Get("reason"));
    return WorkflowAction(stub, request, &wv1::Workflow::Stub::ApproveExtension);
  }
  return -1;
}

// Supervision commands; returns -1 when `command` is not one of them.
int RunSupervisionCommand(sv1::Supervision::Stub& stub, const std::string& command,
                          const Args& args) {
  const std::string target = args.positional.size() >= 2 ? args.positional[1] : "";
  grpc::ClientContext context;
  auto print_result = [](const grpc::Status& status, const google::protobuf::Message& m) {
    if (int rc = Report(status)) return rc;
    Print(m);
    return 0;
  };
  if (command == "board") {
    sv1::GetLightBoardResponse response;
    return print_result(stub.GetLightBoard(&context, sv1::GetLightBoardRequest(), &response),
                        response);
  }
  if (command == "lights") {
    sv1::ListClocksRequest request;
    std::string light = args.Get("light", "red");
    for (auto& c : light) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    sv1::Light value = sv1::LIGHT_UNSPECIFIED;
    (void)sv1::Light_Parse("LIGHT_" + light, &value);
    request.set_light(value);
    request.set_department_id(args.Get("department"));
    uint32_t page_size = 0;
    (void)absl::SimpleAtoi(args.Get("page-size", "0"), &page_size);
    request.mutable_page()->set_page_size(page_size);
    request.mutable_page()->set_page_token(args.Get("page-token"));
    sv1::ListClocksResponse response;
    return print_result(stub.ListClocks(&context, request, &response), response);
  }
  if (command == "alerts") {
    sv1::ListAlertsRequest request;
    request.set_case_id(args.Get("case"));
    request.mutable_page()->set_page_token(args.Get("page-token"));
    sv1::ListAlertsResponse response;
    return print_result(stub.ListAlerts(&context, request, &response), response);
  }
  if (command == "rules") {
    sv1::RuleSet response;
    return print_result(stub.GetRuleSet(&context, sv1::GetRuleSetRequest(), &response), response);
  }
  if (target.empty()) return -1;
  if (command == "clocks") {
    sv1::GetCaseClocksRequest request;
    request.set_case_id(target);
    sv1::GetCaseClocksResponse response;
    return print_result(stub.GetCaseClocks(&context, request, &response), response);
  }
  if (command == "notice") {
    sv1::GetNoticeRequest request;
    request.set_notice_id(target);
    sv1::NoticeResponse response;
    return print_result(stub.GetNotice(&context, request, &response), response);
  }
  if (command == "notice-issue") {
    sv1::IssueNoticeRequest request;
    *request.mutable_actor() = MakeActor(args);
    request.set_case_id(target);
    request.set_reason(args.Get("reason"));
    uint32_t days = 0;
    (void)absl::SimpleAtoi(args.Get("days", "0"), &days);
    request.mutable_response_limit()->set_amount(days);
    request.mutable_response_limit()->set_unit(sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS);
    sv1::NoticeResponse response;
    return print_result(stub.IssueNotice(&context, request, &response), response);
  }
  if (command == "notice-respond") {
    sv1::RespondToNoticeRequest request;
    *request.mutable_actor() = MakeActor(args);
    request.set_notice_id(target);
    request.set_response(args.Get("response"));
    sv1::NoticeResponse response;
    return print_result(stub.RespondToNotice(&context, request, &response), response);
  }
  if (command == "notice-decide") {
    sv1::DecideNoticeRequest request;
    *request.mutable_actor() = MakeActor(args);
    request.set_notice_id(target);
    request.set_decision(args.Get("decision") == "escalated" ? sv1::NOTICE_STATE_ESCALATED
                                                             : sv1::NOTICE_STATE_ACCEPTED);
    request.set_text(args.Get("text"));
    sv1::NoticeResponse response;
    return print_result(stub.DecideNotice(&context, request, &response), response);
  }
  return -1;
}

int Watch(const std::shared_ptr<grpc::Channel>& channel, const Args& args) {
  auto stub = sunlight::events::v1::EventStream::NewStub(channel);
  grpc::ClientContext context;
  sunlight::events::v1::SubscribeRequest request;
  uint64_t from = 1;
  (void)absl::SimpleAtoi(args.Get("from", "1"), &from);
  request.set_from_sequence(from);
  auto reader = stub->Subscribe(&context, request);
  sunlight::events::v1::CaseEvent event;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  while (reader->Read(&event)) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(event, &json, options);
    std::cout << json << std::endl;
  }
  return Report(reader->Finish());
}

}  // namespace

int main(int argc, char** argv) {
  // Everything typed goes into proto strings, which must be UTF-8: say so here, not as the
  // service's bare INTERNAL for a request it cannot parse.
  for (int i = 1; i < argc; ++i) {
    if (!sunlight::IsValidUtf8(argv[i])) {
      std::cerr << "error: argument " << i
                << " is not valid UTF-8: " << sunlight::PrintableText(argv[i]) << "\n";
      return 2;
    }
  }
  Args args = ParseArgs(argc, argv);
  if (args.positional.empty()) return Usage();
  // With its key the CLI signs each call for its --actor (services accept that only where an
  // administrator has put cli.pub in their key directory).
  std::shared_ptr<const sunlight::auth::PrincipalSigner> signer;
  if (std::string key_file = args.Get("key_file", Env("SUNLIGHT_KEY_FILE", ""));
      !key_file.empty()) {
    auto key = sunlight::auth::SigningKey::FromFile(key_file);
    if (!key.ok()) {
      std::cerr << "error: --key_file: " << key.status().message() << "\n";
      return 2;
    }
    signer = std::make_shared<sunlight::auth::PrincipalSigner>(sunlight::auth::kCliIssuer, *key);
  }
  // Streams (`watch`) are open to administrators: --role=administrator.
  sunlight::auth::v1::Principal principal;
  auto actor = MakeActor(args);
  principal.set_user_id(actor.id());
  principal.set_name(actor.name());
  principal.set_role(actor.role());
  principal.set_department_id(actor.department_id());
  sunlight::server::TlsFiles tls{
      .cert_file = args.Get("tls_cert_file", Env("SUNLIGHT_TLS_CERT_FILE", "")),
      .key_file = args.Get("tls_key_file", Env("SUNLIGHT_TLS_KEY_FILE", "")),
      .ca_file = args.Get("tls_ca_file", Env("SUNLIGHT_TLS_CA_FILE", "")),
      .crl_dir = ""};
  auto credentials = sunlight::server::ChannelCredentialsFor(tls);
  if (!credentials.ok()) {
    std::cerr << "error: " << credentials.status().message() << "\n";
    return 2;
  }
  // Backups and restores (admin_commands.h): for an administrator unless --role says otherwise.
  sunlight::cli::AdminCommandContext admin{
      .positional = {args.positional.begin() + 1, args.positional.end()},
      .flag = [&args](const std::string& name,
                      const std::string& fallback) { return args.Get(name, fallback); },
      .credentials = *credentials,
      .signer = signer,
      .principal = principal};
  if (!args.Has("role")) admin.principal.set_role(sunlight::auth::kAdministrator);
  if (int rc = sunlight::cli::RunAdminCommand(args.positional[0], admin); rc >= 0) return rc;
  auto connect = [&](const char* flag, const char* env, const char* fallback, const char* service) {
    return sunlight::auth::SigningChannel(args.Get(flag, Env(env, fallback)), *credentials, signer,
                                          principal, service);
  };
  auto channel = connect("intake", "SUNLIGHT_INTAKE", "127.0.0.1:7001", "intake");
  auto stub = iv1::Intake::NewStub(channel);
  const std::string& command = args.positional[0];

  if (command == "load-catalogue") return LoadCatalogue(*stub, args);
  if (command == "submit") return Submit(*stub, args);
  if (command == "deadline") return Deadline(*stub, args);
  auto workflow_channel = connect("workflow", "SUNLIGHT_WORKFLOW", "127.0.0.1:7002", "workflow");
  auto supervision_channel =
      connect("supervision", "SUNLIGHT_SUPERVISION", "127.0.0.1:7003", "supervision");
  if (command == "watch") {
    std::string stream = args.Get("stream", "intake");
    return Watch(stream == "workflow"      ? workflow_channel
                 : stream == "supervision" ? supervision_channel
                                           : channel,
                 args);
  }
  auto supervision_stub = sv1::Supervision::NewStub(supervision_channel);
  if (int rc = RunSupervisionCommand(*supervision_stub, command, args); rc >= 0) return rc;
  auto workflow_stub = wv1::Workflow::NewStub(workflow_channel);
  if (int rc = RunWorkflowCommand(*workflow_stub, command, args); rc >= 0) return rc;
  if (command == "accept") {
    iv1::AcceptCaseRequest request;
    request.set_window_id(args.Get("window"));
    return CaseAction(*stub, args, request, &iv1::Intake::Stub::AcceptCase);
  }
  if (command == "refuse") {
    iv1::RefuseCaseRequest request;
    request.set_reason(args.Get("reason"));
    request.set_window_id(args.Get("window"));
    return CaseAction(*stub, args, request, &iv1::Intake::Stub::RefuseCase);
  }
  if (command == "request-supplement") {
    iv1::RequestSupplementRequest request;
    for (const auto& m : args.All("missing")) {
      auto [name, reason] = SplitPair(m);
      auto* missing = request.add_missing_materials();
      missing->set_name(name.empty() ? reason : name);
      missing->set_reason(name.empty() ? "" : reason);
    }
    return CaseAction(*stub, args, request, &iv1::Intake::Stub::RequestSupplement);
  }
  if (command == "receive-supplement") {
    iv1::ReceiveSupplementRequest request;
    for (const auto& m : args.All("material")) {
      auto [code, name] = SplitPair(m);
      auto* material = request.add_materials();
      material->set_code(code);
      material->set_name(name);
    }
    return CaseAction(*stub, args, request, &iv1::Intake::Stub::ReceiveSupplement);
  }
  if (command == "withdraw") {
    iv1::WithdrawCaseRequest request;
    request.set_reason(args.Get("reason"));
    request.set_applicant_request(args.Get("applicant_request"));
    return CaseAction(*stub, args, request, &iv1::Intake::Stub::WithdrawCase);
  }
  grpc::ClientContext context;
  if (command == "items") {
    iv1::ListItemsRequest request;
    request.set_department_id(args.Get("department"));
    iv1::ListItemsResponse response;
    if (int rc = Report(stub->ListItems(&context, request, &response))) return rc;
    Print(response);
    return 0;
  }
  if (command == "item" && args.positional.size() >= 2) {
    iv1::GetItemRequest request;
    request.set_item_code(args.positional[1]);
    uint32_t version = 0;
    (void)absl::SimpleAtoi(args.Get("version", "0"), &version);
    request.set_version(version);
    iv1::ItemVersion response;
    if (int rc = Report(stub->GetItem(&context, request, &response))) return rc;
    Print(response);
    return 0;
  }
  if (command == "get" && args.positional.size() >= 2) {
    iv1::GetCaseRequest request;
    request.set_case_id(args.positional[1]);
    request.set_include_history(args.Has("history"));
    iv1::GetCaseResponse response;
    if (int rc = Report(stub->GetCase(&context, request, &response))) return rc;
    Print(response);
    return 0;
  }
  if (command == "list") {
    iv1::ListCasesRequest request;
    request.set_department_id(args.Get("department"));
    iv1::CaseState state = iv1::CASE_STATE_UNSPECIFIED;
    if (args.Has("state") && !iv1::CaseState_Parse("CASE_STATE_" + args.Get("state"), &state)) {
      std::cerr << "error: --state: unknown state " << args.Get("state") << "\n";
      return 2;
    }
    request.set_state(state);
    uint32_t page_size = 0;
    (void)absl::SimpleAtoi(args.Get("page-size", "0"), &page_size);
    request.mutable_page()->set_page_size(page_size);
    request.mutable_page()->set_page_token(args.Get("page-token"));
    iv1::ListCasesResponse response;
    if (int rc = Report(stub->ListCases(&context, request, &response))) return rc;
    Print(response);
    return 0;
  }
  if (command == "progress" && args.positional.size() >= 3) {
    iv1::QueryProgressRequest request;
    request.set_case_number(args.positional[1]);
    request.set_query_code(args.positional[2]);
    iv1::QueryProgressResponse response;
    if (int rc = Report(stub->QueryProgress(&context, request, &response))) return rc;
    Print(response);
    return 0;
  }
  return Usage();
}
