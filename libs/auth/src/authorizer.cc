#include "sunlight/auth/authorizer.h"

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/base/message_text.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/common/v1/common.pb.h"

namespace sunlight::auth {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

constexpr size_t kMaxRememberedPerShard = 1 << 18;  // 4M principals live at once in all

bool IsPersonIssuer(std::string_view issuer) {
  return issuer == kGatewayIssuer || issuer == kCliIssuer;
}

}  // namespace

Authorizer::Authorizer(std::string service, std::shared_ptr<const PrincipalVerifier> verifier,
                       const Clock* clock, MethodPolicy policy)
    : service_(std::move(service)),
      verifier_(std::move(verifier)),
      clock_(clock),
      policy_(std::move(policy)) {}

bool Authorizer::FirstUse(const std::string& id, absl::Time expires) const {
  SeenShard& shard = seen_[absl::Hash<std::string>{}(id) % seen_.size()];
  absl::Time now = clock_->Now();
  std::lock_guard lock(shard.mu);
  if (now >= shard.next_purge) {
    for (auto it = shard.expiry.begin(); it != shard.expiry.end();) {
      if (it->second <= now) {
        shard.expiry.erase(it++);
      } else {
        ++it;
      }
    }
    shard.next_purge = now + absl::Seconds(5);
  }
  if (shard.expiry.size() >= kMaxRememberedPerShard) return false;  // fail closed
  return shard.expiry.emplace(id, expires).second;
}

absl::StatusOr<v1::Principal> Authorizer::CheckToken(
    std::string_view token, const google::protobuf::Message& request) const {
  if (verifier_ == nullptr) return v1::Principal();
  const std::string& method = request.GetDescriptor()->full_name();
  auto allowed = policy_.find(method);
  if (allowed == policy_.end()) {
    return absl::PermissionDeniedError(absl::StrCat(method, " is not open to any caller"));
  }
  if (token.empty()) {
    return absl::UnauthenticatedError(absl::StrCat("no principal (", kPrincipalMetadataKey, ")"));
  }
  absl::Time now = clock_->Now();
  auto principal = verifier_->Verify(token, now);
  if (!principal.ok()) return principal.status();
  if (principal->audience() != service_) {
    return absl::UnauthenticatedError(
        absl::StrCat("principal is for ", principal->audience(), ", not ", service_));
  }
  if (principal->method() != method) {
    return absl::UnauthenticatedError(
        absl::StrCat("principal is for ", principal->method(), ", not ", method));
  }
  uint32_t audience = AudienceOf(*principal);
  if (audience == kServices) {
    // A service speaks only for itself; the gateway also for the provincial platforms it
    // authenticated.
    bool own = principal->user_id() == absl::StrCat("service:", principal->issuer());
    bool platform = principal->issuer() == kGatewayIssuer &&
                    absl::StartsWith(principal->user_id(), "platform:");
    if (!own && !platform) {
      return absl::PermissionDeniedError(
          absl::StrCat(principal->issuer(), " may not sign for ", principal->user_id()));
    }
  } else if (!IsPersonIssuer(principal->issuer())) {
    return absl::PermissionDeniedError(absl::StrCat(
        principal->issuer(), " may not act for a person (", principal->user_id(), ")"));
  }
  if (!FirstUse(principal->id(), FromProto(principal->expires_at()))) {
    return absl::UnauthenticatedError("principal already used (a replay)");
  }
  if (audience == kServices) {
    if (!allowed->second.services.contains(principal->issuer())) {
      return absl::PermissionDeniedError(
          absl::StrCat(principal->user_id(), " may not call ", method));
    }
  } else {
    SUNLIGHT_RETURN_IF_ERROR(RequireRole(*principal, allowed->second.audiences,
                                         allowed->second.staff_roles,
                                         absl::StrCat("call ", method)));
  }
  // A request that names its actor must name the caller, as the caller.
  const auto* descriptor = request.GetDescriptor();
  const auto* actor_field = descriptor->FindFieldByName("actor");
  if (actor_field != nullptr &&
      actor_field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE &&
      actor_field->message_type() == common::v1::Actor::descriptor() &&
      !actor_field->is_repeated()) {
    const auto& actor = static_cast<const common::v1::Actor&>(
        request.GetReflection()->GetMessage(request, actor_field));
    if (actor.id() != principal->user_id() || actor.role() != principal->role() ||
        actor.department_id() != principal->department_id()) {
      return absl::PermissionDeniedError(
          absl::StrCat("actor ", actor.id(), " (", actor.role(), ", ",
                       actor.department_id().empty() ? "no department" : actor.department_id(),
                       ") is not the caller ", principal->user_id()));
    }
  }
  // Staff name only their own department.
  if (audience == kStaff) {
    const auto* department_field = descriptor->FindFieldByName("department_id");
    if (department_field != nullptr &&
        department_field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !department_field->is_repeated()) {
      const std::string department = request.GetReflection()->GetString(request, department_field);
      if (!department.empty() && department != principal->department_id()) {
        return absl::PermissionDeniedError(absl::StrCat("department_id: ", principal->user_id(),
                                                        " works for ", principal->department_id(),
                                                        ", not ", department));
      }
    }
  }
  return principal;
}

absl::StatusOr<v1::Principal> Authorizer::Authorize(
    const grpc::ServerContext* context, const google::protobuf::Message& request) const {
  if (verifier_ == nullptr) return v1::Principal();
  std::string token;
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find(kPrincipalMetadataKey); it != metadata.end()) {
    token.assign(it->second.data(), it->second.size());
  }
  return CheckToken(token, request);
}

grpc::Status Authorizer::Check(const grpc::ServerContext* context,
                               const google::protobuf::Message& request) const {
  if (verifier_ == nullptr) return grpc::Status::OK;
  auto principal = Authorize(context, request);
  if (!principal.ok()) return ToGrpc(principal.status());
  return grpc::Status::OK;
}

grpc::Status CheckCall(const Authorizer* authorizer, const grpc::ServerContext* context,
                       const google::protobuf::Message& request) {
  if (absl::Status s = ValidateMessageText(request, kMaxAnyTextLength); !s.ok()) return ToGrpc(s);
  if (authorizer == nullptr) return grpc::Status::OK;
  return authorizer->Check(context, request);
}

absl::StatusOr<v1::Principal> AuthorizeCall(const Authorizer* authorizer,
                                            const grpc::ServerContext* context,
                                            const google::protobuf::Message& request) {
  if (absl::Status s = ValidateMessageText(request, kMaxAnyTextLength); !s.ok()) return s;
  if (authorizer == nullptr) return v1::Principal();
  return authorizer->Authorize(context, request);
}

}  // namespace sunlight::auth
