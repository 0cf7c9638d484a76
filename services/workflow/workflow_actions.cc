// Workflow actions: claim, complete, transfer, special procedures, extensions, external steps.
#include "sunlight/workflow/workflow.h"

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/calendar/deadline.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "workflow_internal.h"

namespace sunlight::workflow {
namespace {

// Special procedures and extensions stop or lengthen the whole case's clock: the lead
// department's approver or leader decides them, not a joint branch nor a handler.
absl::Status RequireLeadDecider(const common::v1::Actor& actor, const v1::Process& process) {
  if (actor.department_id() != process.department_id() ||
      (actor.role() != auth::kApprover && actor.role() != auth::kLeader)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "only an approver or leader of the lead department ", process.department_id(),
        " may do this; ", actor.id(), " acts as ", actor.role(), " of ", actor.department_id()));
  }
  return absl::OkStatus();
}

using common::v1::Actor;
namespace iv1 = ::sunlight::intake::v1;

// Administrative Licensing Law art. 42: extendable by 10 working days; joint items by 15.
constexpr uint32_t kMaxExtension = 10;
constexpr uint32_t kMaxJointExtension = 15;

std::string CaseIdOfStep(const std::string& step_id) {
  return step_id.substr(0, step_id.find('/'));
}

absl::StatusOr<v1::Step*> FindStep(v1::Process& process, const std::string& step_id) {
  for (auto& step : *process.mutable_steps()) {
    if (step.step_id() == step_id) return &step;
  }
  return absl::NotFoundError(absl::StrCat("step ", step_id, " not found"));
}

absl::Status RequireActive(const v1::Step& step) {
  if (!IsActive(step)) {
    return absl::FailedPreconditionError(
        absl::StrCat("step ", step.step_id(), " is in state ", v1::StepState_Name(step.state())));
  }
  return absl::OkStatus();
}

absl::Status RequireRole(const v1::Step& step, const Actor& actor) {
  if (actor.role() != step.role() || actor.department_id() != step.department_id()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "step ", step.step_id(), " is for role ", step.role(), " of department ",
        step.department_id(), "; actor ", actor.id(), " acts as ", actor.role(), " of ",
        actor.department_id().empty() ? "no department" : actor.department_id()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Process> Workflow::ClaimStep(const v1::ClaimStepRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.step_id(), "step_id"));
  std::string case_id = CaseIdOfStep(request.step_id());
  std::lock_guard lock(CaseLock(case_id));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Process process, LoadOpenProcess(case_id, /*step_action=*/true));
  Change change(process, clock_->Now());
  change.actor = request.actor();
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Step * step, FindStep(change.process, request.step_id()));
  SUNLIGHT_RETURN_IF_ERROR(RequireActive(*step));
  SUNLIGHT_RETURN_IF_ERROR(RequireRole(*step, request.actor()));
  if (step->state() == v1::STEP_STATE_CLAIMED) {
    if (step->assignee() == request.actor().id()) return change.process;  // a retried claim
    return absl::FailedPreconditionError(
        absl::StrCat("step ", step->step_id(), " is already claimed by ", step->assignee()));
  }
  step->set_state(v1::STEP_STATE_CLAIMED);
  step->set_assignee(request.actor().id());
  v1::StepClaimed payload;
  payload.set_step_id(step->step_id());
  payload.set_assignee(request.actor().id());
  change.Emit("workflow.step.claimed", change.actor, payload);
  SUNLIGHT_RETURN_IF_ERROR(Commit(change));
  return change.process;
}

absl::StatusOr<v1::Process> Workflow::CompleteStep(const v1::CompleteStepRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.step_id(), "step_id"));
  if (request.opinion() == v1::OPINION_UNSPECIFIED || !v1::Opinion_IsValid(request.opinion())) {
    return InvalidField("opinion", "must be PASS, RETURN or DENY");
  }
  if (request.comment().size() > kMaxTextLength) return InvalidField("comment", "too long");
  if (request.opinion() == v1::OPINION_DENY) {
    SUNLIGHT_RETURN_IF_ERROR(RequireText(request.comment(), "comment"));
  }
  if (request.opinion() == v1::OPINION_RETURN) {
    SUNLIGHT_RETURN_IF_ERROR(RequireText(request.return_to_step_code(), "return_to_step_code"));
  }
  std::string case_id = CaseIdOfStep(request.step_id());
  std::lock_guard lock(CaseLock(case_id));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Process process, LoadOpenProcess(case_id, /*step_action=*/true));
  Change change(process, clock_->Now());
  change.actor = request.actor();
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Step * step, FindStep(change.process, request.step_id()));
  SUNLIGHT_RETURN_IF_ERROR(RequireActive(*step));
  SUNLIGHT_RETURN_IF_ERROR(RequireRole(*step, request.actor()));
  if (step->state() == v1::STEP_STATE_CLAIMED && step->assignee() != request.actor().id()) {
    return absl::FailedPreconditionError(
        absl::StrCat("step ", step->step_id(), " is claimed by ", step->assignee()));
  }
  if (request.opinion() == v1::OPINION_RETURN) {
    bool earlier = false;
    for (uint32_t i = 0; i < step->definition_index(); ++i) {
      earlier |=
          change.process.definitions(static_cast<int>(i)).code() == request.return_to_step_code();
    }
    if (!earlier) {
      return InvalidField("return_to_step_code",
                          absl::StrCat("no earlier step ", request.return_to_step_code()));
    }
  }
  if (request.opinion() == v1::OPINION_PASS && step->kind() == iv1::STEP_KIND_ISSUE_CERTIFICATE) {
    SUNLIGHT_RETURN_IF_ERROR(RequireText(request.certificate_number(), "certificate_number"));
  }
  if (step->state() == v1::STEP_STATE_OPEN) step->set_assignee(request.actor().id());
  SUNLIGHT_RETURN_IF_ERROR(Finish(change, *step, request.opinion(), request.comment(),
                                  request.return_to_step_code(), request.certificate_number()));
  SUNLIGHT_RETURN_IF_ERROR(Commit(change));
  metrics_.steps_completed.Increment();
  return change.process;
}

absl::StatusOr<v1::Process> Workflow::TransferStep(const v1::TransferStepRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.step_id(), "step_id"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.reason(), "reason"));
  if (request.to_department_id().empty() && request.to_assignee().empty()) {
    return InvalidField("to_assignee", "name a person or a department to transfer to");
  }
  std::string case_id = CaseIdOfStep(request.step_id());
  std::lock_guard lock(CaseLock(case_id));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Process process, LoadOpenProcess(case_id, /*step_action=*/true));
  Change change(process, clock_->Now());
  change.actor = request.actor();
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Step * step, FindStep(change.process, request.step_id()));
  SUNLIGHT_RETURN_IF_ERROR(RequireActive(*step));
  SUNLIGHT_RETURN_IF_ERROR(RequireRole(*step, request.actor()));
  v1::Transfer transfer;
  *transfer.mutable_by() = request.actor();
  *transfer.mutable_at() = ToProto(change.now());
  transfer.set_from_department_id(step->department_id());
  transfer.set_to_department_id(request.to_department_id().empty() ? step->department_id()
                                                                   : request.to_department_id());
  transfer.set_from_assignee(step->assignee());
  transfer.set_to_assignee(request.to_assignee());
  transfer.set_reason(request.reason());
  step->set_department_id(transfer.to_department_id());
  step->set_assignee(request.to_assignee());
  step->set_state(request.to_assignee().empty() ? v1::STEP_STATE_OPEN : v1::STEP_STATE_CLAIMED);
  *step->add_transfers() = transfer;
  v1::StepTransferred payload;
  payload.set_step_id(step->step_id());
  *payload.mutable_transfer() = transfer;
  change.Emit("workflow.step.transferred", change.actor, payload);
  SUNLIGHT_RETURN_IF_ERROR(Commit(change));
  return change.process;
}

absl::StatusOr<v1::Process> Workflow::StartSpecialProcedure(
    const v1::StartSpecialProcedureRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  if (request.type() == v1::PROCEDURE_TYPE_UNSPECIFIED ||
      !v1::ProcedureType_IsValid(request.type())) {
    return InvalidField("type", "must name a special procedure");
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.reason(), "reason"));
  SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(request.limit(), "limit"));
  std::lock_guard lock(CaseLock(request.case_id()));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Process process, LoadOpenProcess(request.case_id()));
  SUNLIGHT_RETURN_IF_ERROR(RequireLeadDecider(request.actor(), process));
  Change change(process, clock_->Now());
  change.actor = request.actor();
  v1::SpecialProcedure procedure;
  procedure.set_procedure_id(
      absl::StrCat(request.case_id(), "/p", change.process.procedures_size() + 1));
  procedure.set_type(request.type());
  procedure.set_reason(request.reason());
  *procedure.mutable_limit() = request.limit();
  *procedure.mutable_started_at() = ToProto(change.now());
  *procedure.mutable_started_by() = request.actor();
  calendar::DeadlineRequest own{
      .accepted_at = change.now(), .limit = request.limit(), .pauses = {}, .as_of = change.now()};
  SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline due, calendar::ComputeDeadline(*calendar_, own));
  *procedure.mutable_due() = ToProto(due.due);
  *change.process.add_procedures() = procedure;
  SUNLIGHT_RETURN_IF_ERROR(Replan(change.process, change.now()));
  v1::ProcedureStarted payload;
  *payload.mutable_procedure() = procedure;
  change.Emit("workflow.procedure.started", change.actor, payload);
  SUNLIGHT_RETURN_IF_ERROR(Commit(change));
  return change.process;
}

absl::StatusOr<v1::Process> Workflow::EndSpecialProcedure(
    const v1::EndSpecialProcedureRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.procedure_id(), "procedure_id"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.outcome(), "outcome"));
  std::string case_id = CaseIdOfStep(request.procedure_id());
  std::lock_guard lock(CaseLock(case_id));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Process process, LoadOpenProcess(case_id));
  SUNLIGHT_RETURN_IF_ERROR(RequireLeadDecider(request.actor(), process));
  Change change(process, clock_->Now());
  change.actor = request.actor();
  v1::SpecialProcedure* procedure = nullptr;
  for (auto& p : *change.process.mutable_procedures()) {
    if (p.procedure_id() == request.procedure_id()) procedure = &p;
  }
  if (procedure == nullptr) {
    return absl::NotFoundError(absl::StrCat("procedure ", request.procedure_id(), " not found"));
  }
  if (procedure->has_ended_at()) {
    return absl::FailedPreconditionError(
        absl::StrCat("procedure ", request.procedure_id(), " already ended"));
  }
  *procedure->mutable_ended_at() = ToProto(change.now());
  *procedure->mutable_ended_by() = request.actor();
  procedure->set_outcome(request.outcome());
  v1::ProcedureEnded payload;
  *payload.mutable_procedure() = *procedure;
  return CommitReplanned(change, "workflow.procedure.ended", std::move(payload));
}

absl::StatusOr<v1::Process> Workflow::ApproveExtension(const v1::ApproveExtensionRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.reason(), "reason"));
  if (request.working_days() == 0) return InvalidField("working_days", "must be at least 1");
  std::lock_guard lock(CaseLock(request.case_id()));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Process process, LoadOpenProcess(request.case_id()));
  SUNLIGHT_RETURN_IF_ERROR(RequireLeadDecider(request.actor(), process));
  bool joint = false;
  for (const auto& d : process.definitions()) joint |= d.branches_size() > 0;
  uint32_t cap = joint ? kMaxJointExtension : kMaxExtension;
  uint32_t granted = 0;
  for (const auto& e : process.extensions()) granted += e.working_days();
  if (granted + request.working_days() > cap) {
    return absl::FailedPreconditionError(
        absl::StrCat("case ", request.case_id(), " already has ", granted,
                     " working days of extension; at most ", cap, " in all"));
  }
  Change change(process, clock_->Now());
  change.actor = request.actor();
  v1::Extension extension;
  extension.set_working_days(request.working_days());
  extension.set_reason(request.reason());
  *extension.mutable_approved_by() = request.actor();
  *extension.mutable_approved_at() = ToProto(change.now());
  *change.process.add_extensions() = extension;
  v1::ExtensionApproved payload;
  *payload.mutable_extension() = extension;
  return CommitReplanned(change, "workflow.extension.approved", std::move(payload));
}

absl::StatusOr<v1::ReportExternalStepResponse> Workflow::ReportExternalStep(
    const v1::ReportExternalStepRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.step_code(), "step_code"));
  if (request.message_version() == 0) return InvalidField("message_version", "must be at least 1");
  if (!request.has_started_at()) return InvalidField("started_at", "required");
  if (!request.has_completed_at()) return InvalidField("completed_at", "required");
  if (FromProto(request.completed_at()) < FromProto(request.started_at())) {
    return InvalidField("completed_at", "before started_at");
  }
  if (request.opinion() == v1::OPINION_UNSPECIFIED || !v1::Opinion_IsValid(request.opinion())) {
    return InvalidField("opinion", "must be PASS, RETURN or DENY");
  }
  if (request.opinion() == v1::OPINION_DENY) {
    SUNLIGHT_RETURN_IF_ERROR(RequireText(request.comment(), "comment"));
  }
  std::lock_guard lock(CaseLock(request.case_id()));
  SUNLIGHT_ASSIGN_OR_RETURN(auto loaded, LoadProcess(request.case_id()));
  if (!loaded.has_value()) {
    return absl::NotFoundError(absl::StrCat("no process for case ", request.case_id()));
  }
  Change change(std::move(loaded), clock_->Now());
  change.actor = request.actor();
  v1::ExternalReport report;
  report.set_system_id(request.actor().id());
  report.set_message_version(request.message_version());
  *report.mutable_started_at() = request.started_at();
  *report.mutable_completed_at() = request.completed_at();
  report.set_opinion(request.opinion());
  report.set_comment(request.comment());
  *report.mutable_handled_by() = request.handled_by();
  *report.mutable_received_at() = ToProto(change.now());

  v1::ReportExternalStepResponse response;
  // A re-sent or newer report of a step already reported replaces what was recorded.
  v1::Step* reported = nullptr;
  for (auto& step : *change.process.mutable_steps()) {
    if (step.code() == request.step_code() && step.has_external_report()) reported = &step;
  }
  if (reported != nullptr && !IsActive(*reported)) {
    if (request.message_version() < reported->external_report().message_version()) {
      response.set_replaced(false);  // an older version arriving late changes nothing
      *response.mutable_process() = change.process;
      return response;
    }
    *reported->mutable_external_report() = report;
    v1::StepReportedExternally payload;
    *payload.mutable_step() = *reported;
    payload.set_replaced(true);
    change.Emit("workflow.step.reported_externally", change.actor, payload);
    SUNLIGHT_RETURN_IF_ERROR(Commit(change));
    response.set_replaced(true);
    *response.mutable_process() = change.process;
    return response;
  }
  // Only an active step can be reported; a closed or withdrawn case has none.
  v1::Step* step = nullptr;
  for (auto& s : *change.process.mutable_steps()) {
    if (s.code() == request.step_code() && IsActive(s)) step = &s;
  }
  if (step == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("case ", request.case_id(), " has no active step ", request.step_code()));
  }
  if (step->kind() == iv1::STEP_KIND_ISSUE_CERTIFICATE && request.opinion() == v1::OPINION_PASS) {
    SUNLIGHT_RETURN_IF_ERROR(RequireText(request.certificate_number(), "certificate_number"));
  }
  *step->mutable_external_report() = report;
  step->set_assignee(request.handled_by().id());
  v1::StepReportedExternally payload;
  *payload.mutable_step() = *step;
  change.Emit("workflow.step.reported_externally", change.actor, payload);
  Actor handler = request.handled_by().id().empty() ? request.actor() : request.handled_by();
  change.actor = handler;
  SUNLIGHT_RETURN_IF_ERROR(Finish(change, *step, request.opinion(), request.comment(),
                                  request.return_to_step_code(), request.certificate_number()));
  SUNLIGHT_RETURN_IF_ERROR(Commit(change));
  *response.mutable_process() = change.process;
  return response;
}

}  // namespace sunlight::workflow
