// The workflow store's column families and the codecs of their keys (private to workflow_lib).
//
//   change.batch.Put(store::kQueueByRole, store::RoleQueueKey(step), item.SerializeAsString());
//   std::string prefix = store::RoleQueuePrefix("market", "handler");  // that role's queue
//   SUNLIGHT_ASSIGN_OR_RETURN(store::RoleQueueEntry entry, store::DecodeRoleQueueKey(key));
//
// Every key is built with storage::KeyBuilder, so byte order is tuple order: a queue lists the
// most urgent step first. A Decode function returns DATA_LOSS for a key it did not build.
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
#include "sunlight/storage/key_encoding.h"
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

// DATA_LOSS "malformed <family> key <hex>".
inline absl::Status MalformedKey(std::string_view family, std::string_view key) {
  return absl::DataLossError(
      absl::StrCat("malformed ", absl::string_view(family.data(), family.size()), " key ",
                   absl::BytesToHexString(absl::string_view(key.data(), key.size()))));
}

// ---------------------------------------------------------------- pending_intake

// (case_id, case_version).
inline std::string PendingIntakeKey(std::string_view case_id, uint64_t case_version) {
  return storage::KeyBuilder().AddString(case_id).AddU64(case_version).Build();
}

struct PendingIntakeEntry {
  std::string case_id;
  uint64_t case_version = 0;
};

inline absl::StatusOr<PendingIntakeEntry> DecodePendingIntakeKey(std::string_view key) {
  storage::KeyReader reader(key);
  PendingIntakeEntry entry;
  if (!reader.ReadString(&entry.case_id) || !reader.ReadU64(&entry.case_version) ||
      !reader.done()) {
    return MalformedKey(kPendingIntake, key);
  }
  return entry;
}

// ---------------------------------------------------------------- work queues

// The instant that orders a step in the queues, in Unix microseconds; a step without a due
// instant sorts last.
inline int64_t QueueDueMicros(const v1::Step& step) {
  return step.has_due() ? absl::ToUnixMicros(FromProto(step.due())) : INT64_MAX;
}

// queue_by_role: (department_id, role, due, step_id).
inline std::string RoleQueuePrefix(std::string_view department_id, std::string_view role) {
  return storage::KeyBuilder().AddString(department_id).AddString(role).Build();
}
inline std::string RoleQueueKey(const v1::Step& step) {
  return storage::KeyBuilder()
      .AddString(step.department_id())
      .AddString(step.role())
      .AddI64(QueueDueMicros(step))
      .AddString(step.step_id())
      .Build();
}

struct RoleQueueEntry {
  std::string department_id;
  std::string role;
  int64_t due_micros = 0;
  std::string step_id;
};

inline absl::StatusOr<RoleQueueEntry> DecodeRoleQueueKey(std::string_view key) {
  storage::KeyReader reader(key);
  RoleQueueEntry entry;
  if (!reader.ReadString(&entry.department_id) || !reader.ReadString(&entry.role) ||
      !reader.ReadI64(&entry.due_micros) || !reader.ReadString(&entry.step_id) || !reader.done()) {
    return MalformedKey(kQueueByRole, key);
  }
  return entry;
}

// queue_by_department: (department_id, due, step_id).
inline std::string DepartmentQueuePrefix(std::string_view department_id) {
  return storage::KeyBuilder().AddString(department_id).Build();
}
inline std::string DepartmentQueueKey(const v1::Step& step) {
  return storage::KeyBuilder()
      .AddString(step.department_id())
      .AddI64(QueueDueMicros(step))
      .AddString(step.step_id())
      .Build();
}

struct DepartmentQueueEntry {
  std::string department_id;
  int64_t due_micros = 0;
  std::string step_id;
};

inline absl::StatusOr<DepartmentQueueEntry> DecodeDepartmentQueueKey(std::string_view key) {
  storage::KeyReader reader(key);
  DepartmentQueueEntry entry;
  if (!reader.ReadString(&entry.department_id) || !reader.ReadI64(&entry.due_micros) ||
      !reader.ReadString(&entry.step_id) || !reader.done()) {
    return MalformedKey(kQueueByDepartment, key);
  }
  return entry;
}

// queue_by_person: (assignee, due, step_id); only steps with an assignee are listed.
inline std::string PersonQueuePrefix(std::string_view assignee) {
  return storage::KeyBuilder().AddString(assignee).Build();
}
inline std::string PersonQueueKey(const v1::Step& step) {
  return storage::KeyBuilder()
      .AddString(step.assignee())
      .AddI64(QueueDueMicros(step))
      .AddString(step.step_id())
      .Build();
}

struct PersonQueueEntry {
  std::string assignee;
  int64_t due_micros = 0;
  std::string step_id;
};

inline absl::StatusOr<PersonQueueEntry> DecodePersonQueueKey(std::string_view key) {
  storage::KeyReader reader(key);
  PersonQueueEntry entry;
  if (!reader.ReadString(&entry.assignee) || !reader.ReadI64(&entry.due_micros) ||
      !reader.ReadString(&entry.step_id) || !reader.done()) {
    return MalformedKey(kQueueByPerson, key);
  }
  return entry;
}

}  // namespace sunlight::workflow::store

#endif  // SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_STORE_H_
