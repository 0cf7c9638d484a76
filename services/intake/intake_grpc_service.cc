#include "sunlight/intake/intake_grpc_service.h"

#include "absl/strings/str_cat.h"
#include "sunlight/server/grpc_status.h"

namespace sunlight::intake {

auth::MethodPolicy IntakeMethodPolicy() {
  constexpr uint32_t kSignedIn = auth::kStaff | auth::kInspectors | auth::kAdministrators;
  constexpr uint32_t kConfigure = auth::kAdministrators | auth::kServices;
  constexpr uint32_t kRead = kSignedIn | auth::kServices;
  constexpr uint32_t kWindow = auth::kStaff | auth::kServices;
  auto name = [](const google::protobuf::Descriptor* d) { return d->full_name(); };
  return {
      {name(v1::UpsertDepartmentRequest::descriptor()), kConfigure},
      {name(v1::ListDepartmentsRequest::descriptor()), kRead},
      {name(v1::UpsertWindowRequest::descriptor()), kConfigure},
      {name(v1::ListWindowsRequest::descriptor()), kRead},
      {name(v1::PublishItemVersionRequest::descriptor()), kConfigure},
      {name(v1::GetItemRequest::descriptor()), auth::kAnyone},
      {name(v1::ListItemsRequest::descriptor()), auth::kAnyone},
      {name(v1::SubmitCaseRequest::descriptor()), kWindow | auth::kApplicants},
      {name(v1::AcceptCaseRequest::descriptor()), kWindow},
      {name(v1::RefuseCaseRequest::descriptor()), kWindow},
      {name(v1::RequestSupplementRequest::descriptor()), kWindow},
      {name(v1::ReceiveSupplementRequest::descriptor()), kWindow | auth::kApplicants},
      {name(v1::WithdrawCaseRequest::descriptor()), kWindow},
      {name(v1::GetCaseRequest::descriptor()), kRead},
      {name(v1::ListCasesRequest::descriptor()), kRead},
      {name(v1::QueryProgressRequest::descriptor()), kRead | auth::kApplicants},
      {name(v1::ComputeDeadlineRequest::descriptor()), kRead},
  };
}

grpc::Status IntakeGrpcService::Authorize(const grpc::ServerContext* context,
                                          const google::protobuf::Message& request,
                                          const std::string& owned_case_id) const {
  auto principal = auth::AuthorizeCall(authorizer_, context, request);
  if (!principal.ok()) return server::ToGrpcStatus(principal.status());
  if (owned_case_id.empty() || auth::AudienceOf(*principal) != auth::kStaff) {
    return grpc::Status::OK;
  }
  v1::GetCaseRequest get;
  get.set_case_id(owned_case_id);
  auto found = intake_->GetCase(get);
  if (found.ok() && found->case_().department_id() != principal->department_id()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("case ", owned_case_id, " not found"));
  }
  return grpc::Status::OK;  // a missing case is reported by the method itself
}

grpc::Status IntakeGrpcService::UpsertDepartment(grpc::ServerContext* context,
                                                 const v1::UpsertDepartmentRequest* request,
                                                 v1::Department* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->UpsertDepartment(*request), response);
}
grpc::Status IntakeGrpcService::ListDepartments(grpc::ServerContext* context,
                                                const v1::ListDepartmentsRequest* request,
                                                v1::ListDepartmentsResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->ListDepartments(), response);
}
grpc::Status IntakeGrpcService::UpsertWindow(grpc::ServerContext* context,
                                             const v1::UpsertWindowRequest* request,
                                             v1::Window* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->UpsertWindow(*request), response);
}
grpc::Status IntakeGrpcService::ListWindows(grpc::ServerContext* context,
                                            const v1::ListWindowsRequest* request,
                                            v1::ListWindowsResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->ListWindows(*request), response);
}
grpc::Status IntakeGrpcService::PublishItemVersion(grpc::ServerContext* context,
                                                   const v1::PublishItemVersionRequest* request,
                                                   v1::ItemVersion* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->PublishItemVersion(*request), response);
}
grpc::Status IntakeGrpcService::GetItem(grpc::ServerContext* context,
                                        const v1::GetItemRequest* request,
                                        v1::ItemVersion* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->GetItem(*request), response);
}
grpc::Status IntakeGrpcService::ListItems(grpc::ServerContext* context,
                                          const v1::ListItemsRequest* request,
                                          v1::ListItemsResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->ListItems(*request), response);
}
grpc::Status IntakeGrpcService::SubmitCase(grpc::ServerContext* context,
                                           const v1::SubmitCaseRequest* request,
                                           v1::SubmitCaseResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->SubmitCase(*request), response);
}
grpc::Status IntakeGrpcService::AcceptCase(grpc::ServerContext* context,
                                           const v1::AcceptCaseRequest* request,
                                           v1::CaseResponse* response) {
  if (grpc::Status s = Authorize(context, *request, request->case_id()); !s.ok()) return s;
  return server::Reply(intake_->AcceptCase(*request), response->mutable_case_());
}
grpc::Status IntakeGrpcService::RefuseCase(grpc::ServerContext* context,
                                           const v1::RefuseCaseRequest* request,
                                           v1::CaseResponse* response) {
  if (grpc::Status s = Authorize(context, *request, request->case_id()); !s.ok()) return s;
  return server::Reply(intake_->RefuseCase(*request), response->mutable_case_());
}
grpc::Status IntakeGrpcService::RequestSupplement(grpc::ServerContext* context,
                                                  const v1::RequestSupplementRequest* request,
                                                  v1::CaseResponse* response) {
  if (grpc::Status s = Authorize(context, *request, request->case_id()); !s.ok()) return s;
  return server::Reply(intake_->RequestSupplement(*request), response->mutable_case_());
}
grpc::Status IntakeGrpcService::ReceiveSupplement(grpc::ServerContext* context,
                                                  const v1::ReceiveSupplementRequest* request,
                                                  v1::CaseResponse* response) {
  if (grpc::Status s = Authorize(context, *request, request->case_id()); !s.ok()) return s;
  return server::Reply(intake_->ReceiveSupplement(*request), response->mutable_case_());
}
grpc::Status IntakeGrpcService::WithdrawCase(grpc::ServerContext* context,
                                             const v1::WithdrawCaseRequest* request,
                                             v1::CaseResponse* response) {
  if (grpc::Status s = Authorize(context, *request, request->case_id()); !s.ok()) return s;
  return server::Reply(intake_->WithdrawCase(*request), response->mutable_case_());
}
grpc::Status IntakeGrpcService::GetCase(grpc::ServerContext* context,
                                        const v1::GetCaseRequest* request,
                                        v1::GetCaseResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->GetCase(*request), response);
}
grpc::Status IntakeGrpcService::ListCases(grpc::ServerContext* context,
                                          const v1::ListCasesRequest* request,
                                          v1::ListCasesResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->ListCases(*request), response);
}
grpc::Status IntakeGrpcService::QueryProgress(grpc::ServerContext* context,
                                              const v1::QueryProgressRequest* request,
                                              v1::QueryProgressResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->QueryProgress(*request), response);
}
grpc::Status IntakeGrpcService::ComputeDeadline(grpc::ServerContext* context,
                                                const v1::ComputeDeadlineRequest* request,
                                                calendar::v1::DeadlineExplanation* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return server::Reply(intake_->ComputeDeadline(*request), response);
}

}  // namespace sunlight::intake
