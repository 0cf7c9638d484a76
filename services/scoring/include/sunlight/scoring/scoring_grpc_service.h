// The gRPC face of the scoring service: checks each call, converts statuses at the boundary,
// nothing else.
#ifndef SUNLIGHT_SERVICES_SCORING_SCORING_GRPC_SERVICE_H_
#define SUNLIGHT_SERVICES_SCORING_SCORING_GRPC_SERVICE_H_

#include "sunlight/auth/authorizer.h"
#include "sunlight/scoring/scoring.h"
#include "sunlight/scoring/v1/scoring.grpc.pb.h"
#include "sunlight/server/grpc_status.h"

namespace sunlight::scoring {

// Which audiences may call each method (see auth::Authorizer).
auth::MethodPolicy ScoringMethodPolicy();

class ScoringGrpcService final : public v1::Scoring::Service {
 public:
  // `authorizer` null: every call is allowed (in-process tests).
  explicit ScoringGrpcService(Scoring* scoring, const auth::Authorizer* authorizer = nullptr)
      : scoring_(scoring), authorizer_(authorizer) {}

#define SUNLIGHT_SCORING_METHOD(Name, Request, Response)                                          \
  grpc::Status Name(grpc::ServerContext* c, const v1::Request* r, v1::Response* out) override {   \
    return server::Serve(auth::CheckCall(authorizer_, c, *r), scoring_, &Scoring::Name, *r, out); \
  }
  SUNLIGHT_SCORING_METHOD(GetStatistics, StatisticsRequest, StatisticsResponse)
  SUNLIGHT_SCORING_METHOD(GetScoreSheet, GetScoreSheetRequest, ScoreSheet)
  SUNLIGHT_SCORING_METHOD(ListScoreVersions, ListScoreVersionsRequest, ListScoreVersionsResponse)
  SUNLIGHT_SCORING_METHOD(GetScoreDiff, GetScoreDiffRequest, ScoreDiff)
  SUNLIGHT_SCORING_METHOD(PublishMonth, PublishMonthRequest, ScoreSheet)
  SUNLIGHT_SCORING_METHOD(RecomputeMonth, RecomputeMonthRequest, RecomputeMonthResponse)
  SUNLIGHT_SCORING_METHOD(DecideVersion, DecideVersionRequest, ScoreSheet)
  SUNLIGHT_SCORING_METHOD(SetRuleSet, SetRuleSetRequest, RuleSet)
  SUNLIGHT_SCORING_METHOD(ListRuleSets, ListRuleSetsRequest, ListRuleSetsResponse)
  SUNLIGHT_SCORING_METHOD(FileAppeal, FileAppealRequest, Appeal)
  SUNLIGHT_SCORING_METHOD(DecideAppeal, DecideAppealRequest, Appeal)
  SUNLIGHT_SCORING_METHOD(ListAppeals, ListAppealsRequest, ListAppealsResponse)
  SUNLIGHT_SCORING_METHOD(RateCase, RateCaseRequest, Evaluation)
  SUNLIGHT_SCORING_METHOD(GetEvaluation, GetEvaluationRequest, Evaluation)
  SUNLIGHT_SCORING_METHOD(ListEvaluations, ListEvaluationsRequest, ListEvaluationsResponse)
  SUNLIGHT_SCORING_METHOD(AnswerRectification, AnswerRectificationRequest, Evaluation)
  SUNLIGHT_SCORING_METHOD(RequestEvaluationReview, RequestEvaluationReviewRequest, Evaluation)
  SUNLIGHT_SCORING_METHOD(DecideEvaluationReview, DecideEvaluationReviewRequest, Evaluation)
  SUNLIGHT_SCORING_METHOD(FileComplaint, FileComplaintRequest, FileComplaintResponse)
  SUNLIGHT_SCORING_METHOD(GetComplaint, GetComplaintRequest, Complaint)
  SUNLIGHT_SCORING_METHOD(GetComplainantContact, GetComplainantContactRequest, ComplainantContact)
  SUNLIGHT_SCORING_METHOD(QueryComplaint, QueryComplaintRequest, Complaint)
  SUNLIGHT_SCORING_METHOD(ListComplaints, ListComplaintsRequest, ListComplaintsResponse)
  SUNLIGHT_SCORING_METHOD(DecideComplaintAcceptance, DecideComplaintAcceptanceRequest, Complaint)
  SUNLIGHT_SCORING_METHOD(RespondToComplaint, RespondToComplaintRequest, Complaint)
  SUNLIGHT_SCORING_METHOD(ConcludeComplaint, ConcludeComplaintRequest, Complaint)
  SUNLIGHT_SCORING_METHOD(SetStaffAssignment, SetStaffAssignmentRequest, StaffAssignment)
  SUNLIGHT_SCORING_METHOD(ListStaffAssignments, ListStaffAssignmentsRequest,
                          ListStaffAssignmentsResponse)
  SUNLIGHT_SCORING_METHOD(UploadPunches, UploadPunchesRequest, UploadPunchesResponse)
  SUNLIGHT_SCORING_METHOD(RequestAttendanceCorrection, RequestAttendanceCorrectionRequest,
                          AttendanceCorrection)
  SUNLIGHT_SCORING_METHOD(DecideAttendanceCorrection, DecideAttendanceCorrectionRequest,
                          AttendanceCorrection)
  SUNLIGHT_SCORING_METHOD(ListAttendanceCorrections, ListAttendanceCorrectionsRequest,
                          ListAttendanceCorrectionsResponse)
  SUNLIGHT_SCORING_METHOD(GetAttendanceSheet, GetAttendanceSheetRequest, AttendanceSheet)
  SUNLIGHT_SCORING_METHOD(ListAttendanceSheets, ListAttendanceSheetsRequest,
                          ListAttendanceSheetsResponse)
#undef SUNLIGHT_SCORING_METHOD

 private:
  Scoring* scoring_;
  const auth::Authorizer* authorizer_;
};

}  // namespace sunlight::scoring

#endif  // SUNLIGHT_SERVICES_SCORING_SCORING_GRPC_SERVICE_H_
