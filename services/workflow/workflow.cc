// Workflow: opening, the per-case locks, loading processes and the one commit path of a Change.
#include "sunlight/workflow/workflow.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/storage/proto_record.h"
#include "workflow_internal.h"
#include "workflow_store.h"

namespace sunlight::workflow {
namespace {

v1::WorkItem ToWorkItem(const v1::Process& process, const v1::Step& step) {
  v1::WorkItem item;
  item.set_step_id(step.step_id());
  item.set_case_id(process.case_id());
  item.set_case_number(process.case_number());
  item.set_item_code(process.item_code());
  item.set_item_name(process.item_name());
  item.set_step_code(step.code());
  item.set_step_name(step.name());
  item.set_kind(step.kind());
  item.set_department_id(step.department_id());
  item.set_role(step.role());
  item.set_assignee(step.assignee());
  item.set_state(step.state());
  *item.mutable_started_at() = step.started_at();
  if (step.has_due()) *item.mutable_due() = step.due();
  return item;
}

}  // namespace

std::vector<std::string> WorkflowColumnFamilies() {
  return {store::kProcesses,   store::kIntakeVersions,    store::kPendingIntake,
          store::kQueueByRole, store::kQueueByDepartment, store::kQueueByPerson};
}

absl::StatusOr<std::unique_ptr<Workflow>> Workflow::Open(
    storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
    const Clock* clock) {
  if (calendar == nullptr) return absl::InvalidArgumentError("calendar: required");
  SUNLIGHT_ASSIGN_OR_RETURN(auto log, eventlog::EventLog::Open(store, "workflow"));
  return std::unique_ptr<Workflow>(new Workflow(store, std::move(log), std::move(calendar), clock));
}

Workflow::Workflow(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
                   std::shared_ptr<const calendar::WorkingCalendar> calendar, const Clock* clock)
    : store_(store), log_(std::move(log)), calendar_(std::move(calendar)), clock_(clock) {}

std::mutex& Workflow::CaseLock(std::string_view case_id) {
  return case_locks_[std::hash<std::string_view>()(case_id) % case_locks_.size()];
}

absl::StatusOr<std::optional<v1::Process>> Workflow::LoadProcess(std::string_view case_id) const {
  return storage::LoadProto<v1::Process>(*store_, store::kProcesses, case_id);
}

absl::StatusOr<v1::Process> Workflow::LoadOpenProcess(std::string_view case_id,
                                                      bool step_action) const {
  SUNLIGHT_ASSIGN_OR_RETURN(auto process, LoadProcess(case_id));
  if (!process.has_value()) {
    return absl::NotFoundError(absl::StrCat("no process for case ", std::string(case_id)));
  }
  // After completion (办结) only the certificate step may still be active.
  bool certificate_stage = step_action && process->state() == v1::PROCESS_STATE_COMPLETED &&
                           std::any_of(process->steps().begin(), process->steps().end(), IsActive);
  if (process->state() != v1::PROCESS_STATE_IN_PROGRESS && !certificate_stage) {
    return absl::FailedPreconditionError(absl::StrCat(
        "case ", std::string(case_id), " is in state ", v1::ProcessState_Name(process->state())));
  }
  return *std::move(process);
}

absl::Status Workflow::Commit(Change& change) {
  StageWrites(change);
  return log_->Commit(std::move(change.batch), std::move(change.events)).status();
}

void Workflow::StageWrites(Change& change) const {
  // Work-queue indexes: drop the entries of the steps as they were, add the active ones now.
  if (change.before().has_value()) {
    for (const auto& step : change.before()->steps()) {
      if (!IsActive(step)) continue;
      change.batch.Delete(store::kQueueByRole, store::RoleQueueKey(step));
      change.batch.Delete(store::kQueueByDepartment, store::DepartmentQueueKey(step));
      if (!step.assignee().empty()) {
        change.batch.Delete(store::kQueueByPerson, store::PersonQueueKey(step));
      }
    }
  }
  if (change.exists()) {
    for (const auto& step : change.process.steps()) {
      if (!IsActive(step)) continue;
      std::string item = ToWorkItem(change.process, step).SerializeAsString();
      change.batch.Put(store::kQueueByRole, store::RoleQueueKey(step), item);
      change.batch.Put(store::kQueueByDepartment, store::DepartmentQueueKey(step), item);
      if (!step.assignee().empty()) {
        change.batch.Put(store::kQueueByPerson, store::PersonQueueKey(step), item);
      }
    }
    change.batch.Put(store::kProcesses, change.process.case_id(),
                     change.process.SerializeAsString());
  }
}

}  // namespace sunlight::workflow
