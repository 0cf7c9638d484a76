// Errors and JSON bodies in the gateway's one shape: a gRPC/absl status as an HTTP status and
// {"error": {"code", "message", "field"}}; a protobuf message as a JSON body.
#ifndef SUNLIGHT_SERVICES_GATEWAY_HTTP_ERRORS_H_
#define SUNLIGHT_SERVICES_GATEWAY_HTTP_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "http_server.h"

namespace sunlight::gateway {

// The HTTP status for a gRPC status code (Google's mapping).
int HttpStatusFor(absl::StatusCode code);
// The field an INVALID_ARGUMENT "field: what" names ("" for other statuses).
std::string FieldOf(const absl::Status& status);
// The error body of `status`; `field` when given, otherwise the one its message names.
HttpResponse ErrorFor(const absl::Status& status, std::string field = "");
// A message in protobuf's JSON mapping with proto field names; INTERNAL when it cannot be
// (a packed payload of a type the gateway does not know).
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);
// The JSON body of `message` with `status`, or a 500 error body when it has none.
HttpResponse JsonResponse(const google::protobuf::Message& message, int status = 200);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_HTTP_ERRORS_H_
