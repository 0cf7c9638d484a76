#include "sunlight/supervision/supervision_grpc_service.h"

#include "sunlight/server/grpc_status.h"

namespace sunlight::supervision {

auth::MethodPolicy SupervisionMethodPolicy() {
  constexpr uint32_t kSignedIn = auth::kStaff | auth::kInspectors | auth::kAdministrators;
  constexpr uint32_t kRead = kSignedIn | auth::kServices;
  constexpr uint32_t kConfigure = auth::kAdministrators | auth::kServices;
  auto name = [](const google::protobuf::Descriptor* d) { return d->full_name(); };
  return {
      {name(v1::GetLightBoardRequest::descriptor()), kRead},
      {name(v1::ListClocksRequest::descriptor()), kRead},
      {name(v1::GetCaseClocksRequest::descriptor()), kRead},
      {name(v1::ListAlertsRequest::descriptor()), kRead},
      {name(v1::IssueNoticeRequest::descriptor()), auth::kInspectors},
      {name(v1::RespondToNoticeRequest::descriptor()), auth::kStaff},
      {name(v1::DecideNoticeRequest::descriptor()), auth::kInspectors},
      {name(v1::GetNoticeRequest::descriptor()), kRead},
      {name(v1::SetRuleSetRequest::descriptor()), kConfigure},
      {name(v1::GetRuleSetRequest::descriptor()), kRead},
      {name(v1::SetCalendarRequest::descriptor()), kConfigure},
  };
}

grpc::Status SupervisionGrpcService::GetLightBoard(grpc::ServerContext* context,
                                                   const v1::GetLightBoardRequest* request,
                                                   v1::GetLightBoardResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(supervision_->GetLightBoard(*request), response);
}
grpc::Status SupervisionGrpcService::ListClocks(grpc::ServerContext* context,
                                                const v1::ListClocksRequest* request,
                                                v1::ListClocksResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(supervision_->ListClocks(*request), response);
}
grpc::Status SupervisionGrpcService::GetCaseClocks(grpc::ServerContext* context,
                                                   const v1::GetCaseClocksRequest* request,
                                                   v1::GetCaseClocksResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(supervision_->GetCaseClocks(*request), response);
}
grpc::Status SupervisionGrpcService::ListAlerts(grpc::ServerContext* context,
                                                const v1::ListAlertsRequest* request,
                                                v1::ListAlertsResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(supervision_->ListAlerts(*request), response);
}
grpc::Status SupervisionGrpcService::IssueNotice(grpc::ServerContext* context,
                                                 const v1::IssueNoticeRequest* request,
                                                 v1::NoticeResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(supervision_->IssueNotice(*request), response->mutable_notice());
}
grpc::Status SupervisionGrpcService::RespondToNotice(grpc::ServerContext* context,
                                                     const v1::RespondToNoticeRequest* request,
                                                     v1::NoticeResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(supervision_->RespondToNotice(*request), response->mutable_notice());
}
grpc::Status SupervisionGrpcService::DecideNotice(grpc::ServerContext* context,
                                                  const v1::DecideNoticeRequest* request,
                                                  v1::NoticeResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(supervision_->DecideNotice(*request), response->mutable_notice());
}
grpc::Status SupervisionGrpcService::GetNotice(grpc::ServerContext* context,
                                               const v1::GetNoticeRequest* request,
                                               v1::NoticeResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(supervision_->GetNotice(*request), response->mutable_notice());
}
grpc::Status SupervisionGrpcService::SetRuleSet(grpc::ServerContext* context,
                                                const v1::SetRuleSetRequest* request,
                                                v1::ReplanResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(supervision_->SetRuleSet(*request), response);
}
grpc::Status SupervisionGrpcService::GetRuleSet(grpc::ServerContext* context,
                                                const v1::GetRuleSetRequest* request,
                                                v1::RuleSet* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  *response = supervision_->GetRuleSet();
  return grpc::Status::OK;
}
grpc::Status SupervisionGrpcService::SetCalendar(grpc::ServerContext* context,
                                                 const v1::SetCalendarRequest* request,
                                                 v1::SetCalendarResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(supervision_->SetCalendar(*request), response);
}

}  // namespace sunlight::supervision
