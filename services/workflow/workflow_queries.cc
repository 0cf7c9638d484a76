// Workflow queries: a case's process with its history, and the work queues, most urgent first.
#include "sunlight/workflow/workflow.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/storage/paging.h"
#include "sunlight/storage/proto_record.h"
#include "workflow_store.h"

namespace sunlight::workflow {

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
    std::vector<events::v1::CaseEvent> history;
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
      family = store::kQueueByPerson;
      prefix = store::PersonQueue::Prefix(request.person_id());
      break;
    case v1::ListWorkQueueRequest::kRole:
      SUNLIGHT_RETURN_IF_ERROR(RequireText(request.role().department_id(), "role.department_id"));
      SUNLIGHT_RETURN_IF_ERROR(RequireText(request.role().role(), "role.role"));
      family = store::kQueueByRole;
      prefix = store::RoleQueue::Prefix(request.role().department_id(), request.role().role());
      break;
    case v1::ListWorkQueueRequest::kDepartmentId:
      SUNLIGHT_RETURN_IF_ERROR(RequireText(request.department_id(), "department_id"));
      family = store::kQueueByDepartment;
      prefix = store::DepartmentQueue::Prefix(request.department_id());
      break;
    default:
      return InvalidField("owner", "name a person_id, a role or a department_id");
  }
  SUNLIGHT_ASSIGN_OR_RETURN(
      storage::Page page,
      storage::ReadPage(request.page().page_size(), request.page().page_token(), prefix));
  absl::Time as_of = request.has_as_of() ? FromProto(request.as_of()) : clock_->Now();
  v1::ListWorkQueueResponse response;
  auto add_item = [&](std::string_view key, std::string_view value) -> absl::StatusOr<bool> {
    SUNLIGHT_ASSIGN_OR_RETURN(*response.add_items(),
                              storage::ParseProto<v1::WorkItem>(value, family, key));
    return true;
  };
  SUNLIGHT_ASSIGN_OR_RETURN(std::string next_page_token,
                            storage::ScanPage(*store_, family, prefix, page, add_item));
  for (auto& item : *response.mutable_items()) {
    if (item.has_due()) *item.mutable_remaining() = ToProtoDuration(FromProto(item.due()) - as_of);
  }
  response.set_next_page_token(next_page_token);
  return response;
}

}  // namespace sunlight::workflow
