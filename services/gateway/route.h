// The route table's entries and a request on its way through (gateway.cc, openapi.cc and
// the gateway_routes_*.cc files that fill the table).
#ifndef SUNLIGHT_SERVICES_GATEWAY_ROUTE_H_
#define SUNLIGHT_SERVICES_GATEWAY_ROUTE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "gateway.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
using auth::v1::Principal;

// One request on its way through.
struct Gateway::Call {
  const HttpRequest* http = nullptr;
  const Route* route = nullptr;
  absl::flat_hash_map<std::string, std::string> path_params;
  Principal principal;  // the caller (an applicant principal on public routes)
  // Whether the response goes out with its personal data in full (audited as a read): the
  // caller's role is one of the route's `full_personal_data_roles`, unless `finish` says no.
  bool full_personal_data = false;
  std::string target;
};

struct Gateway::Route {
  std::string http_method;
  std::string pattern;  // "/v1/cases/{case_id}:accept"
  std::vector<std::string> segments;
  std::string verb;  // ":accept"
  uint32_t audience = 0;
  // Staff may call the route only in one of these roles (empty: any staff role); the backend's
  // method policy says the same (auth::AllowStaff).
  std::vector<std::string> staff_roles;
  // The roles that see the personal data of the response in full (audited as a read); everyone
  // else gets it masked, as from every other route.
  std::vector<std::string> full_personal_data_roles;
  // Kinds of personal data the route shows to every caller it admits (PersonalBit): the query
  // code of a new case, to its submitter, once.
  uint32_t shown_personal_data = 0;
  bool is_public = false;
  // Open to a user who must change their password (logout, who am I, the change itself);
  // every other route answers them 403.
  bool open_before_password_change = false;
  bool has_body = false;
  std::string summary;
  // The HTTP status of success (201 for what creates a resource).
  int success_status = 200;
  // The audit entry's action for a state change ("" : "<METHOD> <pattern>").
  std::string audit_action;
  // A read recorded in the audit log like a change (footage): its outcome, refused or not, is
  // an entry, and a success goes out only once its entry is written (503 otherwise).
  bool audited_read = false;
  // The media type of a success that is not JSON ("video/mp4"), for the document; the route
  // answers with `stream`.
  std::string media_type;
  const pb::MethodDescriptor* method = nullptr;  // backend method, or null
  const pb::Descriptor* input = nullptr;
  const pb::Descriptor* output = nullptr;
  // Checks and fills the request for the caller (scope).
  Gateway::Prepare prepare;
  // The gateway's own routes.
  std::function<absl::StatusOr<std::unique_ptr<pb::Message>>(Call&, pb::Message&)> local;
  // Shapes the response for the caller (masking).
  using Finish = std::function<void(Call&, pb::Message&)>;
  Finish finish;
  // A route that makes its own HTTP response (server-sent events, downloads, media; streamed
  // or not): answers the call once the caller is known and may call it.
  std::function<HttpResponse(Call&)> stream;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_ROUTE_H_
