#include "gateway.h"

#include <fstream>
#include <future>
#include <map>

#include "route.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/support/byte_buffer.h"
#include "sunlight/base/log.h"
#include "sunlight/base/mask.h"
#include "sunlight/base/message_text.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/base/utf8.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/server/service_host.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
namespace iv1 = ::sunlight::intake::v1;
namespace wv1 = ::sunlight::workflow::v1;
namespace sv1 = ::sunlight::supervision::v1;
using auth::v1::Principal;

namespace {

constexpr uint32_t kSignedIn = auth::kStaff | auth::kInspectors | auth::kAdministrators;
constexpr char kNotFoundCase[] = "no such case";

absl::Status NotFoundCase() { return absl::NotFoundError(kNotFoundCase); }

bool IsStaff(const Principal& p) { return auth::AudienceOf(p) == auth::kStaff; }

// "field: what" (request_validation.h) -> "field".
std::string FieldOf(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return "";
  std::string message(status.message());
  size_t colon = message.find(": ");
  if (colon == std::string::npos) return "";
  std::string field = message.substr(0, colon);
  if (field.empty() || field.find(' ') != std::string::npos) return "";
  return field;
}

HttpResponse ErrorFor(const absl::Status& status, std::string field = "") {
  // (ErrorResponse makes message and field printable: they may quote request text.)
  if (field.empty()) field = FieldOf(status);
  return ErrorResponse(HttpStatusFor(status.code()),
                       server::StatusCodeName(static_cast<grpc::StatusCode>(status.code())),
                       std::string(status.message()), field);
}

std::string ToJson(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!pb::util::MessageToJsonString(message, &json, options).ok()) {
    return "{}";  // only when a packed payload's type is unknown to the gateway
  }
  return json;
}

HttpResponse JsonResponse(const pb::Message& message, int status = 200) {
  HttpResponse response;
  response.status = status;
  response.body = ToJson(message);
  return response;
}

// JSON parse errors of protobuf name the field as "(field.path)" or after "field ".
std::string FieldOfJsonError(std::string_view message) {
  size_t open = message.find('(');
  size_t close = message.find(')', open == std::string_view::npos ? 0 : open);
  if (open != std::string_view::npos && close != std::string_view::npos && close > open + 1) {
    return std::string(message.substr(open + 1, close - open - 1));
  }
  constexpr std::string_view kUnknown = ": Cannot find field.";
  if (size_t at = message.find(kUnknown); at != std::string_view::npos) {
    return std::string(message.substr(0, at));
  }
  return "";
}

absl::Status SetScalar(pb::Message* message, const pb::FieldDescriptor* field,
                       const std::string& text, const std::string& name) {
  const pb::Reflection* r = message->GetReflection();
  auto bad = [&](const char* what) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", what));
  };
  if (field->is_repeated()) return bad("cannot be set from the query");
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      r->SetString(message, field, text);
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      if (text == "true" || text == "1") {
        r->SetBool(message, field, true);
      } else if (text == "false" || text == "0") {
        r->SetBool(message, field, false);
      } else {
        return bad("must be true or false");
      }
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("must be a non-negative integer");
      r->SetUInt32(message, field, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("must be a non-negative integer");
      r->SetUInt64(message, field, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("must be an integer");
      r->SetInt32(message, field, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("must be an integer");
      r->SetInt64(message, field, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumValueDescriptor* value = field->enum_type()->FindValueByName(text);
      if (value == nullptr) return bad("not a value of the enumeration");
      r->SetEnum(message, field, value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      if (field->message_type()->full_name() == "google.protobuf.Timestamp") {
        absl::Time t;
        std::string error;
        if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
          return bad("must be an RFC 3339 time");
        }
        r->MutableMessage(message, field)->CopyFrom(ToProto(t));
        return absl::OkStatus();
      }
      return bad("cannot be set from the query");
    default:
      return bad("cannot be set from the query");
  }
}

// Longest path parameter (an identifier or a code) and query argument.
constexpr size_t kMaxPathParamBytes = 256;
constexpr size_t kMaxQueryArgumentBytes = 1024;
constexpr size_t kMaxQueryNameBytes = 128;

// The JSON member path ("materials[1].name") at byte `offset` of a JSON text, "" at its top.
// Used to name the field whose text holds a byte that is not UTF-8: everything before the
// offset is well-formed, so the names on the path are too.
std::string JsonPathAt(absl::string_view json, size_t offset) {
  struct Frame {
    bool object;
    std::string key;
    int index = 0;
    bool expecting_key = true;
  };
  std::vector<Frame> stack;
  auto path = [&] {
    std::string out;
    for (const Frame& f : stack) {
      if (!f.object) {
        absl::StrAppend(&out, "[", f.index, "]");
      } else if (!f.key.empty() && !f.expecting_key) {
        absl::StrAppend(&out, out.empty() ? "" : ".", f.key);
      }
    }
    return out;
  };
  size_t i = 0;
  while (i < offset && i < json.size()) {
    const char c = json[i];
    if (c == '"') {
      const size_t start = ++i;
      while (i < json.size() && json[i] != '"') i += json[i] == '\\' ? 2 : 1;
      const bool is_key = !stack.empty() && stack.back().object && stack.back().expecting_key;
      if (offset <= i) return path();  // inside this string (a member name: its object)
      if (is_key) {
        stack.back().key = std::string(json.substr(start, i - start));
        stack.back().expecting_key = false;
      }
    } else if (c == '{' || c == '[') {
      stack.push_back({.object = c == '{'});
    } else if ((c == '}' || c == ']') && !stack.empty()) {
      stack.pop_back();
    } else if (c == ',' && !stack.empty()) {
      if (stack.back().object) {
        stack.back().expecting_key = true;
      } else {
        ++stack.back().index;
      }
    }
    ++i;
  }
  return path();
}

// Every byte string of a request is checked where it enters: well-formed UTF-8 within its
// length, or 400 naming the field (the message never repeats the bytes).
absl::Status ValidateRequestText(const HttpRequest& http,
                                 const absl::flat_hash_map<std::string, std::string>& params,
                                 std::string* field) {
  for (const auto& [name, value] : params) {
    if (absl::Status s = RequireUtf8(value, name, kMaxPathParamBytes); !s.ok()) {
      *field = name;
      return s;
    }
  }
  for (const auto& [name, value] : http.query) {
    if (!IsValidUtf8(name) || name.size() > kMaxQueryNameBytes) {
      *field = "query";
      return InvalidField("query", "a parameter name is not valid UTF-8 or too long");
    }
    if (absl::Status s = RequireUtf8(value, name, kMaxQueryArgumentBytes); !s.ok()) {
      *field = name;
      return s;
    }
  }
  if (size_t bad = FindInvalidUtf8(http.body); bad != absl::string_view::npos) {
    *field = JsonPathAt(http.body, bad);
    if (field->empty()) *field = "body";
    return InvalidField(*field, absl::StrCat("not valid UTF-8 (byte ", bad, " of the body)"));
  }
  return absl::OkStatus();
}

// Sets "a.b.c" in a message from text (query arguments).
absl::Status SetPath(pb::Message* message, const std::string& path, const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  pb::Message* at = message;
  for (size_t i = 0; i < parts.size(); ++i) {
    const pb::FieldDescriptor* field = at->GetDescriptor()->FindFieldByName(parts[i]);
    if (field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": no such parameter"));
    }
    if (i + 1 == parts.size()) return SetScalar(at, field, text, path);
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": no such parameter"));
    }
    at = at->GetReflection()->MutableMessage(at, field);
  }
  return absl::OkStatus();
}

}  // namespace

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void MaskPersonalData(pb::Message* message) {
  const pb::Descriptor* d = message->GetDescriptor();
  const pb::Reflection* r = message->GetReflection();
  if (d->full_name() == "google.protobuf.Any") {
    auto* any = static_cast<pb::Any*>(message);
    const pb::Descriptor* type = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(
        std::string(absl::StripPrefix(any->type_url(), "type.googleapis.com/")));
    if (type == nullptr) return;
    std::unique_ptr<pb::Message> inner(
        pb::MessageFactory::generated_factory()->GetPrototype(type)->New());
    if (!any->UnpackTo(inner.get())) return;
    MaskPersonalData(inner.get());
    any->PackFrom(*inner);
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING && !f->is_repeated()) {
      if (f->name() == "id_number") {
        r->SetString(message, f, MaskIdNumber(r->GetString(*message, f)));
      } else if (f->name() == "phone") {
        r->SetString(message, f, MaskPhone(r->GetString(*message, f)));
      } else if (f->name() == "query_code") {
        r->ClearField(message, f);
      }
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int j = 0; j < r->FieldSize(*message, f); ++j) {
          MaskPersonalData(r->MutableRepeatedMessage(message, f, j));
        }
      } else if (r->HasField(*message, f)) {
        MaskPersonalData(r->MutableMessage(message, f));
      }
    }
  }
}

std::vector<std::string> GatewayColumnFamilies() {
  std::vector<std::string> families = {kUsersFamily, kSessionsFamily, kGatewayMetaFamily,
                                       kAuditFamily, kAuditHeadFamily};
  // The provincial exchange's log and its stream cursors.
  for (auto& f : eventlog::ColumnFamilies()) families.push_back(f);
  return families;
}

// ---------------------------------------------------------------- routes

Gateway::Gateway(storage::Store* store, const Clock* clock, GatewayOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}
Gateway::~Gateway() = default;

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Open(storage::Store* store, const Clock* clock,
                                                       GatewayOptions options) {
  std::unique_ptr<Gateway> gateway(new Gateway(store, clock, std::move(options)));
  SUNLIGHT_ASSIGN_OR_RETURN(gateway->accounts_,
                            Accounts::Open(store, clock, gateway->options_.token_ttl));
  SUNLIGHT_ASSIGN_OR_RETURN(gateway->audit_, AuditLog::Open(store));
  auto channel = [](const std::string& target) {
    grpc::ChannelArguments args;
    return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  };
  const GatewayOptions& o = gateway->options_;
  gateway->stubs_["sunlight.intake.v1.Intake"] =
      std::make_unique<grpc::GenericStub>(channel(o.intake_target));
  gateway->stubs_["sunlight.workflow.v1.Workflow"] =
      std::make_unique<grpc::GenericStub>(channel(o.workflow_target));
  gateway->stubs_["sunlight.supervision.v1.Supervision"] =
      std::make_unique<grpc::GenericStub>(channel(o.supervision_target));
  gateway->AddRoutes();
  return gateway;
}

void Gateway::AddRoutes() {
  const pb::FileDescriptor* intake_file = iv1::Case::descriptor()->file();
  const pb::FileDescriptor* workflow_file = wv1::Process::descriptor()->file();
  const pb::FileDescriptor* supervision_file = sv1::Clock::descriptor()->file();
  auto method = [&](const pb::FileDescriptor* file, const char* service, const char* name) {
    const pb::MethodDescriptor* m = file->FindServiceByName(service)->FindMethodByName(name);
    return m;
  };
  auto add = [&](std::string http_method, std::string pattern, uint32_t audience,
                 std::string summary, const pb::MethodDescriptor* m) -> Route& {
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
    route->method = m;
    if (m != nullptr) {
      route->input = m->input_type();
      route->output = m->output_type();
    }
    routes_.push_back(std::move(route));
    return *routes_.back();
  };
  auto intake = [&](const char* name) { return method(intake_file, "Intake", name); };
  auto workflow = [&](const char* name) { return method(workflow_file, "Workflow", name); };
  auto supervision = [&](const char* name) {
    return method(supervision_file, "Supervision", name);
  };

  // A case as the caller may see it: in full for a window clerk of the owning department
  // (audited as a read of personal data), masked for everyone else.
  auto show_case = [](Call& call, pb::Message& response) {
    auto& found = static_cast<iv1::GetCaseResponse&>(response);
    if (call.principal.role() == "window_clerk" &&
        call.principal.department_id() == found.case_().department_id()) {
      call.full_personal_data = true;
    } else {
      MaskPersonalData(&response);
    }
  };

  // Scope helpers.
  auto case_in_path = [this](bool owning_only) {
    return [this, owning_only](Call& call, pb::Message&) {
      call.target = call.path_params["case_id"];
      return RequireCaseVisible(call, call.target, owning_only);
    };
  };
  auto step_of_case = [this](Call& call, pb::Message& request) -> absl::Status {
    call.target = call.path_params["case_id"];
    SUNLIGHT_RETURN_IF_ERROR(RequireCaseVisible(call, call.target, false));
    const pb::FieldDescriptor* f = request.GetDescriptor()->FindFieldByName("step_id");
    if (f == nullptr) f = request.GetDescriptor()->FindFieldByName("procedure_id");
    std::string id = request.GetReflection()->GetString(request, f);
    if (!absl::StartsWith(id, call.target + "/")) {
      return absl::NotFoundError(absl::StrCat(f->name(), " ", id, " is not of case ", call.target));
    }
    return absl::OkStatus();
  };
  auto own_department_field = [](const char* field) {
    return [field](Call& call, pb::Message& request) -> absl::Status {
      if (!IsStaff(call.principal)) return absl::OkStatus();
      const pb::FieldDescriptor* f = request.GetDescriptor()->FindFieldByName(field);
      std::string given = request.GetReflection()->GetString(request, f);
      if (!given.empty() && given != call.principal.department_id()) {
        return absl::PermissionDeniedError(
            absl::StrCat(field, ": staff see their own department only"));
      }
      request.GetReflection()->SetString(&request, f, call.principal.department_id());
      return absl::OkStatus();
    };
  };

  // ---- public: applicants
  {
    Route& r = add("GET", "/v1/public/items", auth::kAnyone, "The item guide: every item.",
                   intake("ListItems"));
    r.is_public = true;
  }
  {
    Route& r = add("GET", "/v1/public/items/{item_code}", auth::kAnyone,
                   "The guide of one item (latest version unless `version`).", intake("GetItem"));
    r.is_public = true;
  }
  {
    Route& r = add("POST", "/v1/public/applications", auth::kApplicants,
                   "Apply online. The response carries the case number and the query code.",
                   intake("SubmitCase"));
    r.is_public = true;
    r.prepare = [](Call& call, pb::Message& request) {
      auto& submit = static_cast<iv1::SubmitCaseRequest&>(request);
      submit.set_channel(iv1::CHANNEL_ONLINE);
      return absl::OkStatus();
    };
  }
  {
    Route& r = add("GET", "/v1/public/progress", auth::kAnyone,
                   "Progress of one's own case, by case number and query code. Wrong query "
                   "codes are throttled per case number and per client (429).",
                   intake("QueryProgress"));
    r.is_public = true;
    r.prepare = [this](Call& call, pb::Message& request) {
      auto& query = static_cast<iv1::QueryProgressRequest&>(request);
      call.target = query.case_number();
      return ThrottleWrongQueryCodes(query.case_number(), call.http->client, false);
    };
  }
  {
    Route& r = add("POST", "/v1/public/supplements", auth::kApplicants,
                   "Hand in the missing materials of one's own case, with its case number and "
                   "query code.",
                   nullptr);
    r.is_public = true;
    r.input = v1::PublicSupplementRequest::descriptor();
    r.output = iv1::QueryProgressResponse::descriptor();
    // Capture the method descriptors themselves: the helper lambdas die with AddRoutes.
    const pb::MethodDescriptor* query_progress = intake("QueryProgress");
    const pb::MethodDescriptor* receive_supplement = intake("ReceiveSupplement");
    r.local = [this, query_progress, receive_supplement](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<v1::PublicSupplementRequest&>(message);
      call.target = request.case_number();
      SUNLIGHT_RETURN_IF_ERROR(
          ThrottleWrongQueryCodes(request.case_number(), call.http->client, false));
      iv1::QueryProgressRequest query;
      query.set_case_number(request.case_number());
      query.set_query_code(request.query_code());
      auto progress = Invoke(call, query_progress, query);
      if (!progress.ok()) {
        if (progress.status().code() == absl::StatusCode::kNotFound) {
          (void)ThrottleWrongQueryCodes(request.case_number(), call.http->client, true);
        }
        return progress.status();
      }
      const auto& found = static_cast<const iv1::QueryProgressResponse&>(**progress);
      iv1::ReceiveSupplementRequest receive;
      call.principal.set_user_id(absl::StrCat("applicant:", request.case_number()));
      call.token = BackendToken(call.principal);
      receive.mutable_actor()->set_id(call.principal.user_id());
      receive.mutable_actor()->set_role(auth::kApplicant);
      receive.set_case_id(found.case_id());
      for (const auto& m : request.materials()) {
        auto* out = receive.add_materials();
        out->set_code(m.code());
        out->set_name(m.name());
        out->set_document_ref(m.document_ref());
      }
      SUNLIGHT_RETURN_IF_ERROR(Invoke(call, receive_supplement, receive).status());
      return Invoke(call, query_progress, query);
    };
  }

  // ---- staff, inspectors, administrators: catalogue and organisation
  add("GET", "/v1/departments", kSignedIn, "Departments.", intake("ListDepartments"));
  add("POST", "/v1/departments", auth::kAdministrators, "Create or change a department.",
      intake("UpsertDepartment"));
  add("GET", "/v1/windows", kSignedIn, "Service windows.", intake("ListWindows"));
  add("POST", "/v1/windows", auth::kAdministrators, "Create or change a window.",
      intake("UpsertWindow"));
  add("GET", "/v1/items", kSignedIn, "Items (latest versions).", intake("ListItems"));
  add("GET", "/v1/items/{item_code}", kSignedIn, "One item version.", intake("GetItem"));
  add("POST", "/v1/items", auth::kAdministrators, "Publish a new item version.",
      intake("PublishItemVersion"));
  add("POST", "/v1/deadlines:compute", kSignedIn, "Compute and explain a deadline.",
      intake("ComputeDeadline"));

  // ---- cases (intake)
  add("POST", "/v1/cases", auth::kStaff, "Submit a case at a window for an applicant.",
      intake("SubmitCase"))
      .prepare = [](Call& call, pb::Message& request) -> absl::Status {
    auto& submit = static_cast<iv1::SubmitCaseRequest&>(request);
    submit.set_channel(iv1::CHANNEL_WINDOW);
    return absl::OkStatus();
  };
  {
    Route& r = add("GET", "/v1/cases", kSignedIn,
                   "Cases of a department (staff: their own), applicant data masked.",
                   intake("ListCases"));
    r.prepare = own_department_field("department_id");
    r.finish = [](Call&, pb::Message& response) { MaskPersonalData(&response); };
  }
  {
    Route& r = add("GET", "/v1/cases/{case_id}", kSignedIn,
                   "One case, with its history when `include_history`. Window clerks of the "
                   "owning department see applicant data in full (audited); others masked.",
                   intake("GetCase"));
    // One read: the case is fetched, then the caller's right to it checked on what came back.
    const pb::MethodDescriptor* get_case = intake("GetCase");
    r.local = [this, get_case](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      call.target = call.path_params["case_id"];
      auto found = Invoke(call, get_case, message);
      if (!found.ok()) {
        if (found.status().code() == absl::StatusCode::kNotFound) return NotFoundCase();
        return found.status();
      }
      SUNLIGHT_RETURN_IF_ERROR(RequireCaseVisible(
          call, static_cast<const iv1::GetCaseResponse&>(**found).case_(), false));
      return found;
    };
    r.finish = show_case;
  }
  {
    const pb::MethodDescriptor* get_case = intake("GetCase");
    Route& r = add("GET", "/v1/case-numbers/{case_number}", kSignedIn,
                   "One case by its case number, as GET /v1/cases/{case_id}.", get_case);
    r.prepare = [this, get_case](Call& call, pb::Message& message) -> absl::Status {
      auto& request = static_cast<iv1::GetCaseRequest&>(message);
      iv1::GetCaseRequest lookup;
      lookup.set_case_number(request.case_number());
      auto found = Invoke(call, get_case, lookup);
      if (!found.ok()) {
        if (found.status().code() == absl::StatusCode::kNotFound ||
            found.status().code() == absl::StatusCode::kInvalidArgument) {
          return NotFoundCase();
        }
        return found.status();
      }
      call.target = static_cast<const iv1::GetCaseResponse&>(**found).case_().case_id();
      SUNLIGHT_RETURN_IF_ERROR(RequireCaseVisible(call, call.target, false));
      request.set_case_id(call.target);
      return absl::OkStatus();
    };
    r.finish = show_case;
  }
  add("POST", "/v1/cases/{case_id}:accept", auth::kStaff, "Accept a case (受理).",
      intake("AcceptCase"))
      .prepare = case_in_path(true);
  add("POST", "/v1/cases/{case_id}:refuse", auth::kStaff, "Refuse a case (不予受理).",
      intake("RefuseCase"))
      .prepare = case_in_path(true);
  add("POST", "/v1/cases/{case_id}:request-supplement", auth::kStaff,
      "Ask for missing materials, all at once (一次性告知).", intake("RequestSupplement"))
      .prepare = case_in_path(true);
  add("POST", "/v1/cases/{case_id}:receive-supplement", auth::kStaff,
      "Record materials handed in at a window.", intake("ReceiveSupplement"))
      .prepare = case_in_path(true);
  add("POST", "/v1/cases/{case_id}:withdraw", auth::kStaff, "Record an applicant's withdrawal.",
      intake("WithdrawCase"))
      .prepare = case_in_path(true);

  // ---- steps (workflow)
  add("GET", "/v1/cases/{case_id}/process", kSignedIn, "A case's steps and procedures.",
      workflow("GetProcess"))
      .prepare = case_in_path(false);
  add("POST", "/v1/cases/{case_id}/steps:claim", auth::kStaff, "Claim a step (`step_id`).",
      workflow("ClaimStep"))
      .prepare = step_of_case;
  add("POST", "/v1/cases/{case_id}/steps:complete", auth::kStaff,
      "Complete a step: pass, return or deny.", workflow("CompleteStep"))
      .prepare = step_of_case;
  add("POST", "/v1/cases/{case_id}/steps:transfer", auth::kStaff, "Transfer a step.",
      workflow("TransferStep"))
      .prepare = step_of_case;
  add("POST", "/v1/cases/{case_id}/special-procedures", auth::kStaff,
      "Start a special procedure; the clocks pause.", workflow("StartSpecialProcedure"))
      .prepare = case_in_path(false);
  add("POST", "/v1/cases/{case_id}/special-procedures:end", auth::kStaff,
      "End a special procedure (`procedure_id`).", workflow("EndSpecialProcedure"))
      .prepare = step_of_case;
  add("POST", "/v1/cases/{case_id}:extend", auth::kStaff, "Approve an extension.",
      workflow("ApproveExtension"))
      .prepare = case_in_path(false);
  add("GET", "/v1/work-queue", auth::kStaff | auth::kInspectors,
      "A work queue, most urgent first: one's own by default.", workflow("ListWorkQueue"))
      .prepare = [](Call& call, pb::Message& message) -> absl::Status {
    auto& request = static_cast<wv1::ListWorkQueueRequest&>(message);
    if (!IsStaff(call.principal)) return absl::OkStatus();
    const std::string& own = call.principal.department_id();
    switch (request.owner_case()) {
      case wv1::ListWorkQueueRequest::OWNER_NOT_SET:
        request.set_person_id(call.principal.user_id());
        return absl::OkStatus();
      case wv1::ListWorkQueueRequest::kPersonId:
        if (request.person_id() != call.principal.user_id()) {
          return absl::PermissionDeniedError("person_id: staff see their own queue");
        }
        return absl::OkStatus();
      case wv1::ListWorkQueueRequest::kRole:
        if (request.role().department_id() != own) {
          return absl::PermissionDeniedError("role.department_id: own department only");
        }
        return absl::OkStatus();
      case wv1::ListWorkQueueRequest::kDepartmentId:
        if (request.department_id() != own) {
          return absl::PermissionDeniedError("department_id: own department only");
        }
        return absl::OkStatus();
    }
    return absl::OkStatus();
  };

  // ---- supervision
  {
    Route& r = add("GET", "/v1/events:stream", kSignedIn,
                   "Server-sent events (text/event-stream) for the console: `board` (the light "
                   "board as GET /v1/board returns it, on connecting and whenever it changes), "
                   "`alert` (each alert raised, staff: of their department) and `end` (the "
                   "session ended); a comment every 15 s keeps the connection open.",
                   nullptr);
    r.input = sv1::GetLightBoardRequest::descriptor();
    r.output = sv1::GetLightBoardResponse::descriptor();
    r.stream = [this](Call& call) { return StreamEvents(call); };
  }
  add("GET", "/v1/board", kSignedIn,
      "The light board: counts by department and light, worst first (staff: their own "
      "department).",
      supervision("GetLightBoard"))
      .finish = [](Call& call, pb::Message& message) {
    if (!IsStaff(call.principal)) return;
    auto& board = static_cast<sv1::GetLightBoardResponse&>(message);
    auto* rows = board.mutable_departments();
    rows->erase(std::remove_if(rows->begin(), rows->end(),
                               [&](const sv1::DepartmentLights& row) {
                                 return row.department_id() != call.principal.department_id();
                               }),
                rows->end());
  };
  add("GET", "/v1/clocks", kSignedIn, "Clocks of one light, by department.",
      supervision("ListClocks"))
      .prepare = own_department_field("department_id");
  add("GET", "/v1/cases/{case_id}/clocks", kSignedIn,
      "A case's clocks, each with an explanation to check by hand.", supervision("GetCaseClocks"))
      .prepare = case_in_path(false);
  add("GET", "/v1/alerts", kSignedIn, "Alerts, in the order raised (staff: of one case).",
      supervision("ListAlerts"))
      .prepare = [this](Call& call, pb::Message& message) -> absl::Status {
    auto& request = static_cast<sv1::ListAlertsRequest&>(message);
    if (!IsStaff(call.principal)) return absl::OkStatus();
    if (request.case_id().empty()) {
      return absl::PermissionDeniedError("case_id: staff see the alerts of a case");
    }
    return RequireCaseVisible(call, request.case_id(), false);
  };
  add("POST", "/v1/notices", auth::kInspectors, "Issue a supervision notice (督办) on a case.",
      supervision("IssueNotice"))
      .prepare = [this](Call& call, pb::Message& message) -> absl::Status {
    auto& request = static_cast<sv1::IssueNoticeRequest&>(message);
    call.target = request.case_id();
    if (request.case_id().empty()) return absl::InvalidArgumentError("case_id: required");
    return RequireCaseVisible(call, request.case_id(), false);
  };
  add("GET", "/v1/notices/{notice_id}", kSignedIn, "One supervision notice.",
      supervision("GetNotice"))
      .prepare = [this](Call& call, pb::Message&) {
    return RequireNoticeVisible(call, call.path_params["notice_id"]);
  };
  add("POST", "/v1/notices/{notice_id}:respond", auth::kStaff,
      "The department's answer to a notice.", supervision("RespondToNotice"))
      .prepare = [this](Call& call, pb::Message&) {
    call.target = call.path_params["notice_id"];
    return RequireNoticeVisible(call, call.target);
  };
  add("POST", "/v1/notices/{notice_id}:decide", auth::kInspectors,
      "Accept the answer or escalate to a supervision recommendation (监察建议书).",
      supervision("DecideNotice"))
      .prepare = [](Call& call, pb::Message&) {
    call.target = call.path_params["notice_id"];
    return absl::OkStatus();
  };
  add("GET", "/v1/rule-set", kSignedIn, "The rule set in force.", supervision("GetRuleSet"));
  add("PUT", "/v1/rule-set", auth::kAdministrators, "Replace the rule set; re-plans clocks.",
      supervision("SetRuleSet"));
  add("PUT", "/v1/calendar", auth::kAdministrators,
      "Replace the working calendar; re-plans clocks.", supervision("SetCalendar"));

  // ---- the gateway's own
  {
    Route& r = add("POST", "/v1/login", auth::kAnyone,
                   "Log in with a password; returns a bearer token.", nullptr);
    r.is_public = true;
    r.input = v1::LoginRequest::descriptor();
    r.output = v1::LoginResponse::descriptor();
    r.local = [this](Call& call,
                     pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<v1::LoginRequest&>(message);
      call.principal.set_user_id(request.user_id());
      call.target = request.user_id();
      SUNLIGHT_ASSIGN_OR_RETURN(auto response, accounts_->Login(request));
      call.principal.set_role(response.user().role());
      call.principal.set_department_id(response.user().department_id());
      return std::unique_ptr<pb::Message>(new v1::LoginResponse(std::move(response)));
    };
  }
  {
    Route& r = add("POST", "/v1/logout", kSignedIn, "End the session of the token.", nullptr);
    r.input = v1::LogoutRequest::descriptor();
    r.output = v1::LogoutResponse::descriptor();
    r.local = [this](Call& call, pb::Message&) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      SUNLIGHT_RETURN_IF_ERROR(accounts_->Logout(call.principal));
      return std::unique_ptr<pb::Message>(new v1::LogoutResponse());
    };
  }
  {
    Route& r = add("GET", "/v1/me", kSignedIn, "Who the token belongs to.", nullptr);
    r.input = v1::LogoutRequest::descriptor();
    r.output = auth::v1::Principal::descriptor();
    r.local = [](Call& call, pb::Message&) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto principal = std::make_unique<Principal>(call.principal);
      principal->clear_session_id();
      return std::unique_ptr<pb::Message>(std::move(principal));
    };
  }
  {
    Route& r = add("POST", "/v1/users", auth::kAdministrators, "Create a user.", nullptr);
    r.input = v1::CreateUserRequest::descriptor();
    r.output = v1::User::descriptor();
    r.local = [this](Call& call,
                     pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<v1::CreateUserRequest&>(message);
      call.target = request.user().user_id();
      SUNLIGHT_ASSIGN_OR_RETURN(auto user, accounts_->CreateUser(request));
      return std::unique_ptr<pb::Message>(new v1::User(std::move(user)));
    };
  }
  {
    Route& r = add("GET", "/v1/users", auth::kAdministrators, "Every user.", nullptr);
    r.input = v1::ListUsersRequest::descriptor();
    r.output = v1::ListUsersResponse::descriptor();
    r.local = [this](Call&, pb::Message&) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      SUNLIGHT_ASSIGN_OR_RETURN(auto users, accounts_->ListUsers());
      return std::unique_ptr<pb::Message>(new v1::ListUsersResponse(std::move(users)));
    };
  }
  {
    Route& r = add("GET", "/v1/audit", auth::kAdministrators | auth::kInspectors,
                   "Audit log entries from a sequence.", nullptr);
    r.input = v1::ListAuditEntriesRequest::descriptor();
    r.output = v1::ListAuditEntriesResponse::descriptor();
    r.local = [this](Call&, pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      SUNLIGHT_ASSIGN_OR_RETURN(
          auto entries, audit_->List(static_cast<const v1::ListAuditEntriesRequest&>(message)));
      return std::unique_ptr<pb::Message>(new v1::ListAuditEntriesResponse(std::move(entries)));
    };
  }
  {
    Route& r = add("GET", "/v1/audit:verify", auth::kAdministrators | auth::kInspectors,
                   "Verify the audit chain.", nullptr);
    r.input = v1::VerifyAuditChainRequest::descriptor();
    r.output = v1::VerifyAuditChainResponse::descriptor();
    r.local = [this](Call&, pb::Message&) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      SUNLIGHT_ASSIGN_OR_RETURN(auto result, audit_->Verify());
      return std::unique_ptr<pb::Message>(new v1::VerifyAuditChainResponse(std::move(result)));
    };
  }
}

// ---------------------------------------------------------------- serving

HttpResponse Gateway::Handle(const HttpRequest& http) {
  if (!options_.console_dir.empty() && http.method == "GET" &&
      (http.path == "/" || http.path == "/console" || absl::StartsWith(http.path, "/console/"))) {
    return ServeConsoleFile(http.path);
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
  if (call.route == nullptr) {
    if (path_matched) {
      return ErrorResponse(405, "UNIMPLEMENTED", absl::StrCat(http.method, " is not allowed here"));
    }
    return ErrorResponse(404, "NOT_FOUND", absl::StrCat("no route ", http.path));
  }
  return Serve(call);
}

HttpResponse Gateway::Serve(Call& call) {
  const Route& route = *call.route;
  const HttpRequest& http = *call.http;
  std::string action = absl::StrCat(route.http_method, " ", route.pattern);
  bool state_change = route.http_method != "GET";
  auto fail = [&](const absl::Status& status, std::string field = "") {
    HttpResponse response = ErrorFor(status, std::move(field));
    if (state_change) Audit(call, action, call.target, response.status);
    return response;
  };

  // Who is calling.
  std::string authorization = http.Header("authorization");
  if (route.is_public) {
    absl::Duration retry_after;
    if (!AllowPublic(http.client, &retry_after)) {
      HttpResponse response = ErrorResponse(429, "RESOURCE_EXHAUSTED", "too many requests");
      response.headers.emplace_back(
          "Retry-After", absl::StrCat(std::max<int64_t>(
                             1, absl::ToInt64Seconds(absl::Ceil(retry_after, absl::Seconds(1))))));
      return response;
    }
    call.principal.set_user_id(absl::StrCat("applicant:", http.client));
    call.principal.set_role(auth::kApplicant);
  } else {
    // A token is printable ASCII (base64url and dots); anything else is refused unread.
    if (authorization.size() > 8192 || !std::all_of(authorization.begin(), authorization.end(),
                                                    [](char c) { return c >= 0x20 && c < 0x7F; })) {
      return ErrorResponse(400, "INVALID_ARGUMENT",
                           "Authorization: not a printable ASCII header value", "Authorization");
    }
    if (!absl::StartsWith(authorization, "Bearer ")) {
      HttpResponse response =
          ErrorResponse(401, "UNAUTHENTICATED", "log in and send Authorization: Bearer <token>");
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
      return response;
    }
    auto principal = accounts_->Authenticate(authorization.substr(7));
    if (!principal.ok()) {
      HttpResponse response = ErrorFor(principal.status());
      response.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return response;
    }
    call.principal = *std::move(principal);
    if ((auth::AudienceOf(call.principal) & route.audience) == 0) {
      return fail(absl::PermissionDeniedError(
          absl::StrCat("role ", call.principal.role(), " may not ", action)));
    }
  }
  {
    std::string field;
    if (absl::Status s = ValidateRequestText(http, call.path_params, &field); !s.ok()) {
      return fail(s, field);
    }
  }
  call.token = BackendToken(call.principal);
  if (route.stream) return route.stream(call);

  // The request message: JSON body, then query arguments, then path parameters.
  std::unique_ptr<pb::Message> request(
      pb::MessageFactory::generated_factory()->GetPrototype(route.input)->New());
  if (route.has_body && !http.body.empty()) {
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto parsed = pb::util::JsonStringToMessage(http.body, request.get(), options);
    if (!parsed.ok()) {
      std::string message(parsed.message());
      return fail(absl::InvalidArgumentError(absl::StrCat("malformed JSON body: ", message)),
                  FieldOfJsonError(message));
    }
    // JSON escapes (a lone "\\ud800") can still spell text that is not UTF-8.
    if (absl::Status s = ValidateMessageText(*request, kMaxAnyTextLength); !s.ok()) {
      return fail(s);
    }
  }
  for (const auto& [name, value] : http.query) {
    std::string field = name;
    if ((name == "page_size" || name == "page_token") &&
        route.input->FindFieldByName("page") != nullptr) {
      field = absl::StrCat("page.", name);
    }
    if (absl::Status s = SetPath(request.get(), field, value); !s.ok()) return fail(s, field);
  }
  for (const auto& [name, value] : call.path_params) {
    // A parameter the message lacks only scopes the call (checked by `prepare`).
    if (route.input->FindFieldByName(name) == nullptr) continue;
    if (absl::Status s = SetPath(request.get(), name, value); !s.ok()) return fail(s, name);
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

  absl::StatusOr<std::unique_ptr<pb::Message>> response =
      route.local ? route.local(call, *request) : Invoke(call, route.method, *request);
  if (!response.ok()) {
    if (route.pattern == "/v1/public/progress" &&
        response.status().code() == absl::StatusCode::kNotFound) {
      (void)ThrottleWrongQueryCodes(call.target, http.client, true);
    }
    if (route.pattern == "/v1/login") Audit(call, "login", call.target, 401);
    return fail(response.status());
  }
  if (route.finish) route.finish(call, **response);
  HttpResponse reply = JsonResponse(
      **response, route.http_method == "POST" && route.pattern == "/v1/cases" ? 201 : 200);
  if (state_change)
    Audit(call, route.pattern == "/v1/login" ? "login" : action, call.target, reply.status);
  if (call.full_personal_data) Audit(call, "read_personal_data", call.target, reply.status);
  return reply;
}

absl::StatusOr<std::unique_ptr<pb::Message>> Gateway::Invoke(const Call& call,
                                                             const pb::MethodDescriptor* method,
                                                             const pb::Message& request) {
  auto stub = stubs_.find(method->service()->full_name());
  if (stub == stubs_.end()) return absl::InternalError("no backend for the method");
  grpc::ClientContext context;
  // Real time: the injected clock may be offset (demos) or fake (tests).
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoNanoseconds(options_.backend_deadline));
  if (!call.token.empty()) auth::AttachPrincipal(&context, call.token);
  std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer in(&slice, 1), out;
  std::promise<grpc::Status> done;
  stub->second->UnaryCall(&context,
                          absl::StrCat("/", method->service()->full_name(), "/", method->name()),
                          grpc::StubOptions(), &in, &out,
                          [&](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return server::FromGrpcStatus(status);
  std::vector<grpc::Slice> slices;
  if (!out.Dump(&slices).ok()) return absl::InternalError("unreadable backend response");
  std::string reply;
  for (const auto& s : slices) reply.append(reinterpret_cast<const char*>(s.begin()), s.size());
  std::unique_ptr<pb::Message> response(
      pb::MessageFactory::generated_factory()->GetPrototype(method->output_type())->New());
  if (!response->ParseFromString(reply)) return absl::InternalError("unreadable backend response");
  return response;
}

HttpResponse Gateway::ServeConsoleFile(const std::string& path) const {
  if (path == "/" || path == "/console") {
    HttpResponse redirect = ErrorResponse(302, "FOUND", "the console is at /console/");
    redirect.headers.emplace_back("Location", "/console/");
    return redirect;
  }
  std::string name = path.substr(std::string("/console/").size());
  if (name.empty()) name = "index.html";
  // Plain file names only: no directories, no dot files, nothing outside the console.
  bool plain = name.front() != '.' && name.find("..") == std::string::npos;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      plain = false;
    }
  }
  static const std::map<std::string, std::string> kTypes = {
      {"html", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"ico", "image/x-icon"}};
  size_t dot = name.rfind('.');
  auto type = dot == std::string::npos ? kTypes.end() : kTypes.find(name.substr(dot + 1));
  std::ifstream in(options_.console_dir + "/" + name, std::ios::binary);
  if (!plain || type == kTypes.end() || !in) {
    return ErrorResponse(404, "NOT_FOUND", "no such console file");
  }
  HttpResponse file;
  file.content_type = type->second;
  file.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  file.headers.emplace_back("Content-Security-Policy",
                            "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                            "img-src 'self' data:; frame-ancestors 'none'");
  return file;
}

HttpResponse Gateway::StreamEvents(const Call& call) {
  if (options_.live_events == nullptr) {
    return ErrorResponse(503, "UNAVAILABLE", "live events are not configured");
  }
  struct State {
    LiveEvents::Listener listener;
    std::string authorization;
    std::string client;
    Principal principal;
    absl::Time last_board = absl::InfinitePast();
    absl::Time last_sent = absl::Now();
    bool ended = false;
  };
  auto state = std::make_shared<State>();
  state->authorization = call.http->Header("authorization");
  state->client = call.http->client;
  state->principal = call.principal;
  HttpResponse response;
  response.content_type = "text/event-stream; charset=utf-8";
  response.headers.emplace_back("X-Accel-Buffering", "no");
  response.stream = [this, state](std::string* chunk) -> bool {
    LiveEvents& live = *options_.live_events;
    if (state->ended || live.stopped()) return false;
    // Wakes at least every 5 s to notice a session that ended.
    LiveEvents::Changes changes = live.Wait(&state->listener, absl::Seconds(5));
    if (live.stopped()) return false;
    // The stream lives only as long as the session.
    if (!accounts_->Authenticate(state->authorization.substr(7)).ok()) {
      *chunk = "event: end\ndata: {\"reason\":\"session ended\"}\n\n";
      state->ended = true;
      return true;
    }
    if (changes.board_changed) {
      // Bursts of transitions: at most one board every 250 ms.
      absl::Duration since = absl::Now() - state->last_board;
      if (since < absl::Milliseconds(250)) absl::SleepFor(absl::Milliseconds(250) - since);
      HttpRequest board;
      board.method = "GET";
      board.path = "/v1/board";
      board.headers["authorization"] = state->authorization;
      board.client = state->client;
      HttpResponse current = Handle(board);
      state->last_board = absl::Now();
      if (current.status != 200) {
        absl::StrAppend(chunk, "event: end\ndata: ", current.body, "\n\n");
        state->ended = true;
        return true;
      }
      absl::StrAppend(chunk, "event: board\ndata: ", current.body, "\n\n");
    }
    pb::util::JsonPrintOptions json;
    json.preserve_proto_field_names = true;
    for (const auto& alert : changes.alerts) {
      if (IsStaff(state->principal) && alert.department_id() != state->principal.department_id()) {
        continue;
      }
      std::string text;
      if (pb::util::MessageToJsonString(alert, &text, json).ok()) {
        absl::StrAppend(chunk, "event: alert\ndata: ", text, "\n\n");
      }
    }
    if (chunk->empty() && absl::Now() - state->last_sent >= absl::Seconds(15)) {
      *chunk = ": keep-alive\n\n";
    }
    if (!chunk->empty()) state->last_sent = absl::Now();
    return true;  // (nothing to send: called again)
  };
  return response;
}

std::string Gateway::BackendToken(const Principal& principal) const {
  if (options_.principal_signer == nullptr) return "";
  Principal for_backend = principal;
  for_backend.clear_session_id();
  *for_backend.mutable_expires_at() =
      ToProto(clock_->Now() + options_.backend_deadline + absl::Seconds(30));
  return options_.principal_signer->SignPrincipal(for_backend);
}

absl::Status Gateway::RequireCaseVisible(const Call& call, const std::string& case_id,
                                         bool owning_department_only) {
  uint32_t audience = auth::AudienceOf(call.principal);
  if (audience == auth::kInspectors || audience == auth::kAdministrators) return absl::OkStatus();
  if (audience != auth::kStaff || case_id.empty()) return NotFoundCase();
  const pb::FileDescriptor* intake_file = iv1::Case::descriptor()->file();
  iv1::GetCaseRequest get;
  get.set_case_id(case_id);
  auto found =
      Invoke(call, intake_file->FindServiceByName("Intake")->FindMethodByName("GetCase"), get);
  if (!found.ok()) {
    if (found.status().code() == absl::StatusCode::kNotFound ||
        found.status().code() == absl::StatusCode::kInvalidArgument) {
      return NotFoundCase();
    }
    return found.status();
  }
  return RequireCaseVisible(call, static_cast<const iv1::GetCaseResponse&>(**found).case_(),
                            owning_department_only);
}

absl::Status Gateway::RequireCaseVisible(const Call& call, const iv1::Case& record,
                                         bool owning_department_only) {
  uint32_t audience = auth::AudienceOf(call.principal);
  if (audience == auth::kInspectors || audience == auth::kAdministrators) return absl::OkStatus();
  if (audience != auth::kStaff) return NotFoundCase();
  if (record.department_id() == call.principal.department_id()) return absl::OkStatus();
  if (owning_department_only) return NotFoundCase();
  // A department with a step of the case (a joint approval) sees it too.
  const pb::FileDescriptor* workflow_file = wv1::Process::descriptor()->file();
  wv1::GetProcessRequest process;
  process.set_case_id(record.case_id());
  auto steps = Invoke(
      call, workflow_file->FindServiceByName("Workflow")->FindMethodByName("GetProcess"), process);
  if (steps.ok()) {
    for (const auto& step :
         static_cast<const wv1::GetProcessResponse&>(**steps).process().steps()) {
      if (step.department_id() == call.principal.department_id()) return absl::OkStatus();
    }
  }
  return NotFoundCase();
}

absl::Status Gateway::RequireNoticeVisible(const Call& call, const std::string& notice_id) {
  uint32_t audience = auth::AudienceOf(call.principal);
  if (audience == auth::kInspectors || audience == auth::kAdministrators) return absl::OkStatus();
  const pb::FileDescriptor* file = sv1::Clock::descriptor()->file();
  sv1::GetNoticeRequest get;
  get.set_notice_id(notice_id);
  auto found =
      Invoke(call, file->FindServiceByName("Supervision")->FindMethodByName("GetNotice"), get);
  if (!found.ok()) {
    if (found.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError("no such notice");
    }
    return found.status();
  }
  const auto& notice = static_cast<const sv1::NoticeResponse&>(**found).notice();
  if (notice.department_id() != call.principal.department_id()) {
    return absl::NotFoundError("no such notice");
  }
  return absl::OkStatus();
}

absl::Status Gateway::ThrottleWrongQueryCodes(const std::string& case_number,
                                              const std::string& client, bool record_failure) {
  absl::Time now = clock_->Now();
  std::lock_guard lock(limits_mu_);
  for (const std::string& key : {absl::StrCat("n:", case_number), absl::StrCat("c:", client)}) {
    auto& times = wrong_codes_[key];
    std::erase_if(times, [&](absl::Time t) { return now - t > options_.wrong_query_code_window; });
    if (record_failure) times.push_back(now);
    if (!record_failure && static_cast<int>(times.size()) >= options_.max_wrong_query_codes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "too many wrong query codes; retry after ",
          absl::ToInt64Seconds(times.front() + options_.wrong_query_code_window - now) + 1, " s"));
    }
  }
  return absl::OkStatus();
}

bool Gateway::AllowPublic(const std::string& client, absl::Duration* retry_after) {
  absl::Time now = clock_->Now();
  std::lock_guard lock(limits_mu_);
  if (buckets_.size() > 100000) buckets_.clear();  // bounded memory under address churn
  auto [it, fresh] = buckets_.try_emplace(client);
  Bucket& bucket = it->second;
  if (fresh) {
    bucket.tokens = options_.public_burst;
  } else {
    bucket.tokens = std::min(options_.public_burst,
                             bucket.tokens + absl::ToDoubleSeconds(now - bucket.updated) *
                                                 options_.public_requests_per_s);
  }
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return true;
  }
  *retry_after = absl::Seconds((1 - bucket.tokens) / options_.public_requests_per_s);
  return false;
}

void Gateway::Audit(const Call& call, const std::string& action, const std::string& target,
                    int status) {
  v1::AuditEntry entry;
  *entry.mutable_at() = ToProto(clock_->Now());
  entry.set_user_id(call.principal.user_id());
  entry.set_role(call.principal.role());
  entry.set_department_id(call.principal.department_id());
  entry.set_action(action);
  entry.set_target(target);
  entry.set_http_status(status);
  entry.set_client(call.http == nullptr ? "" : call.http->client);
  if (auto written = audit_->Append(std::move(entry)); !written.ok()) {
    LogError("gateway", absl::StrCat("audit entry not written: ", written.status().ToString()));
  }
}

}  // namespace sunlight::gateway
