#include "sunlight/workflow/workflow_grpc_service.h"

#include "sunlight/server/grpc_status.h"

namespace sunlight::workflow {

auth::MethodPolicy WorkflowMethodPolicy() {
  constexpr uint32_t kSignedIn = auth::kStaff | auth::kInspectors | auth::kAdministrators;
  constexpr uint32_t kDepartment = auth::kStaff | auth::kServices;
  auto name = [](const google::protobuf::Descriptor* d) { return d->full_name(); };
  return {
      {name(v1::ClaimStepRequest::descriptor()), kDepartment},
      {name(v1::CompleteStepRequest::descriptor()), kDepartment},
      {name(v1::TransferStepRequest::descriptor()), kDepartment},
      {name(v1::StartSpecialProcedureRequest::descriptor()), kDepartment},
      {name(v1::EndSpecialProcedureRequest::descriptor()), kDepartment},
      {name(v1::ApproveExtensionRequest::descriptor()), kDepartment},
      // Departments' own systems report through a service principal.
      {name(v1::ReportExternalStepRequest::descriptor()), kDepartment},
      {name(v1::GetProcessRequest::descriptor()), kSignedIn | auth::kServices},
      {name(v1::ListWorkQueueRequest::descriptor()),
       auth::kStaff | auth::kInspectors | auth::kServices},
  };
}

grpc::Status WorkflowGrpcService::ClaimStep(grpc::ServerContext* context,
                                            const v1::ClaimStepRequest* request,
                                            v1::ProcessResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(workflow_->ClaimStep(*request), response->mutable_process());
}
grpc::Status WorkflowGrpcService::CompleteStep(grpc::ServerContext* context,
                                               const v1::CompleteStepRequest* request,
                                               v1::ProcessResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(workflow_->CompleteStep(*request), response->mutable_process());
}
grpc::Status WorkflowGrpcService::TransferStep(grpc::ServerContext* context,
                                               const v1::TransferStepRequest* request,
                                               v1::ProcessResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(workflow_->TransferStep(*request), response->mutable_process());
}
grpc::Status WorkflowGrpcService::StartSpecialProcedure(
    grpc::ServerContext* context, const v1::StartSpecialProcedureRequest* request,
    v1::ProcessResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(workflow_->StartSpecialProcedure(*request), response->mutable_process());
}
grpc::Status WorkflowGrpcService::EndSpecialProcedure(grpc::ServerContext* context,
                                                      const v1::EndSpecialProcedureRequest* request,
                                                      v1::ProcessResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(workflow_->EndSpecialProcedure(*request), response->mutable_process());
}
grpc::Status WorkflowGrpcService::ApproveExtension(grpc::ServerContext* context,
                                                   const v1::ApproveExtensionRequest* request,
                                                   v1::ProcessResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(workflow_->ApproveExtension(*request), response->mutable_process());
}
grpc::Status WorkflowGrpcService::ReportExternalStep(grpc::ServerContext* context,
                                                     const v1::ReportExternalStepRequest* request,
                                                     v1::ReportExternalStepResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(workflow_->ReportExternalStep(*request), response);
}
grpc::Status WorkflowGrpcService::GetProcess(grpc::ServerContext* context,
                                             const v1::GetProcessRequest* request,
                                             v1::GetProcessResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(workflow_->GetProcess(*request), response);
}
grpc::Status WorkflowGrpcService::ListWorkQueue(grpc::ServerContext* context,
                                                const v1::ListWorkQueueRequest* request,
                                                v1::ListWorkQueueResponse* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  return server::Reply(workflow_->ListWorkQueue(*request), response);
}

}  // namespace sunlight::workflow
