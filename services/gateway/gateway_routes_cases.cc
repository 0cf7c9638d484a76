// Routes of cases: intake (submit, read, accept, refuse, supplements, withdraw) and their steps in
// workflow.
#include <tuple>

#include "gateway_routes.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

void Gateway::AddCaseRoutes() {
  // ---- cases (intake)
  {
    Route& r = AddRoute("POST", "/v1/cases", auth::kStaff,
                        "Submit a case at a window for an applicant. The response carries the "
                        "query code, this once, for the applicant's receipt.",
                        IntakeMethod("SubmitCase"));
    r.staff_roles = {auth::kWindowClerk};
    r.shown_personal_data = PersonalBit(common::v1::QUERY_CODE);
    r.success_status = 201;
    r.prepare = [](Call& call, pb::Message& request) -> absl::Status {
      auto& submit = static_cast<iv1::SubmitCaseRequest&>(request);
      submit.set_channel(iv1::CHANNEL_WINDOW);
      return absl::OkStatus();
    };
  }
  {
    Route& r = AddRoute("GET", "/v1/cases", kSignedIn,
                        "Cases of a department (staff: their own), applicant data masked.",
                        IntakeMethod("ListCases"));
    r.prepare = OwnDepartmentField("department_id");
  }
  {
    Route& r = AddRoute("GET", "/v1/cases/{case_id}", kSignedIn,
                        "One case, with its history when `include_history`. Window clerks of the "
                        "owning department see applicant data in full (audited); others masked.",
                        IntakeMethod("GetCase"));
    r.full_personal_data_roles = {auth::kWindowClerk};
    // One read: the case is fetched, then the caller's right to it checked on what came back.
    const pb::MethodDescriptor* get_case = IntakeMethod("GetCase");
    r.local = [this, get_case](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      call.target = call.path_params["case_id"];
      auto found = Invoke(call, get_case, message);
      if (!found.ok()) {
        if (found.status().code() == absl::StatusCode::kNotFound) return NotFoundCase();
        return found.status();
      }
      SUNLIGHT_RETURN_IF_ERROR(RequireCaseVisible(
          call, static_cast<const iv1::GetCaseResponse&>(**found).case_(), false));
      return found;
    };
    r.finish = ShowCase;
  }
  {
    const pb::MethodDescriptor* get_case = IntakeMethod("GetCase");
    Route& r = AddRoute("GET", "/v1/case-numbers/{case_number}", kSignedIn,
                        "One case by its case number, as GET /v1/cases/{case_id}.", get_case);
    r.full_personal_data_roles = {auth::kWindowClerk};
    r.prepare = [this, get_case](Call& call, pb::Message& message) -> absl::Status {
      auto& request = static_cast<iv1::GetCaseRequest&>(message);
      iv1::GetCaseRequest lookup;
      lookup.set_case_number(request.case_number());
      auto found = Invoke(call, get_case, lookup);
      if (!found.ok()) {
        if (found.status().code() == absl::StatusCode::kNotFound ||
            found.status().code() == absl::StatusCode::kInvalidArgument) {
          return NotFoundCase();
        }
        return found.status();
      }
      call.target = static_cast<const iv1::GetCaseResponse&>(**found).case_().case_id();
      SUNLIGHT_RETURN_IF_ERROR(RequireCaseVisible(call, call.target, false));
      request.set_case_id(call.target);
      return absl::OkStatus();
    };
    r.finish = ShowCase;
  }
  // A case's intake is a window clerk's work, in the owning department.
  for (const auto& [pattern, summary, method] :
       {std::tuple{":accept", "Accept a case (受理).", "AcceptCase"},
        std::tuple{":refuse", "Refuse a case (不予受理), with a reason.", "RefuseCase"},
        std::tuple{":request-supplement", "Ask for missing materials, all at once (一次性告知).",
                   "RequestSupplement"},
        std::tuple{":receive-supplement", "Record materials handed in at a window.",
                   "ReceiveSupplement"},
        std::tuple{":withdraw",
                   "Record an applicant's withdrawal: a reason and the applicant's own request "
                   "(`applicant_request`, a document reference) are required.",
                   "WithdrawCase"}}) {
    Route& r = AddRoute("POST", absl::StrCat("/v1/cases/{case_id}", pattern), auth::kStaff, summary,
                        IntakeMethod(method));
    r.staff_roles = {auth::kWindowClerk};
    r.prepare = CaseInPath(true);
  }

  // ---- steps (workflow)
  AddRoute("GET", "/v1/cases/{case_id}/process", kSignedIn, "A case's steps and procedures.",
           WorkflowMethod("GetProcess"))
      .prepare = CaseInPath(false);
  // A step is for the role and department it names (workflow checks).
  AddRoute("POST", "/v1/cases/{case_id}/steps:claim", auth::kStaff, "Claim a step (`step_id`).",
           WorkflowMethod("ClaimStep"))
      .prepare = StepOfCase(false);
  AddRoute("POST", "/v1/cases/{case_id}/steps:complete", auth::kStaff,
           "Complete a step: pass, return or deny.", WorkflowMethod("CompleteStep"))
      .prepare = StepOfCase(false);
  AddRoute("POST", "/v1/cases/{case_id}/steps:transfer", auth::kStaff, "Transfer a step.",
           WorkflowMethod("TransferStep"))
      .prepare = StepOfCase(false);
  // Pausing or lengthening the whole case's clock: the lead department's approver or leader.
  {
    Route& r = AddRoute("POST", "/v1/cases/{case_id}/special-procedures", auth::kStaff,
                        "Start a special procedure; the clocks pause.",
                        WorkflowMethod("StartSpecialProcedure"));
    r.staff_roles = {auth::kApprover, auth::kLeader};
    r.prepare = CaseInPath(true);
  }
  {
    Route& r = AddRoute("POST", "/v1/cases/{case_id}/special-procedures:end", auth::kStaff,
                        "End a special procedure (`procedure_id`).",
                        WorkflowMethod("EndSpecialProcedure"));
    r.staff_roles = {auth::kApprover, auth::kLeader};
    r.prepare = StepOfCase(true);
  }
  {
    Route& r = AddRoute("POST", "/v1/cases/{case_id}:extend", auth::kStaff, "Approve an extension.",
                        WorkflowMethod("ApproveExtension"));
    r.staff_roles = {auth::kApprover, auth::kLeader};
    r.prepare = CaseInPath(true);
  }
  AddRoute("GET", "/v1/work-queue", auth::kStaff | auth::kInspectors,
           "A work queue, most urgent first: one's own by default.",
           WorkflowMethod("ListWorkQueue"))
      .prepare = [](Call& call, pb::Message& message) -> absl::Status {
    auto& request = static_cast<wv1::ListWorkQueueRequest&>(message);
    if (!IsStaff(call.principal)) return absl::OkStatus();
    const std::string& own = call.principal.department_id();
    switch (request.owner_case()) {
      case wv1::ListWorkQueueRequest::OWNER_NOT_SET:
        request.set_person_id(call.principal.user_id());
        return absl::OkStatus();
      case wv1::ListWorkQueueRequest::kPersonId:
        if (request.person_id() != call.principal.user_id()) {
          return absl::PermissionDeniedError("person_id: staff see their own queue");
        }
        return absl::OkStatus();
      case wv1::ListWorkQueueRequest::kRole:
        if (request.role().department_id() != own) {
          return absl::PermissionDeniedError("role.department_id: own department only");
        }
        if (request.role().role() != call.principal.role()) {
          return absl::PermissionDeniedError("role.role: staff see their own role's queue");
        }
        return absl::OkStatus();
      case wv1::ListWorkQueueRequest::kDepartmentId:
        if (request.department_id() != own) {
          return absl::PermissionDeniedError("department_id: own department only");
        }
        return absl::OkStatus();
    }
    return absl::OkStatus();
  };
}

}  // namespace sunlight::gateway
