#include "workflow.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/calendar/deadline.h"
#include "sunlight/eventlog/cursor.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight::workflow {
namespace {

using common::v1::Actor;
using events::v1::CaseEvent;
using storage::KeyBuilder;
namespace iv1 = ::sunlight::intake::v1;

constexpr char kProcesses[] = "processes";
constexpr char kIntakeVersions[] = "intake_versions";
constexpr char kPendingIntake[] = "pending_intake";
constexpr char kQueueByRole[] = "queue_by_role";
constexpr char kQueueByDepartment[] = "queue_by_department";
constexpr char kQueueByPerson[] = "queue_by_person";

constexpr uint32_t kDefaultPageSize = 50;
constexpr uint32_t kMaxPageSize = 500;
// Administrative Licensing Law art. 42: extendable by 10 working days; joint items by 15.
constexpr uint32_t kMaxExtension = 10;
constexpr uint32_t kMaxJointExtension = 15;

bool IsActive(const v1::Step& step) {
  return step.state() == v1::STEP_STATE_OPEN || step.state() == v1::STEP_STATE_CLAIMED;
}

bool IsClosed(const v1::Process& process) {
  return process.state() == v1::PROCESS_STATE_CERTIFICATE_ISSUED ||
         process.state() == v1::PROCESS_STATE_WITHDRAWN ||
         (process.state() == v1::PROCESS_STATE_COMPLETED &&
          process.decision() == v1::DECISION_DENIED);
}

std::string CaseIdOfStep(const std::string& step_id) {
  return step_id.substr(0, step_id.find('/'));
}

int64_t DueMicros(const v1::Step& step) {
  return step.has_due() ? absl::ToUnixMicros(FromProto(step.due())) : INT64_MAX;
}

std::string RoleKey(const v1::Step& step) {
  return KeyBuilder()
      .AddString(step.department_id())
      .AddString(step.role())
      .AddI64(DueMicros(step))
      .AddString(step.step_id())
      .Build();
}
std::string DepartmentKey(const v1::Step& step) {
  return KeyBuilder()
      .AddString(step.department_id())
      .AddI64(DueMicros(step))
      .AddString(step.step_id())
      .Build();
}
std::string PersonKey(const v1::Step& step) {
  return KeyBuilder()
      .AddString(step.assignee())
      .AddI64(DueMicros(step))
      .AddString(step.step_id())
      .Build();
}

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

std::vector<calendar::PauseInterval> CasePauses(const v1::Process& process) {
  std::vector<calendar::PauseInterval> pauses;
  for (const auto& p : process.supplement_pauses()) {
    calendar::PauseInterval interval{FromProto(p.start()), std::nullopt, p.reason()};
    if (p.has_end()) interval.end = FromProto(p.end());
    pauses.push_back(std::move(interval));
  }
  for (const auto& p : process.procedures()) {
    calendar::PauseInterval interval{FromProto(p.started_at()), std::nullopt,
                                     v1::ProcedureType_Name(p.type())};
    if (p.has_ended_at()) interval.end = FromProto(p.ended_at());
    pauses.push_back(std::move(interval));
  }
  return pauses;
}

}  // namespace

// One change to one case: the process before and after, the workflow events it produces and
// the extra writes, committed together by Workflow::Commit.
class Workflow::Change {
 public:
  Change(std::optional<v1::Process> before, absl::Time now)
      : before_(std::move(before)), now_(now) {
    if (before_.has_value()) process = *before_;
  }

  void Emit(std::string type, const Actor& actor, const google::protobuf::Message& payload) {
    process.set_version(process.version() + 1);
    CaseEvent event;
    event.set_case_id(process.case_id());
    event.set_case_version(process.version());
    event.set_type(std::move(type));
    *event.mutable_actor() = actor;
    *event.mutable_occurred_at() = ToProto(now_);
    event.mutable_payload()->PackFrom(payload);
    events.push_back(std::move(event));
  }

  bool exists() const { return !process.case_id().empty(); }
  const std::optional<v1::Process>& before() const { return before_; }
  absl::Time now() const { return now_; }

  v1::Process process;
  Actor actor;
  storage::WriteBatch batch;
  std::vector<CaseEvent> events;

 private:
  std::optional<v1::Process> before_;
  absl::Time now_;
};

std::vector<std::string> WorkflowColumnFamilies() {
  return {kProcesses,   kIntakeVersions,    kPendingIntake,
          kQueueByRole, kQueueByDepartment, kQueueByPerson};
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
  SUNLIGHT_ASSIGN_OR_RETURN(auto bytes, store_->Get(kProcesses, case_id));
  if (!bytes.has_value()) return std::optional<v1::Process>();
  v1::Process process;
  if (!process.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("unreadable process ", std::string(case_id)));
  }
  return std::optional<v1::Process>(std::move(process));
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
      change.batch.Delete(kQueueByRole, RoleKey(step));
      change.batch.Delete(kQueueByDepartment, DepartmentKey(step));
      if (!step.assignee().empty()) change.batch.Delete(kQueueByPerson, PersonKey(step));
    }
  }
  if (change.exists()) {
    for (const auto& step : change.process.steps()) {
      if (!IsActive(step)) continue;
      std::string item = ToWorkItem(change.process, step).SerializeAsString();
      change.batch.Put(kQueueByRole, RoleKey(step), item);
      change.batch.Put(kQueueByDepartment, DepartmentKey(step), item);
      if (!step.assignee().empty()) change.batch.Put(kQueueByPerson, PersonKey(step), item);
    }
    change.batch.Put(kProcesses, change.process.case_id(), change.process.SerializeAsString());
  }
}

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

// ---------------------------------------------------------------- routing

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

// ---------------------------------------------------------------- intake events

absl::StatusOr<uint64_t> Workflow::IntakeCursor() const {
  return eventlog::ReadCursor(*store_, kIntakeStream);
}

absl::Status Workflow::ApplyIntakeEvents(const std::vector<CaseEvent>& events) {
  if (events.empty()) return absl::OkStatus();
  std::lock_guard cursor_lock(cursor_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(uint64_t cursor, IntakeCursor());
  uint64_t new_cursor = cursor;
  // Lock every case the batch touches, in stripe order (actions hold one stripe at most).
  std::set<size_t> stripes;
  for (const auto& event : events) {
    new_cursor = std::max(new_cursor, event.sequence());
    if (!event.case_id().empty()) {
      stripes.insert(std::hash<std::string_view>()(event.case_id()) % case_locks_.size());
    }
  }
  std::vector<std::unique_lock<std::mutex>> locks;
  for (size_t stripe : stripes) locks.emplace_back(case_locks_[stripe]);

  struct CaseWork {
    std::unique_ptr<Change> change;
    uint64_t applied = 0;
    bool advanced = false;
    std::map<uint64_t, CaseEvent> parked;  // early events of this batch, by case version
  };
  std::map<std::string, CaseWork> cases;
  std::vector<std::string> order;  // cases in first-touch order, for a stable event order
  absl::Time now = clock_->Now();
  for (const auto& event : events) {
    if (event.case_id().empty()) continue;
    auto [it, inserted] = cases.try_emplace(event.case_id());
    CaseWork& work = it->second;
    if (inserted) {
      order.push_back(event.case_id());
      SUNLIGHT_ASSIGN_OR_RETURN(auto applied, store_->Get(kIntakeVersions, event.case_id()));
      work.applied = applied.has_value() ? storage::DecodeU64(*applied) : 0;
      SUNLIGHT_ASSIGN_OR_RETURN(auto before, LoadProcess(event.case_id()));
      work.change = std::make_unique<Change>(std::move(before), now);
    }
    Change& change = *work.change;
    if (event.case_version() <= work.applied) continue;  // a repeat: nothing to derive
    if (event.case_version() > work.applied + 1) {
      // Early: park it until the versions before it have arrived.
      work.parked[event.case_version()] = event;
      change.batch.Put(kPendingIntake,
                       KeyBuilder().AddString(event.case_id()).AddU64(event.case_version()).Build(),
                       event.SerializeAsString());
      continue;
    }
    SUNLIGHT_RETURN_IF_ERROR(ApplyCaseEvent(change, event));
    work.applied = event.case_version();
    work.advanced = true;
    // Drain parked events that are now in order (from this batch, then from the store).
    while (true) {
      std::string key = KeyBuilder().AddString(event.case_id()).AddU64(work.applied + 1).Build();
      CaseEvent next;
      if (auto p = work.parked.find(work.applied + 1); p != work.parked.end()) {
        next = p->second;
      } else {
        SUNLIGHT_ASSIGN_OR_RETURN(auto stored, store_->Get(kPendingIntake, key));
        if (!stored.has_value()) break;
        if (!next.ParseFromString(*stored)) return absl::DataLossError("unreadable parked event");
      }
      SUNLIGHT_RETURN_IF_ERROR(ApplyCaseEvent(change, next));
      change.batch.Delete(kPendingIntake, key);
      ++work.applied;
    }
  }

  storage::WriteBatch batch;
  std::vector<CaseEvent> produced;
  for (const std::string& case_id : order) {
    CaseWork& work = cases[case_id];
    Change& change = *work.change;
    if (work.advanced) {
      change.batch.Put(kIntakeVersions, case_id, storage::EncodeU64(work.applied));
      if (change.exists()) change.process.set_intake_version(work.applied);
      StageWrites(change);
    }
    batch.Append(change.batch);
    for (auto& e : change.events) produced.push_back(std::move(e));
  }
  if (new_cursor > cursor) eventlog::PutCursor(batch, kIntakeStream, new_cursor);
  if (batch.empty() && produced.empty()) return absl::OkStatus();
  return log_->Commit(std::move(batch), std::move(produced)).status();
}

absl::Status Workflow::ApplyCaseEvent(Change& change, const CaseEvent& event) {
  change.actor = event.actor();
  v1::Process& process = change.process;
  const std::string& type = event.type();
  if (type == "intake.case.accepted") {
    if (change.exists()) return absl::OkStatus();
    iv1::CaseAccepted accepted;
    if (!event.payload().UnpackTo(&accepted)) {
      return absl::DataLossError(absl::StrCat("intake event ", event.sequence(), ": bad payload"));
    }
    const auto& definition = accepted.item().definition();
    process.set_case_id(event.case_id());
    process.set_case_number(accepted.case_number());
    process.set_item_code(definition.item_code());
    process.set_item_version(accepted.item().version());
    process.set_item_name(definition.name());
    process.set_department_id(accepted.department_id());
    process.set_state(v1::PROCESS_STATE_IN_PROGRESS);
    *process.mutable_definitions() = definition.steps();
    *process.mutable_accepted_at() = accepted.receipt().accepted_at();
    *process.mutable_promised_limit() = definition.promised_limit();
    *process.mutable_statutory_limit() = definition.statutory_limit();
    process.set_warning_margin_working_days(definition.warning_margin_working_days());
    // Supplement pauses that intake recorded before this event was applied belong here too,
    // but acceptance is the first event after which they can happen, so there are none.
    SUNLIGHT_RETURN_IF_ERROR(Replan(process, change.now()));
    v1::ProcessStarted started;
    *started.mutable_process() = process;
    change.Emit("workflow.process.started", change.actor, started);
    if (process.definitions_size() == 0) return CompleteCase(change);
    return Activate(change, 0, 1);
  }
  if (!change.exists() || IsClosed(process)) return absl::OkStatus();
  if (type == "intake.case.supplement_requested") {
    iv1::SupplementRequested requested;
    if (!event.payload().UnpackTo(&requested)) return absl::DataLossError("bad payload");
    if (!requested.clock_paused()) return absl::OkStatus();
    auto* pause = process.add_supplement_pauses();
    *pause->mutable_start() = event.occurred_at();
    pause->set_reason("supplement");
    SUNLIGHT_RETURN_IF_ERROR(Replan(process, change.now()));
    v1::ClockPaused payload;
    *payload.mutable_pause() = *pause;
    change.Emit("workflow.clock.paused", change.actor, payload);
  } else if (type == "intake.case.supplement_received") {
    int n = process.supplement_pauses_size();
    if (n == 0 || process.supplement_pauses(n - 1).has_end()) return absl::OkStatus();
    auto* pause = process.mutable_supplement_pauses(n - 1);
    *pause->mutable_end() = event.occurred_at();
    SUNLIGHT_RETURN_IF_ERROR(Replan(process, change.now()));
    v1::ClockResumed payload;
    *payload.mutable_pause() = *pause;
    *payload.mutable_case_due() = process.due();
    change.Emit("workflow.clock.resumed", change.actor, payload);
  } else if (type == "intake.case.withdrawn") {
    iv1::CaseWithdrawn withdrawn;
    (void)event.payload().UnpackTo(&withdrawn);
    for (auto& step : *process.mutable_steps()) {
      if (IsActive(step)) Cancel(change, step, event.occurred_at());
    }
    int n = process.supplement_pauses_size();
    if (n > 0 && !process.supplement_pauses(n - 1).has_end()) {
      *process.mutable_supplement_pauses(n - 1)->mutable_end() = event.occurred_at();
    }
    process.set_state(v1::PROCESS_STATE_WITHDRAWN);
    v1::ProcessWithdrawn payload;
    payload.set_reason(withdrawn.reason());
    change.Emit("workflow.process.withdrawn", change.actor, payload);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- actions

namespace {

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
  SUNLIGHT_RETURN_IF_ERROR(Replan(change.process, change.now()));
  *payload.mutable_case_due() = change.process.due();
  change.Emit("workflow.procedure.ended", change.actor, payload);
  SUNLIGHT_RETURN_IF_ERROR(Commit(change));
  return change.process;
}

absl::StatusOr<v1::Process> Workflow::ApproveExtension(const v1::ApproveExtensionRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.reason(), "reason"));
  if (request.working_days() == 0) return InvalidField("working_days", "must be at least 1");
  std::lock_guard lock(CaseLock(request.case_id()));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Process process, LoadOpenProcess(request.case_id()));
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
  SUNLIGHT_RETURN_IF_ERROR(Replan(change.process, change.now()));
  v1::ExtensionApproved payload;
  *payload.mutable_extension() = extension;
  *payload.mutable_case_due() = change.process.due();
  change.Emit("workflow.extension.approved", change.actor, payload);
  SUNLIGHT_RETURN_IF_ERROR(Commit(change));
  return change.process;
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

// ---------------------------------------------------------------- queries

absl::StatusOr<v1::GetProcessResponse> Workflow::GetProcess(
    const v1::GetProcessRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  SUNLIGHT_ASSIGN_OR_RETURN(auto process, LoadProcess(request.case_id()));
  if (!process.has_value()) {
    return absl::NotFoundError(absl::StrCat("no process for case ", request.case_id()));
  }
  v1::GetProcessResponse response;
  *response.mutable_process() = *std::move(process);
  if (request.include_history()) {
    std::vector<CaseEvent> history;
    SUNLIGHT_RETURN_IF_ERROR(log_->ReadCase(request.case_id(), &history));
    for (auto& e : history) *response.add_history() = std::move(e);
  }
  return response;
}

absl::StatusOr<v1::ListWorkQueueResponse> Workflow::ListWorkQueue(
    const v1::ListWorkQueueRequest& request) const {
  std::string family, prefix;
  switch (request.owner_case()) {
    case v1::ListWorkQueueRequest::kPersonId:
      SUNLIGHT_RETURN_IF_ERROR(RequireText(request.person_id(), "person_id"));
      family = kQueueByPerson;
      prefix = KeyBuilder().AddString(request.person_id()).Build();
      break;
    case v1::ListWorkQueueRequest::kRole:
      SUNLIGHT_RETURN_IF_ERROR(RequireText(request.role().department_id(), "role.department_id"));
      SUNLIGHT_RETURN_IF_ERROR(RequireText(request.role().role(), "role.role"));
      family = kQueueByRole;
      prefix = KeyBuilder()
                   .AddString(request.role().department_id())
                   .AddString(request.role().role())
                   .Build();
      break;
    case v1::ListWorkQueueRequest::kDepartmentId:
      SUNLIGHT_RETURN_IF_ERROR(RequireText(request.department_id(), "department_id"));
      family = kQueueByDepartment;
      prefix = KeyBuilder().AddString(request.department_id()).Build();
      break;
    default:
      return InvalidField("owner", "name a person_id, a role or a department_id");
  }
  uint32_t page_size = request.page().page_size();
  if (page_size == 0) page_size = kDefaultPageSize;
  if (page_size > kMaxPageSize) return InvalidField("page.page_size", "must be at most 500");
  std::string lower = prefix;
  if (!request.page().page_token().empty()) {
    std::string token;
    if (!absl::WebSafeBase64Unescape(request.page().page_token(), &token) ||
        token.compare(0, prefix.size(), prefix) != 0) {
      return InvalidField("page.page_token", "not a token from this queue");
    }
    token.push_back('\0');
    lower = token;
  }
  absl::Time as_of = request.has_as_of() ? FromProto(request.as_of()) : clock_->Now();
  v1::ListWorkQueueResponse response;
  std::string last_key;
  bool more = false;
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(family, lower, storage::PrefixSuccessor(prefix),
                   [&](std::string_view key, std::string_view value) {
                     if (static_cast<uint32_t>(response.items_size()) >= page_size) {
                       more = true;
                       return false;
                     }
                     v1::WorkItem* item = response.add_items();
                     if (!item->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                       error = absl::DataLossError("unreadable work item");
                       return false;
                     }
                     last_key = std::string(key);
                     return true;
                   }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  for (auto& item : *response.mutable_items()) {
    if (item.has_due()) *item.mutable_remaining() = ToProtoDuration(FromProto(item.due()) - as_of);
  }
  if (more) response.set_next_page_token(absl::WebSafeBase64Escape(last_key));
  return response;
}

}  // namespace sunlight::workflow
