// The exchange's gRPC service (exchange_service.h).
#include "exchange/exchange_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "exchange/item_review.h"
#include "grpc/grpc_security_constants.h"
#include "http_errors.h"
#include "sunlight/base/log.h"
#include "sunlight/base/message_text.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/base/utf8.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/server/grpc_status.h"

namespace sunlight::gateway {

using events::v1::CaseEvent;
using exchange::v1::ExchangeRecord;
using exchange::v1::StagedPush;

namespace {

constexpr char kPushAction[] = "exchange.push_item";

// The principal a platform's calls to intake are made for (signed by the gateway).
auth::v1::Principal PlatformPrincipal(const Platform& platform) {
  auth::v1::Principal principal;
  principal.set_user_id(absl::StrCat("platform:", platform.platform_id));
  principal.set_name(platform.platform_id);
  principal.set_role(auth::kService);
  return principal;
}

}  // namespace

ExchangeService::ExchangeService(ExchangeRelay* relay, std::vector<Platform> platforms,
                                 prometheus::Registry* registry)
    : relay_(relay),
      intake_channel_(grpc::CreateChannel(relay->options().intake_target,
                                          relay->options().credentials
                                              ? relay->options().credentials
                                              : grpc::InsecureChannelCredentials())),
      clock_(relay->options().clock) {
  for (auto& p : platforms) {
    if (!p.certificate_subject.empty()) platform_by_subject_[p.certificate_subject] = p.platform_id;
    if (!p.certificate_san.empty()) platform_by_san_[p.certificate_san] = p.platform_id;
    std::string id = p.platform_id;
    platforms_[id] = std::move(p);
  }
  if (registry != nullptr) {
    lag_ = &prometheus::BuildGauge()
                .Name("sunlight_exchange_platform_lag_records")
                .Help(
                    "Records relayed to the exchange that a platform has not been sent or "
                    "passed over yet (since the gateway started)")
                .Register(*registry);
    lag_updates_ = std::make_unique<server::Periodic>(absl::Seconds(1), [this] { UpdateLag(); });
  }
}

ExchangeService::~ExchangeService() = default;

void ExchangeService::UpdateLag() {
  uint64_t last = relay_->log().last_sequence();
  std::lock_guard lock(sent_mu_);
  for (const auto& [platform, sent] : last_sent_) {
    lag_->Add({{"platform", platform}}).Set(static_cast<double>(last - std::min(last, sent)));
  }
}

absl::StatusOr<const Platform*> ExchangeService::PlatformOf(
    const grpc::ServerContext* context) const {
  auto auth = context->auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("a client certificate is required");
  }
  auto registered = [&](const std::string& id) -> const Platform* {
    auto it = platforms_.find(id);
    return it == platforms_.end() ? nullptr : &it->second;
  };
  for (const auto& subject : auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME)) {
    auto it = platform_by_subject_.find(std::string(subject.data(), subject.size()));
    if (it != platform_by_subject_.end()) return registered(it->second);
  }
  for (const char* property : {GRPC_X509_SAN_PROPERTY_NAME, GRPC_PEER_DNS_PROPERTY_NAME,
                               GRPC_PEER_URI_PROPERTY_NAME, GRPC_PEER_IP_PROPERTY_NAME}) {
    for (const auto& san : auth->FindPropertyValues(property)) {
      auto it = platform_by_san_.find(std::string(san.data(), san.size()));
      if (it != platform_by_san_.end()) return registered(it->second);
    }
  }
  return absl::PermissionDeniedError(absl::StrCat("the client certificate (",
                                                  PrintableText(CertificateSubject(context)),
                                                  ") is not a registered platform's"));
}

std::string ExchangeService::CertificateSubject(const grpc::ServerContext* context) {
  std::string subject;
  auto auth = context->auth_context();
  if (auth == nullptr) return subject;
  for (const auto& s : auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME)) {
    subject.assign(s.data(), s.size());
  }
  return subject;
}

grpc::Status ExchangeService::Subscribe(grpc::ServerContext* context,
                                        const exchange::v1::SubscribeRequest* request,
                                        grpc::ServerWriter<ExchangeRecord>* writer) {
  auto found = PlatformOf(context);
  if (!found.ok()) return server::ToGrpcStatus(found.status());
  const Platform& platform = **found;
  const eventlog::EventLog& log = relay_->log();
  if (request->after_position() > log.last_sequence()) {
    return grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                        absl::StrCat("after_position: ", request->after_position(),
                                     " is beyond the last position ", log.last_sequence()));
  }
  const std::string& name = platform.platform_id;
  {
    std::lock_guard lock(sent_mu_);
    last_sent_[name] = request->after_position();
  }
  LogInfo("exchange", absl::StrCat(name, " subscribes after ", request->after_position()));
  absl::Status s = eventlog::TailLog(
      log, request->after_position() + 1, [&] { return context->IsCancelled() || shutting_down_; },
      [&](const CaseEvent& wrapper) -> absl::Status {
        ExchangeRecord record;
        if (!wrapper.payload().UnpackTo(&record)) {
          return absl::DataLossError(
              absl::StrCat("exchange record ", wrapper.sequence(), " unreadable"));
        }
        record.set_position(wrapper.sequence());
        // Another department's record is passed over, never sent.
        if (platform.Receives(record) && !writer->Write(record)) {
          return absl::CancelledError();  // the platform went away
        }
        std::lock_guard lock(sent_mu_);
        last_sent_[name] = wrapper.sequence();
        return absl::OkStatus();
      });
  if (absl::IsUnavailable(s)) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "exchange closing");
  }
  return server::ToGrpcStatus(s);
}

grpc::Status ExchangeService::GetExchangeInfo(grpc::ServerContext* context,
                                              const exchange::v1::GetExchangeInfoRequest*,
                                              exchange::v1::ExchangeInfo* response) {
  auto platform = PlatformOf(context);
  if (!platform.ok()) return server::ToGrpcStatus(platform.status());
  response->set_platform_id((*platform)->platform_id);
  response->set_last_position(relay_->log().last_sequence());
  for (const auto& department : (*platform)->departments) response->add_department_ids(department);
  for (const auto& item : (*platform)->items) response->add_item_codes(item);
  return grpc::Status::OK;
}

grpc::Status ExchangeService::PushItem(grpc::ServerContext* context,
                                       const exchange::v1::PushItemRequest* request,
                                       exchange::v1::PushItemResponse* response) {
  const std::string& item_code = request->definition().item_code();
  const std::string client = context->peer();
  auto platform = PlatformOf(context);
  if (!platform.ok()) {
    // Recorded too: who tried, with which certificate.
    (void)AuditPush(absl::StrCat("certificate:", CertificateSubject(context)), item_code,
                    HttpStatusFor(platform.status().code()), client);
    return server::ToGrpcStatus(platform.status());
  }
  const std::string user = absl::StrCat("platform:", (*platform)->platform_id);
  absl::StatusOr<StagedPush> staged;
  if (absl::Status text = ValidateMessageText(*request, kMaxAnyTextLength); !text.ok()) {
    staged = text;
  } else {
    staged = StagePush(**platform, request->definition(), [&]() -> absl::Status {
      if (!AuditPush(user, item_code, 0, client, "intent").ok()) {
        return absl::UnavailableError("the audit log cannot be written; nothing was staged");
      }
      return absl::OkStatus();
    });
  }
  // The outcome; when it cannot be written the intent (for a staged push) already is.
  (void)AuditPush(user, item_code, staged.ok() ? 202 : HttpStatusFor(staged.status().code()),
                  client);
  if (!staged.ok()) {
    LogInfo("exchange",
            absl::StrCat((*platform)->platform_id, " push of ", PrintableText(item_code),
                         " refused: ", PrintableText(staged.status().message())));
    return server::ToGrpcStatus(staged.status());
  }
  LogInfo("exchange", absl::StrCat((*platform)->platform_id, " pushed ", PrintableText(item_code),
                                   ": staged as ", staged->push_id(), " against version ",
                                   staged->base_version()));
  response->set_item_code(item_code);
  response->set_push_id(staged->push_id());
  response->set_base_version(staged->base_version());
  return grpc::Status::OK;
}

absl::StatusOr<StagedPush> ExchangeService::StagePush(
    const Platform& platform, const intake::v1::ItemDefinition& definition,
    const std::function<absl::Status()>& audit_intent) {
  const ExchangeOptions& options = relay_->options();
  if (options.audit == nullptr || options.pushes == nullptr) {
    return absl::FailedPreconditionError("this exchange takes no pushes (no audit log)");
  }
  const std::string& code = definition.item_code();
  SUNLIGHT_RETURN_IF_ERROR(RequireText(code, "definition.item_code"));
  if (!platform.MayPush(code)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "definition.item_code: platform ", platform.platform_id, " may not push item ", code));
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireText(definition.department_id(), "definition.department_id"));
  SUNLIGHT_ASSIGN_OR_RETURN(auto in_force, InForce(platform, code));
  // An item's department says who answers for it: a platform may not move it (an
  // administrator can, publishing the item directly).
  if (in_force.has_value() &&
      in_force->definition().department_id() != definition.department_id()) {
    return absl::PermissionDeniedError(
        absl::StrCat("definition.department_id: item ", code, " belongs to ",
                     in_force->definition().department_id(), "; a platform may not move it to ",
                     definition.department_id()));
  }
  if (!in_force.has_value() && !platform.departments.contains(definition.department_id())) {
    return absl::PermissionDeniedError(
        absl::StrCat("definition.department_id: ", definition.department_id(),
                     " is not one of platform ", platform.platform_id, "'s departments"));
  }
  const intake::v1::ItemDefinition* base = in_force.has_value() ? &in_force->definition() : nullptr;
  SUNLIGHT_RETURN_IF_ERROR(CheckPushedLimits(definition, base));
  StagedPush push;
  push.set_platform_id(platform.platform_id);
  push.set_item_code(code);
  *push.mutable_definition() = definition;
  *push.mutable_pushed_at() = ToProto(Now());
  push.set_base_version(in_force.has_value() ? in_force->version() : 0);
  for (auto& change : ItemChanges(base, definition)) *push.add_changes() = std::move(change);
  SUNLIGHT_RETURN_IF_ERROR(audit_intent());
  return options.pushes->Stage(std::move(push));
}

absl::StatusOr<std::optional<intake::v1::ItemVersion>> ExchangeService::InForce(
    const Platform& platform, const std::string& item_code) {
  intake::v1::GetItemRequest get;
  get.set_item_code(item_code);
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (relay_->options().signer != nullptr) {
    auth::AttachPrincipal(
        &call, relay_->options().signer->Sign(PlatformPrincipal(platform), "intake",
                                              intake::v1::GetItemRequest::descriptor()->full_name(),
                                              absl::Now()));
  }
  intake::v1::ItemVersion item;
  grpc::Status s = intake::v1::Intake::NewStub(intake_channel_)->GetItem(&call, get, &item);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) return std::nullopt;
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat("intake: the version in force of ", item_code,
                                               " cannot be read (",
                                               PrintableText(s.error_message()), ")"));
  }
  return item;
}

absl::Status ExchangeService::AuditPush(const std::string& user, const std::string& item_code,
                                        int http_status, const std::string& client,
                                        const std::string& phase) {
  AuditLog* audit = relay_->options().audit;
  if (audit == nullptr) return absl::FailedPreconditionError("no audit log");
  v1::AuditEntry entry;
  *entry.mutable_at() = ToProto(Now());
  entry.set_user_id(user);
  entry.set_role("platform");
  entry.set_action(kPushAction);
  entry.set_target(item_code);
  entry.set_http_status(http_status);
  entry.set_client(client);
  entry.set_phase(phase);
  auto written = audit->Append(std::move(entry));
  if (!written.ok()) {
    LogError("exchange", absl::StrCat("audit entry not written: ", written.status().ToString()));
    return written.status();
  }
  return absl::OkStatus();
}

}  // namespace sunlight::gateway
