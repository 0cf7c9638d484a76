// Evaluations (好差评): one per case, after its completion or refusal, within the rule set's
// window; a bad rating with a real name opens a return visit and rectification; a rating
// the department holds mistaken or malicious is reviewed by the supervision office.
#include "scoring_internal.h"

#include "sunlight/auth/principal.h"
#include "sunlight/base/utf8.h"
#include "sunlight/calendar/deadline.h"
#include "sunlight/eventlog/case_event.h"

namespace sunlight::scoring {

namespace {

const std::set<std::string>& Aspects() {
  static const auto* aspects =
      new std::set<std::string>{"efficiency", "attitude", "environment", "openness", "convenience"};
  return *aspects;
}

bool IsBad(v1::EvaluationLevel level) {
  return level == v1::DISSATISFIED || level == v1::VERY_DISSATISFIED;
}

absl::Status RequireLevel(v1::EvaluationLevel level, const std::string& field) {
  if (level == v1::EVALUATION_LEVEL_UNSPECIFIED || !v1::EvaluationLevel_IsValid(level)) {
    return InvalidField(field,
                        "one of VERY_SATISFIED, SATISFIED, BASICALLY_SATISFIED, DISSATISFIED, "
                        "VERY_DISSATISFIED");
  }
  return absl::OkStatus();
}

std::string LevelName(v1::EvaluationLevel level) {
  std::string name = v1::EvaluationLevel_Name(level);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// The occurrence of a rating: its level counted on the rating day, for the case's
// department, window and person; nothing once excluded.
v1::Occurrence RatingOccurrence(const v1::Evaluation& e, const absl::TimeZone& zone) {
  v1::Occurrence o;
  if (e.state() == v1::EVALUATION_STATE_EXCLUDED) return o;
  o.set_source(absl::StrCat("evaluation/", e.case_id()));
  o.set_day(DayNumber(absl::ToCivilDay(FromProto(e.rated_at()), zone)));
  o.set_department_id(e.department_id());
  o.set_window_id(e.window_id());
  o.set_person_id(e.person_id());
  o.set_case_id(e.case_id());
  o.set_case_number(e.case_number());
  o.set_what(absl::StrCat("evaluation:", LevelName(e.level())));
  *o.mutable_at() = e.rated_at();
  v1::Measures& m = *o.mutable_measures();
  m.set_evaluations(1);
  switch (e.level()) {
    case v1::VERY_SATISFIED:
      m.set_very_satisfied(1);
      break;
    case v1::SATISFIED:
      m.set_satisfied(1);
      break;
    case v1::BASICALLY_SATISFIED:
      m.set_basically_satisfied(1);
      break;
    case v1::DISSATISFIED:
      m.set_dissatisfied(1);
      break;
    case v1::VERY_DISSATISFIED:
      m.set_very_dissatisfied(1);
      break;
    default:
      break;
  }
  if (e.has_rectification()) m.set_rectifications(1);
  if (IsBad(e.level())) o.add_events("bad_evaluation");
  return o;
}

// The occurrence of a rectification as of `now`: the return visit on the day it was answered
// (and on time); late on its due day once due without an answer or answered after it.
v1::Occurrence RectificationOccurrence(const v1::Evaluation& e, absl::Time now,
                                       const absl::TimeZone& zone) {
  v1::Occurrence o;
  const v1::Rectification& r = e.rectification();
  if (!e.has_rectification() || e.state() == v1::EVALUATION_STATE_EXCLUDED ||
      r.state() == v1::RECTIFICATION_STATE_CANCELLED) {
    return o;
  }
  absl::Time due = FromProto(r.due_at());
  bool answered = r.state() == v1::RECTIFICATION_STATE_ANSWERED;
  bool late = answered ? !r.on_time() : now >= due;
  if (!answered && !late) return o;
  absl::Time at = late ? due : FromProto(r.answered_at());
  o.set_source(absl::StrCat("rectification/", e.case_id()));
  // The due instant is 00:00 after the last day: a late one counts on that last day.
  o.set_day(DayNumber(absl::ToCivilDay(late ? at - absl::Seconds(1) : at, zone)));
  o.set_department_id(e.department_id());
  o.set_window_id(e.window_id());
  o.set_person_id(e.person_id());
  o.set_case_id(e.case_id());
  o.set_case_number(e.case_number());
  *o.mutable_at() = ToProto(at);
  v1::Measures& m = *o.mutable_measures();
  if (answered) m.set_return_visits(1);
  if (late) {
    m.set_rectifications_late(1);
    o.add_events("rectification_late");
    o.set_what("rectification:late");
  } else {
    m.set_rectifications_on_time(1);
    o.set_what("rectification:on_time");
  }
  return o;
}

events::v1::CaseEvent EvaluationEvent(const std::string& type, const common::v1::Actor& actor,
                                      absl::Time now, const v1::Evaluation& evaluation) {
  v1::EvaluationChanged payload;
  *payload.mutable_evaluation() = evaluation;
  payload.mutable_evaluation()->clear_counted();
  payload.mutable_evaluation()->clear_rectification_counted();
  return eventlog::NewEvent(type, evaluation.case_id(), actor, now, payload);
}

// Staff act for their own department's evaluations only.
absl::Status RequireOwnDepartment(const common::v1::Actor& actor, const v1::Evaluation& e) {
  if (actor.department_id() != e.department_id()) {
    return absl::PermissionDeniedError("a department answers only its own evaluations");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<absl::Time> Scoring::WorkingDaysAfter(absl::Time from, uint32_t amount) const {
  calendar::DeadlineRequest limit;
  limit.accepted_at = from;
  limit.limit.set_amount(amount);
  limit.limit.set_unit(common::v1::LIMIT_UNIT_WORKING_DAYS);
  limit.as_of = from;
  SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline due, calendar::ComputeDeadline(*calendar_, limit));
  return due.due;
}

absl::Status Scoring::StageEvaluation(Mutation& m, v1::Evaluation& e) {
  const absl::TimeZone zone = calendar_->time_zone();
  v1::Occurrence rating = RatingOccurrence(e, zone);
  v1::Occurrence rectification = RectificationOccurrence(e, m.now, zone);
  SUNLIGHT_RETURN_IF_ERROR(StageOccurrence(m, e.counted(), rating));
  SUNLIGHT_RETURN_IF_ERROR(StageOccurrence(m, e.rectification_counted(), rectification));
  *e.mutable_counted() = std::move(rating);
  *e.mutable_rectification_counted() = std::move(rectification);
  bool open = e.has_rectification() && e.rectification().state() == v1::RECTIFICATION_STATE_OPEN &&
              e.rectification_counted().source().empty();
  if (open) {
    m.batch.Put(store::kOpenRectifications, e.case_id(), "");
  } else {
    m.batch.Delete(store::kOpenRectifications, e.case_id());
  }
  m.batch.Put(store::kEvaluations, e.case_id(), e.SerializeAsString());
  return absl::OkStatus();
}

absl::StatusOr<v1::Evaluation> Scoring::RateCase(const v1::RateCaseRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.case_id(), "case_id", 128));
  SUNLIGHT_RETURN_IF_ERROR(RequireLevel(request.level(), "level"));
  for (const auto& [aspect, level] : request.aspects()) {
    if (Aspects().count(aspect) == 0) {
      return InvalidField("aspects", "efficiency, attitude, environment, openness or convenience");
    }
    SUNLIGHT_RETURN_IF_ERROR(RequireLevel(level, absl::StrCat("aspects.", aspect)));
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.comment(), "comment", 500, false));
  if (request.channel() != v1::EVALUATION_CHANNEL_ONLINE &&
      request.channel() != v1::EVALUATION_CHANNEL_DEVICE) {
    return InvalidField("channel", "EVALUATION_CHANNEL_ONLINE or EVALUATION_CHANNEL_DEVICE");
  }
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(
      auto record, storage::LoadProto<v1::CaseRecord>(*store_, store::kCases, request.case_id()));
  if (!record.has_value() || (!record->has_completed_at() && !record->has_refused_at())) {
    return absl::FailedPreconditionError(
        "the case is not completed or refused yet: a service is rated when it has ended");
  }
  if (request.channel() == v1::EVALUATION_CHANNEL_DEVICE &&
      !request.actor().department_id().empty() &&
      request.actor().department_id() != record->department_id()) {
    return absl::PermissionDeniedError("a rating device rates its own department's cases");
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto existing, storage::LoadProto<v1::Evaluation>(
                                               *store_, store::kEvaluations, request.case_id()));
  if (existing.has_value()) {
    return absl::AlreadyExistsError(absl::StrCat("case ", record->case_number(),
                                                 " is rated already: one evaluation per service"));
  }
  const absl::Time now = clock_->Now();
  SUNLIGHT_ASSIGN_OR_RETURN(v1::RuleSet rules, RuleSetFor(CurrentMonth()));
  VoiceLimits limits = LimitsOf(rules);
  absl::Time ended =
      FromProto(record->has_completed_at() ? record->completed_at() : record->refused_at());
  absl::Time closes = ended + absl::Hours(24) * limits.evaluation_window_days;
  if (now >= closes) {
    return absl::FailedPreconditionError(
        absl::StrCat("ratings of case ", record->case_number(), " closed at ",
                     absl::FormatTime(absl::RFC3339_sec, closes, calendar_->time_zone()), " (",
                     limits.evaluation_window_days, " days after it ended)"));
  }
  v1::Evaluation e;
  e.set_case_id(record->case_id());
  e.set_case_number(record->case_number());
  e.set_item_code(record->item_code());
  e.set_department_id(record->department_id());
  e.set_window_id(record->window_id());
  e.set_person_id(record->accepted_by());
  e.set_level(request.level());
  *e.mutable_aspects() = request.aspects();
  e.set_comment(request.comment());
  e.set_real_name(request.real_name());
  e.set_channel(request.channel());
  if (request.channel() == v1::EVALUATION_CHANNEL_DEVICE) e.set_device_id(request.actor().id());
  *e.mutable_rated_at() = ToProto(now);
  e.set_state(v1::EVALUATION_STATE_COUNTED);
  if (IsBad(request.level()) && request.real_name()) {
    v1::Rectification* r = e.mutable_rectification();
    r->set_state(v1::RECTIFICATION_STATE_OPEN);
    *r->mutable_opened_at() = ToProto(now);
    r->mutable_limit()->set_amount(limits.rectification_working_days);
    r->mutable_limit()->set_unit(common::v1::LIMIT_UNIT_WORKING_DAYS);
    SUNLIGHT_ASSIGN_OR_RETURN(absl::Time due,
                              WorkingDaysAfter(now, limits.rectification_working_days));
    *r->mutable_due_at() = ToProto(due);
  }
  Mutation m(store_, now);
  SUNLIGHT_RETURN_IF_ERROR(StageEvaluation(m, e));
  m.batch.Put(store::kEvaluationMonths,
              store::CaseMonthKey(MonthNumber(e.counted().day()), e.case_id()), "");
  m.events.push_back(EvaluationEvent("scoring.evaluation.rated", request.actor(), now, e));
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  metrics_.evaluations_rated.Increment();
  return e;
}

absl::StatusOr<v1::Evaluation> Scoring::GetEvaluation(
    const v1::GetEvaluationRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.case_id(), "case_id", 128));
  SUNLIGHT_ASSIGN_OR_RETURN(
      auto e, storage::LoadProto<v1::Evaluation>(*store_, store::kEvaluations, request.case_id()));
  if (!e.has_value()) return absl::NotFoundError("the case has no evaluation");
  return *std::move(e);
}

absl::StatusOr<v1::ListEvaluationsResponse> Scoring::ListEvaluations(
    const v1::ListEvaluationsRequest& request) const {
  int64_t month = 0;
  if (!request.month().empty()) {
    SUNLIGHT_ASSIGN_OR_RETURN(month, RequireMonth(request.month()));
  }
  size_t limit = request.page().page_size() == 0 ? 50 : std::min(request.page().page_size(), 500u);
  const std::string& after = request.page().page_token();
  auto keep = [&](const v1::Evaluation& e) {
    if (!request.department_id().empty() && e.department_id() != request.department_id())
      return false;
    if (!request.window_id().empty() && e.window_id() != request.window_id()) return false;
    if (!request.person_id().empty() && e.person_id() != request.person_id()) return false;
    if (request.rectification_open() && e.rectification().state() != v1::RECTIFICATION_STATE_OPEN)
      return false;
    if (request.review_pending() && e.state() != v1::EVALUATION_STATE_UNDER_REVIEW) return false;
    return true;
  };
  v1::ListEvaluationsResponse response;
  absl::Status failed;
  auto visit = [&](const std::string& case_id) {
    auto e = storage::LoadProto<v1::Evaluation>(*store_, store::kEvaluations, case_id);
    if (!e.ok()) {
      failed = e.status();
      return false;
    }
    if (!e->has_value() || !keep(**e)) return true;
    if (static_cast<size_t>(response.evaluations_size()) == limit) {
      response.set_next_page_token(response.evaluations().rbegin()->case_id());
      return false;
    }
    *response.add_evaluations() = **std::move(e);
    return true;
  };
  if (month != 0) {
    std::string prefix = store::CaseMonthPrefix(month);
    std::string from =
        after.empty() ? prefix : storage::PrefixSuccessor(store::CaseMonthKey(month, after));
    SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kEvaluationMonths, from,
                                          storage::PrefixSuccessor(prefix),
                                          [&](std::string_view key, std::string_view) {
                                            auto id = store::DecodeCaseMonthKey(key);
                                            return !id.has_value() || visit(*id);
                                          }));
  } else {
    std::string from = after.empty() ? "" : after + std::string(1, '\0');
    SUNLIGHT_RETURN_IF_ERROR(store_->Scan(
        store::kEvaluations, from, "",
        [&](std::string_view key, std::string_view) { return visit(std::string(key)); }));
  }
  SUNLIGHT_RETURN_IF_ERROR(failed);
  return response;
}

namespace {

// The stored evaluation of a case, loaded for a change.
absl::StatusOr<v1::Evaluation> LoadEvaluation(const storage::Store& store,
                                              const std::string& case_id) {
  SUNLIGHT_ASSIGN_OR_RETURN(
      auto e, storage::LoadProto<v1::Evaluation>(store, store::kEvaluations, case_id));
  if (!e.has_value()) return absl::NotFoundError("the case has no evaluation");
  return *std::move(e);
}

}  // namespace

absl::StatusOr<v1::Evaluation> Scoring::AnswerRectification(
    const v1::AnswerRectificationRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.case_id(), "case_id", 128));
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.return_visit(), "return_visit", 2000, true));
  SUNLIGHT_RETURN_IF_ERROR(
      RequireCharacters(request.measures_taken(), "measures_taken", 2000, true));
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Evaluation e, LoadEvaluation(*store_, request.case_id()));
  SUNLIGHT_RETURN_IF_ERROR(RequireOwnDepartment(request.actor(), e));
  if (e.rectification().state() != v1::RECTIFICATION_STATE_OPEN) {
    return absl::FailedPreconditionError(
        absl::StrCat("case ", e.case_number(), " has no open rectification"));
  }
  const absl::Time now = clock_->Now();
  v1::Rectification* r = e.mutable_rectification();
  r->set_state(v1::RECTIFICATION_STATE_ANSWERED);
  r->set_return_visit(request.return_visit());
  r->set_measures_taken(request.measures_taken());
  *r->mutable_answered_by() = request.actor();
  *r->mutable_answered_at() = ToProto(now);
  r->set_on_time(now < FromProto(r->due_at()));
  Mutation m(store_, now);
  SUNLIGHT_RETURN_IF_ERROR(StageEvaluation(m, e));
  m.events.push_back(EvaluationEvent("scoring.rectification.answered", request.actor(), now, e));
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  return e;
}

absl::StatusOr<v1::Evaluation> Scoring::RequestEvaluationReview(
    const v1::RequestEvaluationReviewRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.case_id(), "case_id", 128));
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.reasons(), "reasons", 2000, true));
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Evaluation e, LoadEvaluation(*store_, request.case_id()));
  SUNLIGHT_RETURN_IF_ERROR(RequireOwnDepartment(request.actor(), e));
  if (e.has_review()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the evaluation of case ", e.case_number(), " was put to review already"));
  }
  const absl::Time now = clock_->Now();
  e.set_state(v1::EVALUATION_STATE_UNDER_REVIEW);
  v1::EvaluationReview* review = e.mutable_review();
  review->set_reasons(request.reasons());
  *review->mutable_requested_by() = request.actor();
  *review->mutable_requested_at() = ToProto(now);
  Mutation m(store_, now);
  SUNLIGHT_RETURN_IF_ERROR(StageEvaluation(m, e));
  m.events.push_back(
      EvaluationEvent("scoring.evaluation.review_requested", request.actor(), now, e));
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  return e;
}

absl::StatusOr<v1::Evaluation> Scoring::DecideEvaluationReview(
    const v1::DecideEvaluationReviewRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.case_id(), "case_id", 128));
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.decision(), "decision", 2000, true));
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Evaluation e, LoadEvaluation(*store_, request.case_id()));
  if (e.state() != v1::EVALUATION_STATE_UNDER_REVIEW) {
    return absl::FailedPreconditionError(
        absl::StrCat("the evaluation of case ", e.case_number(), " is not under review"));
  }
  const absl::Time now = clock_->Now();
  v1::EvaluationReview* review = e.mutable_review();
  review->set_decided(true);
  review->set_upheld(request.uphold());
  review->set_decision(request.decision());
  *review->mutable_decided_by() = request.actor();
  *review->mutable_decided_at() = ToProto(now);
  e.set_state(request.uphold() ? v1::EVALUATION_STATE_EXCLUDED : v1::EVALUATION_STATE_COUNTED);
  if (request.uphold() && e.rectification().state() == v1::RECTIFICATION_STATE_OPEN) {
    e.mutable_rectification()->set_state(v1::RECTIFICATION_STATE_CANCELLED);
  }
  Mutation m(store_, now);
  SUNLIGHT_RETURN_IF_ERROR(StageEvaluation(m, e));
  m.events.push_back(EvaluationEvent("scoring.evaluation.review_decided", request.actor(), now, e));
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  return e;
}

absl::StatusOr<size_t> Scoring::MarkLateRectifications() {
  std::lock_guard lock(write_mu_);
  std::vector<std::string> open;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kOpenRectifications, "", "", [&](std::string_view key, std::string_view) {
        open.emplace_back(key);
        return true;
      }));
  const absl::Time now = clock_->Now();
  Mutation m(store_, now);
  size_t late = 0;
  for (const std::string& case_id : open) {
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Evaluation e, LoadEvaluation(*store_, case_id));
    if (now < FromProto(e.rectification().due_at())) continue;
    SUNLIGHT_RETURN_IF_ERROR(StageEvaluation(m, e));
    ++late;
  }
  if (late == 0) return late;
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  return late;
}

}  // namespace sunlight::scoring
