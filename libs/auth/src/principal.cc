#include "sunlight/auth/principal.h"

#include "sunlight/base/log.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/common/v1/common.pb.h"

namespace sunlight::auth {
namespace {

std::string Mac(const std::string& key, std::string_view payload) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace

uint32_t AudienceOf(const v1::Principal& principal) {
  const std::string& role = principal.role();
  if (principal.user_id().empty() || role.empty()) return 0;
  if (role == kAdministrator) return kAdministrators;
  if (role == kInspector) return kInspectors;
  if (role == kApplicant) return kApplicants;
  if (role == kService) return kServices;
  return principal.department_id().empty() ? 0u : static_cast<uint32_t>(kStaff);
}

absl::StatusOr<std::shared_ptr<const Signer>> Signer::FromKey(std::string key) {
  std::string trimmed(absl::StripAsciiWhitespace(key));
  if (trimmed.size() < 32) {
    return absl::InvalidArgumentError("a signing key must be at least 32 bytes");
  }
  return std::shared_ptr<const Signer>(new Signer(std::move(trimmed)));
}

absl::StatusOr<std::shared_ptr<const Signer>> Signer::FromKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read key file ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  auto signer = FromKey(contents.str());
  if (!signer.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", signer.status().message()));
  }
  return signer;
}

std::string Signer::Sign(std::string_view payload) const {
  return absl::StrCat(absl::WebSafeBase64Escape(std::string(payload)), ".",
                      absl::WebSafeBase64Escape(Mac(key_, payload)));
}

absl::StatusOr<std::string> Signer::Verify(std::string_view token) const {
  size_t dot = token.find('.');
  std::string payload, mac;
  if (dot == std::string_view::npos ||
      !absl::WebSafeBase64Unescape(std::string(token.substr(0, dot)), &payload) ||
      !absl::WebSafeBase64Unescape(std::string(token.substr(dot + 1)), &mac)) {
    return absl::UnauthenticatedError("malformed token");
  }
  std::string expected = Mac(key_, payload);
  if (mac.size() != expected.size() ||
      CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) != 0) {
    return absl::UnauthenticatedError("token signature does not verify");
  }
  return payload;
}

std::string Signer::SignPrincipal(const v1::Principal& principal) const {
  return Sign(principal.SerializeAsString());
}

absl::StatusOr<v1::Principal> Signer::VerifyPrincipal(std::string_view token,
                                                      absl::Time now) const {
  auto payload = Verify(token);
  if (!payload.ok()) return payload.status();
  v1::Principal principal;
  if (!principal.ParseFromString(*payload)) {
    return absl::UnauthenticatedError("token does not hold a principal");
  }
  if (!principal.has_expires_at() || FromProto(principal.expires_at()) <= now) {
    return absl::UnauthenticatedError("token has expired");
  }
  return principal;
}

void AttachPrincipal(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata(kPrincipalMetadataKey, token);
}

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

v1::Principal ServicePrincipal(const std::string& service, absl::Time now, absl::Duration ttl) {
  v1::Principal principal;
  principal.set_user_id(absl::StrCat("service:", service));
  principal.set_name(service);
  principal.set_role(kService);
  *principal.mutable_expires_at() = ToProto(now + ttl);
  return principal;
}

absl::StatusOr<std::shared_ptr<const Signer>> LoadSigner(const std::string& key_file) {
  if (key_file.empty()) return std::shared_ptr<const Signer>();
  return Signer::FromKeyFile(key_file);
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

std::function<void(grpc::ClientContext*)> ServiceCallHook(std::shared_ptr<const Signer> signer,
                                                          std::string service) {
  return [signer = std::move(signer), service = std::move(service)](grpc::ClientContext* context) {
    if (signer == nullptr) return;
    AttachPrincipal(context,
                    signer->SignPrincipal(ServicePrincipal(service, absl::Now(), absl::Hours(1))));
  };
}

}  // namespace sunlight::auth
