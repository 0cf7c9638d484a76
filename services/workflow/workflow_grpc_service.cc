#include "workflow_grpc_service.h"

#include "sunlight/server/service_host.h"

namespace sunlight::workflow {
namespace {

grpc::Status ReplyProcess(absl::StatusOr<v1::Process> result, v1::ProcessResponse* response) {
  if (!result.ok()) return server::ToGrpcStatus(result.status());
  *response->mutable_process() = *std::move(result);
  return grpc::Status::OK;
}

template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return server::ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status WorkflowGrpcService::ClaimStep(grpc::ServerContext*,
                                            const v1::ClaimStepRequest* request,
                                            v1::ProcessResponse* response) {
  return ReplyProcess(workflow_->ClaimStep(*request), response);
}
grpc::Status WorkflowGrpcService::CompleteStep(grpc::ServerContext*,
                                               const v1::CompleteStepRequest* request,
                                               v1::ProcessResponse* response) {
  return ReplyProcess(workflow_->CompleteStep(*request), response);
}
grpc::Status WorkflowGrpcService::TransferStep(grpc::ServerContext*,
                                               const v1::TransferStepRequest* request,
                                               v1::ProcessResponse* response) {
  return ReplyProcess(workflow_->TransferStep(*request), response);
}
grpc::Status WorkflowGrpcService::StartSpecialProcedure(
    grpc::ServerContext*, const v1::StartSpecialProcedureRequest* request,
    v1::ProcessResponse* response) {
  return ReplyProcess(workflow_->StartSpecialProcedure(*request), response);
}
grpc::Status WorkflowGrpcService::EndSpecialProcedure(grpc::ServerContext*,
                                                      const v1::EndSpecialProcedureRequest* request,
                                                      v1::ProcessResponse* response) {
  return ReplyProcess(workflow_->EndSpecialProcedure(*request), response);
}
grpc::Status WorkflowGrpcService::ApproveExtension(grpc::ServerContext*,
                                                   const v1::ApproveExtensionRequest* request,
                                                   v1::ProcessResponse* response) {
  return ReplyProcess(workflow_->ApproveExtension(*request), response);
}
grpc::Status WorkflowGrpcService::ReportExternalStep(grpc::ServerContext*,
                                                     const v1::ReportExternalStepRequest* request,
                                                     v1::ReportExternalStepResponse* response) {
  return Reply(workflow_->ReportExternalStep(*request), response);
}
grpc::Status WorkflowGrpcService::GetProcess(grpc::ServerContext*,
                                             const v1::GetProcessRequest* request,
                                             v1::GetProcessResponse* response) {
  return Reply(workflow_->GetProcess(*request), response);
}
grpc::Status WorkflowGrpcService::ListWorkQueue(grpc::ServerContext*,
                                                const v1::ListWorkQueueRequest* request,
                                                v1::ListWorkQueueResponse* response) {
  return Reply(workflow_->ListWorkQueue(*request), response);
}

}  // namespace sunlight::workflow
