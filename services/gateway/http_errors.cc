// Errors and JSON bodies (http_errors.h).
#include "http_errors.h"

#include <optional>

#include "sunlight/base/retry_after.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/server/grpc_status.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

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

HttpResponse ErrorFor(const absl::Status& status, std::string field) {
  // (ErrorResponse makes message and field printable: they may quote request text.)
  if (field.empty()) field = FieldOf(status);
  HttpResponse response =
      ErrorResponse(HttpStatusFor(status.code()),
                    server::StatusCodeName(static_cast<grpc::StatusCode>(status.code())),
                    std::string(status.message()), field);
  // A limit says when to come back (sunlight/base/retry_after.h); a 429 always does.
  std::optional<int64_t> wait = RetryAfterSecondsOf(status);
  if (!wait.has_value() && response.status == 429) wait = 1;
  if (wait.has_value()) response.headers.emplace_back("Retry-After", absl::StrCat(*wait));
  return response;
}

absl::StatusOr<std::string> ToJson(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (auto s = pb::util::MessageToJsonString(message, &json, options); !s.ok()) {
    return absl::InternalError(
        absl::StrCat("the response cannot be shown as JSON: ", s.ToString()));
  }
  return json;
}

HttpResponse JsonResponse(const pb::Message& message, int status) {
  absl::StatusOr<std::string> json = ToJson(message);
  // Never a success with a body that is not the response (a packed payload of a type the
  // gateway does not know, say): an error in the one shape instead.
  if (!json.ok()) return ErrorFor(json.status());
  HttpResponse response;
  response.status = status;
  response.body = *std::move(json);
  return response;
}

}  // namespace sunlight::gateway
