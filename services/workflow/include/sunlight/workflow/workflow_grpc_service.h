// The gRPC face of the workflow service: checks each call, converts statuses at the
// boundary, nothing else.
#ifndef SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_GRPC_SERVICE_H_
#define SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_GRPC_SERVICE_H_

#include "sunlight/auth/authorizer.h"
#include "sunlight/server/grpc_status.h"
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

  grpc::Status ClaimStep(grpc::ServerContext* c, const v1::ClaimStepRequest* r,
                         v1::ProcessResponse* out) override {
    return Serve(c, *r, &Workflow::ClaimStep, out->mutable_process());
  }
  grpc::Status CompleteStep(grpc::ServerContext* c, const v1::CompleteStepRequest* r,
                            v1::ProcessResponse* out) override {
    return Serve(c, *r, &Workflow::CompleteStep, out->mutable_process());
  }
  grpc::Status TransferStep(grpc::ServerContext* c, const v1::TransferStepRequest* r,
                            v1::ProcessResponse* out) override {
    return Serve(c, *r, &Workflow::TransferStep, out->mutable_process());
  }
  grpc::Status StartSpecialProcedure(grpc::ServerContext* c,
                                     const v1::StartSpecialProcedureRequest* r,
                                     v1::ProcessResponse* out) override {
    return Serve(c, *r, &Workflow::StartSpecialProcedure, out->mutable_process());
  }
  grpc::Status EndSpecialProcedure(grpc::ServerContext* c, const v1::EndSpecialProcedureRequest* r,
                                   v1::ProcessResponse* out) override {
    return Serve(c, *r, &Workflow::EndSpecialProcedure, out->mutable_process());
  }
  grpc::Status ApproveExtension(grpc::ServerContext* c, const v1::ApproveExtensionRequest* r,
                                v1::ProcessResponse* out) override {
    return Serve(c, *r, &Workflow::ApproveExtension, out->mutable_process());
  }
  grpc::Status ReportExternalStep(grpc::ServerContext* c, const v1::ReportExternalStepRequest* r,
                                  v1::ReportExternalStepResponse* out) override {
    return Serve(c, *r, &Workflow::ReportExternalStep, out);
  }
  // An applicant (for whom only the gateway signs, after checking the query code) reads only
  // the process of their own case, and not its history.
  grpc::Status GetProcess(grpc::ServerContext* c, const v1::GetProcessRequest* r,
                          v1::GetProcessResponse* out) override {
    auto principal = auth::AuthorizeCall(authorizer_, c, *r);
    if (!principal.ok()) return server::ToGrpcStatus(principal.status());
    auto process = workflow_->GetProcess(*r);
    if (!process.ok()) return server::ToGrpcStatus(process.status());
    if (auth::AudienceOf(*principal) == auth::kApplicants &&
        (principal->user_id() != "applicant:" + process->process().case_number() ||
         r->include_history())) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such case");
    }
    *out = *std::move(process);
    return grpc::Status::OK;
  }
  grpc::Status ListWorkQueue(grpc::ServerContext* c, const v1::ListWorkQueueRequest* r,
                             v1::ListWorkQueueResponse* out) override {
    return Serve(c, *r, &Workflow::ListWorkQueue, out);
  }

 private:
  template <typename Method, typename Request, typename T>
  grpc::Status Serve(grpc::ServerContext* c, const Request& r, Method method, T* out) {
    return server::Serve(auth::CheckCall(authorizer_, c, r), workflow_, method, r, out);
  }

  Workflow* workflow_;
  const auth::Authorizer* authorizer_;
};

}  // namespace sunlight::workflow

#endif  // SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_GRPC_SERVICE_H_
