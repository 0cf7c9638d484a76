// The workflow store's column families and the codecs of their keys (private to workflow_lib).
//
//   change.batch.Put(store::kQueueByRole, store::RoleQueueKey(step), item.SerializeAsString());
//   std::string prefix = store::RoleQueue::Prefix("market", "handler");  // that role's queue
//
// Keys are typed (storage::TupleKey), so byte order is tuple order: a queue lists the most
// urgent step first.
#ifndef SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_STORE_H_
#define SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_STORE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/storage/tuple_key.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::workflow::store {

// case_id -> v1::Process.
inline constexpr char kProcesses[] = "processes";
// case_id -> storage::EncodeU64(the highest intake case version applied to the case).
inline constexpr char kIntakeVersions[] = "intake_versions";
// PendingIntakeKey -> events::v1::CaseEvent: an intake event that arrived before the versions
// preceding it.
inline constexpr char kPendingIntake[] = "pending_intake";
// Work queues: one entry per active step, the value a v1::WorkItem.
inline constexpr char kQueueByRole[] = "queue_by_role";              // RoleQueueKey
inline constexpr char kQueueByDepartment[] = "queue_by_department";  // DepartmentQueueKey
inline constexpr char kQueueByPerson[] = "queue_by_person";          // PersonQueueKey

// pending_intake: (case_id, case_version).
using PendingIntake = storage::TupleKey<std::string, uint64_t>;

// The instant that orders a step in the queues, in Unix microseconds; a step without a due
// instant sorts last.
inline int64_t QueueDueMicros(const v1::Step& step) {
  return step.has_due() ? absl::ToUnixMicros(FromProto(step.due())) : INT64_MAX;
}

// queue_by_role: (department_id, role, due, step_id).
using RoleQueue = storage::TupleKey<std::string, std::string, int64_t, std::string>;
inline std::string RoleQueueKey(const v1::Step& step) {
  return RoleQueue::Encode(step.department_id(), step.role(), QueueDueMicros(step), step.step_id());
}

// queue_by_department: (department_id, due, step_id).
using DepartmentQueue = storage::TupleKey<std::string, int64_t, std::string>;
inline std::string DepartmentQueueKey(const v1::Step& step) {
  return DepartmentQueue::Encode(step.department_id(), QueueDueMicros(step), step.step_id());
}

// queue_by_person: (assignee, due, step_id); only steps with an assignee are listed.
using PersonQueue = storage::TupleKey<std::string, int64_t, std::string>;
inline std::string PersonQueueKey(const v1::Step& step) {
  return PersonQueue::Encode(step.assignee(), QueueDueMicros(step), step.step_id());
}

}  // namespace sunlight::workflow::store

#endif  // SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_STORE_H_
