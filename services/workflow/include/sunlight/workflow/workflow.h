// The workflow service's logic: routing accepted cases through the steps of the item version
// they were accepted under, joint (parallel) steps, special procedures, extensions,
// decisions, completion, certificates, work queues and steps reported by departments' own
// systems.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(auto workflow, Workflow::Open(store.get(), calendar, &clock));
//   // fed by an EventSubscriber on the intake stream:
//   SUNLIGHT_RETURN_IF_ERROR(workflow->ApplyIntakeEvent(event));
//   SUNLIGHT_ASSIGN_OR_RETURN(auto process, workflow->CompleteStep(request));
//
// Every change and its workflow events commit in one write batch; applying an intake event
// commits the intake cursor in that same batch. Intake events for one case may arrive out of
// order or repeatedly: each case's intake version is tracked, duplicates are ignored and
// early events wait until the gap is filled. Errors: kInvalidArgument names the field,
// kFailedPrecondition names the state, kPermissionDenied for a role or department mismatch,
// kNotFound. Thread-safe; calls on one case are serialized.
#ifndef SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_H_
#define SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_H_

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sunlight/base/clock.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/storage/store.h"
#include "sunlight/workflow/v1/workflow.pb.h"
#include "sunlight/workflow/workflow_metrics.h"

namespace sunlight::workflow {

// Name of the intake stream cursor in the workflow store.
inline constexpr char kIntakeStream[] = "intake";

// Column families of the workflow store, besides the event log's.
std::vector<std::string> WorkflowColumnFamilies();

class Workflow {
 public:
  static absl::StatusOr<std::unique_ptr<Workflow>> Open(
      storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
      const Clock* clock);

  eventlog::EventLog& event_log() { return *log_; }
  // Its metrics; main registers them where they are exposed (/metrics).
  WorkflowMetrics& metrics() { return metrics_; }

  // Consuming the intake stream: applies consecutive intake events and commits what they
  // produce with the intake cursor (the highest sequence seen) in one write.
  absl::Status ApplyIntakeEvents(const std::vector<events::v1::CaseEvent>& events);
  absl::Status ApplyIntakeEvent(const events::v1::CaseEvent& event) {
    return ApplyIntakeEvents({event});
  }
  absl::StatusOr<uint64_t> IntakeCursor() const;

  // Actions.
  absl::StatusOr<v1::Process> ClaimStep(const v1::ClaimStepRequest& request);
  absl::StatusOr<v1::Process> CompleteStep(const v1::CompleteStepRequest& request);
  absl::StatusOr<v1::Process> TransferStep(const v1::TransferStepRequest& request);
  absl::StatusOr<v1::Process> StartSpecialProcedure(
      const v1::StartSpecialProcedureRequest& request);
  absl::StatusOr<v1::Process> EndSpecialProcedure(const v1::EndSpecialProcedureRequest& request);
  absl::StatusOr<v1::Process> ApproveExtension(const v1::ApproveExtensionRequest& request);
  absl::StatusOr<v1::ReportExternalStepResponse> ReportExternalStep(
      const v1::ReportExternalStepRequest& request);

  // Queries.
  absl::StatusOr<v1::GetProcessResponse> GetProcess(const v1::GetProcessRequest& request) const;
  absl::StatusOr<v1::ListWorkQueueResponse> ListWorkQueue(
      const v1::ListWorkQueueRequest& request) const;

 private:
  class Change;

  Workflow(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
           std::shared_ptr<const calendar::WorkingCalendar> calendar, const Clock* clock);

  std::mutex& CaseLock(std::string_view case_id);
  absl::StatusOr<std::optional<v1::Process>> LoadProcess(std::string_view case_id) const;
  // The process of a case that is still being handled; `step_action` also admits a
  // completed case whose certificate step is active.
  absl::StatusOr<v1::Process> LoadOpenProcess(std::string_view case_id,
                                              bool step_action = false) const;
  // Applies one in-order intake event of a case to `change` (which may hold no process yet).
  absl::Status ApplyCaseEvent(Change& change, const events::v1::CaseEvent& event);
  // Adds the change's process and work-queue index writes to change.batch.
  void StageWrites(Change& change) const;
  absl::Status Commit(Change& change);
  // The end of an action that moves the case's due instant: replans the case, emits `type`
  // with `payload` telling the new due instant (its case_due), commits and returns the process.
  template <typename Payload>
  absl::StatusOr<v1::Process> CommitReplanned(Change& change, std::string type, Payload payload);

  // Routing.
  absl::Status Activate(Change& change, int definition_index, uint32_t attempt);
  absl::Status Finish(Change& change, v1::Step& step, v1::Opinion opinion,
                      const std::string& comment, const std::string& return_to,
                      const std::string& certificate_number);
  absl::Status AfterGroupDone(Change& change, int definition_index, uint32_t attempt);
  // Ends an active step without an opinion, with an event so its clock can finish.
  void Cancel(Change& change, v1::Step& step, const google::protobuf::Timestamp& at);
  absl::Status Decide(Change& change, v1::Decision decision, const std::string& reasons);
  absl::Status CompleteCase(Change& change);
  absl::Status Replan(v1::Process& process, absl::Time now) const;

  storage::Store* store_;
  std::unique_ptr<eventlog::EventLog> log_;
  WorkflowMetrics metrics_;
  std::shared_ptr<const calendar::WorkingCalendar> calendar_;
  const Clock* clock_;
  std::mutex cursor_mu_;  // serializes intake event application (cursor order)
  std::array<std::mutex, 64> case_locks_;
};

}  // namespace sunlight::workflow

#endif  // SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_H_
