#include "workflow_grpc_service.h"

#include "sunlight/base/message_text.h"
#include "sunlight/base/request_validation.h"
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

grpc::Status WorkflowGrpcService::Authorize(const grpc::ServerContext* context,
                                            const google::protobuf::Message& request) const {
  // Text the store keeps must read back (the generated parser checks UTF-8; this, length).
  if (absl::Status s = ValidateMessageText(request, kMaxAnyTextLength); !s.ok()) {
    return server::ToGrpcStatus(s);
  }
  if (authorizer_ == nullptr) return grpc::Status::OK;
  return authorizer_->Check(context, request);
}

grpc::Status WorkflowGrpcService::ClaimStep(grpc::ServerContext* context,
                                            const v1::ClaimStepRequest* request,
                                            v1::ProcessResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return ReplyProcess(workflow_->ClaimStep(*request), response);
}
grpc::Status WorkflowGrpcService::CompleteStep(grpc::ServerContext* context,
                                               const v1::CompleteStepRequest* request,
                                               v1::ProcessResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return ReplyProcess(workflow_->CompleteStep(*request), response);
}
grpc::Status WorkflowGrpcService::TransferStep(grpc::ServerContext* context,
                                               const v1::TransferStepRequest* request,
                                               v1::ProcessResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return ReplyProcess(workflow_->TransferStep(*request), response);
}
grpc::Status WorkflowGrpcService::StartSpecialProcedure(
    grpc::ServerContext* context, const v1::StartSpecialProcedureRequest* request,
    v1::ProcessResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return ReplyProcess(workflow_->StartSpecialProcedure(*request), response);
}
grpc::Status WorkflowGrpcService::EndSpecialProcedure(grpc::ServerContext* context,
                                                      const v1::EndSpecialProcedureRequest* request,
                                                      v1::ProcessResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return ReplyProcess(workflow_->EndSpecialProcedure(*request), response);
}
grpc::Status WorkflowGrpcService::ApproveExtension(grpc::ServerContext* context,
                                                   const v1::ApproveExtensionRequest* request,
                                                   v1::ProcessResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return ReplyProcess(workflow_->ApproveExtension(*request), response);
}
grpc::Status WorkflowGrpcService::ReportExternalStep(grpc::ServerContext* context,
                                                     const v1::ReportExternalStepRequest* request,
                                                     v1::ReportExternalStepResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return Reply(workflow_->ReportExternalStep(*request), response);
}
grpc::Status WorkflowGrpcService::GetProcess(grpc::ServerContext* context,
                                             const v1::GetProcessRequest* request,
                                             v1::GetProcessResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return Reply(workflow_->GetProcess(*request), response);
}
grpc::Status WorkflowGrpcService::ListWorkQueue(grpc::ServerContext* context,
                                                const v1::ListWorkQueueRequest* request,
                                                v1::ListWorkQueueResponse* response) {
  if (grpc::Status s = Authorize(context, *request); !s.ok()) return s;
  return Reply(workflow_->ListWorkQueue(*request), response);
}

}  // namespace sunlight::workflow
