#include "supervision_grpc_service.h"

#include "sunlight/server/service_host.h"

namespace sunlight::supervision {
namespace {

template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return server::ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status ReplyNotice(absl::StatusOr<v1::Notice> result, v1::NoticeResponse* response) {
  if (!result.ok()) return server::ToGrpcStatus(result.status());
  *response->mutable_notice() = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status SupervisionGrpcService::GetLightBoard(grpc::ServerContext*,
                                                   const v1::GetLightBoardRequest* request,
                                                   v1::GetLightBoardResponse* response) {
  return Reply(supervision_->GetLightBoard(*request), response);
}
grpc::Status SupervisionGrpcService::ListClocks(grpc::ServerContext*,
                                                const v1::ListClocksRequest* request,
                                                v1::ListClocksResponse* response) {
  return Reply(supervision_->ListClocks(*request), response);
}
grpc::Status SupervisionGrpcService::GetCaseClocks(grpc::ServerContext*,
                                                   const v1::GetCaseClocksRequest* request,
                                                   v1::GetCaseClocksResponse* response) {
  return Reply(supervision_->GetCaseClocks(*request), response);
}
grpc::Status SupervisionGrpcService::ListAlerts(grpc::ServerContext*,
                                                const v1::ListAlertsRequest* request,
                                                v1::ListAlertsResponse* response) {
  return Reply(supervision_->ListAlerts(*request), response);
}
grpc::Status SupervisionGrpcService::IssueNotice(grpc::ServerContext*,
                                                 const v1::IssueNoticeRequest* request,
                                                 v1::NoticeResponse* response) {
  return ReplyNotice(supervision_->IssueNotice(*request), response);
}
grpc::Status SupervisionGrpcService::RespondToNotice(grpc::ServerContext*,
                                                     const v1::RespondToNoticeRequest* request,
                                                     v1::NoticeResponse* response) {
  return ReplyNotice(supervision_->RespondToNotice(*request), response);
}
grpc::Status SupervisionGrpcService::DecideNotice(grpc::ServerContext*,
                                                  const v1::DecideNoticeRequest* request,
                                                  v1::NoticeResponse* response) {
  return ReplyNotice(supervision_->DecideNotice(*request), response);
}
grpc::Status SupervisionGrpcService::GetNotice(grpc::ServerContext*,
                                               const v1::GetNoticeRequest* request,
                                               v1::NoticeResponse* response) {
  return ReplyNotice(supervision_->GetNotice(*request), response);
}
grpc::Status SupervisionGrpcService::SetRuleSet(grpc::ServerContext*,
                                                const v1::SetRuleSetRequest* request,
                                                v1::ReplanResponse* response) {
  return Reply(supervision_->SetRuleSet(*request), response);
}
grpc::Status SupervisionGrpcService::GetRuleSet(grpc::ServerContext*, const v1::GetRuleSetRequest*,
                                                v1::RuleSet* response) {
  *response = supervision_->GetRuleSet();
  return grpc::Status::OK;
}
grpc::Status SupervisionGrpcService::SetCalendar(grpc::ServerContext*,
                                                 const v1::SetCalendarRequest* request,
                                                 v1::SetCalendarResponse* response) {
  return Reply(supervision_->SetCalendar(*request), response);
}

}  // namespace sunlight::supervision
