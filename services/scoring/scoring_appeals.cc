// Appeals against deductions of a published month: filed by the department within the rule
// set's limit, decided by the supervision office; upholding drafts a version without it.
#include "scoring_internal.h"

#include "sunlight/calendar/deadline.h"
#include "sunlight/eventlog/case_event.h"

namespace sunlight::scoring {

namespace {

events::v1::CaseEvent AppealEvent(const std::string& type, const common::v1::Actor& actor,
                                  absl::Time now, const v1::Appeal& appeal) {
  v1::AppealChanged payload;
  *payload.mutable_appeal() = appeal;
  return eventlog::NewEvent(type, appeal.case_id(), actor, now, payload);
}

}  // namespace

absl::StatusOr<v1::Appeal> Scoring::FileAppeal(const v1::FileAppealRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t month, RequireMonth(request.month()));
  if (!v1::SubjectKind_IsValid(request.kind()) || request.kind() == v1::SUBJECT_KIND_UNSPECIFIED)
    return InvalidField("kind", "required: department, window or person");
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.subject_id(), "subject_id", 128));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.clause(), "clause", 200));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.case_id(), "case_id", 128));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.reasons(), "reasons", 4000));
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(auto published, Published(month));
  if (!published.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("month ", request.month(), " is not published; nothing to appeal"));
  }
  const v1::SubjectScore* subject = nullptr;
  for (const auto& s : published->scores()) {
    if (s.kind() == request.kind() && s.subject_id() == request.subject_id()) subject = &s;
  }
  if (subject == nullptr) return InvalidField("subject_id", "not scored that month");
  // Staff appeal for their own department only.
  if (!request.actor().department_id().empty() &&
      request.actor().department_id() != subject->department_id()) {
    return absl::PermissionDeniedError("a department appeals only its own deductions");
  }
  bool deducted = false;
  for (const auto& line : subject->lines()) {
    if (line.clause() != request.clause() || line.centipoints() >= 0) continue;
    for (const auto& ref : line.cases()) {
      deducted |= ref.case_id() == request.case_id() && !ref.appealed_away();
    }
  }
  if (!deducted) return InvalidField("case_id", "no deduction of that clause for that case");
  SUNLIGHT_ASSIGN_OR_RETURN(v1::RuleSet rules, RuleSetFor(month));
  calendar::DeadlineRequest limit;
  limit.accepted_at = FromProto(published->published_at());
  limit.limit.set_amount(rules.appeal_limit_working_days());
  limit.limit.set_unit(common::v1::LIMIT_UNIT_WORKING_DAYS);
  limit.as_of = clock_->Now();
  SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline due, calendar::ComputeDeadline(*calendar_, limit));
  if (clock_->Now() >= due.due) {
    return absl::FailedPreconditionError(
        absl::StrCat("appeals against ", request.month(), " closed at ",
                     absl::FormatTime(absl::RFC3339_sec, due.due, calendar_->time_zone()), " (",
                     rules.appeal_limit_working_days(), " working days after publication)"));
  }
  v1::Appeal appeal;
  appeal.set_appeal_id(absl::StrCat("a", last_appeal_ + 1));
  appeal.set_month(request.month());
  appeal.set_version(published->version());
  appeal.set_kind(request.kind());
  appeal.set_subject_id(request.subject_id());
  appeal.set_department_id(subject->department_id());
  appeal.set_clause(request.clause());
  appeal.set_case_id(request.case_id());
  appeal.set_reasons(request.reasons());
  *appeal.mutable_filed_by() = request.actor();
  *appeal.mutable_filed_at() = ToProto(clock_->Now());
  appeal.set_state(v1::APPEAL_STATE_FILED);
  storage::WriteBatch batch;
  batch.Put(store::kAppeals, store::NumberKey(last_appeal_ + 1), appeal.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(
      log_->Commit(std::move(batch),
                   {AppealEvent("scoring.appeal.filed", request.actor(), clock_->Now(), appeal)})
          .status());
  ++last_appeal_;
  metrics_.appeals_filed.Increment();
  return appeal;
}

absl::StatusOr<v1::Appeal> Scoring::DecideAppeal(const v1::DecideAppealRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  std::string key = store::AppealKey(request.appeal_id());
  if (key.empty()) return InvalidField("appeal_id", "an appeal id a<number>");
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.decision(), "decision", 4000));
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(auto stored,
                            storage::LoadProto<v1::Appeal>(*store_, store::kAppeals, key));
  if (!stored.has_value())
    return absl::NotFoundError(absl::StrCat("no appeal ", request.appeal_id()));
  v1::Appeal appeal = *std::move(stored);
  if (appeal.state() != v1::APPEAL_STATE_FILED) {
    return absl::FailedPreconditionError(
        absl::StrCat("appeal ", appeal.appeal_id(), " is decided already"));
  }
  appeal.set_state(request.uphold() ? v1::APPEAL_STATE_UPHELD : v1::APPEAL_STATE_REJECTED);
  appeal.set_decision(request.decision());
  *appeal.mutable_decided_by() = request.actor();
  *appeal.mutable_decided_at() = ToProto(clock_->Now());
  int64_t month = ParseMonth(appeal.month());
  storage::WriteBatch batch;
  if (request.uphold()) {
    // The exemption first, so the recomputation below leaves the deduction out.
    storage::WriteBatch exemption;
    exemption.Put(store::kExemptions,
                  store::ExemptionKey(month, appeal.kind(), appeal.subject_id(), appeal.clause(),
                                      appeal.case_id()),
                  appeal.appeal_id());
    SUNLIGHT_RETURN_IF_ERROR(store_->Write(exemption));
    SUNLIGHT_ASSIGN_OR_RETURN(
        auto recomputed,
        DraftRecomputation(month, absl::StrCat("appeal ", appeal.appeal_id(), " upheld")));
    if (recomputed.has_draft()) appeal.set_new_version(recomputed.draft().version());
  }
  batch.Put(store::kAppeals, key, appeal.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(
      log_->Commit(std::move(batch),
                   {AppealEvent("scoring.appeal.decided", request.actor(), clock_->Now(), appeal)})
          .status());
  return appeal;
}

absl::StatusOr<v1::ListAppealsResponse> Scoring::ListAppeals(
    const v1::ListAppealsRequest& request) const {
  if (!request.month().empty()) SUNLIGHT_RETURN_IF_ERROR(RequireMonth(request.month()).status());
  v1::ListAppealsResponse response;
  absl::Status failed;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kAppeals, "", "", [&](std::string_view key, std::string_view bytes) {
        auto appeal = storage::ParseProto<v1::Appeal>(bytes, store::kAppeals, key);
        if (!appeal.ok()) {
          failed = appeal.status();
          return false;
        }
        if (!request.month().empty() && appeal->month() != request.month()) return true;
        if (!request.department_id().empty() && appeal->department_id() != request.department_id())
          return true;
        *response.add_appeals() = *std::move(appeal);
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(failed);
  return response;
}

}  // namespace sunlight::scoring
