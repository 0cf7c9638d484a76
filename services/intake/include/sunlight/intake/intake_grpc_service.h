// The gRPC face of the intake service: converts statuses at the boundary, nothing else.
#ifndef SUNLIGHT_SERVICES_INTAKE_INTAKE_GRPC_SERVICE_H_
#define SUNLIGHT_SERVICES_INTAKE_INTAKE_GRPC_SERVICE_H_

#include "sunlight/auth/authorizer.h"
#include "sunlight/intake/intake.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/server/grpc_status.h"

namespace sunlight::intake {

// Which audiences may call each method (see auth::Authorizer).
auth::MethodPolicy IntakeMethodPolicy();

class IntakeGrpcService final : public v1::Intake::Service {
 public:
  // `authorizer` null: every call is allowed (in-process tests).
  explicit IntakeGrpcService(Intake* intake, const auth::Authorizer* authorizer = nullptr)
      : intake_(intake), authorizer_(authorizer) {}

  grpc::Status UpsertDepartment(grpc::ServerContext* c, const v1::UpsertDepartmentRequest* r,
                                v1::Department* out) override {
    return Serve(c, *r, &Intake::UpsertDepartment, out);
  }
  grpc::Status ListDepartments(grpc::ServerContext* c, const v1::ListDepartmentsRequest* r,
                               v1::ListDepartmentsResponse* out) override {
    return Serve(c, *r, &Intake::ListDepartments, out);
  }
  grpc::Status UpsertWindow(grpc::ServerContext* c, const v1::UpsertWindowRequest* r,
                            v1::Window* out) override {
    return Serve(c, *r, &Intake::UpsertWindow, out);
  }
  grpc::Status ListWindows(grpc::ServerContext* c, const v1::ListWindowsRequest* r,
                           v1::ListWindowsResponse* out) override {
    return Serve(c, *r, &Intake::ListWindows, out);
  }
  grpc::Status PublishItemVersion(grpc::ServerContext* c, const v1::PublishItemVersionRequest* r,
                                  v1::ItemVersion* out) override {
    return Serve(c, *r, &Intake::PublishItemVersion, out);
  }
  grpc::Status GetItem(grpc::ServerContext* c, const v1::GetItemRequest* r,
                       v1::ItemVersion* out) override {
    return Serve(c, *r, &Intake::GetItem, out);
  }
  grpc::Status ListItems(grpc::ServerContext* c, const v1::ListItemsRequest* r,
                         v1::ListItemsResponse* out) override {
    return Serve(c, *r, &Intake::ListItems, out);
  }
  grpc::Status SubmitCase(grpc::ServerContext* c, const v1::SubmitCaseRequest* r,
                          v1::SubmitCaseResponse* out) override {
    return Serve(c, *r, &Intake::SubmitCase, out);
  }
  grpc::Status GetCase(grpc::ServerContext* c, const v1::GetCaseRequest* r,
                       v1::GetCaseResponse* out) override {
    return Serve(c, *r, &Intake::GetCase, out);
  }
  grpc::Status ListCases(grpc::ServerContext* c, const v1::ListCasesRequest* r,
                         v1::ListCasesResponse* out) override {
    return Serve(c, *r, &Intake::ListCases, out);
  }
  grpc::Status GetApplicantContact(grpc::ServerContext* c, const v1::GetApplicantContactRequest* r,
                                   v1::ApplicantContact* out) override {
    return Serve(c, *r, &Intake::GetApplicantContact, out);
  }
  grpc::Status QueryProgress(grpc::ServerContext* c, const v1::QueryProgressRequest* r,
                             v1::QueryProgressResponse* out) override {
    return Serve(c, *r, &Intake::QueryProgress, out);
  }
  grpc::Status ComputeDeadline(grpc::ServerContext* c, const v1::ComputeDeadlineRequest* r,
                               calendar::v1::DeadlineExplanation* out) override {
    return Serve(c, *r, &Intake::ComputeDeadline, out);
  }
  // Acting on one case: staff only of the case's department.
  grpc::Status AcceptCase(grpc::ServerContext* c, const v1::AcceptCaseRequest* r,
                          v1::CaseResponse* out) override {
    return ServeCaseAction(c, *r, &Intake::AcceptCase, out->mutable_case_());
  }
  grpc::Status RefuseCase(grpc::ServerContext* c, const v1::RefuseCaseRequest* r,
                          v1::CaseResponse* out) override {
    return ServeCaseAction(c, *r, &Intake::RefuseCase, out->mutable_case_());
  }
  grpc::Status RequestSupplement(grpc::ServerContext* c, const v1::RequestSupplementRequest* r,
                                 v1::CaseResponse* out) override {
    return ServeCaseAction(c, *r, &Intake::RequestSupplement, out->mutable_case_());
  }
  grpc::Status ReceiveSupplement(grpc::ServerContext* c, const v1::ReceiveSupplementRequest* r,
                                 v1::CaseResponse* out) override {
    return ServeCaseAction(c, *r, &Intake::ReceiveSupplement, out->mutable_case_());
  }
  grpc::Status WithdrawCase(grpc::ServerContext* c, const v1::WithdrawCaseRequest* r,
                            v1::CaseResponse* out) override {
    return ServeCaseAction(c, *r, &Intake::WithdrawCase, out->mutable_case_());
  }

 private:
  template <typename Method, typename Request, typename T>
  grpc::Status Serve(grpc::ServerContext* c, const Request& r, Method method, T* out) {
    return server::Serve(Authorize(c, r), intake_, method, r, out);
  }
  template <typename Method, typename Request, typename T>
  grpc::Status ServeCaseAction(grpc::ServerContext* c, const Request& r, Method method, T* out) {
    return server::Serve(Authorize(c, r, r.case_id()), intake_, method, r, out);
  }
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
