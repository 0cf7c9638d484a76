// What Workflow's files share (private to workflow_lib): one case's Change, IsActive and
// CommitReplanned.
#ifndef SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_INTERNAL_H_
#define SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_INTERNAL_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/eventlog/case_event.h"
#include "sunlight/events/v1/events.pb.h"
#include "sunlight/storage/store.h"
#include "sunlight/workflow/v1/workflow.pb.h"
#include "sunlight/workflow/workflow.h"

namespace sunlight::workflow {

// An open or claimed step: one somebody still has to handle, listed in the work queues.
inline bool IsActive(const v1::Step& step) {
  return step.state() == v1::STEP_STATE_OPEN || step.state() == v1::STEP_STATE_CLAIMED;
}

// One change to one case: the process before and after, the workflow events it produces and
// the extra writes, committed together by Workflow::Commit.
class Workflow::Change {
 public:
  Change(std::optional<v1::Process> before, absl::Time now)
      : before_(std::move(before)), now_(now) {
    if (before_.has_value()) process = *before_;
  }

  void Emit(std::string type, const common::v1::Actor& actor,
            const google::protobuf::Message& payload) {
    process.set_version(process.version() + 1);
    events.push_back(eventlog::NewEvent(type, process.case_id(), actor, now_, payload));
    events.back().set_case_version(process.version());
  }

  bool exists() const { return !process.case_id().empty(); }
  const std::optional<v1::Process>& before() const { return before_; }
  absl::Time now() const { return now_; }

  v1::Process process;
  common::v1::Actor actor;
  storage::WriteBatch batch;
  std::vector<::sunlight::events::v1::CaseEvent> events;

 private:
  std::optional<v1::Process> before_;
  absl::Time now_;
};

template <typename Payload>
absl::StatusOr<v1::Process> Workflow::CommitReplanned(Change& change, std::string type,
                                                      Payload payload) {
  SUNLIGHT_RETURN_IF_ERROR(Replan(change.process, change.now()));
  *payload.mutable_case_due() = change.process.due();
  change.Emit(std::move(type), change.actor, payload);
  SUNLIGHT_RETURN_IF_ERROR(Commit(change));
  return change.process;
}

}  // namespace sunlight::workflow

#endif  // SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_INTERNAL_H_
