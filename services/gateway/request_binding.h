// Binding an HTTP request to the request message of its route: every byte string checked
// where it enters (well-formed UTF-8 within its length, or INVALID_ARGUMENT naming the
// field), then the JSON body, the query arguments and the path parameters, in that order.
#ifndef SUNLIGHT_SERVICES_GATEWAY_REQUEST_BINDING_H_
#define SUNLIGHT_SERVICES_GATEWAY_REQUEST_BINDING_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "http_server.h"

namespace sunlight::gateway {

using PathParams = absl::flat_hash_map<std::string, std::string>;

// Checks the text of a request before anything reads it: path parameters (UTF-8, at most
// 256 bytes), query arguments (names at most 128, values at most 1024 bytes) and the body
// (UTF-8; the field is named by its JSON path). On error sets `*field`.
absl::Status ValidateRequestText(const HttpRequest& http, const PathParams& params,
                                 std::string* field);

// Fills `request` from the body (when `has_body`), the query arguments and the path
// parameters that are fields of it (others only scope the call). On error sets `*field`
// when it can name one. Call ValidateRequestText first.
absl::Status BindRequest(const HttpRequest& http, const PathParams& params, bool has_body,
                         google::protobuf::Message* request, std::string* field);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_REQUEST_BINDING_H_
