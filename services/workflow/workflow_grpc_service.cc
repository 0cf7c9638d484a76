#include "sunlight/workflow/workflow_grpc_service.h"

namespace sunlight::workflow {

// No service calls these: the gateway calls them for people; services read the stream only.
auth::MethodPolicy WorkflowMethodPolicy() {
  constexpr uint32_t kDepartment = auth::kStaff;
  return {
      auth::Allow<v1::ClaimStepRequest>(kDepartment),
      auth::Allow<v1::CompleteStepRequest>(kDepartment),
      auth::Allow<v1::TransferStepRequest>(kDepartment),
      // The lead department's decision (Workflow checks the department).
      auth::AllowStaff<v1::StartSpecialProcedureRequest>({auth::kApprover, auth::kLeader}),
      auth::AllowStaff<v1::EndSpecialProcedureRequest>({auth::kApprover, auth::kLeader}),
      auth::AllowStaff<v1::ApproveExtensionRequest>({auth::kApprover, auth::kLeader}),
      auth::Allow<v1::ReportExternalStepRequest>(kDepartment),
      // Applicants: their own case's steps for the progress query (WorkflowGrpcService).
      auth::Allow<v1::GetProcessRequest>(auth::kSignedIn | auth::kApplicants),
      auth::Allow<v1::ListWorkQueueRequest>(auth::kStaff | auth::kInspectors),
  };
}

}  // namespace sunlight::workflow
