// The gRPC face of the intake service: converts statuses at the boundary, nothing else.
#ifndef SUNLIGHT_SERVICES_INTAKE_INTAKE_GRPC_SERVICE_H_
#define SUNLIGHT_SERVICES_INTAKE_INTAKE_GRPC_SERVICE_H_

#include "sunlight/auth/authorizer.h"
#include "sunlight/intake/intake.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"

namespace sunlight::intake {

// Which audiences may call each method (see auth::Authorizer).
auth::MethodPolicy IntakeMethodPolicy();

class IntakeGrpcService final : public v1::Intake::Service {
 public:
  // `authorizer` null: every call is allowed (in-process tests).
  explicit IntakeGrpcService(Intake* intake, const auth::Authorizer* authorizer = nullptr)
      : intake_(intake), authorizer_(authorizer) {}

#define SUNLIGHT_INTAKE_RPC(Method, Request, Response)                          \
  grpc::Status Method(grpc::ServerContext* context, const v1::Request* request, \
                      Response* response) override;
  SUNLIGHT_INTAKE_RPC(UpsertDepartment, UpsertDepartmentRequest, v1::Department)
  SUNLIGHT_INTAKE_RPC(ListDepartments, ListDepartmentsRequest, v1::ListDepartmentsResponse)
  SUNLIGHT_INTAKE_RPC(UpsertWindow, UpsertWindowRequest, v1::Window)
  SUNLIGHT_INTAKE_RPC(ListWindows, ListWindowsRequest, v1::ListWindowsResponse)
  SUNLIGHT_INTAKE_RPC(PublishItemVersion, PublishItemVersionRequest, v1::ItemVersion)
  SUNLIGHT_INTAKE_RPC(GetItem, GetItemRequest, v1::ItemVersion)
  SUNLIGHT_INTAKE_RPC(ListItems, ListItemsRequest, v1::ListItemsResponse)
  SUNLIGHT_INTAKE_RPC(SubmitCase, SubmitCaseRequest, v1::SubmitCaseResponse)
  SUNLIGHT_INTAKE_RPC(AcceptCase, AcceptCaseRequest, v1::CaseResponse)
  SUNLIGHT_INTAKE_RPC(RefuseCase, RefuseCaseRequest, v1::CaseResponse)
  SUNLIGHT_INTAKE_RPC(RequestSupplement, RequestSupplementRequest, v1::CaseResponse)
  SUNLIGHT_INTAKE_RPC(ReceiveSupplement, ReceiveSupplementRequest, v1::CaseResponse)
  SUNLIGHT_INTAKE_RPC(WithdrawCase, WithdrawCaseRequest, v1::CaseResponse)
  SUNLIGHT_INTAKE_RPC(GetCase, GetCaseRequest, v1::GetCaseResponse)
  SUNLIGHT_INTAKE_RPC(ListCases, ListCasesRequest, v1::ListCasesResponse)
  SUNLIGHT_INTAKE_RPC(QueryProgress, QueryProgressRequest, v1::QueryProgressResponse)
  SUNLIGHT_INTAKE_RPC(ComputeDeadline, ComputeDeadlineRequest, calendar::v1::DeadlineExplanation)
#undef SUNLIGHT_INTAKE_RPC

 private:
  // A staff principal acting on a case of another department gets NOT_FOUND, as if the case
  // did not exist.
  grpc::Status Authorize(const grpc::ServerContext* context,
                         const google::protobuf::Message& request,
                         const std::string& owned_case_id = "") const;

  Intake* intake_;
  const auth::Authorizer* authorizer_;
};

}  // namespace sunlight::intake

#endif  // SUNLIGHT_SERVICES_INTAKE_INTAKE_GRPC_SERVICE_H_
