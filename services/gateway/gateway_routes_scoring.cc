// Routes of scoring: statistics, monthly score sheets and their versions, rule sets, appeals,
// and the published departments' scores for the public.
#include <algorithm>

#include "gateway_routes.h"
#include "sunlight/scoring/v1/scoring.pb.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
namespace scv1 = ::sunlight::scoring::v1;

void Gateway::AddScoringRoutes() {
  // ---- public: the published departments' scores
  {
    Route& r = AddRoute("GET", "/v1/public/scores/{month}", auth::kAnyone,
                        "The published scores of the departments of one month (`YYYY-MM`; the "
                        "version in force unless `version`), without the cases behind them; 404 "
                        "while the month is not published.",
                        nullptr);
    r.is_public = true;
    r.input = scv1::GetScoreSheetRequest::descriptor();
    r.output = scv1::ScoreSheet::descriptor();
    // Capture the method descriptor itself: the helper lambdas die with AddRoutes.
    const pb::MethodDescriptor* get_score_sheet = ScoringMethod("GetScoreSheet");
    r.local = [this, get_score_sheet](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<scv1::GetScoreSheetRequest&>(message);
      call.target = request.month();
      request.set_kind(scv1::SUBJECT_KIND_DEPARTMENT);
      SUNLIGHT_ASSIGN_OR_RETURN(auto response, Invoke(call, get_score_sheet, request));
      auto& sheet = static_cast<scv1::ScoreSheet&>(*response);
      // An open month is computed on request and a draft waits for approval: neither is
      // the center's published word.
      if (sheet.state() != scv1::SHEET_STATE_PUBLISHED) {
        return absl::NotFoundError("not published");
      }
      // Departments only, and no case numbers: the public sees the points, not the cases.
      auto* scores = sheet.mutable_scores();
      scores->erase(std::remove_if(scores->begin(), scores->end(),
                                   [](const scv1::SubjectScore& score) {
                                     return score.kind() != scv1::SUBJECT_KIND_DEPARTMENT;
                                   }),
                    scores->end());
      for (auto& score : *scores) {
        for (auto& line : *score.mutable_lines()) line.clear_cases();
      }
      sheet.clear_published_by();
      return response;
    };
  }

  // ---- staff, inspectors, administrators: statistics and scores
  AddRoute("GET", "/v1/statistics", kSignedIn,
           "Measures by `dimension` and `period` over the local days `from_day`..`to_day` "
           "(`YYYY-MM-DD`), with the previous period's and last year's; `values` (comma-separated) "
           "keeps only those groups.",
           ScoringMethod("GetStatistics"));
  AddRoute("GET", "/v1/scores/{month}", kSignedIn,
           "A month's score sheet (`YYYY-MM`): the version in force unless `version` (an open "
           "month is computed on request); only one `kind` of subject when given.",
           ScoringMethod("GetScoreSheet"));
  AddRoute("GET", "/v1/scores/{month}/versions", kSignedIn,
           "Every stored version of a month: published, superseded, drafts and rejected.",
           ScoringMethod("ListScoreVersions"));
  AddRoute("GET", "/v1/scores/{month}/diff", kSignedIn,
           "What changed, subject by subject and clause by clause, between `from_version` and "
           "`to_version` of a month.",
           ScoringMethod("GetScoreDiff"));
  AddRoute("POST", "/v1/scores/{month}:publish", auth::kAdministrators,
           "Close and publish a month that has ended (version 1).", ScoringMethod("PublishMonth"))
      .prepare = [](Call& call, pb::Message&) {
    call.target = call.path_params["month"];
    return absl::OkStatus();
  };
  AddRoute("POST", "/v1/scores/{month}:recompute", auth::kAdministrators,
           "Recompute a published month; a result that differs is stored as a draft with its "
           "diff (nothing published changes).",
           ScoringMethod("RecomputeMonth"))
      .prepare = [](Call& call, pb::Message&) {
    call.target = call.path_params["month"];
    return absl::OkStatus();
  };
  AddRoute("POST", "/v1/scores/{month}/versions/{version}:decide", auth::kAdministrators,
           "Approve (publish, superseding the version in force) or reject a draft version.",
           ScoringMethod("DecideVersion"))
      .prepare = [](Call& call, pb::Message&) {
    call.target = absl::StrCat(call.path_params["month"], "/", call.path_params["version"]);
    return absl::OkStatus();
  };
  AddRoute("GET", "/v1/scoring/rule-sets", kSignedIn,
           "The scoring rule sets, effective from their month.", ScoringMethod("ListRuleSets"));
  AddRoute("POST", "/v1/scoring/rule-sets", auth::kAdministrators,
           "Add a scoring rule set (effective from its month; the same content is stored once).",
           ScoringMethod("SetRuleSet"))
      .prepare = [](Call& call, pb::Message& message) {
    const auto& request = static_cast<const scv1::SetRuleSetRequest&>(message);
    call.target =
        absl::StrCat(request.rule_set().jurisdiction(), "/", request.rule_set().version());
    return absl::OkStatus();
  };

  // ---- appeals
  AddRoute("POST", "/v1/appeals", auth::kStaff,
           "Appeal a deduction of a published month, for one's own department, within the rule "
           "set's limit.",
           ScoringMethod("FileAppeal"))
      .prepare = [](Call& call, pb::Message& message) {
    const auto& request = static_cast<const scv1::FileAppealRequest&>(message);
    call.target = absl::StrCat(request.month(), "/", request.subject_id());
    return absl::OkStatus();
  };
  AddRoute("POST", "/v1/appeals/{appeal_id}:decide", auth::kInspectors,
           "Uphold an appeal (drafts a new version without the deduction) or reject it.",
           ScoringMethod("DecideAppeal"))
      .prepare = [](Call& call, pb::Message&) {
    call.target = call.path_params["appeal_id"];
    return absl::OkStatus();
  };
  AddRoute("GET", "/v1/appeals", kSignedIn, "Appeals of a month (staff: of their own department).",
           ScoringMethod("ListAppeals"))
      .prepare = OwnDepartmentField("department_id");
}

}  // namespace sunlight::gateway
