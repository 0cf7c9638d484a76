#include "sunlight/supervision/supervision_grpc_service.h"

namespace sunlight::supervision {

// No service calls these: the gateway calls them for people; services read the stream only.
auth::MethodPolicy SupervisionMethodPolicy() {
  constexpr uint32_t kRead = auth::kSignedIn;
  constexpr uint32_t kConfigure = auth::kAdministrators;
  return {
      auth::Allow<v1::GetLightBoardRequest>(kRead),
      auth::Allow<v1::ListClocksRequest>(kRead),
      auth::Allow<v1::GetCaseClocksRequest>(kRead),
      auth::Allow<v1::ListAlertsRequest>(kRead),
      auth::Allow<v1::IssueNoticeRequest>(auth::kInspectors),
      auth::Allow<v1::RespondToNoticeRequest>(auth::kStaff),
      auth::Allow<v1::DecideNoticeRequest>(auth::kInspectors),
      auth::Allow<v1::GetNoticeRequest>(kRead),
      auth::Allow<v1::SetRuleSetRequest>(kConfigure),
      auth::Allow<v1::GetRuleSetRequest>(kRead),
      auth::Allow<v1::SetCalendarRequest>(kConfigure),
  };
}

grpc::Status SupervisionGrpcService::GetRuleSet(grpc::ServerContext* c,
                                                const v1::GetRuleSetRequest* r, v1::RuleSet* out) {
  if (grpc::Status s = auth::CheckCall(authorizer_, c, *r); !s.ok()) return s;
  *out = supervision_->GetRuleSet();
  return grpc::Status::OK;
}

}  // namespace sunlight::supervision
