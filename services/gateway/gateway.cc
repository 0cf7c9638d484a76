// The gateway's router and request pipeline; the routes themselves are in
// gateway_routes_*.cc, by audience.
#include "gateway.h"

#include <stdlib.h>

#include <filesystem>

#include <openssl/rand.h>

#include <algorithm>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "console_files.h"
#include "exchange/exchange_store.h"
#include "google/protobuf/dynamic_message.h"
#include "http_errors.h"
#include "personal_data.h"
#include "request_binding.h"
#include "route.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/eventlog/event_log.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
using auth::v1::Principal;

std::vector<std::string> GatewayColumnFamilies() {
  std::vector<std::string> families = {kUsersFamily, kSessionsFamily,  kGatewayMetaFamily,
                                       kAuditFamily, kAuditHeadFamily, kLoginFailuresFamily};
  // The provincial exchange's log and its stream cursors, its staged pushes and the
  // departments of the cases it relays.
  for (auto& f : eventlog::ColumnFamilies()) families.push_back(f);
  families.push_back(exchange_store::kPushes);
  families.push_back(exchange_store::kCaseDepartments);
  return families;
}

Gateway::Gateway(storage::Store* store, const Clock* clock, GatewayOptions options)
    : store_(store), clock_(clock), options_(std::move(options)), limits_(options_.limits) {}
Gateway::~Gateway() = default;

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Open(storage::Store* store, const Clock* clock,
                                                       GatewayOptions options) {
  std::unique_ptr<Gateway> gateway(new Gateway(store, clock, std::move(options)));
  if (gateway->options_.export_dir.empty()) {
    std::string dir = (std::filesystem::temp_directory_path() / "sunlight-exports-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("cannot create a directory for exports: ", dir));
    }
    gateway->options_.export_dir = dir;
  }
  const GatewayOptions& o = gateway->options_;
  // Without key files (tests, insecure development): keys of this process only.
  auto process_key = [](std::shared_ptr<const auth::HmacSigner> given)
      -> absl::StatusOr<std::shared_ptr<const auth::HmacSigner>> {
    if (given != nullptr) return given;
    unsigned char random[32];
    if (RAND_bytes(random, sizeof random) != 1) return absl::InternalError("no random bytes");
    return auth::HmacSigner::FromKey(
        absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(random), sizeof random)));
  };
  SUNLIGHT_ASSIGN_OR_RETURN(auto token_key, process_key(o.token_key));
  SUNLIGHT_ASSIGN_OR_RETURN(auto audit_key, process_key(o.audit_key));
  SUNLIGHT_ASSIGN_OR_RETURN(
      gateway->accounts_,
      Accounts::Open(store, clock, o.token_ttl, std::move(token_key), o.login_limits));
  SUNLIGHT_ASSIGN_OR_RETURN(
      gateway->audit_,
      AuditLog::Open(store, std::move(audit_key), o.audit_checkpoint_file,
                     o.principal_signer != nullptr ? o.principal_signer->key() : nullptr));
  SUNLIGHT_ASSIGN_OR_RETURN(gateway->pushes_, StagedPushes::Open(store));
  gateway->backend_ =
      o.backend != nullptr
          ? o.backend
          : std::shared_ptr<Backend>(NewGrpcBackend({.intake_target = o.intake_target,
                                                     .workflow_target = o.workflow_target,
                                                     .supervision_target = o.supervision_target,
                                                     .scoring_target = o.scoring_target,
                                                     .notify_target = o.notify_target,
                                                     .video_target = o.video_target,
                                                     .deadline = o.backend_deadline,
                                                     .signer = o.principal_signer,
                                                     .credentials = o.channel_credentials}));
  gateway->AddPublicRoutes();
  gateway->AddCatalogueRoutes();
  gateway->AddCaseRoutes();
  gateway->AddSupervisionRoutes();
  gateway->AddScoringRoutes();
  gateway->AddVoiceRoutes();
  gateway->AddAttendanceRoutes();
  gateway->AddNotifyRoutes();
  gateway->AddVideoRoutes();
  gateway->AddExportRoutes();
  gateway->AddAccountRoutes();
  gateway->AddExchangeRoutes();
  return gateway;
}

Gateway::Route& Gateway::AddRoute(std::string http_method, std::string pattern, uint32_t audience,
                                  std::string summary, const pb::MethodDescriptor* method) {
  auto route = std::make_unique<Route>();
  route->http_method = std::move(http_method);
  route->pattern = pattern;
  std::string path = pattern;
  if (size_t colon = path.rfind(':');
      colon != std::string::npos && path.find('/', colon) == std::string::npos) {
    route->verb = path.substr(colon);
    path = path.substr(0, colon);
  }
  route->segments = absl::StrSplit(path.substr(1), '/');
  route->audience = audience;
  route->has_body = route->http_method != "GET";
  route->summary = std::move(summary);
  route->method = method;
  if (method != nullptr) {
    route->input = method->input_type();
    route->output = method->output_type();
  }
  routes_.push_back(std::move(route));
  return *routes_.back();
}

HttpResponse Gateway::Handle(const HttpRequest& http) {
  if (!options_.console_dir.empty() && http.method == "GET" &&
      (http.path == "/" || http.path == "/console" || absl::StartsWith(http.path, "/console/"))) {
    return ServeConsoleFile(options_.console_dir, options_.console_vendor_dir, http.path);
  }
  if (http.path == "/healthz") {
    HttpResponse ok;
    ok.content_type = "text/plain";
    ok.body = "ok\n";
    return ok;
  }
  if (http.path == "/v1/openapi.json" && http.method == "GET") {
    HttpResponse doc;
    doc.body = OpenApiJson();
    return doc;
  }
  Call call;
  call.http = &http;
  std::string path = http.path;
  std::string verb;
  if (size_t colon = path.rfind(':');
      colon != std::string::npos && path.find('/', colon) == std::string::npos) {
    verb = path.substr(colon);
    path = path.substr(0, colon);
  }
  std::vector<std::string> segments = absl::StrSplit(path.substr(path.empty() ? 0 : 1), '/');
  bool path_matched = false;
  for (const auto& route : routes_) {
    if (route->verb != verb || route->segments.size() != segments.size()) continue;
    absl::flat_hash_map<std::string, std::string> params;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& want = route->segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        if (segments[i].empty()) match = false;
        params[want.substr(1, want.size() - 2)] = segments[i];
      } else if (want != segments[i]) {
        match = false;
      }
    }
    if (!match) continue;
    path_matched = true;
    if (route->http_method != http.method) continue;
    call.route = route.get();
    call.path_params = std::move(params);
    break;
  }
  const absl::Time began = absl::Now();
  HttpResponse response;
  if (call.route == nullptr) {
    response = path_matched ? ErrorResponse(405, "UNIMPLEMENTED",
                                            absl::StrCat(http.method, " is not allowed here"))
                            : ErrorResponse(404, "NOT_FOUND", absl::StrCat("no route ", http.path));
  } else {
    response = Serve(call);
  }
  // By pattern, never by path: a case id in a label would make a series per case.
  const std::string pattern = call.route == nullptr ? "unmatched" : call.route->pattern;
  const std::string method = call.route == nullptr ? "other" : http.method;
  http_metrics_.requests.Increment(
      {{"route", pattern}, {"method", method}, {"code", absl::StrCat(response.status)}});
  http_metrics_.duration.Observe({{"route", pattern}, {"method", method}},
                                 absl::ToDoubleSeconds(absl::Now() - began));
  return response;
}

HttpResponse Gateway::Serve(Call& call) {
  const Route& route = *call.route;
  const HttpRequest& http = *call.http;
  std::string action = absl::StrCat(route.http_method, " ", route.pattern);
  bool state_change = route.http_method != "GET";
  // Whose outcome is an audit entry, refused or not: changes, and the reads routes ask for.
  const bool audited = state_change || route.audited_read;
  const std::string& audit_action = route.audit_action.empty() ? action : route.audit_action;
  auto fail = [&](const absl::Status& status, std::string field = "") {
    HttpResponse response = ErrorFor(status, std::move(field));
    if (response.status == 429) metrics_.requests_limited.Increment();
    // An outcome: a failure to record it is logged (the intent is recorded already).
    if (audited) (void)Audit(call, audit_action, call.target, response.status);
    return response;
  };
  // An audited read's success goes out only once it is recorded (nothing is sent before).
  auto audit_read = [&](HttpResponse reply) {
    if (!route.audited_read) return reply;
    if (!Audit(call, audit_action, call.target, reply.status).ok() && reply.status < 400) {
      return ErrorFor(absl::UnavailableError("the audit log cannot be written; not shown"));
    }
    return reply;
  };

  // Who is calling.
  std::string authorization = http.Header("authorization");
  if (route.is_public) {
    if (absl::Status s = limits_.AllowPublic(http.client, clock_->Now()); !s.ok()) {
      metrics_.requests_limited.Increment();
      return ErrorFor(s);
    }
    // An applicant without an account: the client address goes into the audit entry (as
    // personal data), never into the records as the actor.
    call.principal.set_user_id("applicant:online");
    call.principal.set_role(auth::kApplicant);
  } else {
    // A token is printable ASCII (base64url and dots); anything else is refused unread.
    if (authorization.size() > 8192 || !std::all_of(authorization.begin(), authorization.end(),
                                                    [](char c) { return c >= 0x20 && c < 0x7F; })) {
      return ErrorResponse(400, "INVALID_ARGUMENT",
                           "Authorization: not a printable ASCII header value", "Authorization");
    }
    std::optional<std::string_view> token = BearerToken(authorization);
    if (!token.has_value()) {
      HttpResponse response =
          ErrorResponse(401, "UNAUTHENTICATED", "log in and send Authorization: Bearer <token>");
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
      return response;
    }
    bool must_change_password = false;
    auto principal = accounts_->Authenticate(*token, &must_change_password);
    if (!principal.ok()) {
      HttpResponse response = ErrorFor(principal.status());
      response.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return response;
    }
    call.principal = *std::move(principal);
    if (must_change_password && !route.open_before_password_change) {
      return fail(absl::PermissionDeniedError(
          "change your password first: POST /v1/me:change-password (a new or reset password "
          "is for that only)"));
    }
    if (absl::Status s =
            auth::RequireRole(call.principal, route.audience, route.staff_roles, action);
        !s.ok()) {
      return fail(s);
    }
  }
  {
    std::string field;
    if (absl::Status s = ValidateRequestText(http, call.path_params, &field); !s.ok()) {
      metrics_.requests_refused_text.Increment();
      return fail(s, field);
    }
  }
  if (route.stream) return audit_read(route.stream(call));

  // The request message: JSON body, then query arguments, then path parameters.
  std::unique_ptr<pb::Message> request(
      pb::MessageFactory::generated_factory()->GetPrototype(route.input)->New());
  {
    std::string field;
    if (absl::Status s = BindRequest(http, call.path_params, route.has_body, request.get(), &field);
        !s.ok()) {
      return fail(s, field);
    }
  }
  // The actor is the caller, whatever the body said.
  if (const pb::FieldDescriptor* f = route.input->FindFieldByName("actor");
      f != nullptr && f->message_type() == common::v1::Actor::descriptor()) {
    auto* actor =
        static_cast<common::v1::Actor*>(request->GetReflection()->MutableMessage(request.get(), f));
    actor->set_id(call.principal.user_id());
    actor->set_name(call.principal.name());
    actor->set_role(call.principal.role());
    actor->set_department_id(call.principal.department_id());
  }
  if (route.prepare) {
    if (absl::Status s = route.prepare(call, *request); !s.ok()) return fail(s);
  }

  // A change the backends make is recorded before it is attempted: one that cannot be
  // recorded is not made.
  if (state_change && !route.local) {
    if (absl::Status s = RecordIntent(call); !s.ok()) return ErrorFor(s);
  }
  absl::StatusOr<std::unique_ptr<pb::Message>> response =
      route.local ? route.local(call, *request) : Invoke(call, route.method, *request);
  if (!response.ok()) return fail(response.status());
  // Personal data is masked unless the route shows it in full to the caller's role.
  call.full_personal_data =
      std::find(route.full_personal_data_roles.begin(), route.full_personal_data_roles.end(),
                call.principal.role()) != route.full_personal_data_roles.end();
  if (route.finish) route.finish(call, **response);
  if (MaskPersonalData(response->get(),
                       call.full_personal_data ? kAllPersonalData : route.shown_personal_data)
          .dropped_payloads > 0) {
    LogError("gateway", absl::StrCat(action, ": a payload of an unknown type was dropped"));
  }
  HttpResponse reply = JsonResponse(**response, route.success_status);
  if (state_change) {
    (void)Audit(call, audit_action, call.target, reply.status);
  } else if (route.audited_read) {
    reply = audit_read(std::move(reply));
  }
  // Personal data in full goes out only once its reading is recorded.
  if (call.full_personal_data &&
      !Audit(call, "read_personal_data", call.target, reply.status).ok()) {
    return ErrorFor(absl::UnavailableError("the audit log cannot be written; not shown"));
  }
  return reply;
}

absl::StatusOr<std::unique_ptr<pb::Message>> Gateway::Invoke(const Call& call,
                                                             const pb::MethodDescriptor* method,
                                                             const pb::Message& request) {
  return backend_->Call(method, request, call.principal);
}

absl::Status Gateway::RecordIntent(const Call& call) {
  const Route& route = *call.route;
  const std::string action = route.audit_action.empty()
                                 ? absl::StrCat(route.http_method, " ", route.pattern)
                                 : route.audit_action;
  if (!Audit(call, action, call.target, 0, "intent").ok()) {
    return absl::UnavailableError("the audit log cannot be written; nothing was done");
  }
  return absl::OkStatus();
}

absl::Status Gateway::Audit(const Call& call, const std::string& action, const std::string& target,
                            int status, const std::string& phase) {
  v1::AuditEntry entry;
  *entry.mutable_at() = ToProto(clock_->Now());
  entry.set_user_id(call.principal.user_id());
  entry.set_role(call.principal.role());
  entry.set_department_id(call.principal.department_id());
  entry.set_action(action);
  entry.set_target(target);
  entry.set_http_status(status);
  entry.set_client(call.http == nullptr ? "" : call.http->client);
  entry.set_phase(phase);
  auto written = audit_->Append(std::move(entry));
  if (!written.ok()) {
    LogError("gateway", absl::StrCat("audit entry not written: ", written.status().ToString()));
    return written.status();
  }
  metrics_.audit_entries.Increment();
  return absl::OkStatus();
}

}  // namespace sunlight::gateway
