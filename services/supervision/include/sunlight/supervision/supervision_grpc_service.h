// The gRPC face of the supervision service: converts statuses at the boundary, nothing else.
#ifndef SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_GRPC_SERVICE_H_
#define SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_GRPC_SERVICE_H_

#include "sunlight/auth/authorizer.h"
#include "sunlight/supervision/supervision.h"
#include "sunlight/supervision/v1/supervision.grpc.pb.h"

namespace sunlight::supervision {

// Which audiences may call each method (see auth::Authorizer).
auth::MethodPolicy SupervisionMethodPolicy();

class SupervisionGrpcService final : public v1::Supervision::Service {
 public:
  // `authorizer` null: every call is allowed (in-process tests).
  explicit SupervisionGrpcService(Supervision* supervision,
                                  const auth::Authorizer* authorizer = nullptr)
      : supervision_(supervision), authorizer_(authorizer) {}

  grpc::Status GetLightBoard(grpc::ServerContext*, const v1::GetLightBoardRequest* request,
                             v1::GetLightBoardResponse* response) override;
  grpc::Status ListClocks(grpc::ServerContext*, const v1::ListClocksRequest* request,
                          v1::ListClocksResponse* response) override;
  grpc::Status GetCaseClocks(grpc::ServerContext*, const v1::GetCaseClocksRequest* request,
                             v1::GetCaseClocksResponse* response) override;
  grpc::Status ListAlerts(grpc::ServerContext*, const v1::ListAlertsRequest* request,
                          v1::ListAlertsResponse* response) override;
  grpc::Status IssueNotice(grpc::ServerContext*, const v1::IssueNoticeRequest* request,
                           v1::NoticeResponse* response) override;
  grpc::Status RespondToNotice(grpc::ServerContext*, const v1::RespondToNoticeRequest* request,
                               v1::NoticeResponse* response) override;
  grpc::Status DecideNotice(grpc::ServerContext*, const v1::DecideNoticeRequest* request,
                            v1::NoticeResponse* response) override;
  grpc::Status GetNotice(grpc::ServerContext*, const v1::GetNoticeRequest* request,
                         v1::NoticeResponse* response) override;
  grpc::Status SetRuleSet(grpc::ServerContext*, const v1::SetRuleSetRequest* request,
                          v1::ReplanResponse* response) override;
  grpc::Status GetRuleSet(grpc::ServerContext*, const v1::GetRuleSetRequest* request,
                          v1::RuleSet* response) override;
  grpc::Status SetCalendar(grpc::ServerContext*, const v1::SetCalendarRequest* request,
                           v1::SetCalendarResponse* response) override;

 private:
  Supervision* supervision_;
  const auth::Authorizer* authorizer_;
};

}  // namespace sunlight::supervision

#endif  // SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_GRPC_SERVICE_H_
