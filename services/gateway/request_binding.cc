// Binding an HTTP request to its route's message (request_binding.h).
#include "request_binding.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/base/message_text.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/base/utf8.h"

namespace sunlight::gateway {
namespace {

namespace pb = ::google::protobuf;

// Longest path parameter (an identifier or a code) and query argument.
constexpr size_t kMaxPathParamBytes = 256;
constexpr size_t kMaxQueryArgumentBytes = 1024;
constexpr size_t kMaxQueryNameBytes = 128;
// Deepest JSON nesting JsonPathAt follows.
constexpr size_t kMaxJsonPathDepth = 32;

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
  if (field->is_repeated()) {
    // A list of text or of enumeration values from one argument, comma-separated
    // ("values=market,tax", "states=COMPLAINT_STATE_FILED,COMPLAINT_STATE_ACCEPTED").
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
      r->ClearField(message, field);
      for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
        r->AddString(message, field, std::string(part));
      }
      return absl::OkStatus();
    }
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_ENUM) {
      r->ClearField(message, field);
      for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
        const pb::EnumValueDescriptor* value =
            field->enum_type()->FindValueByName(std::string(part));
        if (value == nullptr) return bad("not a value of the enumeration");
        r->AddEnum(message, field, value);
      }
      return absl::OkStatus();
    }
    return bad("cannot be set from the query");
  }
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
      // Deeper than any message here: name the body rather than hold a frame per bracket.
      if (stack.size() >= kMaxJsonPathDepth) return "";
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

}  // namespace

// Every byte string of a request is checked where it enters: well-formed UTF-8 within its
// length, or 400 naming the field (the message never repeats the bytes).
absl::Status ValidateRequestText(const HttpRequest& http, const PathParams& params,
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

absl::Status BindRequest(const HttpRequest& http, const PathParams& params, bool has_body,
                         pb::Message* request, std::string* field) {
  const pb::Descriptor* input = request->GetDescriptor();
  if (has_body && !http.body.empty()) {
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto parsed = pb::util::JsonStringToMessage(http.body, request, options);
    if (!parsed.ok()) {
      std::string message(parsed.message());
      *field = FieldOfJsonError(message);
      return absl::InvalidArgumentError(absl::StrCat("malformed JSON body: ", message));
    }
    // JSON escapes (a lone "\\ud800") can still spell text that is not UTF-8.
    SUNLIGHT_RETURN_IF_ERROR(ValidateMessageText(*request, kMaxAnyTextLength));
  }
  for (const auto& [name, value] : http.query) {
    std::string path = name;
    if ((name == "page_size" || name == "page_token") &&
        input->FindFieldByName("page") != nullptr) {
      path = absl::StrCat("page.", name);
    }
    if (absl::Status s = SetPath(request, path, value); !s.ok()) {
      *field = path;
      return s;
    }
  }
  for (const auto& [name, value] : params) {
    // A parameter the message lacks only scopes the call (checked by the route).
    if (input->FindFieldByName(name) == nullptr) continue;
    if (absl::Status s = SetPath(request, name, value); !s.ok()) {
      *field = name;
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace sunlight::gateway
