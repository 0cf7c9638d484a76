// The OpenAPI 3 document, generated from the route table and the proto descriptors, so it
// cannot drift from the protos: every schema is the JSON mapping of a message the gateway
// actually parses or prints.
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gateway.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "route.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

namespace {

pb::Value Str(const std::string& s) {
  pb::Value v;
  v.set_string_value(s);
  return v;
}

pb::Value Obj(std::initializer_list<std::pair<std::string, pb::Value>> fields) {
  pb::Value v;
  auto* s = v.mutable_struct_value()->mutable_fields();
  for (const auto& [k, value] : fields) (*s)[k] = value;
  return v;
}

pb::Value Ref(const pb::Descriptor* d) {
  return Obj({{"$ref", Str(absl::StrCat("#/components/schemas/", d->full_name()))}});
}

pb::Value Bool(bool b) {
  pb::Value v;
  v.set_bool_value(b);
  return v;
}

pb::Value EmptyList() {
  pb::Value v;
  v.mutable_list_value();
  return v;
}

// A name for code generators, unique and URL-safe: the method and the pattern's words in
// lower camel case, without the version ("POST /v1/cases/{case_id}:accept" is
// "postCasesCaseIdAccept").
std::string OperationId(const std::string& http_method, const std::string& pattern) {
  std::string id = absl::AsciiStrToLower(http_method);
  absl::string_view rest = pattern;
  absl::ConsumePrefix(&rest, "/v1/");
  bool word_start = true;
  for (char c : rest) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      word_start = true;
      continue;
    }
    id += word_start ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c;
    word_start = false;
  }
  return id;
}

// An error response of the one shape ({"error": {...}}), in components/responses.
pb::Value ErrorResponseObject(const std::string& description) {
  return Obj({{"description", Str(description)},
              {"content",
               Obj({{"application/json",
                     Obj({{"schema", Obj({{"$ref", Str("#/components/schemas/Error")}})}})}})}});
}

pb::Value ResponseRef(const std::string& name) {
  return Obj({{"$ref", Str(absl::StrCat("#/components/responses/", name))}});
}

// The 4xx answers every route may give, by what the route is (gateway.cc's Serve, the HTTP
// server's body limit); other statuses are the `default` response.
pb::Value ErrorResponses() {
  pb::Value responses = Obj({
      {"BadRequest",
       ErrorResponseObject("INVALID_ARGUMENT or OUT_OF_RANGE: a path, query or body value that "
                           "is not valid; `field` names it")},
      {"Unauthorized", ErrorResponseObject("UNAUTHENTICATED: no bearer token, or one that is "
                                           "not valid (expired, ended by logout)")},
      {"Forbidden",
       ErrorResponseObject("PERMISSION_DENIED: the caller's role (`x-roles`), department or "
                           "scope does not allow it, or the password must be changed first")},
      {"NotFound", ErrorResponseObject("NOT_FOUND: what the path names does not exist")},
      {"Conflict", ErrorResponseObject("FAILED_PRECONDITION, ALREADY_EXISTS or ABORTED: the "
                                       "state of what it changes does not allow it (now)")},
      {"PayloadTooLarge",
       ErrorResponseObject("RESOURCE_EXHAUSTED: the body is larger than the gateway takes")},
      {"TooManyRequests", ErrorResponseObject("RESOURCE_EXHAUSTED: a rate limit or quota; "
                                              "`Retry-After` says when to come back")},
  });
  auto& r = *responses.mutable_struct_value()->mutable_fields();
  (*r["Unauthorized"].mutable_struct_value()->mutable_fields())["headers"] =
      Obj({{"WWW-Authenticate",
            Obj({{"description", Str("`Bearer`, with `error=\"invalid_token\"` for a token "
                                     "that is not valid")},
                 {"schema", Obj({{"type", Str("string")}})}})}});
  (*r["TooManyRequests"].mutable_struct_value()->mutable_fields())["headers"] =
      Obj({{"Retry-After", Obj({{"description", Str("seconds to wait")},
                                {"schema", Obj({{"type", Str("integer")}})}})}});
  return responses;
}

class SchemaWriter {
 public:
  explicit SchemaWriter(pb::Struct* schemas) : schemas_(schemas) {}

  pb::Value Reference(const pb::Descriptor* d) {
    if (d->full_name() == "google.protobuf.Timestamp") {
      return Obj({{"type", Str("string")}, {"format", Str("date-time")}});
    }
    if (d->full_name() == "google.protobuf.Duration") {
      return Obj({{"type", Str("string")}, {"example", Str("3.5s")}});
    }
    if (d->full_name() == "google.protobuf.Any") {
      return Obj({{"type", Str("object")},
                  {"description", Str("A packed message; `@type` names it.")},
                  {"properties", Obj({{"@type", Obj({{"type", Str("string")}})}})}});
    }
    if (done_.insert(d->full_name()).second) Define(d);
    return Ref(d);
  }

 private:
  pb::Value Field(const pb::FieldDescriptor* f) {
    pb::Value item;
    switch (f->type()) {
      case pb::FieldDescriptor::TYPE_STRING:
        item = Obj({{"type", Str("string")}});
        break;
      case pb::FieldDescriptor::TYPE_BYTES:
        item = Obj({{"type", Str("string")}, {"format", Str("byte")}});
        break;
      case pb::FieldDescriptor::TYPE_BOOL:
        item = Obj({{"type", Str("boolean")}});
        break;
      case pb::FieldDescriptor::TYPE_DOUBLE:
      case pb::FieldDescriptor::TYPE_FLOAT:
        item = Obj({{"type", Str("number")}});
        break;
      case pb::FieldDescriptor::TYPE_INT64:
      case pb::FieldDescriptor::TYPE_UINT64:
      case pb::FieldDescriptor::TYPE_SINT64:
      case pb::FieldDescriptor::TYPE_FIXED64:
      case pb::FieldDescriptor::TYPE_SFIXED64:
        item = Obj({{"type", Str("string")}, {"format", Str("int64")}});
        break;
      case pb::FieldDescriptor::TYPE_ENUM: {
        pb::Value names;
        for (int i = 0; i < f->enum_type()->value_count(); ++i) {
          *names.mutable_list_value()->add_values() = Str(f->enum_type()->value(i)->name());
        }
        item = Obj({{"type", Str("string")}, {"enum", names}});
        break;
      }
      case pb::FieldDescriptor::TYPE_MESSAGE:
      case pb::FieldDescriptor::TYPE_GROUP:
        if (f->is_map()) {
          return Obj({{"type", Str("object")},
                      {"additionalProperties", Field(f->message_type()->map_value())}});
        }
        item = Reference(f->message_type());
        break;
      default:
        item = Obj({{"type", Str("integer")}});
    }
    if (f->is_repeated()) return Obj({{"type", Str("array")}, {"items", item}});
    return item;
  }

  void Define(const pb::Descriptor* d) {
    pb::Value schema = Obj({{"type", Str("object")}});
    pb::Value properties;
    properties.mutable_struct_value();
    for (int i = 0; i < d->field_count(); ++i) {
      (*properties.mutable_struct_value()->mutable_fields())[d->field(i)->name()] =
          Field(d->field(i));
    }
    (*schema.mutable_struct_value()->mutable_fields())["properties"] = properties;
    (*schema.mutable_struct_value()->mutable_fields())["additionalProperties"].set_bool_value(
        false);
    (*schemas_->mutable_fields())[d->full_name()] = schema;
  }

  pb::Struct* schemas_;
  std::set<std::string> done_;
};

}  // namespace

std::string Gateway::OpenApiJson() const {
  pb::Struct doc;
  auto& top = *doc.mutable_fields();
  top["openapi"] = Str("3.0.3");
  top["info"] = Obj(
      {{"title", Str("Sunlight gateway")},
       {"version", Str("v1")},
       {"description", Str("REST/JSON over the Sunlight services. Bodies and responses are the "
                           "protobuf JSON mapping of the messages named in the schemas (field "
                           "names as in the protos). Errors: {\"error\": {\"code\", \"message\", "
                           "\"field\"}}. Operations with `security` take a bearer token from "
                           "POST /v1/login; the others are public (and rate-limited per client "
                           "address).")}});
  // The document is served by the gateway it describes: paths are relative to it.
  pb::Value server =
      Obj({{"url", Str("/")}, {"description", Str("the gateway that serves this document")}});
  *top["servers"].mutable_list_value()->add_values() = server;
  // By default no authentication: public operations inherit it, every other one declares
  // its bearer token.
  top["security"] = EmptyList();
  pb::Struct schemas;
  SchemaWriter writer(&schemas);
  pb::Value error =
      Obj({{"type", Str("object")},
           {"properties",
            Obj({{"error",
                  Obj({{"type", Str("object")},
                       {"properties", Obj({{"code", Obj({{"type", Str("string")}})},
                                           {"message", Obj({{"type", Str("string")}})},
                                           {"field", Obj({{"type", Str("string")}})}})}})}})}});
  (*schemas.mutable_fields())["Error"] = error;
  pb::Struct paths;
  for (const auto& route : routes_) {
    pb::Value operation =
        Obj({{"summary", Str(route->summary)},
             {"operationId", Str(OperationId(route->http_method, route->pattern))}});
    auto& op = *operation.mutable_struct_value()->mutable_fields();
    if (route->method != nullptr) {
      op["x-grpc-method"] =
          Str(absl::StrCat(route->method->service()->full_name(), "/", route->method->name()));
    }
    pb::Value parameters;
    parameters.mutable_list_value();
    std::set<std::string> in_path;
    for (const auto& segment : route->segments) {
      if (segment.size() > 2 && segment.front() == '{') {
        std::string name = segment.substr(1, segment.size() - 2);
        in_path.insert(name);
        *parameters.mutable_list_value()->add_values() =
            Obj({{"name", Str(name)},
                 {"in", Str("path")},
                 {"required", Bool(true)},
                 {"schema", Obj({{"type", Str("string")}})}});
      }
    }
    if (!route->has_body) {
      for (int i = 0; i < route->input->field_count(); ++i) {
        const pb::FieldDescriptor* f = route->input->field(i);
        if (in_path.count(f->name())) continue;
        if (f->is_repeated()) {
          // A list of text or enumeration values, comma-separated in one argument
          // (request_binding.cc).
          if (f->type() != pb::FieldDescriptor::TYPE_STRING &&
              f->type() != pb::FieldDescriptor::TYPE_ENUM) {
            continue;
          }
          pb::Value items = Obj({{"type", Str("string")}});
          if (f->type() == pb::FieldDescriptor::TYPE_ENUM) {
            pb::Value names;
            for (int v = 0; v < f->enum_type()->value_count(); ++v) {
              *names.mutable_list_value()->add_values() = Str(f->enum_type()->value(v)->name());
            }
            (*items.mutable_struct_value()->mutable_fields())["enum"] = names;
          }
          pb::Value explode;
          explode.set_bool_value(false);
          *parameters.mutable_list_value()->add_values() =
              Obj({{"name", Str(f->name())},
                   {"in", Str("query")},
                   {"style", Str("form")},
                   {"explode", explode},
                   {"schema", Obj({{"type", Str("array")}, {"items", items}})}});
          continue;
        }
        if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE &&
            f->message_type()->full_name() == "sunlight.common.v1.PageRequest") {
          for (const char* p : {"page_size", "page_token"}) {
            *parameters.mutable_list_value()->add_values() =
                Obj({{"name", Str(p)},
                     {"in", Str("query")},
                     {"schema",
                      Obj({{"type", Str(std::string(p) == "page_size" ? "integer" : "string")}})}});
          }
          continue;
        }
        if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE &&
            f->message_type()->full_name() != "google.protobuf.Timestamp") {
          continue;
        }
        pb::Value schema =
            f->type() == pb::FieldDescriptor::TYPE_ENUM ||
                    f->type() == pb::FieldDescriptor::TYPE_MESSAGE
                ? Obj({{"type", Str("string")}})
                : Obj({{"type", Str(f->type() == pb::FieldDescriptor::TYPE_BOOL     ? "boolean"
                                    : f->type() == pb::FieldDescriptor::TYPE_STRING ? "string"
                                                                                    : "integer")}});
        *parameters.mutable_list_value()->add_values() =
            Obj({{"name", Str(f->name())}, {"in", Str("query")}, {"schema", schema}});
      }
    } else {
      op["requestBody"] =
          Obj({{"content",
                Obj({{"application/json", Obj({{"schema", writer.Reference(route->input)}})}})}});
    }
    op["parameters"] = parameters;
    // A body that is not JSON (a clip, a picture): its bytes.
    pb::Value success_content =
        route->media_type.empty()
            ? Obj({{"application/json", Obj({{"schema", writer.Reference(route->output)}})}})
            : Obj({{route->media_type,
                    Obj({{"schema", Obj({{"type", Str("string")}, {"format", Str("binary")}})}})}});
    pb::Value responses =
        Obj({{absl::StrCat(route->success_status),
              Obj({{"description", Str(route->success_status == 201 ? "Created" : "OK")},
                   {"content", success_content}})},
             {"400", ResponseRef("BadRequest")},
             {"default", ErrorResponseObject("Error (the gRPC code mapped to an HTTP status)")}});
    auto& by_status = *responses.mutable_struct_value()->mutable_fields();
    if (route->is_public) {
      by_status["429"] = ResponseRef("TooManyRequests");
    } else {
      by_status["401"] = ResponseRef("Unauthorized");
      by_status["403"] = ResponseRef("Forbidden");
    }
    if (!in_path.empty()) by_status["404"] = ResponseRef("NotFound");
    if (route->http_method != "GET") by_status["409"] = ResponseRef("Conflict");
    if (route->has_body) by_status["413"] = ResponseRef("PayloadTooLarge");
    op["responses"] = responses;
    pb::Value roles;
    roles.mutable_list_value();
    // Staff appear by role when the route names them ("staff:window_clerk"), else as "staff".
    for (const auto& [bit, name] :
         {std::pair{auth::kApplicants, "applicant"}, std::pair{auth::kStaff, "staff"},
          std::pair{auth::kInspectors, "inspector"},
          std::pair{auth::kAdministrators, auth::kAdministrator},
          std::pair{auth::kSecurityAdministrators, auth::kSecurityAdministrator},
          std::pair{auth::kAuditAdministrators, auth::kAuditAdministrator},
          std::pair{auth::kRatingDevices, auth::kRatingDevice},
          std::pair{auth::kAttendanceDevices, auth::kAttendanceDevice}}) {
      if ((route->audience & bit) == 0) continue;
      if (bit == auth::kStaff && !route->staff_roles.empty()) {
        for (const std::string& role : route->staff_roles) {
          *roles.mutable_list_value()->add_values() = Str(absl::StrCat("staff:", role));
        }
      } else {
        *roles.mutable_list_value()->add_values() = Str(name);
      }
    }
    op["x-roles"] = roles;
    if (!route->full_personal_data_roles.empty()) {
      pb::Value shown;
      for (const std::string& role : route->full_personal_data_roles) {
        *shown.mutable_list_value()->add_values() = Str(role);
      }
      op["x-personal-data-in-full"] = shown;
    }
    if (route->audited_read) {
      pb::Value audited;
      audited.set_bool_value(true);
      op["x-audited-read"] = audited;
    }
    if (!route->is_public) {
      pb::Value security;
      *security.mutable_list_value()->add_values() = Obj({{"bearer", EmptyList()}});
      op["security"] = security;
    }
    std::string method = route->http_method;
    for (auto& c : method)
      c = static_cast<char>(absl::ascii_tolower(static_cast<unsigned char>(c)));
    pb::Value& path_item = (*paths.mutable_fields())[route->pattern];
    (*path_item.mutable_struct_value()->mutable_fields())[method] = operation;
  }
  pb::Value path_values;
  *path_values.mutable_struct_value() = paths;
  top["paths"] = path_values;
  pb::Value components;
  auto& c = *components.mutable_struct_value()->mutable_fields();
  *c["schemas"].mutable_struct_value() = schemas;
  c["responses"] = ErrorResponses();
  c["securitySchemes"] =
      Obj({{"bearer", Obj({{"type", Str("http")},
                           {"scheme", Str("bearer")},
                           {"description", Str("the token POST /v1/login returns")}})}});
  top["components"] = components;
  std::string json;
  pb::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)pb::util::MessageToJsonString(doc, &json, options);
  return json;
}

}  // namespace sunlight::gateway
