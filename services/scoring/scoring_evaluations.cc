// PLACEHOLDER: being written.
#include "scoring_internal.h"

namespace sunlight::scoring {

absl::StatusOr<v1::Evaluation> Scoring::RateCase(const v1::RateCaseRequest&) {
  return absl::UnimplementedError("RateCase");
}

absl::StatusOr<v1::Evaluation> Scoring::GetEvaluation(const v1::GetEvaluationRequest&) const {
  return absl::UnimplementedError("GetEvaluation");
}

absl::StatusOr<v1::ListEvaluationsResponse> Scoring::ListEvaluations(const v1::ListEvaluationsRequest&) const {
  return absl::UnimplementedError("ListEvaluations");
}

absl::StatusOr<v1::Evaluation> Scoring::AnswerRectification(const v1::AnswerRectificationRequest&) {
  return absl::UnimplementedError("AnswerRectification");
}

absl::StatusOr<v1::Evaluation> Scoring::RequestEvaluationReview(const v1::RequestEvaluationReviewRequest&) {
  return absl::UnimplementedError("RequestEvaluationReview");
}

absl::StatusOr<v1::Evaluation> Scoring::DecideEvaluationReview(const v1::DecideEvaluationReviewRequest&) {
  return absl::UnimplementedError("DecideEvaluationReview");
}

}  // namespace sunlight::scoring
