// The gRPC face of the workflow service: converts statuses at the boundary, nothing else.
#ifndef SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_GRPC_SERVICE_H_
#define SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_GRPC_SERVICE_H_

#include "sunlight/auth/authorizer.h"
#include "sunlight/workflow/v1/workflow.grpc.pb.h"
#include "sunlight/workflow/workflow.h"

namespace sunlight::workflow {

// Which audiences may call each method (see auth::Authorizer).
auth::MethodPolicy WorkflowMethodPolicy();

class WorkflowGrpcService final : public v1::Workflow::Service {
 public:
  // `authorizer` null: every call is allowed (in-process tests).
  explicit WorkflowGrpcService(Workflow* workflow, const auth::Authorizer* authorizer = nullptr)
      : workflow_(workflow), authorizer_(authorizer) {}

  grpc::Status ClaimStep(grpc::ServerContext*, const v1::ClaimStepRequest* request,
                         v1::ProcessResponse* response) override;
  grpc::Status CompleteStep(grpc::ServerContext*, const v1::CompleteStepRequest* request,
                            v1::ProcessResponse* response) override;
  grpc::Status TransferStep(grpc::ServerContext*, const v1::TransferStepRequest* request,
                            v1::ProcessResponse* response) override;
  grpc::Status StartSpecialProcedure(grpc::ServerContext*,
                                     const v1::StartSpecialProcedureRequest* request,
                                     v1::ProcessResponse* response) override;
  grpc::Status EndSpecialProcedure(grpc::ServerContext*,
                                   const v1::EndSpecialProcedureRequest* request,
                                   v1::ProcessResponse* response) override;
  grpc::Status ApproveExtension(grpc::ServerContext*, const v1::ApproveExtensionRequest* request,
                                v1::ProcessResponse* response) override;
  grpc::Status ReportExternalStep(grpc::ServerContext*,
                                  const v1::ReportExternalStepRequest* request,
                                  v1::ReportExternalStepResponse* response) override;
  grpc::Status GetProcess(grpc::ServerContext*, const v1::GetProcessRequest* request,
                          v1::GetProcessResponse* response) override;
  grpc::Status ListWorkQueue(grpc::ServerContext*, const v1::ListWorkQueueRequest* request,
                             v1::ListWorkQueueResponse* response) override;

 private:
  Workflow* workflow_;
  const auth::Authorizer* authorizer_;
};

}  // namespace sunlight::workflow

#endif  // SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_GRPC_SERVICE_H_
