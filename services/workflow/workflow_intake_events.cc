// Workflow intake events: applying the intake stream in order per case, parking early events.
#include "sunlight/workflow/workflow.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/eventlog/cursor.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/storage/proto_record.h"
#include "workflow_internal.h"
#include "workflow_store.h"

namespace sunlight::workflow {
namespace {

using events::v1::CaseEvent;
namespace iv1 = ::sunlight::intake::v1;

bool IsClosed(const v1::Process& process) {
  return process.state() == v1::PROCESS_STATE_CERTIFICATE_ISSUED ||
         process.state() == v1::PROCESS_STATE_WITHDRAWN ||
         (process.state() == v1::PROCESS_STATE_COMPLETED &&
          process.decision() == v1::DECISION_DENIED);
}

}  // namespace

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
      SUNLIGHT_ASSIGN_OR_RETURN(auto applied, store_->Get(store::kIntakeVersions, event.case_id()));
      work.applied = applied.has_value() ? storage::DecodeU64(*applied) : 0;
      SUNLIGHT_ASSIGN_OR_RETURN(auto before, LoadProcess(event.case_id()));
      work.change = std::make_unique<Change>(std::move(before), now);
    }
    Change& change = *work.change;
    if (event.case_version() <= work.applied) continue;  // a repeat: nothing to derive
    if (event.case_version() > work.applied + 1) {
      // Early: park it until the versions before it have arrived.
      work.parked[event.case_version()] = event;
      change.batch.Put(store::kPendingIntake,
                       store::PendingIntake::Encode(event.case_id(), event.case_version()),
                       event.SerializeAsString());
      continue;
    }
    SUNLIGHT_RETURN_IF_ERROR(ApplyCaseEvent(change, event));
    work.applied = event.case_version();
    work.advanced = true;
    // Drain parked events that are now in order (from this batch, then from the store).
    while (true) {
      std::string key = store::PendingIntake::Encode(event.case_id(), work.applied + 1);
      CaseEvent next;
      if (auto p = work.parked.find(work.applied + 1); p != work.parked.end()) {
        next = p->second;
      } else {
        SUNLIGHT_ASSIGN_OR_RETURN(
            std::optional<CaseEvent> stored,
            storage::LoadProto<CaseEvent>(*store_, store::kPendingIntake, key));
        if (!stored.has_value()) break;
        next = *std::move(stored);
      }
      SUNLIGHT_RETURN_IF_ERROR(ApplyCaseEvent(change, next));
      change.batch.Delete(store::kPendingIntake, key);
      ++work.applied;
    }
  }

  storage::WriteBatch batch;
  std::vector<CaseEvent> produced;
  for (const std::string& case_id : order) {
    CaseWork& work = cases[case_id];
    Change& change = *work.change;
    if (work.advanced) {
      change.batch.Put(store::kIntakeVersions, case_id, storage::EncodeU64(work.applied));
      if (change.exists()) change.process.set_intake_version(work.applied);
      StageWrites(change);
    }
    batch.Append(change.batch);
    for (auto& e : change.events) produced.push_back(std::move(e));
  }
  if (new_cursor > cursor) eventlog::PutCursor(batch, kIntakeStream, new_cursor);
  if (batch.empty() && produced.empty()) return absl::OkStatus();
  SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(batch), std::move(produced)).status());
  metrics_.intake_events_applied.Increment(static_cast<double>(new_cursor - cursor));
  return absl::OkStatus();
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

}  // namespace sunlight::workflow
