// Ingestion: the intake and workflow streams turned into case facts and clocks; the scoring
// stream's appeals, rectifications and complaints turned into clocks.
#include "supervision_anomaly_rules.h"
#include "supervision_internal.h"

#include "sunlight/base/request_validation.h"
#include "sunlight/eventlog/cursor.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/scoring/v1/scoring.pb.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::supervision {

namespace iv1 = ::sunlight::intake::v1;
namespace wv1 = ::sunlight::workflow::v1;

absl::Status Supervision::ApplyEvents(const std::string& stream,
                                      const std::vector<CaseEvent>& events) {
  if (stream != kIntakeStream && stream != kWorkflowStream && stream != kScoringStream) {
    return InvalidField("stream", absl::StrCat("unknown stream ", stream));
  }
  if (events.empty()) return absl::OkStatus();
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(uint64_t cursor, Cursor(stream));
  Mutation m(this, clock_->Now());
  uint64_t last = cursor;
  for (const CaseEvent& event : events) {
    // Intake and workflow events are each of a case; a scoring event may be of none (a
    // complaint against a department).
    if (event.sequence() <= cursor || (stream != kScoringStream && event.case_id().empty())) {
      last = std::max(last, event.sequence());
      continue;
    }
    SUNLIGHT_RETURN_IF_ERROR(stream == kIntakeStream     ? ApplyIntake(m, event)
                             : stream == kWorkflowStream ? ApplyWorkflow(m, event)
                                                         : ApplyScoring(m, event));
    last = std::max(last, event.sequence());
  }
  if (last > cursor) eventlog::PutCursor(m.batch, stream, last);
  SUNLIGHT_RETURN_IF_ERROR(Commit(m));
  metrics_.events_applied.Increment(static_cast<double>(last - cursor));
  return absl::OkStatus();
}

namespace {

// Facts of acceptance, from whichever stream tells first (both carry the same values).
void SetAcceptance(v1::CaseFacts& facts, const google::protobuf::Timestamp& accepted_at,
                   const iv1::ItemDefinition* item, const common::v1::TimeLimit& promised,
                   const common::v1::TimeLimit& statutory, uint32_t margin,
                   const std::string& department, const std::string& case_number) {
  if (facts.has_accepted_at()) return;
  *facts.mutable_accepted_at() = accepted_at;
  *facts.mutable_promised_limit() = promised;
  *facts.mutable_statutory_limit() = statutory;
  facts.set_warning_margin_working_days(margin);
  facts.set_department_id(department);
  if (!case_number.empty()) facts.set_case_number(case_number);
  if (item != nullptr) facts.set_item_code(item->item_code());
}

}  // namespace

absl::Status Supervision::EnsureCaseClock(Mutation& m, const v1::CaseFacts& facts) {
  if (!facts.has_accepted_at()) return absl::OkStatus();
  std::string id = absl::StrCat("case/", facts.case_id());
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * existing, m.GetClock(id));
  if (existing != nullptr) return absl::OkStatus();
  v1::Clock* clock = m.NewClock(id);
  clock->set_kind(v1::CLOCK_KIND_CASE);
  clock->set_case_id(facts.case_id());
  clock->set_case_number(facts.case_number());
  clock->set_department_id(facts.department_id());
  clock->set_item_code(facts.item_code());
  *clock->mutable_started_at() = facts.accepted_at();
  *clock->mutable_limit() = facts.promised_limit();
  *clock->mutable_statutory_limit() = facts.statutory_limit();
  clock->set_warning_margin_working_days(facts.warning_margin_working_days());
  return absl::OkStatus();
}

absl::Status Supervision::ApplyIntake(Mutation& m, const CaseEvent& event) {
  const std::string& type = event.type();
  const std::string& case_id = event.case_id();
  SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseFacts * facts, m.Facts(case_id));
  absl::Time at = FromProto(event.occurred_at());
  if (type == "intake.case.submitted") {
    iv1::CaseSubmitted submitted;
    if (!event.payload().UnpackTo(&submitted)) return absl::DataLossError("bad payload");
    *facts->mutable_submitted_at() = submitted.case_().submitted_at();
    facts->set_case_number(submitted.case_().case_number());
    if (facts->department_id().empty()) facts->set_department_id(submitted.case_().department_id());
    facts->set_item_code(submitted.case_().item_code());
    return absl::OkStatus();
  }
  if (type == "intake.case.accepted") {
    iv1::CaseAccepted accepted;
    if (!event.payload().UnpackTo(&accepted)) return absl::DataLossError("bad payload");
    const auto& item = accepted.item().definition();
    SetAcceptance(*facts, accepted.receipt().accepted_at(), &item, item.promised_limit(),
                  item.statutory_limit(), item.warning_margin_working_days(),
                  accepted.department_id(), accepted.case_number());
    if (auto a = LongGapBeforeAcceptance(*facts, FromProto(accepted.receipt().accepted_at()),
                                         m.rules.long_gap_hours())) {
      RaiseAnomaly(m, *facts, *a, at);
    }
  } else if (type == "intake.case.supplement_requested") {
    iv1::SupplementRequested requested;
    if (!event.payload().UnpackTo(&requested)) return absl::DataLossError("bad payload");
    if (auto a = SupplementRequested(requested, event.case_version())) {
      RaiseAnomaly(m, *facts, *a, at);
    }
    if (requested.clock_paused()) {
      calendar::v1::Pause pause;
      *pause.mutable_start() = event.occurred_at();
      pause.set_reason("supplement");
      (*facts->mutable_supplement_pauses())[event.case_version()] = pause;
    }
  } else if (type == "intake.case.supplement_received") {
    // Close the latest open supplement pause.
    uint64_t latest = 0;
    for (const auto& [key, pause] : facts->supplement_pauses()) {
      if (!pause.has_end()) latest = std::max(latest, key);
    }
    if (latest > 0) {
      *(*facts->mutable_supplement_pauses())[latest].mutable_end() = event.occurred_at();
    }
  } else if (type == "intake.case.refused") {
    iv1::CaseRefused refused;
    (void)event.payload().UnpackTo(&refused);
    if (auto a = Refusal(refused)) RaiseAnomaly(m, *facts, *a, at);
    return absl::OkStatus();
  } else if (type == "intake.case.withdrawn") {
    // Every clock of the case stops at the withdrawal, also clocks that the workflow stream
    // has not announced yet (ReplanCase applies it to each).
    if (!facts->has_withdrawn_at()) *facts->mutable_withdrawn_at() = event.occurred_at();
  } else {
    return absl::OkStatus();
  }
  SUNLIGHT_RETURN_IF_ERROR(EnsureCaseClock(m, *facts));
  return ReplanCase(m, case_id);
}

absl::Status Supervision::ApplyWorkflow(Mutation& m, const CaseEvent& event) {
  const std::string& type = event.type();
  const std::string& case_id = event.case_id();
  SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseFacts * facts, m.Facts(case_id));
  absl::Time at = FromProto(event.occurred_at());
  if (type == "workflow.process.started") {
    wv1::ProcessStarted started;
    if (!event.payload().UnpackTo(&started)) return absl::DataLossError("bad payload");
    const auto& p = started.process();
    SetAcceptance(*facts, p.accepted_at(), nullptr, p.promised_limit(), p.statutory_limit(),
                  p.warning_margin_working_days(), p.department_id(), p.case_number());
    if (facts->item_code().empty()) facts->set_item_code(p.item_code());
    facts->clear_definition_kinds();
    for (const auto& d : p.definitions()) facts->add_definition_kinds(d.kind());
    SUNLIGHT_RETURN_IF_ERROR(EnsureCaseClock(m, *facts));
  } else if (type == "workflow.step.activated") {
    wv1::StepActivated activated;
    if (!event.payload().UnpackTo(&activated)) return absl::DataLossError("bad payload");
    const auto& step = activated.step();
    std::string id = absl::StrCat("step/", step.step_id());
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * existing, m.GetClock(id));
    if (existing == nullptr) {
      v1::Clock* clock = m.NewClock(id);
      clock->set_kind(v1::CLOCK_KIND_STEP);
      clock->set_case_id(case_id);
      clock->set_case_number(facts->case_number());
      clock->set_department_id(step.department_id());
      clock->set_responsible_person(step.assignee());
      clock->set_item_code(facts->item_code());
      *clock->mutable_started_at() = step.started_at();
      *clock->mutable_limit() = step.limit();
      clock->set_warning_margin_working_days(1);
    }
  } else if (type == "workflow.step.claimed" || type == "workflow.step.transferred") {
    std::string step_id, person, department;
    if (type == "workflow.step.claimed") {
      wv1::StepClaimed claimed;
      if (!event.payload().UnpackTo(&claimed)) return absl::DataLossError("bad payload");
      step_id = claimed.step_id();
      person = claimed.assignee();
    } else {
      wv1::StepTransferred transferred;
      if (!event.payload().UnpackTo(&transferred)) return absl::DataLossError("bad payload");
      step_id = transferred.step_id();
      person = transferred.transfer().to_assignee();
      department = transferred.transfer().to_department_id();
    }
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(absl::StrCat("step/", step_id)));
    if (clock != nullptr) {
      clock->set_responsible_person(person);
      if (!department.empty()) clock->set_department_id(department);
    }
    return absl::OkStatus();
  } else if (type == "workflow.step.completed" || type == "workflow.step.cancelled") {
    wv1::StepCompleted completed;
    if (!event.payload().UnpackTo(&completed)) return absl::DataLossError("bad payload");
    const auto& step = completed.step();
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(absl::StrCat("step/", step.step_id())));
    if (clock != nullptr && !Finished(*clock)) {
      *clock->mutable_finished_at() = step.completed_at();
      if (!step.assignee().empty()) clock->set_responsible_person(step.assignee());
    }
    if (step.state() == wv1::STEP_STATE_PASSED) {
      uint32_t index = step.definition_index();
      if (auto a = StepsOutOfOrder(*facts, step)) RaiseAnomaly(m, *facts, *a, at);
      if (std::find(facts->passed_definitions().begin(), facts->passed_definitions().end(),
                    index) == facts->passed_definitions().end()) {
        facts->add_passed_definitions(index);
      }
    }
  } else if (type == "workflow.procedure.started") {
    wv1::ProcedureStarted started;
    if (!event.payload().UnpackTo(&started)) return absl::DataLossError("bad payload");
    const auto& procedure = started.procedure();
    calendar::v1::Pause pause;
    *pause.mutable_start() = procedure.started_at();
    pause.set_reason(wv1::ProcedureType_Name(procedure.type()));
    (*facts->mutable_procedure_pauses())[procedure.procedure_id()] = pause;
    facts->set_procedures_started(facts->procedures_started() + 1);
    if (auto a = RepeatedProcedures(*facts, m.rules.repeated_procedures())) {
      RaiseAnomaly(m, *facts, *a, at);
    }
    std::string id = absl::StrCat("procedure/", procedure.procedure_id());
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * existing, m.GetClock(id));
    if (existing == nullptr) {
      v1::Clock* clock = m.NewClock(id);
      clock->set_kind(v1::CLOCK_KIND_PROCEDURE);
      clock->set_case_id(case_id);
      clock->set_case_number(facts->case_number());
      clock->set_department_id(facts->department_id());
      clock->set_responsible_person(procedure.started_by().id());
      *clock->mutable_started_at() = procedure.started_at();
      *clock->mutable_limit() = procedure.limit();
      clock->set_warning_margin_working_days(1);
    }
  } else if (type == "workflow.procedure.ended") {
    wv1::ProcedureEnded ended;
    if (!event.payload().UnpackTo(&ended)) return absl::DataLossError("bad payload");
    const auto& procedure = ended.procedure();
    auto& pause = (*facts->mutable_procedure_pauses())[procedure.procedure_id()];
    if (!pause.has_start()) *pause.mutable_start() = procedure.started_at();
    *pause.mutable_end() = procedure.ended_at();
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock,
                              m.GetClock(absl::StrCat("procedure/", procedure.procedure_id())));
    if (clock != nullptr && !Finished(*clock)) {
      *clock->mutable_finished_at() = procedure.ended_at();
    }
  } else if (type == "workflow.extension.approved") {
    wv1::ExtensionApproved approved;
    if (!event.payload().UnpackTo(&approved)) return absl::DataLossError("bad payload");
    (*facts->mutable_extensions())[event.case_version()] = approved.extension().working_days();
  } else if (type == "workflow.case.decided") {
    wv1::CaseDecided decided;
    if (!event.payload().UnpackTo(&decided)) return absl::DataLossError("bad payload");
    if (auto a = Denial(decided)) RaiseAnomaly(m, *facts, *a, at);
    return absl::OkStatus();
  } else if (type == "workflow.case.completed") {
    wv1::CaseCompleted completed;
    if (!event.payload().UnpackTo(&completed)) return absl::DataLossError("bad payload");
    if (!facts->has_finished_at()) *facts->mutable_finished_at() = event.occurred_at();
    if (auto a = CompletedWithStepsMissing(*facts, completed)) RaiseAnomaly(m, *facts, *a, at);
  } else {
    return absl::OkStatus();
  }
  return ReplanCase(m, case_id);
}

absl::Status Supervision::ApplyScoring(Mutation& m, const CaseEvent& event) {
  const std::string& type = event.type();
  if (type == "scoring.appeal.filed" || type == "scoring.appeal.decided") {
    return ApplyAppeal(m, event);
  }
  if (type == "scoring.evaluation.rated" || type == "scoring.evaluation.review_requested" ||
      type == "scoring.evaluation.review_decided" || type == "scoring.rectification.answered") {
    return ApplyEvaluation(m, event);
  }
  if (type == "scoring.complaint.filed" || type == "scoring.complaint.accepted" ||
      type == "scoring.complaint.not_accepted" || type == "scoring.complaint.responded" ||
      type == "scoring.complaint.concluded") {
    return ApplyComplaint(m, event);
  }
  return absl::OkStatus();
}

// An appeal against a score deduction: the supervision office's decision is due within the
// rule set's working days of its filing; the decision finishes the clock.
absl::Status Supervision::ApplyAppeal(Mutation& m, const CaseEvent& event) {
  scoring::v1::AppealChanged changed;
  if (!event.payload().UnpackTo(&changed)) return absl::DataLossError("bad payload");
  const scoring::v1::Appeal& appeal = changed.appeal();
  if (appeal.appeal_id().empty()) return absl::OkStatus();
  std::string id = absl::StrCat("appeal/", appeal.appeal_id());
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(id));
  if (clock == nullptr) {
    uint32_t days = m.rules.appeal_decision_working_days();
    clock = m.NewClock(id);
    clock->set_kind(v1::CLOCK_KIND_APPEAL);
    clock->set_case_id(event.case_id());
    if (!event.case_id().empty()) {  // no facts are kept for no case
      SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseFacts * facts, m.Facts(event.case_id()));
      clock->set_case_number(facts->case_number());
    }
    clock->set_department_id(appeal.department_id());
    *clock->mutable_started_at() = appeal.filed_at();
    clock->mutable_limit()->set_amount(days == 0 ? 5 : days);
    clock->mutable_limit()->set_unit(common::v1::LIMIT_UNIT_WORKING_DAYS);
    clock->set_warning_margin_working_days(1);
  }
  if (appeal.has_decided_at() && !Finished(*clock)) {
    *clock->mutable_finished_at() = appeal.decided_at();
  }
  return Plan(m, *clock);
}

// The clock `id` of one limit of the scoring stream (rectification, complaint acceptance or
// handling), created from its start and limit when absent. Its department follows the
// payload once it names one (a complaint may be routed to one on acceptance).
absl::StatusOr<v1::Clock*> Supervision::ScoringClock(Mutation& m, const std::string& id,
                                                     v1::ClockKind kind, const std::string& case_id,
                                                     const google::protobuf::Timestamp& started_at,
                                                     const common::v1::TimeLimit& limit) {
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(id));
  if (clock != nullptr) return clock;
  clock = m.NewClock(id);
  clock->set_kind(kind);
  // Fixed at creation: the case index entry is written once (Commit).
  clock->set_case_id(case_id);
  *clock->mutable_started_at() = started_at;
  *clock->mutable_limit() = limit;
  clock->set_warning_margin_working_days(1);
  return clock;
}

// A bad rating with a real name has a rectification due within its limit (working days from
// its opening): answering it finishes the clock, and so does excluding the rating on review
// (cancelled, at that event). The clock is the case's but none of the case's facts apply to
// it (ReplanCase leaves it alone).
absl::Status Supervision::ApplyEvaluation(Mutation& m, const CaseEvent& event) {
  scoring::v1::EvaluationChanged changed;
  if (!event.payload().UnpackTo(&changed)) return absl::DataLossError("bad payload");
  const scoring::v1::Evaluation& evaluation = changed.evaluation();
  const std::string& case_id =
      evaluation.case_id().empty() ? event.case_id() : evaluation.case_id();
  if (!evaluation.has_rectification() || case_id.empty()) return absl::OkStatus();
  const scoring::v1::Rectification& rectification = evaluation.rectification();
  if (!rectification.has_opened_at()) return absl::OkStatus();
  SUNLIGHT_ASSIGN_OR_RETURN(
      v1::Clock * clock,
      ScoringClock(m, absl::StrCat("rectification/", case_id), v1::CLOCK_KIND_RECTIFICATION,
                   case_id, rectification.opened_at(), rectification.limit()));
  if (!evaluation.case_number().empty()) clock->set_case_number(evaluation.case_number());
  if (!evaluation.item_code().empty()) clock->set_item_code(evaluation.item_code());
  if (!evaluation.department_id().empty()) clock->set_department_id(evaluation.department_id());
  clock->set_subject_ref(absl::StrCat(
      "rectification of ", clock->case_number().empty() ? case_id : clock->case_number()));
  if (!Finished(*clock)) {
    if (rectification.state() == scoring::v1::RECTIFICATION_STATE_ANSWERED) {
      *clock->mutable_finished_at() =
          rectification.has_answered_at() ? rectification.answered_at() : event.occurred_at();
    } else if (rectification.state() == scoring::v1::RECTIFICATION_STATE_CANCELLED) {
      *clock->mutable_finished_at() = event.occurred_at();
    }
  }
  return Plan(m, *clock);
}

// A complaint has two limits in turn: the acceptance decision, from its filing; and, once
// accepted, its handling, from that decision to its conclusion. It may be of no case (the
// clocks then have none); when it is of one, the clocks are the case's but none of the case's
// facts apply to them (ReplanCase leaves them alone; they run on after a withdrawal).
absl::Status Supervision::ApplyComplaint(Mutation& m, const CaseEvent& event) {
  scoring::v1::ComplaintChanged changed;
  if (!event.payload().UnpackTo(&changed)) return absl::DataLossError("bad payload");
  const scoring::v1::Complaint& complaint = changed.complaint();
  if (complaint.complaint_id().empty() || !complaint.has_filed_at()) return absl::OkStatus();
  auto describe = [&](v1::Clock& clock) {
    if (!complaint.case_number().empty()) clock.set_case_number(complaint.case_number());
    if (!complaint.department_id().empty()) clock.set_department_id(complaint.department_id());
    clock.set_subject_ref(absl::StrCat("complaint ", complaint.complaint_number().empty()
                                                         ? complaint.complaint_id()
                                                         : complaint.complaint_number()));
  };
  using scoring::v1::COMPLAINT_STATE_ACCEPTED;
  using scoring::v1::COMPLAINT_STATE_CONCLUDED;
  using scoring::v1::COMPLAINT_STATE_FILED;
  const bool decided = complaint.state() != COMPLAINT_STATE_FILED &&
                       complaint.state() != scoring::v1::COMPLAINT_STATE_UNSPECIFIED;
  const google::protobuf::Timestamp& decided_at = complaint.has_acceptance_decided_at()
                                                      ? complaint.acceptance_decided_at()
                                                      : event.occurred_at();
  SUNLIGHT_ASSIGN_OR_RETURN(
      v1::Clock * acceptance,
      ScoringClock(m, absl::StrCat("complaint-acceptance/", complaint.complaint_id()),
                   v1::CLOCK_KIND_COMPLAINT_ACCEPTANCE, complaint.case_id(), complaint.filed_at(),
                   complaint.acceptance_limit()));
  describe(*acceptance);
  if (decided && !Finished(*acceptance)) *acceptance->mutable_finished_at() = decided_at;
  SUNLIGHT_RETURN_IF_ERROR(Plan(m, *acceptance));
  if (complaint.state() != COMPLAINT_STATE_ACCEPTED &&
      complaint.state() != COMPLAINT_STATE_CONCLUDED) {
    return absl::OkStatus();
  }
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * handling,
                            ScoringClock(m, absl::StrCat("complaint/", complaint.complaint_id()),
                                         v1::CLOCK_KIND_COMPLAINT, complaint.case_id(), decided_at,
                                         complaint.handling_limit()));
  describe(*handling);
  if (complaint.state() == COMPLAINT_STATE_CONCLUDED && !Finished(*handling)) {
    *handling->mutable_finished_at() =
        complaint.has_concluded_at() ? complaint.concluded_at() : event.occurred_at();
  }
  return Plan(m, *handling);
}

}  // namespace sunlight::supervision
