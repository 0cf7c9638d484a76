// Who may see what: a case (its department, or a department with a step of it), a notice, an
// evaluation, a complaint or an attendance correction (their department), and the scopes
// routes put on requests.
#include "gateway_routes.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/scoring/v1/attendance.pb.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
using auth::v1::Principal;

absl::Status Gateway::RequireCaseVisible(const Call& call, const std::string& case_id,
                                         bool owning_department_only) {
  uint32_t audience = auth::AudienceOf(call.principal);
  if (audience == auth::kInspectors || audience == auth::kAdministrators) return absl::OkStatus();
  if (audience != auth::kStaff || case_id.empty()) return NotFoundCase();
  iv1::GetCaseRequest get;
  get.set_case_id(case_id);
  auto found = Invoke(call, IntakeMethod("GetCase"), get);
  if (!found.ok()) {
    if (found.status().code() == absl::StatusCode::kNotFound ||
        found.status().code() == absl::StatusCode::kInvalidArgument) {
      return NotFoundCase();
    }
    return found.status();
  }
  return RequireCaseVisible(call, static_cast<const iv1::GetCaseResponse&>(**found).case_(),
                            owning_department_only);
}

absl::Status Gateway::RequireCaseVisible(const Call& call, const iv1::Case& record,
                                         bool owning_department_only) {
  uint32_t audience = auth::AudienceOf(call.principal);
  if (audience == auth::kInspectors || audience == auth::kAdministrators) return absl::OkStatus();
  if (audience != auth::kStaff) return NotFoundCase();
  if (record.department_id() == call.principal.department_id()) return absl::OkStatus();
  if (owning_department_only) return NotFoundCase();
  // A department with a step of the case (a joint approval) sees it too.
  wv1::GetProcessRequest process;
  process.set_case_id(record.case_id());
  auto steps = Invoke(call, WorkflowMethod("GetProcess"), process);
  if (steps.ok()) {
    for (const auto& step :
         static_cast<const wv1::GetProcessResponse&>(**steps).process().steps()) {
      if (step.department_id() == call.principal.department_id()) return absl::OkStatus();
    }
  }
  return NotFoundCase();
}

absl::Status Gateway::RequireNoticeVisible(const Call& call, const std::string& notice_id) {
  uint32_t audience = auth::AudienceOf(call.principal);
  if (audience == auth::kInspectors || audience == auth::kAdministrators) return absl::OkStatus();
  sv1::GetNoticeRequest get;
  get.set_notice_id(notice_id);
  auto found = Invoke(call, SupervisionMethod("GetNotice"), get);
  if (!found.ok()) {
    if (found.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError("no such notice");
    }
    return found.status();
  }
  const auto& notice = static_cast<const sv1::NoticeResponse&>(**found).notice();
  if (notice.department_id() != call.principal.department_id()) {
    return absl::NotFoundError("no such notice");
  }
  return absl::OkStatus();
}

absl::StatusOr<scoring::v1::Evaluation> Gateway::VisibleEvaluation(const Call& call,
                                                                   const std::string& case_id) {
  scoring::v1::GetEvaluationRequest get;
  get.set_case_id(case_id);
  auto found = Invoke(call, ScoringMethod("GetEvaluation"), get);
  if (!found.ok()) {
    if (found.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError("no such evaluation");
    }
    return found.status();
  }
  auto& evaluation = static_cast<scoring::v1::Evaluation&>(**found);
  if (IsStaff(call.principal) && evaluation.department_id() != call.principal.department_id()) {
    return absl::NotFoundError("no such evaluation");
  }
  return std::move(evaluation);
}

absl::StatusOr<scoring::v1::Complaint> Gateway::VisibleComplaint(const Call& call,
                                                                 const std::string& complaint_id) {
  scoring::v1::GetComplaintRequest get;
  get.set_complaint_id(complaint_id);
  auto found = Invoke(call, ScoringMethod("GetComplaint"), get);
  if (!found.ok()) {
    if (found.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError("no such complaint");
    }
    return found.status();
  }
  auto& complaint = static_cast<scoring::v1::Complaint&>(**found);
  if (IsStaff(call.principal) && complaint.department_id() != call.principal.department_id()) {
    return absl::NotFoundError("no such complaint");
  }
  return std::move(complaint);
}

absl::Status Gateway::RequireCorrectionVisible(const Call& call, const std::string& correction_id) {
  if (!IsStaff(call.principal)) return absl::OkStatus();
  // There is no read of one correction: the department's are listed (a department files a
  // handful a month).
  scoring::v1::ListAttendanceCorrectionsRequest list;
  list.set_department_id(call.principal.department_id());
  SUNLIGHT_ASSIGN_OR_RETURN(auto listed,
                            Invoke(call, ScoringMethod("ListAttendanceCorrections"), list));
  for (const auto& correction :
       static_cast<const scoring::v1::ListAttendanceCorrectionsResponse&>(*listed).corrections()) {
    if (correction.correction_id() == correction_id &&
        correction.department_id() == call.principal.department_id()) {
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError("no such correction");
}

Gateway::Prepare Gateway::CaseInPath(bool owning_department_only) {
  return [this, owning_department_only](Call& call, pb::Message&) {
    call.target = call.path_params["case_id"];
    return RequireCaseVisible(call, call.target, owning_department_only);
  };
}

Gateway::Prepare Gateway::StepOfCase(bool owning_department_only) {
  return [this, owning_department_only](Call& call, pb::Message& request) -> absl::Status {
    call.target = call.path_params["case_id"];
    SUNLIGHT_RETURN_IF_ERROR(RequireCaseVisible(call, call.target, owning_department_only));
    const pb::FieldDescriptor* f = request.GetDescriptor()->FindFieldByName("step_id");
    if (f == nullptr) f = request.GetDescriptor()->FindFieldByName("procedure_id");
    std::string id = request.GetReflection()->GetString(request, f);
    if (!absl::StartsWith(id, call.target + "/")) {
      return absl::NotFoundError(absl::StrCat(f->name(), " ", id, " is not of case ", call.target));
    }
    return absl::OkStatus();
  };
}

Gateway::Prepare Gateway::OwnDepartmentField(const char* field) {
  return [field](Call& call, pb::Message& request) -> absl::Status {
    if (!IsStaff(call.principal)) return absl::OkStatus();
    const pb::FieldDescriptor* f = request.GetDescriptor()->FindFieldByName(field);
    std::string given = request.GetReflection()->GetString(request, f);
    if (!given.empty() && given != call.principal.department_id()) {
      return absl::PermissionDeniedError(
          absl::StrCat(field, ": staff see their own department only"));
    }
    request.GetReflection()->SetString(&request, f, call.principal.department_id());
    return absl::OkStatus();
  };
}

void Gateway::ShowCase(Call& call, pb::Message& response) {
  // In full only to the owning department's window clerks (the route's roles).
  auto& found = static_cast<iv1::GetCaseResponse&>(response);
  if (call.principal.department_id() != found.case_().department_id()) {
    call.full_personal_data = false;
  }
}

}  // namespace sunlight::gateway
