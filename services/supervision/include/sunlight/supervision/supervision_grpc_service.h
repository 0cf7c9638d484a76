// The gRPC face of the supervision service: checks each call, converts statuses at the
// boundary, nothing else.
#ifndef SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_GRPC_SERVICE_H_
#define SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_GRPC_SERVICE_H_

#include "sunlight/auth/authorizer.h"
#include "sunlight/server/grpc_status.h"
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

  grpc::Status GetLightBoard(grpc::ServerContext* c, const v1::GetLightBoardRequest* r,
                             v1::GetLightBoardResponse* out) override {
    return Serve(c, *r, &Supervision::GetLightBoard, out);
  }
  grpc::Status ListClocks(grpc::ServerContext* c, const v1::ListClocksRequest* r,
                          v1::ListClocksResponse* out) override {
    return Serve(c, *r, &Supervision::ListClocks, out);
  }
  grpc::Status GetCaseClocks(grpc::ServerContext* c, const v1::GetCaseClocksRequest* r,
                             v1::GetCaseClocksResponse* out) override {
    return Serve(c, *r, &Supervision::GetCaseClocks, out);
  }
  grpc::Status ListAlerts(grpc::ServerContext* c, const v1::ListAlertsRequest* r,
                          v1::ListAlertsResponse* out) override {
    return Serve(c, *r, &Supervision::ListAlerts, out);
  }
  grpc::Status IssueNotice(grpc::ServerContext* c, const v1::IssueNoticeRequest* r,
                           v1::NoticeResponse* out) override {
    return Serve(c, *r, &Supervision::IssueNotice, out->mutable_notice());
  }
  grpc::Status RespondToNotice(grpc::ServerContext* c, const v1::RespondToNoticeRequest* r,
                               v1::NoticeResponse* out) override {
    return Serve(c, *r, &Supervision::RespondToNotice, out->mutable_notice());
  }
  grpc::Status DecideNotice(grpc::ServerContext* c, const v1::DecideNoticeRequest* r,
                            v1::NoticeResponse* out) override {
    return Serve(c, *r, &Supervision::DecideNotice, out->mutable_notice());
  }
  grpc::Status GetNotice(grpc::ServerContext* c, const v1::GetNoticeRequest* r,
                         v1::NoticeResponse* out) override {
    return Serve(c, *r, &Supervision::GetNotice, out->mutable_notice());
  }
  grpc::Status SetRuleSet(grpc::ServerContext* c, const v1::SetRuleSetRequest* r,
                          v1::ReplanResponse* out) override {
    return Serve(c, *r, &Supervision::SetRuleSet, out);
  }
  grpc::Status SetCalendar(grpc::ServerContext* c, const v1::SetCalendarRequest* r,
                           v1::SetCalendarResponse* out) override {
    return Serve(c, *r, &Supervision::SetCalendar, out);
  }
  grpc::Status GetRuleSet(grpc::ServerContext* c, const v1::GetRuleSetRequest* r,
                          v1::RuleSet* out) override;

 private:
  template <typename Method, typename Request, typename T>
  grpc::Status Serve(grpc::ServerContext* c, const Request& r, Method method, T* out) {
    return server::Serve(auth::CheckCall(authorizer_, c, r), supervision_, method, r, out);
  }

  Supervision* supervision_;
  const auth::Authorizer* authorizer_;
};

}  // namespace sunlight::supervision

#endif  // SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_GRPC_SERVICE_H_
