// The exchange's gRPC service (exchange_service.h).
#include "exchange/exchange_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/grpc_security_constants.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/utf8.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/server/grpc_status.h"

namespace sunlight::gateway {

using events::v1::CaseEvent;
using exchange::v1::ExchangeRecord;

ExchangeService::ExchangeService(ExchangeRelay* relay, std::vector<Platform> platforms,
                                 prometheus::Registry* registry)
    : relay_(relay),
      intake_channel_(grpc::CreateChannel(relay->options().intake_target,
                                          relay->options().credentials
                                              ? relay->options().credentials
                                              : grpc::InsecureChannelCredentials())) {
  for (auto& p : platforms) {
    if (!p.certificate_subject.empty()) platform_by_subject_[p.certificate_subject] = p.platform_id;
    if (!p.certificate_san.empty()) platform_by_san_[p.certificate_san] = p.platform_id;
  }
  if (registry != nullptr) {
    lag_ = &prometheus::BuildGauge()
                .Name("sunlight_exchange_platform_lag_records")
                .Help(
                    "Records relayed to the exchange that a platform has not been sent yet "
                    "(since the gateway started)")
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

absl::StatusOr<std::string> ExchangeService::PlatformOf(const grpc::ServerContext* context) const {
  auto auth = context->auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("a client certificate is required");
  }
  for (const auto& subject : auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME)) {
    auto it = platform_by_subject_.find(std::string(subject.data(), subject.size()));
    if (it != platform_by_subject_.end()) return it->second;
  }
  for (const char* property : {GRPC_X509_SAN_PROPERTY_NAME, GRPC_PEER_DNS_PROPERTY_NAME,
                               GRPC_PEER_URI_PROPERTY_NAME, GRPC_PEER_IP_PROPERTY_NAME}) {
    for (const auto& san : auth->FindPropertyValues(property)) {
      auto it = platform_by_san_.find(std::string(san.data(), san.size()));
      if (it != platform_by_san_.end()) return it->second;
    }
  }
  std::string subject;
  for (const auto& s : auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME)) {
    subject.assign(s.data(), s.size());
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "the client certificate (", PrintableText(subject), ") is not a registered platform's"));
}

grpc::Status ExchangeService::Subscribe(grpc::ServerContext* context,
                                        const exchange::v1::SubscribeRequest* request,
                                        grpc::ServerWriter<ExchangeRecord>* writer) {
  auto platform = PlatformOf(context);
  if (!platform.ok()) return server::ToGrpcStatus(platform.status());
  const eventlog::EventLog& log = relay_->log();
  if (request->after_position() > log.last_sequence()) {
    return grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                        absl::StrCat("after_position: ", request->after_position(),
                                     " is beyond the last position ", log.last_sequence()));
  }
  {
    std::lock_guard lock(sent_mu_);
    last_sent_[*platform] = request->after_position();
  }
  LogInfo("exchange", absl::StrCat(*platform, " subscribes after ", request->after_position()));
  const std::string& name = *platform;
  absl::Status s = eventlog::TailLog(
      log, request->after_position() + 1, [&] { return context->IsCancelled() || shutting_down_; },
      [&](const CaseEvent& wrapper) -> absl::Status {
        ExchangeRecord record;
        if (!wrapper.payload().UnpackTo(&record)) {
          return absl::DataLossError(
              absl::StrCat("exchange record ", wrapper.sequence(), " unreadable"));
        }
        record.set_position(wrapper.sequence());
        if (!writer->Write(record)) return absl::CancelledError();  // the platform went away
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
  response->set_platform_id(*platform);
  response->set_last_position(relay_->log().last_sequence());
  return grpc::Status::OK;
}

grpc::Status ExchangeService::PushItem(grpc::ServerContext* context,
                                       const exchange::v1::PushItemRequest* request,
                                       exchange::v1::PushItemResponse* response) {
  auto platform = PlatformOf(context);
  if (!platform.ok()) return server::ToGrpcStatus(platform.status());
  if (request->definition().item_code().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "definition.item_code: required");
  }
  // Published in intake by the platform, through the gateway's own service principal.
  auth::v1::Principal principal;
  principal.set_user_id(absl::StrCat("platform:", *platform));
  principal.set_name(*platform);
  principal.set_role(auth::kService);
  intake::v1::PublishItemVersionRequest publish;
  publish.mutable_actor()->set_id(principal.user_id());
  publish.mutable_actor()->set_name(principal.name());
  publish.mutable_actor()->set_role(principal.role());
  *publish.mutable_definition() = request->definition();
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (relay_->options().signer != nullptr) {
    auth::AttachPrincipal(
        &call, relay_->options().signer->Sign(
                   principal, "intake",
                   intake::v1::PublishItemVersionRequest::descriptor()->full_name(), absl::Now()));
  }
  intake::v1::ItemVersion published;
  grpc::Status s =
      intake::v1::Intake::NewStub(intake_channel_)->PublishItemVersion(&call, publish, &published);
  if (!s.ok()) return s;
  LogInfo("exchange",
          absl::StrCat(*platform, " pushed ", PrintableText(published.definition().item_code()),
                       " version ", published.version()));
  response->set_item_code(published.definition().item_code());
  response->set_version(published.version());
  return grpc::Status::OK;
}

}  // namespace sunlight::gateway
