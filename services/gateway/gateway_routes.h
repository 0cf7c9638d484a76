// What the files that fill the gateway's route table share (gateway_routes_*.cc).
#ifndef SUNLIGHT_SERVICES_GATEWAY_GATEWAY_ROUTES_H_
#define SUNLIGHT_SERVICES_GATEWAY_GATEWAY_ROUTES_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backend.h"
#include "gateway.h"
#include "personal_data.h"
#include "route.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::gateway {

namespace iv1 = ::sunlight::intake::v1;
namespace wv1 = ::sunlight::workflow::v1;
namespace sv1 = ::sunlight::supervision::v1;

using auth::kSignedIn;

// The one answer to a case the caller may not see, so that a refusal tells nothing.
inline absl::Status NotFoundCase() { return absl::NotFoundError("no such case"); }

inline bool IsStaff(const auth::v1::Principal& p) { return auth::AudienceOf(p) == auth::kStaff; }

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_GATEWAY_ROUTES_H_
