#include "sunlight/workflow/workflow_grpc_service.h"

namespace sunlight::workflow {

auth::MethodPolicy WorkflowMethodPolicy() {
  constexpr uint32_t kDepartment = auth::kStaff | auth::kServices;
  return {
      auth::Allow<v1::ClaimStepRequest>(kDepartment),
      auth::Allow<v1::CompleteStepRequest>(kDepartment),
      auth::Allow<v1::TransferStepRequest>(kDepartment),
      auth::Allow<v1::StartSpecialProcedureRequest>(kDepartment),
      auth::Allow<v1::EndSpecialProcedureRequest>(kDepartment),
      auth::Allow<v1::ApproveExtensionRequest>(kDepartment),
      // Departments' own systems report through a service principal.
      auth::Allow<v1::ReportExternalStepRequest>(kDepartment),
      auth::Allow<v1::GetProcessRequest>(auth::kSignedIn | auth::kServices),
      auth::Allow<v1::ListWorkQueueRequest>(auth::kStaff | auth::kInspectors | auth::kServices),
  };
}

}  // namespace sunlight::workflow
