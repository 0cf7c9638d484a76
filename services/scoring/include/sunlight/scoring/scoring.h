// The scoring service's logic: measures and statistics (统计分析) and monthly performance
// scores (绩效评估) of every department, window and person, derived from the intake,
// workflow and supervision streams, and from the video stream's confirmed conduct events.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(auto scoring, Scoring::Open(store.get(), calendar, &clock));
//   scoring->ApplyEvents("intake", batch);  // also "workflow", "supervision" and "video"
//   scoring->GetStatistics(request);                  // any measure, grouping and period
//   scoring->PublishMonth(request);                   // freezes a month's scores
//
// Each case's facts are one CaseRecord, merged from whichever stream tells them first; when
// a record changes, its previous contribution (stored with it) is taken out of the day and
// month aggregates and the new one added, in the same write as the record and the stream's
// cursor. So a late event lands on the day it belongs to, and any interleaving of the three
// streams gives the same aggregates. A month's scores are computed from the records of that
// month (scoring_rules.h); a published month is never rewritten: a recomputation that
// differs is a new draft version with a diff, published when approved.
// Thread-safe.
#ifndef SUNLIGHT_SERVICES_SCORING_SCORING_H_
#define SUNLIGHT_SERVICES_SCORING_SCORING_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sunlight/auth/data_key.h"
#include "sunlight/base/clock.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/events/v1/events.pb.h"
#include "sunlight/scoring/scoring_metrics.h"
#include "sunlight/scoring/v1/scoring.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::scoring {

inline constexpr char kIntakeStream[] = "intake";
inline constexpr char kWorkflowStream[] = "workflow";
inline constexpr char kSupervisionStream[] = "supervision";
// Conduct events (absent from post, crowding) count once an inspector confirmed them.
inline constexpr char kVideoStream[] = "video";

// Column families of the scoring store, besides the event log's.
std::vector<std::string> ScoringColumnFamilies();

class Scoring {
 public:
  static absl::StatusOr<std::unique_ptr<Scoring>> Open(
      storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
      const Clock* clock, std::shared_ptr<const auth::DataKey> data_key = nullptr);

  eventlog::EventLog& event_log() { return *log_; }
  ScoringMetrics& metrics() { return metrics_; }
  ScoringTimings& timings() { return timings_; }
  // Counts the months open and stale into metrics(); main calls it periodically.
  absl::Status RefreshMetrics();

  // Applies consecutive events of `stream` and commits what they change with the stream's
  // cursor in one write. Events at or before the cursor are skipped. INVALID_ARGUMENT for a
  // stream other than the four above.
  absl::Status ApplyEvents(const std::string& stream,
                           const std::vector<events::v1::CaseEvent>& events);
  absl::StatusOr<uint64_t> Cursor(const std::string& stream) const;

  // Statistics from the aggregates (never by scanning cases).
  absl::StatusOr<v1::StatisticsResponse> GetStatistics(const v1::StatisticsRequest& request) const;

  // Scores. A month never published is computed on request (state OPEN).
  absl::StatusOr<v1::ScoreSheet> GetScoreSheet(const v1::GetScoreSheetRequest& request) const;
  absl::StatusOr<v1::ListScoreVersionsResponse> ListScoreVersions(
      const v1::ListScoreVersionsRequest& request) const;
  absl::StatusOr<v1::ScoreDiff> GetScoreDiff(const v1::GetScoreDiffRequest& request) const;
  // Closes and publishes a month that has ended: version 1. FAILED_PRECONDITION when it has
  // not ended or is published already.
  absl::StatusOr<v1::ScoreSheet> PublishMonth(const v1::PublishMonthRequest& request);
  // Recomputes a published month; a result that differs from the version in force is stored
  // as a draft with its diff (nothing published changes).
  absl::StatusOr<v1::RecomputeMonthResponse> RecomputeMonth(
      const v1::RecomputeMonthRequest& request);
  // Drafts a recomputation of every published month that events changed after its
  // publication (main calls it periodically); returns how many drafts differ.
  absl::StatusOr<size_t> DraftStaleMonths();
  // Approves (publishes, superseding the version in force) or rejects a draft.
  absl::StatusOr<v1::ScoreSheet> DecideVersion(const v1::DecideVersionRequest& request);

  // Rule sets, effective from their month; the same content is stored once.
  absl::StatusOr<v1::RuleSet> SetRuleSet(const v1::SetRuleSetRequest& request);
  absl::StatusOr<v1::ListRuleSetsResponse> ListRuleSets(
      const v1::ListRuleSetsRequest& request) const;

  // Appeals against a deduction of a published month, by the department's staff within the
  // rule set's limit; decided by an inspector. Upholding drafts a new version without it.
  absl::StatusOr<v1::Appeal> FileAppeal(const v1::FileAppealRequest& request);
  absl::StatusOr<v1::Appeal> DecideAppeal(const v1::DecideAppealRequest& request);
  absl::StatusOr<v1::ListAppealsResponse> ListAppeals(const v1::ListAppealsRequest& request) const;

  // Evaluations (好差评, scoring_evaluations.cc): one per case, after its completion or
  // refusal and within the rule set's window. A bad rating with a real name opens a
  // rectification with its limit; the department may ask the supervision office to review a
  // rating it holds mistaken or malicious, and an upheld review excludes it.
  absl::StatusOr<v1::Evaluation> RateCase(const v1::RateCaseRequest& request);
  absl::StatusOr<v1::Evaluation> GetEvaluation(const v1::GetEvaluationRequest& request) const;
  absl::StatusOr<v1::ListEvaluationsResponse> ListEvaluations(
      const v1::ListEvaluationsRequest& request) const;
  absl::StatusOr<v1::Evaluation> AnswerRectification(const v1::AnswerRectificationRequest& request);
  absl::StatusOr<v1::Evaluation> RequestEvaluationReview(
      const v1::RequestEvaluationReviewRequest& request);
  absl::StatusOr<v1::Evaluation> DecideEvaluationReview(
      const v1::DecideEvaluationReviewRequest& request);
  // Counts every open rectification past its due instant as late (on its due day); main
  // calls it periodically. Returns how many it counted.
  absl::StatusOr<size_t> MarkLateRectifications();

  // Complaints (投诉, scoring_complaints.cc): filed online or from a phone call, accepted or
  // not within the rule set's working days, concluded valid or not within the handling limit.
  absl::StatusOr<v1::FileComplaintResponse> FileComplaint(const v1::FileComplaintRequest& request);
  absl::StatusOr<v1::Complaint> GetComplaint(const v1::GetComplaintRequest& request) const;
  // The complainant's name and phone in full (the notify service's only).
  absl::StatusOr<v1::ComplainantContact> GetComplainantContact(
      const v1::GetComplainantContactRequest& request) const;
  absl::StatusOr<v1::Complaint> QueryComplaint(const v1::QueryComplaintRequest& request) const;
  absl::StatusOr<v1::ListComplaintsResponse> ListComplaints(
      const v1::ListComplaintsRequest& request) const;
  absl::StatusOr<v1::Complaint> DecideComplaintAcceptance(
      const v1::DecideComplaintAcceptanceRequest& request);
  absl::StatusOr<v1::Complaint> RespondToComplaint(const v1::RespondToComplaintRequest& request);
  absl::StatusOr<v1::Complaint> ConcludeComplaint(const v1::ConcludeComplaintRequest& request);

  // Attendance (考勤, scoring_attendance.cc): posts and hours, device punches (idempotent per
  // device and sequence, corrected by the device's clock skew), derived days, corrections
  // (补卡) approved by the department's leader, and monthly sheets.
  absl::StatusOr<v1::StaffAssignment> SetStaffAssignment(
      const v1::SetStaffAssignmentRequest& request);
  absl::StatusOr<v1::ListStaffAssignmentsResponse> ListStaffAssignments(
      const v1::ListStaffAssignmentsRequest& request) const;
  absl::StatusOr<v1::UploadPunchesResponse> UploadPunches(const v1::UploadPunchesRequest& request);
  absl::StatusOr<v1::AttendanceCorrection> RequestAttendanceCorrection(
      const v1::RequestAttendanceCorrectionRequest& request);
  absl::StatusOr<v1::AttendanceCorrection> DecideAttendanceCorrection(
      const v1::DecideAttendanceCorrectionRequest& request);
  absl::StatusOr<v1::ListAttendanceCorrectionsResponse> ListAttendanceCorrections(
      const v1::ListAttendanceCorrectionsRequest& request) const;
  absl::StatusOr<v1::AttendanceSheet> GetAttendanceSheet(
      const v1::GetAttendanceSheetRequest& request) const;
  absl::StatusOr<v1::ListAttendanceSheetsResponse> ListAttendanceSheets(
      const v1::ListAttendanceSheetsRequest& request) const;
  // Closes every scheduled day of every assigned person that has ended (absence and leaving
  // early are judged then); main calls it periodically. Returns how many days it closed.
  absl::StatusOr<size_t> CloseAttendanceDays();

 private:
  class Mutation;

  Scoring(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
          std::shared_ptr<const calendar::WorkingCalendar> calendar, const Clock* clock,
          uint64_t last_appeal, uint64_t last_complaint, uint64_t last_correction,
          std::shared_ptr<const auth::DataKey> data_key);

  absl::Status ApplyIntake(Mutation& m, const events::v1::CaseEvent& event);
  absl::Status ApplyWorkflow(Mutation& m, const events::v1::CaseEvent& event);
  absl::Status ApplySupervision(Mutation& m, const events::v1::CaseEvent& event);
  // A confirmed conduct event becomes an occurrence (scoring_conduct.cc); the other video
  // events change nothing. An unreadable one is logged and skipped, never an error.
  absl::Status ApplyVideo(Mutation& m, const events::v1::CaseEvent& event);
  // Writes the changed records, swapping their contributions in the aggregates.
  absl::Status StageRecords(Mutation& m);
  // Swaps one occurrence for another in the aggregates and the occurrences of their months
  // (either may be empty: no source), marking published months stale.
  absl::Status StageOccurrence(Mutation& m, const v1::Occurrence& before,
                               const v1::Occurrence& after);
  // Commits a mutation's batch and events (caller holds write_mu_).
  absl::Status CommitMutation(Mutation& m);
  // Stores an evaluation with what it now counts (caller holds write_mu_).
  absl::Status StageEvaluation(Mutation& m, v1::Evaluation& evaluation);
  // The instant `amount` working days after `from` (the deadline convention).
  absl::StatusOr<absl::Time> WorkingDaysAfter(absl::Time from, uint32_t amount) const;

  // Whether any version of `month` was stored (it has been published).
  absl::StatusOr<bool> IsPublished(int64_t month) const;
  // The rule set in force for `month`.
  absl::StatusOr<v1::RuleSet> RuleSetFor(int64_t month) const;
  // A month's scores as of now (caller holds write_mu_, so records and cursors agree).
  absl::StatusOr<v1::ScoreSheet> Compute(int64_t month) const;
  // The latest published version of a month, and every stored version.
  absl::StatusOr<std::optional<v1::ScoreSheet>> Published(int64_t month) const;
  absl::StatusOr<std::vector<v1::ScoreSheet>> Versions(int64_t month) const;
  // Fills previous_month / last_year from the published sheets of those months.
  absl::Status AddComparisons(int64_t month, v1::ScoreSheet& sheet) const;
  // Drafts a recomputation of `month` when it differs from the version in force.
  absl::StatusOr<v1::RecomputeMonthResponse> DraftRecomputation(int64_t month,
                                                                const std::string& reason);
  int64_t CurrentMonth() const;

  storage::Store* store_;
  std::unique_ptr<eventlog::EventLog> log_;
  mutable ScoringMetrics metrics_;  // counted by const queries too
  mutable ScoringTimings timings_;
  std::shared_ptr<const calendar::WorkingCalendar> calendar_;
  const Clock* clock_;
  // One writer at a time (ingestion, publication, appeals); a computation holds it too, so
  // the records it reads and the stream positions it reports agree.
  mutable std::mutex write_mu_;
  uint64_t last_appeal_;      // guarded by write_mu_
  uint64_t last_complaint_;   // guarded by write_mu_
  uint64_t last_correction_;  // guarded by write_mu_
  // Seals complainants' contacts and hashes complaint query codes.
  std::shared_ptr<const auth::DataKey> data_key_;
};

}  // namespace sunlight::scoring

#endif  // SUNLIGHT_SERVICES_SCORING_SCORING_H_
