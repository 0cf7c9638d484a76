// Workflow routing: activating and finishing steps, joint-step groups, decisions, re-planning.
#include "sunlight/workflow/workflow.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/calendar/deadline.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "workflow_internal.h"

namespace sunlight::workflow {
namespace {

namespace iv1 = ::sunlight::intake::v1;

std::vector<calendar::PauseInterval> CasePauses(const v1::Process& process) {
  std::vector<calendar::PauseInterval> pauses =
      calendar::PausesFromProto(process.supplement_pauses());
  for (const auto& p : process.procedures()) {
    calendar::PauseInterval interval{FromProto(p.started_at()), std::nullopt,
                                     v1::ProcedureType_Name(p.type())};
    if (p.has_ended_at()) interval.end = FromProto(p.ended_at());
    pauses.push_back(std::move(interval));
  }
  return pauses;
}

}  // namespace

absl::Status Workflow::Replan(v1::Process& process, absl::Time now) const {
  std::vector<calendar::PauseInterval> pauses = CasePauses(process);
  common::v1::TimeLimit limit = process.promised_limit();
  for (const auto& extension : process.extensions()) {
    limit.set_amount(limit.amount() + extension.working_days());
  }
  calendar::DeadlineRequest request{.accepted_at = FromProto(process.accepted_at()),
                                    .limit = limit,
                                    .pauses = pauses,
                                    .as_of = now};
  SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline due, calendar::ComputeDeadline(*calendar_, request));
  *process.mutable_due() = ToProto(due.due);
  for (auto& step : *process.mutable_steps()) {
    if (!IsActive(step)) continue;
    calendar::DeadlineRequest step_request{.accepted_at = FromProto(step.started_at()),
                                           .limit = step.limit(),
                                           .pauses = pauses,
                                           .as_of = now};
    SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline step_due,
                              calendar::ComputeDeadline(*calendar_, step_request));
    *step.mutable_due() = ToProto(step_due.due);
  }
  return absl::OkStatus();
}

absl::Status Workflow::Activate(Change& change, int definition_index, uint32_t attempt) {
  v1::Process& process = change.process;
  const iv1::StepDefinition& definition = process.definitions(definition_index);
  int branches = definition.branches_size();
  for (int b = 0; b < std::max(branches, 1); ++b) {
    v1::Step step;
    step.set_step_id(absl::StrCat(process.case_id(), "/", process.steps_size() + 1));
    step.set_code(definition.code());
    step.set_kind(definition.kind());
    step.set_name(definition.name());
    step.set_definition_index(static_cast<uint32_t>(definition_index));
    step.set_attempt(attempt);
    step.set_state(v1::STEP_STATE_OPEN);
    *step.mutable_started_at() = ToProto(change.now());
    if (branches == 0) {
      step.set_department_id(definition.department_id());
      step.set_role(definition.role());
      *step.mutable_limit() = definition.limit();
    } else {
      const auto& branch = definition.branches(b);
      step.set_department_id(branch.department_id());
      step.set_role(branch.role());
      *step.mutable_limit() = branch.limit();
      step.set_branch_index(static_cast<uint32_t>(b));
      step.set_branch_count(static_cast<uint32_t>(branches));
      step.set_lead_branch(branch.lead());
      step.set_required_branch(branch.required());
    }
    *process.add_steps() = std::move(step);
  }
  SUNLIGHT_RETURN_IF_ERROR(Replan(process, change.now()));
  for (int i = process.steps_size() - std::max(branches, 1); i < process.steps_size(); ++i) {
    v1::StepActivated payload;
    *payload.mutable_step() = process.steps(i);
    change.Emit("workflow.step.activated", change.actor, payload);
  }
  return absl::OkStatus();
}

void Workflow::Cancel(Change& change, v1::Step& step, const google::protobuf::Timestamp& at) {
  step.set_state(v1::STEP_STATE_CANCELLED);
  *step.mutable_completed_at() = at;
  v1::StepCompleted payload;
  *payload.mutable_step() = step;
  change.Emit("workflow.step.cancelled", change.actor, payload);
}

absl::Status Workflow::Decide(Change& change, v1::Decision decision, const std::string& reasons) {
  v1::Process& process = change.process;
  if (process.decision() != v1::DECISION_UNSPECIFIED) return absl::OkStatus();
  process.set_decision(decision);
  process.set_decision_reasons(reasons);
  *process.mutable_decided_at() = ToProto(change.now());
  v1::CaseDecided payload;
  payload.set_decision(decision);
  payload.set_reasons(reasons);
  change.Emit("workflow.case.decided", change.actor, payload);
  return absl::OkStatus();
}

absl::Status Workflow::CompleteCase(Change& change) {
  v1::Process& process = change.process;
  if (process.state() != v1::PROCESS_STATE_IN_PROGRESS) return absl::OkStatus();
  SUNLIGHT_RETURN_IF_ERROR(Decide(change, v1::DECISION_APPROVED, ""));
  process.set_state(v1::PROCESS_STATE_COMPLETED);
  *process.mutable_completed_at() = ToProto(change.now());
  v1::CaseCompleted payload;
  payload.set_decision(process.decision());
  *payload.mutable_due() = process.due();
  change.Emit("workflow.case.completed", change.actor, payload);
  return absl::OkStatus();
}

// Called when no step of the group (definition, attempt) is active any more, or when the
// joint completion condition is met.
absl::Status Workflow::AfterGroupDone(Change& change, int definition_index, uint32_t attempt) {
  v1::Process& process = change.process;
  const auto& definition = process.definitions(definition_index);
  uint32_t passed = 0, active = 0;
  for (auto& step : *process.mutable_steps()) {
    if (static_cast<int>(step.definition_index()) != definition_index ||
        step.attempt() != attempt) {
      continue;
    }
    if (step.state() == v1::STEP_STATE_PASSED) ++passed;
    if (IsActive(step)) ++active;
  }
  uint32_t branches = static_cast<uint32_t>(std::max(definition.branches_size(), 1));
  uint32_t required =
      definition.branches_required() == 0 ? branches : definition.branches_required();
  if (passed < required) {
    if (passed + active >= required) return absl::OkStatus();  // still reachable: wait
    SUNLIGHT_RETURN_IF_ERROR(Decide(change, v1::DECISION_DENIED,
                                    absl::StrCat("joint step ", definition.code(), ": ", passed,
                                                 " of ", required, " required branches passed")));
  }
  // The group is decided: end any branch still running.
  for (auto& step : *process.mutable_steps()) {
    if (static_cast<int>(step.definition_index()) == definition_index &&
        step.attempt() == attempt && IsActive(step)) {
      Cancel(change, step, ToProto(change.now()));
    }
  }
  if (process.decision() == v1::DECISION_DENIED) return CompleteCase(change);
  if (definition_index + 1 < process.definitions_size()) {
    return Activate(change, definition_index + 1, 1);
  }
  return CompleteCase(change);
}

absl::Status Workflow::Finish(Change& change, v1::Step& step, v1::Opinion opinion,
                              const std::string& comment, const std::string& return_to,
                              const std::string& certificate_number) {
  v1::Process& process = change.process;
  int definition_index = static_cast<int>(step.definition_index());
  uint32_t attempt = step.attempt();
  step.set_opinion(opinion);
  step.set_comment(comment);
  *step.mutable_completed_at() = ToProto(change.now());
  *step.mutable_completed_by() = change.actor;
  switch (opinion) {
    case v1::OPINION_PASS:
      step.set_state(v1::STEP_STATE_PASSED);
      break;
    case v1::OPINION_DENY:
      step.set_state(v1::STEP_STATE_DENIED);
      break;
    case v1::OPINION_RETURN:
      step.set_state(v1::STEP_STATE_RETURNED);
      break;
    default:
      return InvalidField("opinion", "must be PASS, RETURN or DENY");
  }
  v1::StepCompleted completed;
  *completed.mutable_step() = step;
  const v1::Step finished = step;  // `step` may move when steps are added below
  change.Emit("workflow.step.completed", change.actor, completed);

  if (opinion == v1::OPINION_RETURN) {
    int target = -1;
    for (int i = 0; i < definition_index; ++i) {
      if (process.definitions(i).code() == return_to) target = i;
    }
    for (auto& other : *process.mutable_steps()) {
      if (IsActive(other)) Cancel(change, other, ToProto(change.now()));
    }
    uint32_t next_attempt = 1;
    for (const auto& s : process.steps()) {
      if (static_cast<int>(s.definition_index()) == target) {
        next_attempt = std::max(next_attempt, s.attempt() + 1);
      }
    }
    return Activate(change, target, next_attempt);
  }

  if (opinion == v1::OPINION_DENY) {
    if (finished.branch_count() > 0 && !finished.required_branch()) {
      return AfterGroupDone(change, definition_index, attempt);
    }
    SUNLIGHT_RETURN_IF_ERROR(Decide(change, v1::DECISION_DENIED, comment));
    for (auto& other : *process.mutable_steps()) {
      if (IsActive(other)) Cancel(change, other, ToProto(change.now()));
    }
    return CompleteCase(change);
  }

  // PASS: what the step kind means for the case.
  switch (finished.kind()) {
    case iv1::STEP_KIND_APPROVE:
      SUNLIGHT_RETURN_IF_ERROR(Decide(change, v1::DECISION_APPROVED, comment));
      break;
    case iv1::STEP_KIND_COMPLETE:
      SUNLIGHT_RETURN_IF_ERROR(CompleteCase(change));
      break;
    case iv1::STEP_KIND_ISSUE_CERTIFICATE: {
      SUNLIGHT_RETURN_IF_ERROR(CompleteCase(change));
      process.set_certificate_number(certificate_number);
      *process.mutable_certificate_issued_at() = ToProto(change.now());
      process.set_state(v1::PROCESS_STATE_CERTIFICATE_ISSUED);
      v1::CertificateIssued payload;
      payload.set_certificate_number(certificate_number);
      change.Emit("workflow.certificate.issued", change.actor, payload);
      break;
    }
    default:
      break;
  }
  if (process.state() == v1::PROCESS_STATE_CERTIFICATE_ISSUED) return absl::OkStatus();
  return AfterGroupDone(change, definition_index, attempt);
}

}  // namespace sunlight::workflow
