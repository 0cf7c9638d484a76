#include "sunlight/scoring/scoring_grpc_service.h"

namespace sunlight::scoring {

// No service calls these: the gateway calls them for people (the public reads published
// scores through it as an applicant); services read the stream only.
auth::MethodPolicy ScoringMethodPolicy() {
  constexpr uint32_t kRead = auth::kSignedIn;
  return {
      auth::Allow<v1::StatisticsRequest>(kRead),
      auth::Allow<v1::GetScoreSheetRequest>(kRead | auth::kApplicants),
      auth::Allow<v1::ListScoreVersionsRequest>(kRead),
      auth::Allow<v1::GetScoreDiffRequest>(kRead),
      auth::Allow<v1::PublishMonthRequest>(auth::kAdministrators),
      auth::Allow<v1::RecomputeMonthRequest>(auth::kAdministrators),
      auth::Allow<v1::DecideVersionRequest>(auth::kAdministrators),
      auth::Allow<v1::SetRuleSetRequest>(auth::kAdministrators),
      auth::Allow<v1::ListRuleSetsRequest>(kRead),
      auth::Allow<v1::FileAppealRequest>(auth::kStaff),
      auth::Allow<v1::DecideAppealRequest>(auth::kInspectors),
      auth::Allow<v1::ListAppealsRequest>(kRead),
      // The public rates and complains through the gateway, which checked the query code.
      auth::Allow<v1::RateCaseRequest>(auth::kApplicants | auth::kRatingDevices),
      auth::Allow<v1::GetEvaluationRequest>(kRead | auth::kApplicants),
      auth::Allow<v1::ListEvaluationsRequest>(kRead),
      auth::Allow<v1::AnswerRectificationRequest>(auth::kStaff),
      auth::Allow<v1::RequestEvaluationReviewRequest>(auth::kStaff),
      auth::Allow<v1::DecideEvaluationReviewRequest>(auth::kInspectors),
      auth::Allow<v1::FileComplaintRequest>(auth::kApplicants | auth::kInspectors |
                                            auth::kAdministrators),
      auth::Allow<v1::GetComplaintRequest>(kRead),
      auth::Allow<v1::GetComplainantContactRequest>(auth::kServices, {"notify"}),
      auth::Allow<v1::QueryComplaintRequest>(auth::kApplicants),
      auth::Allow<v1::ListComplaintsRequest>(kRead),
      auth::Allow<v1::DecideComplaintAcceptanceRequest>(auth::kInspectors),
      auth::Allow<v1::RespondToComplaintRequest>(auth::kStaff),
      auth::Allow<v1::ConcludeComplaintRequest>(auth::kInspectors),
      auth::Allow<v1::SetStaffAssignmentRequest>(auth::kAdministrators),
      auth::Allow<v1::ListStaffAssignmentsRequest>(kRead),
      auth::Allow<v1::UploadPunchesRequest>(auth::kAttendanceDevices),
      auth::Allow<v1::RequestAttendanceCorrectionRequest>(auth::kStaff),
      auth::Allow<v1::DecideAttendanceCorrectionRequest>(auth::kStaff),
      auth::Allow<v1::ListAttendanceCorrectionsRequest>(kRead),
      auth::Allow<v1::GetAttendanceSheetRequest>(kRead),
      auth::Allow<v1::ListAttendanceSheetsRequest>(kRead),
  };
}

}  // namespace sunlight::scoring
