#include "sunlight/auth/authorizer.h"

#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/base/message_text.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/common/v1/common.pb.h"

namespace sunlight::auth {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace

Authorizer::Authorizer(std::shared_ptr<const Signer> signer, const Clock* clock,
                       MethodPolicy policy)
    : signer_(std::move(signer)), clock_(clock), policy_(std::move(policy)) {}

absl::StatusOr<v1::Principal> Authorizer::CheckToken(
    std::string_view token, const google::protobuf::Message& request) const {
  if (signer_ == nullptr) return v1::Principal();
  const std::string& method = request.GetDescriptor()->full_name();
  auto allowed = policy_.find(method);
  if (allowed == policy_.end()) {
    return absl::PermissionDeniedError(absl::StrCat(method, " is not open to any caller"));
  }
  if (token.empty()) {
    return absl::UnauthenticatedError(absl::StrCat("no principal (", kPrincipalMetadataKey, ")"));
  }
  auto principal = signer_->VerifyPrincipal(token, clock_->Now());
  if (!principal.ok()) return principal.status();
  uint32_t audience = AudienceOf(*principal);
  if ((audience & allowed->second) == 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", principal->role(), " may not call ", method));
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
  if (signer_ == nullptr) return v1::Principal();
  std::string token;
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find(kPrincipalMetadataKey); it != metadata.end()) {
    token.assign(it->second.data(), it->second.size());
  }
  return CheckToken(token, request);
}

grpc::Status Authorizer::Check(const grpc::ServerContext* context,
                               const google::protobuf::Message& request) const {
  if (signer_ == nullptr) return grpc::Status::OK;
  auto principal = Authorize(context, request);
  if (!principal.ok()) return ToGrpc(principal.status());
  return grpc::Status::OK;
}

absl::StatusOr<std::unique_ptr<Authorizer>> ServiceAuthorizer(const std::string& service,
                                                              const std::string& key_file,
                                                              MethodPolicy policy) {
  static SystemClock real_clock;
  auto signer = LoadSigner(key_file);
  if (!signer.ok()) return signer.status();
  if (*signer == nullptr) {
    LogWarning(service, "no --principal_key_file: calls are not authenticated");
  }
  return std::make_unique<Authorizer>(*std::move(signer), &real_clock, std::move(policy));
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
