// Routes of attendance (考勤): staff assignments (posts and hours), punches from attendance
// devices, corrections of missed punches (补卡) and the monthly sheets. Staff see their own
// department's only.
#include "gateway_routes.h"
#include "sunlight/scoring/v1/attendance.pb.h"
#include "sunlight/scoring/v1/scoring.pb.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
namespace scv1 = ::sunlight::scoring::v1;

void Gateway::AddAttendanceRoutes() {
  // ---- assignments (the system administrator's)
  AddRoute("PUT", "/v1/staff-assignments/{person_id}", auth::kAdministrators,
           "Set a person's post and working hours from `assignment.effective_from` (or, with "
           "`assignment.ended`, their leaving the post).",
           ScoringMethod("SetStaffAssignment"))
      .prepare = [](Call& call, pb::Message& message) -> absl::Status {
    auto& request = static_cast<scv1::SetStaffAssignmentRequest&>(message);
    call.target = call.path_params["person_id"];
    if (request.assignment().person_id().empty()) {
      request.mutable_assignment()->set_person_id(call.target);
    } else if (request.assignment().person_id() != call.target) {
      return absl::InvalidArgumentError("assignment.person_id: not the person of the path");
    }
    return absl::OkStatus();
  };
  AddRoute("GET", "/v1/staff-assignments", kSignedIn,
           "Staff assignments (staff: of their own department).",
           ScoringMethod("ListStaffAssignments"))
      .prepare = OwnDepartmentField("department_id");

  // ---- an attendance device
  AddRoute("POST", "/v1/device/punches", auth::kAttendanceDevices,
           "An attendance device (考勤机) uploads a batch of punches with its clock's time: each "
           "punch is stored once per device and `device_sequence` (a retried batch counts once), "
           "corrected by the device's clock skew.",
           ScoringMethod("UploadPunches"))
      .prepare = [](Call& call, pb::Message&) {
    call.target = call.principal.user_id();
    return absl::OkStatus();
  };

  // ---- corrections of missed punches (补卡)
  {
    Route& r = AddRoute("POST", "/v1/attendance-corrections", auth::kStaff,
                        "Ask for a missed punch (补卡): one's own (`person_id` defaults to the "
                        "caller), or, for the department's leader, a colleague's.",
                        ScoringMethod("RequestAttendanceCorrection"));
    r.success_status = 201;
    r.prepare = [](Call& call, pb::Message& message) -> absl::Status {
      auto& request = static_cast<scv1::RequestAttendanceCorrectionRequest&>(message);
      if (request.person_id().empty()) request.set_person_id(call.principal.user_id());
      if (request.person_id() != call.principal.user_id() &&
          call.principal.role() != auth::kLeader) {
        return absl::PermissionDeniedError(
            "person_id: staff ask for their own corrections (the leader for the department's)");
      }
      call.target = request.person_id();
      return absl::OkStatus();
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/attendance-corrections/{correction_id}:decide", auth::kStaff,
                        "Approve (the punch is added) or reject a correction of one's "
                        "department.",
                        ScoringMethod("DecideAttendanceCorrection"));
    r.staff_roles = {auth::kLeader};
    r.prepare = [this](Call& call, pb::Message&) -> absl::Status {
      call.target = call.path_params["correction_id"];
      return RequireCorrectionVisible(call, call.target);
    };
  }
  AddRoute("GET", "/v1/attendance-corrections", kSignedIn,
           "Corrections (staff: of their own department); `pending` only those waiting.",
           ScoringMethod("ListAttendanceCorrections"))
      .prepare = OwnDepartmentField("department_id");

  // ---- monthly sheets
  AddRoute("GET", "/v1/attendance/{month}", kSignedIn,
           "Every person's attendance sheet of a month (`YYYY-MM`; staff: of their own "
           "department).",
           ScoringMethod("ListAttendanceSheets"))
      .prepare = OwnDepartmentField("department_id");
  {
    Route& r = AddRoute("GET", "/v1/attendance/{month}/{person_id}", kSignedIn,
                        "One person's attendance sheet of a month, day by day with the punches "
                        "(staff: of their own department).",
                        nullptr);
    r.input = scv1::GetAttendanceSheetRequest::descriptor();
    r.output = scv1::AttendanceSheet::descriptor();
    const pb::MethodDescriptor* get_sheet = ScoringMethod("GetAttendanceSheet");
    r.local = [this, get_sheet](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      const auto& request = static_cast<const scv1::GetAttendanceSheetRequest&>(message);
      call.target = absl::StrCat(request.month(), "/", request.person_id());
      auto found = Invoke(call, get_sheet, request);
      if (!found.ok()) {
        if (found.status().code() == absl::StatusCode::kNotFound) {
          return absl::NotFoundError("no such attendance sheet");
        }
        return found.status();
      }
      if (IsStaff(call.principal) &&
          static_cast<const scv1::AttendanceSheet&>(**found).department_id() !=
              call.principal.department_id()) {
        return absl::NotFoundError("no such attendance sheet");
      }
      return found;
    };
  }
}

}  // namespace sunlight::gateway
