// Supervision notices (督办): issue, answer, decide; each with a clock of its own.
#include "supervision_internal.h"

#include "sunlight/auth/principal.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/eventlog/case_event.h"

namespace sunlight::supervision {

namespace {

absl::Status RequireInspector(const Actor& actor) {
  if (actor.id().empty()) return InvalidField("actor.id", "required: every change names its actor");
  if (actor.role() != auth::kInspector) {
    return absl::PermissionDeniedError(
        absl::StrCat("actor ", actor.id(), " acts as ", actor.role(),
                     "; only an inspector issues and decides supervision notices"));
  }
  return absl::OkStatus();
}

// Writes `notice` under `key` in the mutation, with its event (`type`, by `actor`).
template <typename Mutation>
void StageNotice(Mutation& m, std::string key, const v1::Notice& notice, const std::string& type,
                 const Actor& actor) {
  m.notices.emplace_back(std::move(key), notice);
  v1::NoticeChanged payload;
  *payload.mutable_notice() = notice;
  m.events.push_back(eventlog::NewEvent(type, notice.case_id(), actor, m.now, payload));
}

}  // namespace

absl::StatusOr<v1::Notice> Supervision::IssueNotice(const v1::IssueNoticeRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(RequireInspector(request.actor()));
  if (request.complaint_id().empty()) {
    SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  } else if (!request.case_id().empty()) {
    return InvalidField("complaint_id", "a notice is on a case or on a complaint, not both");
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.reason(), "reason"));
  const auto& limit = request.response_limit();
  SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(limit, "response_limit"));
  std::lock_guard lock(write_mu_);
  Mutation m(this, clock_->Now());
  // What the notice is about: a red or abnormal case's clock, or an accepted complaint's
  // handling clock (from the scoring stream).
  const bool on_complaint = !request.complaint_id().empty();
  SUNLIGHT_ASSIGN_OR_RETURN(
      v1::Clock * subject,
      m.GetClock(on_complaint ? absl::StrCat("complaint/", request.complaint_id())
                              : absl::StrCat("case/", request.case_id())));
  if (subject == nullptr) {
    if (on_complaint) {
      return absl::FailedPreconditionError(absl::StrCat("complaint ", request.complaint_id(),
                                                        " is not accepted (or not known yet)"));
    }
    return absl::NotFoundError(absl::StrCat("no case clock for case ", request.case_id()));
  }
  if (!on_complaint) {
    bool anomalous = false;
    std::string prefix = store::CasePrefix(request.case_id());
    SUNLIGHT_RETURN_IF_ERROR(store_->Scan(
        store::kAlertsByCase, prefix, storage::PrefixSuccessor(prefix),
        [&](std::string_view key, std::string_view) {
          if (auto entry = store::DecodeOwnedNumberKey(key); entry.has_value()) {
            auto alert = storage::LoadProto<v1::Alert>(*store_, store::kAlerts,
                                                       store::NumberKey(entry->number));
            anomalous |=
                alert.ok() && alert->has_value() && (*alert)->kind() == v1::ALERT_KIND_ANOMALY;
          }
          return !anomalous;
        }));
    if (subject->light() != v1::LIGHT_RED && !anomalous) {
      return absl::FailedPreconditionError(
          absl::StrCat("case ", request.case_id(), " is ", v1::Light_Name(subject->light()),
                       " with no anomaly; a notice is issued on a red or abnormal case"));
    }
  }
  const v1::Clock* case_clock = subject;
  uint64_t number = ++last_notice_;
  v1::Notice notice;
  notice.set_notice_id(absl::StrCat("n", number));
  notice.set_case_id(case_clock->case_id());
  notice.set_department_id(case_clock->department_id());
  if (on_complaint) {
    notice.set_complaint_id(request.complaint_id());
    notice.set_subject_ref(case_clock->subject_ref());
  }
  notice.set_state(v1::NOTICE_STATE_ISSUED);
  notice.set_reason(request.reason());
  *notice.mutable_issued_by() = request.actor();
  *notice.mutable_issued_at() = ToProto(m.now);
  *notice.mutable_response_limit() = limit;
  v1::Clock* clock = m.NewClock(absl::StrCat("notice/", notice.notice_id()));
  clock->set_kind(v1::CLOCK_KIND_NOTICE);
  clock->set_case_id(case_clock->case_id());
  clock->set_case_number(case_clock->case_number());
  clock->set_department_id(case_clock->department_id());
  if (on_complaint) clock->set_subject_ref("notice on " + case_clock->subject_ref());
  *clock->mutable_started_at() = ToProto(m.now);
  *clock->mutable_limit() = limit;
  clock->set_warning_margin_working_days(1);
  SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
  if (!clock->plan_error().empty()) return absl::FailedPreconditionError(clock->plan_error());
  *notice.mutable_response_due() = clock->due();
  StageNotice(m, store::NumberKey(number), notice, "supervision.notice.issued", request.actor());
  SUNLIGHT_RETURN_IF_ERROR(Commit(m));
  return notice;
}

absl::StatusOr<v1::Notice> Supervision::GetNotice(const v1::GetNoticeRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.notice_id(), "notice_id"));
  std::string key = store::NoticeKey(request.notice_id());
  if (key.empty()) return InvalidField("notice_id", "not a notice id (n<number>)");
  SUNLIGHT_ASSIGN_OR_RETURN(auto notice,
                            storage::LoadProto<v1::Notice>(*store_, store::kNotices, key));
  if (!notice.has_value()) {
    return absl::NotFoundError(absl::StrCat("notice ", request.notice_id(), " not found"));
  }
  return *std::move(notice);
}

absl::StatusOr<v1::Notice> Supervision::RespondToNotice(const v1::RespondToNoticeRequest& request) {
  if (request.actor().id().empty()) return InvalidField("actor.id", "required");
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.response(), "response"));
  v1::GetNoticeRequest get;
  get.set_notice_id(request.notice_id());
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Notice notice, GetNotice(get));
  if (request.actor().department_id() != notice.department_id()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "notice ", notice.notice_id(), " is addressed to department ", notice.department_id()));
  }
  if (notice.state() != v1::NOTICE_STATE_ISSUED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "notice ", notice.notice_id(), " is in state ", v1::NoticeState_Name(notice.state())));
  }
  Mutation m(this, clock_->Now());
  notice.set_state(v1::NOTICE_STATE_ANSWERED);
  notice.set_response(request.response());
  *notice.mutable_responded_by() = request.actor();
  *notice.mutable_responded_at() = ToProto(m.now);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock,
                            m.GetClock(absl::StrCat("notice/", notice.notice_id())));
  if (clock != nullptr && !Finished(*clock)) {
    *clock->mutable_finished_at() = ToProto(m.now);
    SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
  }
  StageNotice(m, store::NoticeKey(notice.notice_id()), notice, "supervision.notice.answered",
              request.actor());
  SUNLIGHT_RETURN_IF_ERROR(Commit(m));
  return notice;
}

absl::StatusOr<v1::Notice> Supervision::DecideNotice(const v1::DecideNoticeRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(RequireInspector(request.actor()));
  if (request.decision() != v1::NOTICE_STATE_ACCEPTED &&
      request.decision() != v1::NOTICE_STATE_ESCALATED) {
    return InvalidField("decision", "must be ACCEPTED or ESCALATED");
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.text(), "text"));
  v1::GetNoticeRequest get;
  get.set_notice_id(request.notice_id());
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Notice notice, GetNotice(get));
  Mutation m(this, clock_->Now());
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock,
                            m.GetClock(absl::StrCat("notice/", notice.notice_id())));
  // An unanswered notice can be escalated once its own limit has passed.
  bool overdue_unanswered = notice.state() == v1::NOTICE_STATE_ISSUED && clock != nullptr &&
                            clock->light() == v1::LIGHT_RED;
  if (notice.state() != v1::NOTICE_STATE_ANSWERED &&
      !(request.decision() == v1::NOTICE_STATE_ESCALATED && overdue_unanswered)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "notice ", notice.notice_id(), " is in state ", v1::NoticeState_Name(notice.state())));
  }
  if (clock != nullptr && !Finished(*clock)) {
    *clock->mutable_finished_at() = ToProto(m.now);
    SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
  }
  notice.set_state(request.decision());
  notice.set_decision(request.text());
  *notice.mutable_decided_by() = request.actor();
  *notice.mutable_decided_at() = ToProto(m.now);
  StageNotice(m, store::NoticeKey(notice.notice_id()), notice,
              request.decision() == v1::NOTICE_STATE_ACCEPTED ? "supervision.notice.accepted"
                                                              : "supervision.notice.escalated",
              request.actor());
  SUNLIGHT_RETURN_IF_ERROR(Commit(m));
  return notice;
}

}  // namespace sunlight::supervision
