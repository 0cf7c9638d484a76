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
  };
}

}  // namespace sunlight::scoring
