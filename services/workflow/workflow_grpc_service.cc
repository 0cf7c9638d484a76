#include "sunlight/workflow/workflow_grpc_service.h"

namespace sunlight::workflow {

// No service calls these: the gateway calls them for people; services read the stream only.
auth::MethodPolicy WorkflowMethodPolicy() {
  constexpr uint32_t kDepartment = auth::kStaff;
  return {
      auth::Allow<v1::ClaimStepRequest>(kDepartment),
      auth::Allow<v1::CompleteStepRequest>(kDepartment),
      auth::Allow<v1::TransferStepRequest>(kDepartment),
      auth::Allow<v1::StartSpecialProcedureRequest>(kDepartment),
      auth::Allow<v1::EndSpecialProcedureRequest>(kDepartment),
      auth::Allow<v1::ApproveExtensionRequest>(kDepartment),
      auth::Allow<v1::ReportExternalStepRequest>(kDepartment),
      auth::Allow<v1::GetProcessRequest>(auth::kSignedIn),
      auth::Allow<v1::ListWorkQueueRequest>(auth::kStaff | auth::kInspectors),
  };
}

}  // namespace sunlight::workflow
