#include "intake_grpc_service.h"

#include "sunlight/server/service_host.h"

namespace sunlight::intake {
namespace {

template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return server::ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status ReplyCase(absl::StatusOr<v1::Case> result, v1::CaseResponse* response) {
  if (!result.ok()) return server::ToGrpcStatus(result.status());
  *response->mutable_case_() = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status IntakeGrpcService::UpsertDepartment(grpc::ServerContext*,
                                                 const v1::UpsertDepartmentRequest* request,
                                                 v1::Department* response) {
  return Reply(intake_->UpsertDepartment(*request), response);
}
grpc::Status IntakeGrpcService::ListDepartments(grpc::ServerContext*,
                                                const v1::ListDepartmentsRequest*,
                                                v1::ListDepartmentsResponse* response) {
  return Reply(intake_->ListDepartments(), response);
}
grpc::Status IntakeGrpcService::UpsertWindow(grpc::ServerContext*,
                                             const v1::UpsertWindowRequest* request,
                                             v1::Window* response) {
  return Reply(intake_->UpsertWindow(*request), response);
}
grpc::Status IntakeGrpcService::ListWindows(grpc::ServerContext*,
                                            const v1::ListWindowsRequest* request,
                                            v1::ListWindowsResponse* response) {
  return Reply(intake_->ListWindows(*request), response);
}
grpc::Status IntakeGrpcService::PublishItemVersion(grpc::ServerContext*,
                                                   const v1::PublishItemVersionRequest* request,
                                                   v1::ItemVersion* response) {
  return Reply(intake_->PublishItemVersion(*request), response);
}
grpc::Status IntakeGrpcService::GetItem(grpc::ServerContext*, const v1::GetItemRequest* request,
                                        v1::ItemVersion* response) {
  return Reply(intake_->GetItem(*request), response);
}
grpc::Status IntakeGrpcService::ListItems(grpc::ServerContext*, const v1::ListItemsRequest* request,
                                          v1::ListItemsResponse* response) {
  return Reply(intake_->ListItems(*request), response);
}
grpc::Status IntakeGrpcService::SubmitCase(grpc::ServerContext*,
                                           const v1::SubmitCaseRequest* request,
                                           v1::SubmitCaseResponse* response) {
  return Reply(intake_->SubmitCase(*request), response);
}
grpc::Status IntakeGrpcService::AcceptCase(grpc::ServerContext*,
                                           const v1::AcceptCaseRequest* request,
                                           v1::CaseResponse* response) {
  return ReplyCase(intake_->AcceptCase(*request), response);
}
grpc::Status IntakeGrpcService::RefuseCase(grpc::ServerContext*,
                                           const v1::RefuseCaseRequest* request,
                                           v1::CaseResponse* response) {
  return ReplyCase(intake_->RefuseCase(*request), response);
}
grpc::Status IntakeGrpcService::RequestSupplement(grpc::ServerContext*,
                                                  const v1::RequestSupplementRequest* request,
                                                  v1::CaseResponse* response) {
  return ReplyCase(intake_->RequestSupplement(*request), response);
}
grpc::Status IntakeGrpcService::ReceiveSupplement(grpc::ServerContext*,
                                                  const v1::ReceiveSupplementRequest* request,
                                                  v1::CaseResponse* response) {
  return ReplyCase(intake_->ReceiveSupplement(*request), response);
}
grpc::Status IntakeGrpcService::WithdrawCase(grpc::ServerContext*,
                                             const v1::WithdrawCaseRequest* request,
                                             v1::CaseResponse* response) {
  return ReplyCase(intake_->WithdrawCase(*request), response);
}
grpc::Status IntakeGrpcService::GetCase(grpc::ServerContext*, const v1::GetCaseRequest* request,
                                        v1::GetCaseResponse* response) {
  return Reply(intake_->GetCase(*request), response);
}
grpc::Status IntakeGrpcService::ListCases(grpc::ServerContext*, const v1::ListCasesRequest* request,
                                          v1::ListCasesResponse* response) {
  return Reply(intake_->ListCases(*request), response);
}
grpc::Status IntakeGrpcService::QueryProgress(grpc::ServerContext*,
                                              const v1::QueryProgressRequest* request,
                                              v1::QueryProgressResponse* response) {
  return Reply(intake_->QueryProgress(*request), response);
}
grpc::Status IntakeGrpcService::ComputeDeadline(grpc::ServerContext*,
                                                const v1::ComputeDeadlineRequest* request,
                                                calendar::v1::DeadlineExplanation* response) {
  return Reply(intake_->ComputeDeadline(*request), response);
}

}  // namespace sunlight::intake
