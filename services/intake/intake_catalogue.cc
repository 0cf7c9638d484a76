// Intake catalogue: departments, windows and the versioned service items cases are made under.
#include "sunlight/intake/intake.h"

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "intake_store.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/storage/proto_record.h"

namespace sunlight::intake {
namespace {

// A step is taken by department staff: its role may not be one of the roles with a meaning
// of their own (an "inspector" step could be claimed by no one: inspectors are supervision's).
absl::Status RequireStepRole(const std::string& role, const std::string& field) {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(role, field));
  if (!auth::IsStaffRole(role)) {
    return InvalidField(field, absl::StrCat("\"", role, "\" is not a department staff role"));
  }
  return absl::OkStatus();
}

using common::v1::TimeLimit;

// Compares limits of the same unit; limits of different units are not compared.
bool LongerThan(const TimeLimit& a, const TimeLimit& b) {
  return a.unit() == b.unit() && a.amount() > b.amount();
}

}  // namespace

absl::StatusOr<v1::Department> Intake::UpsertDepartment(
    const v1::UpsertDepartmentRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  const auto& department = request.department();
  SUNLIGHT_RETURN_IF_ERROR(RequireText(department.department_id(), "department.department_id"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(department.name(), "department.name"));
  std::lock_guard lock(catalogue_mu_);
  storage::WriteBatch batch;
  batch.Put(store::kDepartments, department.department_id(), department.SerializeAsString());
  v1::DepartmentUpserted payload;
  *payload.mutable_department() = department;
  SUNLIGHT_RETURN_IF_ERROR(
      CommitCatalogue(std::move(batch), "intake.department.upserted", request.actor(), payload));
  return department;
}

absl::StatusOr<v1::ListDepartmentsResponse> Intake::ListDepartments() const {
  v1::ListDepartmentsResponse response;
  absl::Status parse;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kDepartments, "", "", [&](std::string_view k, std::string_view v) {
        absl::StatusOr<v1::Department> department =
            storage::ParseProto<v1::Department>(v, store::kDepartments, k);
        if (!department.ok()) {
          parse = department.status();
          return false;
        }
        *response.add_departments() = *std::move(department);
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(parse);
  return response;
}

absl::StatusOr<v1::Window> Intake::UpsertWindow(const v1::UpsertWindowRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  const auto& window = request.window();
  SUNLIGHT_RETURN_IF_ERROR(RequireText(window.window_id(), "window.window_id"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(window.name(), "window.name"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(window.department_id(), "window.department_id"));
  std::lock_guard lock(catalogue_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(auto department,
                            store_->Get(store::kDepartments, window.department_id()));
  if (!department.has_value()) {
    return InvalidField("window.department_id",
                        absl::StrCat("no department ", window.department_id()));
  }
  storage::WriteBatch batch;
  batch.Put(store::kWindows, window.window_id(), window.SerializeAsString());
  v1::WindowUpserted payload;
  *payload.mutable_window() = window;
  SUNLIGHT_RETURN_IF_ERROR(
      CommitCatalogue(std::move(batch), "intake.window.upserted", request.actor(), payload));
  return window;
}

absl::StatusOr<v1::ListWindowsResponse> Intake::ListWindows(
    const v1::ListWindowsRequest& request) const {
  v1::ListWindowsResponse response;
  absl::Status parse;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kWindows, "", "", [&](std::string_view k, std::string_view v) {
        absl::StatusOr<v1::Window> window = storage::ParseProto<v1::Window>(v, store::kWindows, k);
        if (!window.ok()) {
          parse = window.status();
          return false;
        }
        if (request.department_id().empty() || window->department_id() == request.department_id()) {
          *response.add_windows() = *std::move(window);
        }
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(parse);
  return response;
}

absl::StatusOr<std::optional<v1::ItemVersion>> Intake::LatestItem(
    std::string_view item_code) const {
  std::string prefix = store::Item::Prefix(item_code);
  std::optional<std::pair<std::string, std::string>> last;  // (key, value) of the last version
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(
      store::kItems, prefix, storage::PrefixSuccessor(prefix),
      [&](std::string_view k, std::string_view v) {
        last.emplace(std::string(k), std::string(v));
        return false;
      },
      /*reverse=*/true));
  if (!last.has_value()) return std::optional<v1::ItemVersion>();
  SUNLIGHT_ASSIGN_OR_RETURN(
      auto item, storage::ParseProto<v1::ItemVersion>(last->second, store::kItems, last->first));
  return std::optional<v1::ItemVersion>(std::move(item));
}

absl::StatusOr<v1::ItemVersion> Intake::PublishItemVersion(
    const v1::PublishItemVersionRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  v1::ItemDefinition definition = request.definition();
  SUNLIGHT_RETURN_IF_ERROR(RequireText(definition.item_code(), "definition.item_code"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(definition.name(), "definition.name"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(definition.department_id(), "definition.department_id"));
  if (definition.kind() == v1::ITEM_KIND_UNSPECIFIED || !v1::ItemKind_IsValid(definition.kind())) {
    return InvalidField("definition.kind", "must be set");
  }
  if (definition.type() == v1::ITEM_TYPE_UNSPECIFIED || !v1::ItemType_IsValid(definition.type())) {
    return InvalidField("definition.type", "must be set");
  }
  SUNLIGHT_RETURN_IF_ERROR(
      ValidateLimit(definition.statutory_limit(), "definition.statutory_limit"));
  SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(definition.promised_limit(), "definition.promised_limit"));
  if (LongerThan(definition.promised_limit(), definition.statutory_limit())) {
    return InvalidField("definition.promised_limit", "must not exceed the statutory limit");
  }
  if (definition.warning_margin_working_days() == 0) definition.set_warning_margin_working_days(1);
  std::set<std::string> codes;
  for (int i = 0; i < definition.required_materials_size(); ++i) {
    const auto& material = definition.required_materials(i);
    std::string field = absl::StrCat("definition.required_materials[", i, "]");
    SUNLIGHT_RETURN_IF_ERROR(RequireText(material.code(), field + ".code"));
    SUNLIGHT_RETURN_IF_ERROR(RequireText(material.name(), field + ".name"));
    if (!codes.insert(material.code()).second) return InvalidField(field + ".code", "duplicate");
  }
  for (int i = 0; i < definition.fees_size(); ++i) {
    if (definition.fees(i).amount_fen() < 0) {
      return InvalidField(absl::StrCat("definition.fees[", i, "].amount_fen"),
                          "must not be negative");
    }
  }
  codes.clear();
  for (int i = 0; i < definition.steps_size(); ++i) {
    const auto& step = definition.steps(i);
    std::string field = absl::StrCat("definition.steps[", i, "]");
    SUNLIGHT_RETURN_IF_ERROR(RequireText(step.code(), field + ".code"));
    if (!codes.insert(step.code()).second) return InvalidField(field + ".code", "duplicate");
    if (step.kind() == v1::STEP_KIND_UNSPECIFIED || !v1::StepKind_IsValid(step.kind())) {
      return InvalidField(field + ".kind", "must be set");
    }
    SUNLIGHT_RETURN_IF_ERROR(RequireText(step.department_id(), field + ".department_id"));
    SUNLIGHT_RETURN_IF_ERROR(RequireStepRole(step.role(), field + ".role"));
    SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(step.limit(), field + ".limit"));
    for (int b = 0; b < step.branches_size(); ++b) {
      std::string branch = absl::StrCat(field, ".branches[", b, "]");
      SUNLIGHT_RETURN_IF_ERROR(
          RequireText(step.branches(b).department_id(), branch + ".department_id"));
      SUNLIGHT_RETURN_IF_ERROR(RequireStepRole(step.branches(b).role(), branch + ".role"));
      SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(step.branches(b).limit(), branch + ".limit"));
    }
    if (step.branches_required() > static_cast<uint32_t>(step.branches_size())) {
      return InvalidField(field + ".branches_required", "exceeds the number of branches");
    }
  }

  std::lock_guard lock(catalogue_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(auto department,
                            store_->Get(store::kDepartments, definition.department_id()));
  if (!department.has_value()) {
    return InvalidField("definition.department_id",
                        absl::StrCat("no department ", definition.department_id()));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto latest, LatestItem(definition.item_code()));
  v1::ItemVersion item;
  *item.mutable_definition() = std::move(definition);
  item.set_version(latest.has_value() ? latest->version() + 1 : 1);
  *item.mutable_published_at() = ToProto(clock_->Now());
  *item.mutable_published_by() = request.actor();
  storage::WriteBatch batch;
  batch.Put(store::kItems, store::Item::Encode(item.definition().item_code(), item.version()),
            item.SerializeAsString());
  v1::ItemVersionPublished payload;
  *payload.mutable_item() = item;
  SUNLIGHT_RETURN_IF_ERROR(
      CommitCatalogue(std::move(batch), "intake.item.published", request.actor(), payload));
  return item;
}

absl::StatusOr<v1::ItemVersion> Intake::GetItem(const v1::GetItemRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.item_code(), "item_code"));
  if (request.version() == 0) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto latest, LatestItem(request.item_code()));
    if (!latest.has_value()) {
      return absl::NotFoundError(absl::StrCat("item ", request.item_code(), " not found"));
    }
    return *std::move(latest);
  }
  SUNLIGHT_ASSIGN_OR_RETURN(
      std::optional<v1::ItemVersion> item,
      storage::LoadProto<v1::ItemVersion>(
          *store_, store::kItems, store::Item::Encode(request.item_code(), request.version())));
  if (!item.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("item ", request.item_code(), " version ", request.version(), " not found"));
  }
  return *std::move(item);
}

absl::StatusOr<v1::ListItemsResponse> Intake::ListItems(const v1::ListItemsRequest& request) const {
  // Items are keyed (code, version): the last version of each code wins.
  v1::ListItemsResponse response;
  absl::Status parse;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kItems, "", "", [&](std::string_view k, std::string_view v) {
        absl::StatusOr<v1::ItemVersion> item =
            storage::ParseProto<v1::ItemVersion>(v, store::kItems, k);
        if (!item.ok()) {
          parse = item.status();
          return false;
        }
        if (response.items_size() > 0 &&
            response.items(response.items_size() - 1).definition().item_code() ==
                item->definition().item_code()) {
          response.mutable_items()->RemoveLast();
        }
        *response.add_items() = *std::move(item);
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(parse);
  if (!request.department_id().empty()) {
    v1::ListItemsResponse filtered;
    for (auto& item : *response.mutable_items()) {
      if (item.definition().department_id() == request.department_id()) {
        *filtered.add_items() = std::move(item);
      }
    }
    return filtered;
  }
  return response;
}

}  // namespace sunlight::intake
