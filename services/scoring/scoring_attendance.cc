// PLACEHOLDER: being written.
#include "scoring_internal.h"

namespace sunlight::scoring {

absl::StatusOr<v1::StaffAssignment> Scoring::SetStaffAssignment(const v1::SetStaffAssignmentRequest&) {
  return absl::UnimplementedError("SetStaffAssignment");
}

absl::StatusOr<v1::ListStaffAssignmentsResponse> Scoring::ListStaffAssignments(const v1::ListStaffAssignmentsRequest&) const {
  return absl::UnimplementedError("ListStaffAssignments");
}

absl::StatusOr<v1::UploadPunchesResponse> Scoring::UploadPunches(const v1::UploadPunchesRequest&) {
  return absl::UnimplementedError("UploadPunches");
}

absl::StatusOr<v1::AttendanceCorrection> Scoring::RequestAttendanceCorrection(const v1::RequestAttendanceCorrectionRequest&) {
  return absl::UnimplementedError("RequestAttendanceCorrection");
}

absl::StatusOr<v1::AttendanceCorrection> Scoring::DecideAttendanceCorrection(const v1::DecideAttendanceCorrectionRequest&) {
  return absl::UnimplementedError("DecideAttendanceCorrection");
}

absl::StatusOr<v1::ListAttendanceCorrectionsResponse> Scoring::ListAttendanceCorrections(const v1::ListAttendanceCorrectionsRequest&) const {
  return absl::UnimplementedError("ListAttendanceCorrections");
}

absl::StatusOr<v1::AttendanceSheet> Scoring::GetAttendanceSheet(const v1::GetAttendanceSheetRequest&) const {
  return absl::UnimplementedError("GetAttendanceSheet");
}

absl::StatusOr<v1::ListAttendanceSheetsResponse> Scoring::ListAttendanceSheets(const v1::ListAttendanceSheetsRequest&) const {
  return absl::UnimplementedError("ListAttendanceSheets");
}

absl::StatusOr<size_t> Scoring::CloseAttendanceDays() { return 0; }

}  // namespace sunlight::scoring
