#include "intake.h"

#include <random>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sunlight/base/mask.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/calendar/deadline.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight::intake {
namespace {

using common::v1::Actor;
using common::v1::TimeLimit;
using storage::KeyBuilder;

constexpr char kDepartments[] = "departments";
constexpr char kWindows[] = "windows";
constexpr char kItems[] = "items";
constexpr char kCases[] = "cases";
constexpr char kCaseNumbers[] = "case_numbers";
constexpr char kIdempotency[] = "idempotency";
constexpr char kCasesByDepartment[] = "cases_by_department";

constexpr uint32_t kDefaultPageSize = 50;
constexpr uint32_t kMaxPageSize = 500;

// Compares limits of the same unit; limits of different units are not compared.
bool LongerThan(const TimeLimit& a, const TimeLimit& b) {
  return a.unit() == b.unit() && a.amount() > b.amount();
}

std::string CaseKey(std::string_view case_id) { return std::string(case_id); }

std::string ItemKey(std::string_view item_code, uint32_t version) {
  return KeyBuilder().AddString(item_code).AddU64(version).Build();
}

std::string StateName(v1::CaseState state) { return v1::CaseState_Name(state); }

absl::Status WrongState(const v1::Case& record, absl::string_view action) {
  return absl::FailedPreconditionError(absl::StrCat(
      "case ", record.case_id(), " is in state ", StateName(record.state()), "; cannot ", action));
}

template <typename T>
absl::StatusOr<T> Parse(const std::string& bytes, absl::string_view what) {
  T message;
  if (!message.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("unreadable ", what));
  }
  return message;
}

std::string NewQueryCode() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return absl::StrFormat("%06d", static_cast<int>(rng() % 1000000));
}

void MaskApplicant(v1::Case& record) {
  auto* applicant = record.mutable_applicant();
  applicant->set_id_number(MaskIdNumber(applicant->id_number()));
  applicant->set_phone(MaskPhone(applicant->phone()));
  record.clear_query_code();
}

std::vector<calendar::PauseInterval> PausesOf(const v1::Case& record) {
  std::vector<calendar::PauseInterval> pauses;
  for (const auto& p : record.pauses()) {
    calendar::PauseInterval interval{FromProto(p.start()), std::nullopt, p.reason()};
    if (p.has_end()) interval.end = FromProto(p.end());
    pauses.push_back(std::move(interval));
  }
  return pauses;
}

}  // namespace

std::vector<std::string> IntakeColumnFamilies() {
  return {kDepartments, kWindows, kItems, kCases, kCaseNumbers, kIdempotency, kCasesByDepartment};
}

absl::StatusOr<std::unique_ptr<Intake>> Intake::Open(
    storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
    const Clock* clock) {
  if (calendar == nullptr) return absl::InvalidArgumentError("calendar: required");
  SUNLIGHT_ASSIGN_OR_RETURN(auto log, eventlog::EventLog::Open(store, "intake"));
  SUNLIGHT_ASSIGN_OR_RETURN(auto last, store->Last(kCases));
  uint64_t last_number = 0;
  if (last.has_value()) {
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, Parse<v1::Case>(last->second, "case"));
    // case ids are "c" + 12 digits, so the greatest key holds the greatest number.
    last_number = std::stoull(record.case_id().substr(1));
  }
  return std::unique_ptr<Intake>(
      new Intake(store, std::move(log), std::move(calendar), clock, last_number));
}

Intake::Intake(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
               std::shared_ptr<const calendar::WorkingCalendar> calendar, const Clock* clock,
               uint64_t last_case_number)
    : store_(store),
      log_(std::move(log)),
      calendar_(std::move(calendar)),
      clock_(clock),
      last_case_number_(last_case_number) {}

std::mutex& Intake::CaseLock(std::string_view key) {
  return case_locks_[std::hash<std::string_view>()(key) % case_locks_.size()];
}

absl::Status Intake::CommitCatalogue(storage::WriteBatch batch, std::string type,
                                     const Actor& actor, const google::protobuf::Message& payload) {
  events::v1::CaseEvent event;
  event.set_type(std::move(type));
  *event.mutable_actor() = actor;
  *event.mutable_occurred_at() = ToProto(clock_->Now());
  event.mutable_payload()->PackFrom(payload);
  return log_->Commit(std::move(batch), {std::move(event)}).status();
}

absl::StatusOr<v1::Case> Intake::CommitCase(v1::Case record, std::string type, const Actor& actor,
                                            const google::protobuf::Message& payload,
                                            storage::WriteBatch batch) {
  record.set_version(record.version() + 1);
  events::v1::CaseEvent event;
  event.set_case_id(record.case_id());
  event.set_case_version(record.version());
  event.set_type(std::move(type));
  *event.mutable_actor() = actor;
  *event.mutable_occurred_at() = ToProto(clock_->Now());
  event.mutable_payload()->PackFrom(payload);
  batch.Put(kCases, CaseKey(record.case_id()), record.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(batch), {std::move(event)}).status());
  return record;
}

absl::StatusOr<v1::Case> Intake::LoadCase(std::string_view case_id) const {
  if (case_id.empty()) return InvalidField("case_id", "required");
  SUNLIGHT_ASSIGN_OR_RETURN(auto bytes, store_->Get(kCases, CaseKey(case_id)));
  if (!bytes.has_value()) {
    return absl::NotFoundError(absl::StrCat("case ", std::string(case_id), " not found"));
  }
  return Parse<v1::Case>(*bytes, "case");
}

// ---------------------------------------------------------------- catalogue

absl::StatusOr<v1::Department> Intake::UpsertDepartment(
    const v1::UpsertDepartmentRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  const auto& department = request.department();
  SUNLIGHT_RETURN_IF_ERROR(RequireText(department.department_id(), "department.department_id"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(department.name(), "department.name"));
  std::lock_guard lock(catalogue_mu_);
  storage::WriteBatch batch;
  batch.Put(kDepartments, department.department_id(), department.SerializeAsString());
  v1::DepartmentUpserted payload;
  *payload.mutable_department() = department;
  SUNLIGHT_RETURN_IF_ERROR(
      CommitCatalogue(std::move(batch), "intake.department.upserted", request.actor(), payload));
  return department;
}

absl::StatusOr<v1::ListDepartmentsResponse> Intake::ListDepartments() const {
  v1::ListDepartmentsResponse response;
  absl::Status parse;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(kDepartments, "", "", [&](auto, std::string_view v) {
    if (!response.add_departments()->ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      parse = absl::DataLossError("unreadable department");
      return false;
    }
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
  SUNLIGHT_ASSIGN_OR_RETURN(auto department, store_->Get(kDepartments, window.department_id()));
  if (!department.has_value()) {
    return InvalidField("window.department_id",
                        absl::StrCat("no department ", window.department_id()));
  }
  storage::WriteBatch batch;
  batch.Put(kWindows, window.window_id(), window.SerializeAsString());
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
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(kWindows, "", "", [&](auto, std::string_view v) {
    v1::Window window;
    if (!window.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      parse = absl::DataLossError("unreadable window");
      return false;
    }
    if (request.department_id().empty() || window.department_id() == request.department_id()) {
      *response.add_windows() = std::move(window);
    }
    return true;
  }));
  SUNLIGHT_RETURN_IF_ERROR(parse);
  return response;
}

absl::StatusOr<std::optional<v1::ItemVersion>> Intake::LatestItem(
    std::string_view item_code) const {
  std::string prefix = KeyBuilder().AddString(item_code).Build();
  std::optional<std::string> bytes;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(
      kItems, prefix, storage::PrefixSuccessor(prefix),
      [&](auto, std::string_view v) {
        bytes.emplace(v);
        return false;
      },
      /*reverse=*/true));
  if (!bytes.has_value()) return std::optional<v1::ItemVersion>();
  SUNLIGHT_ASSIGN_OR_RETURN(auto item, Parse<v1::ItemVersion>(*bytes, "item version"));
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
    SUNLIGHT_RETURN_IF_ERROR(RequireText(step.role(), field + ".role"));
    SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(step.limit(), field + ".limit"));
    for (int b = 0; b < step.branches_size(); ++b) {
      std::string branch = absl::StrCat(field, ".branches[", b, "]");
      SUNLIGHT_RETURN_IF_ERROR(
          RequireText(step.branches(b).department_id(), branch + ".department_id"));
      SUNLIGHT_RETURN_IF_ERROR(RequireText(step.branches(b).role(), branch + ".role"));
      SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(step.branches(b).limit(), branch + ".limit"));
    }
    if (step.branches_required() > static_cast<uint32_t>(step.branches_size())) {
      return InvalidField(field + ".branches_required", "exceeds the number of branches");
    }
  }

  std::lock_guard lock(catalogue_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(auto department, store_->Get(kDepartments, definition.department_id()));
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
  batch.Put(kItems, ItemKey(item.definition().item_code(), item.version()),
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
  SUNLIGHT_ASSIGN_OR_RETURN(auto bytes,
                            store_->Get(kItems, ItemKey(request.item_code(), request.version())));
  if (!bytes.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("item ", request.item_code(), " version ", request.version(), " not found"));
  }
  return Parse<v1::ItemVersion>(*bytes, "item version");
}

absl::StatusOr<v1::ListItemsResponse> Intake::ListItems(const v1::ListItemsRequest& request) const {
  // Items are keyed (code, version): the last version of each code wins.
  v1::ListItemsResponse response;
  absl::Status parse;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(kItems, "", "", [&](auto, std::string_view v) {
    v1::ItemVersion item;
    if (!item.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      parse = absl::DataLossError("unreadable item version");
      return false;
    }
    if (response.items_size() > 0 &&
        response.items(response.items_size() - 1).definition().item_code() ==
            item.definition().item_code()) {
      response.mutable_items()->RemoveLast();
    }
    *response.add_items() = std::move(item);
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

// ---------------------------------------------------------------- cases

absl::StatusOr<v1::SubmitCaseResponse> Intake::SubmitCase(const v1::SubmitCaseRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.idempotency_key(), "idempotency_key"));
  if (request.idempotency_key().size() > 128) return InvalidField("idempotency_key", "too long");
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.item_code(), "item_code"));
  if (request.channel() == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(request.channel())) {
    return InvalidField("channel", "must be WINDOW or ONLINE");
  }
  const auto& applicant = request.applicant();
  if (applicant.kind() == v1::APPLICANT_KIND_UNSPECIFIED ||
      !v1::ApplicantKind_IsValid(applicant.kind())) {
    return InvalidField("applicant.kind", "must be PERSON or ORGANISATION");
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireText(applicant.name(), "applicant.name"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(applicant.id_number(), "applicant.id_number"));
  if (applicant.id_number().size() > 32) return InvalidField("applicant.id_number", "too long");
  if (applicant.phone().size() > 32) return InvalidField("applicant.phone", "too long");
  for (int i = 0; i < request.materials_size(); ++i) {
    SUNLIGHT_RETURN_IF_ERROR(
        RequireText(request.materials(i).name(), absl::StrCat("materials[", i, "].name")));
  }
  if (request.subject().size() > kMaxTextLength) return InvalidField("subject", "too long");

  std::string idempotency_key =
      KeyBuilder().AddString(request.actor().id()).AddString(request.idempotency_key()).Build();
  std::lock_guard lock(CaseLock(idempotency_key));
  SUNLIGHT_ASSIGN_OR_RETURN(auto existing, store_->Get(kIdempotency, idempotency_key));
  if (existing.has_value()) {
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Case original, LoadCase(*existing));
    if (original.item_code() != request.item_code() ||
        original.applicant().id_number() != applicant.id_number()) {
      return absl::AlreadyExistsError("idempotency_key: already used for a different submission");
    }
    v1::SubmitCaseResponse response;
    *response.mutable_case_() = std::move(original);
    response.set_replayed(true);
    return response;
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto item, LatestItem(request.item_code()));
  if (!item.has_value()) {
    return absl::NotFoundError(absl::StrCat("item_code: no item ", request.item_code()));
  }

  absl::Time now = clock_->Now();
  uint64_t number = ++last_case_number_;
  v1::Case record;
  record.set_case_id(absl::StrFormat("c%012d", number));
  record.set_case_number(absl::StrCat(absl::FormatTime("%Y%m%d", now, calendar_->time_zone()), "-",
                                      absl::StrFormat("%06d", number)));
  record.set_state(v1::CASE_STATE_SUBMITTED);
  record.set_item_code(request.item_code());
  record.set_item_version(item->version());
  record.set_department_id(item->definition().department_id());
  record.set_channel(request.channel());
  *record.mutable_applicant() = applicant;
  *record.mutable_materials() = request.materials();
  *record.mutable_submitted_at() = ToProto(now);
  *record.mutable_submitted_by() = request.actor();
  record.set_subject(request.subject());
  record.set_query_code(NewQueryCode());

  storage::WriteBatch batch;
  batch.Put(kIdempotency, idempotency_key, record.case_id());
  batch.Put(kCaseNumbers, record.case_number(), record.case_id());
  batch.Put(kCasesByDepartment,
            KeyBuilder()
                .AddString(record.department_id())
                .AddI64(absl::ToUnixMicros(now))
                .AddString(record.case_id())
                .Build(),
            "");
  v1::CaseSubmitted payload;
  *payload.mutable_case_() = record;
  payload.mutable_case_()->clear_query_code();  // a secret of the applicant's, never streamed
  SUNLIGHT_ASSIGN_OR_RETURN(record, CommitCase(std::move(record), "intake.case.submitted",
                                               request.actor(), payload, std::move(batch)));
  v1::SubmitCaseResponse response;
  *response.mutable_case_() = std::move(record);
  return response;
}

absl::StatusOr<v1::Case> Intake::AcceptCase(const v1::AcceptCaseRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  std::lock_guard lock(CaseLock(request.case_id()));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, LoadCase(request.case_id()));
  if (record.state() != v1::CASE_STATE_SUBMITTED) return WrongState(record, "accept");
  if (!request.window_id().empty()) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto window, store_->Get(kWindows, request.window_id()));
    if (!window.has_value()) {
      return InvalidField("window_id", absl::StrCat("no window ", request.window_id()));
    }
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto item, LatestItem(record.item_code()));
  if (!item.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("item ", record.item_code(), " no longer exists"));
  }
  for (const auto& required : item->definition().required_materials()) {
    if (!required.mandatory()) continue;
    bool present = false;
    for (const auto& m : record.materials()) present |= m.code() == required.code();
    if (!present) {
      return absl::FailedPreconditionError(
          absl::StrCat("case ", record.case_id(), " lacks mandatory material ", required.code(),
                       " (", required.name(), "); request supplements before accepting"));
    }
  }

  absl::Time now = clock_->Now();
  calendar::DeadlineRequest promised{
      .accepted_at = now, .limit = item->definition().promised_limit(), .pauses = {}, .as_of = now};
  SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline promised_due,
                            calendar::ComputeDeadline(*calendar_, promised));
  calendar::DeadlineRequest statutory = promised;
  statutory.limit = item->definition().statutory_limit();
  SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline statutory_due,
                            calendar::ComputeDeadline(*calendar_, statutory));

  record.set_state(v1::CASE_STATE_ACCEPTED);
  record.set_item_version(item->version());
  auto* receipt = record.mutable_receipt();
  receipt->set_receipt_number(absl::StrCat("R", record.case_number()));
  *receipt->mutable_accepted_at() = ToProto(now);
  *receipt->mutable_accepted_by() = request.actor();
  receipt->set_window_id(request.window_id());
  *receipt->mutable_promised_due() = ToProto(promised_due.due);
  *receipt->mutable_statutory_due() = ToProto(statutory_due.due);
  receipt->set_calendar_version(calendar_->versioned_name());
  receipt->set_item_version(item->version());
  *record.mutable_current_due() = receipt->promised_due();

  v1::CaseAccepted payload;
  *payload.mutable_receipt() = *receipt;
  *payload.mutable_item() = *item;
  payload.set_department_id(record.department_id());
  payload.set_case_number(record.case_number());
  return CommitCase(std::move(record), "intake.case.accepted", request.actor(), payload);
}

absl::StatusOr<v1::Case> Intake::RefuseCase(const v1::RefuseCaseRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.reason(), "reason"));
  std::lock_guard lock(CaseLock(request.case_id()));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, LoadCase(request.case_id()));
  // Refusal (不予受理) is a decision on acceptance; an accepted case is denied by workflow.
  if (record.has_receipt() || (record.state() != v1::CASE_STATE_SUBMITTED &&
                               record.state() != v1::CASE_STATE_AWAITING_SUPPLEMENT)) {
    return WrongState(record, "refuse");
  }
  absl::Time now = clock_->Now();
  record.set_state(v1::CASE_STATE_REFUSED);
  record.set_closing_reason(request.reason());
  *record.mutable_closed_at() = ToProto(now);
  v1::CaseRefused payload;
  payload.set_reason(request.reason());
  return CommitCase(std::move(record), "intake.case.refused", request.actor(), payload);
}

absl::StatusOr<v1::Case> Intake::RequestSupplement(const v1::RequestSupplementRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  if (request.missing_materials_size() == 0) {
    return InvalidField("missing_materials", "list everything missing at once (at least one)");
  }
  for (int i = 0; i < request.missing_materials_size(); ++i) {
    std::string field = absl::StrCat("missing_materials[", i, "]");
    SUNLIGHT_RETURN_IF_ERROR(RequireText(request.missing_materials(i).name(), field + ".name"));
    SUNLIGHT_RETURN_IF_ERROR(RequireText(request.missing_materials(i).reason(), field + ".reason"));
  }
  std::lock_guard lock(CaseLock(request.case_id()));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, LoadCase(request.case_id()));
  if (record.state() != v1::CASE_STATE_SUBMITTED && record.state() != v1::CASE_STATE_ACCEPTED) {
    return WrongState(record, "request supplements");
  }
  absl::Time now = clock_->Now();
  bool clock_paused = record.state() == v1::CASE_STATE_ACCEPTED;
  record.set_state(v1::CASE_STATE_AWAITING_SUPPLEMENT);
  auto* round = record.add_supplements();
  *round->mutable_missing_materials() = request.missing_materials();
  *round->mutable_requested_at() = ToProto(now);
  *round->mutable_requested_by() = request.actor();
  if (clock_paused) {
    auto* pause = record.add_pauses();
    *pause->mutable_start() = ToProto(now);
    pause->set_reason("supplement");
  }
  v1::SupplementRequested payload;
  *payload.mutable_missing_materials() = request.missing_materials();
  payload.set_clock_paused(clock_paused);
  return CommitCase(std::move(record), "intake.case.supplement_requested", request.actor(),
                    payload);
}

absl::StatusOr<v1::Case> Intake::ReceiveSupplement(const v1::ReceiveSupplementRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  if (request.materials_size() == 0) return InvalidField("materials", "at least one material");
  for (int i = 0; i < request.materials_size(); ++i) {
    SUNLIGHT_RETURN_IF_ERROR(
        RequireText(request.materials(i).name(), absl::StrCat("materials[", i, "].name")));
  }
  std::lock_guard lock(CaseLock(request.case_id()));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, LoadCase(request.case_id()));
  if (record.state() != v1::CASE_STATE_AWAITING_SUPPLEMENT) {
    return WrongState(record, "receive supplements");
  }
  absl::Time now = clock_->Now();
  auto* round = record.mutable_supplements(record.supplements_size() - 1);
  *round->mutable_received_at() = ToProto(now);
  *round->mutable_received_materials() = request.materials();
  for (const auto& m : request.materials()) *record.add_materials() = m;
  v1::SupplementReceived payload;
  *payload.mutable_materials() = request.materials();
  if (record.has_receipt()) {
    record.set_state(v1::CASE_STATE_ACCEPTED);
    auto* pause = record.mutable_pauses(record.pauses_size() - 1);
    *pause->mutable_end() = ToProto(now);
    SUNLIGHT_ASSIGN_OR_RETURN(auto item, GetItem([&] {
                                v1::GetItemRequest r;
                                r.set_item_code(record.item_code());
                                r.set_version(record.item_version());
                                return r;
                              }()));
    calendar::DeadlineRequest deadline{.accepted_at = FromProto(record.receipt().accepted_at()),
                                       .limit = item.definition().promised_limit(),
                                       .pauses = PausesOf(record),
                                       .as_of = now};
    SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline due,
                              calendar::ComputeDeadline(*calendar_, deadline));
    *record.mutable_current_due() = ToProto(due.due);
    *payload.mutable_current_due() = record.current_due();
  } else {
    record.set_state(v1::CASE_STATE_SUBMITTED);
  }
  return CommitCase(std::move(record), "intake.case.supplement_received", request.actor(), payload);
}

absl::StatusOr<v1::Case> Intake::WithdrawCase(const v1::WithdrawCaseRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  if (request.reason().size() > kMaxTextLength) return InvalidField("reason", "too long");
  std::lock_guard lock(CaseLock(request.case_id()));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, LoadCase(request.case_id()));
  if (record.state() != v1::CASE_STATE_SUBMITTED && record.state() != v1::CASE_STATE_ACCEPTED &&
      record.state() != v1::CASE_STATE_AWAITING_SUPPLEMENT) {
    return WrongState(record, "withdraw");
  }
  absl::Time now = clock_->Now();
  if (record.pauses_size() > 0 && !record.pauses(record.pauses_size() - 1).has_end()) {
    *record.mutable_pauses(record.pauses_size() - 1)->mutable_end() = ToProto(now);
  }
  record.set_state(v1::CASE_STATE_WITHDRAWN);
  record.set_closing_reason(request.reason());
  *record.mutable_closed_at() = ToProto(now);
  v1::CaseWithdrawn payload;
  payload.set_reason(request.reason());
  return CommitCase(std::move(record), "intake.case.withdrawn", request.actor(), payload);
}

absl::StatusOr<v1::GetCaseResponse> Intake::GetCase(const v1::GetCaseRequest& request) const {
  std::string case_id = request.case_id();
  if (case_id.empty() && !request.case_number().empty()) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto id, store_->Get(kCaseNumbers, request.case_number()));
    if (!id.has_value()) {
      return absl::NotFoundError(absl::StrCat("case number ", request.case_number(), " not found"));
    }
    case_id = *id;
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireText(case_id, "case_id"));
  v1::GetCaseResponse response;
  SUNLIGHT_ASSIGN_OR_RETURN(*response.mutable_case_(), LoadCase(case_id));
  if (request.include_history()) {
    std::vector<events::v1::CaseEvent> history;
    SUNLIGHT_RETURN_IF_ERROR(log_->ReadCase(case_id, &history));
    for (auto& event : history) *response.add_history() = std::move(event);
  }
  return response;
}

absl::StatusOr<v1::ListCasesResponse> Intake::ListCases(const v1::ListCasesRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.department_id(), "department_id"));
  if (!v1::CaseState_IsValid(request.state())) return InvalidField("state", "unknown state");
  uint32_t page_size = request.page().page_size();
  if (page_size == 0) page_size = kDefaultPageSize;
  if (page_size > kMaxPageSize) return InvalidField("page.page_size", "must be at most 500");

  std::string prefix = KeyBuilder().AddString(request.department_id()).Build();
  std::string lower = prefix;
  std::string upper = storage::PrefixSuccessor(prefix);
  if (request.has_submitted_from()) {
    lower = KeyBuilder()
                .AddString(request.department_id())
                .AddI64(absl::ToUnixMicros(FromProto(request.submitted_from())))
                .Build();
  }
  if (request.has_submitted_to()) {
    upper = KeyBuilder()
                .AddString(request.department_id())
                .AddI64(absl::ToUnixMicros(FromProto(request.submitted_to())))
                .Build();
  }
  if (!request.page().page_token().empty()) {
    std::string token;
    if (!absl::WebSafeBase64Unescape(request.page().page_token(), &token) ||
        token.compare(0, prefix.size(), prefix) != 0) {
      return InvalidField("page.page_token", "not a token from this listing");
    }
    // Continue strictly after the last key returned.
    token.push_back('\0');
    if (token > lower) lower = token;
  }

  // A state filter may skip many entries; bound the work per page and hand back a token.
  const size_t max_scanned = static_cast<size_t>(page_size) * 20;
  size_t scanned = 0;
  std::string last_key;
  v1::ListCasesResponse response;
  absl::Status error;
  bool more = false;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kCasesByDepartment, lower, upper, [&](std::string_view key, std::string_view) {
        if (static_cast<uint32_t>(response.cases_size()) >= page_size || scanned >= max_scanned) {
          more = true;
          return false;
        }
        ++scanned;
        last_key = std::string(key);
        storage::KeyReader reader(key);
        std::string department, case_id;
        int64_t micros = 0;
        if (!reader.ReadString(&department) || !reader.ReadI64(&micros) ||
            !reader.ReadString(&case_id)) {
          error = absl::DataLossError("malformed case index entry");
          return false;
        }
        auto record = LoadCase(case_id);
        if (!record.ok()) {
          error = record.status();
          return false;
        }
        if (request.state() != v1::CASE_STATE_UNSPECIFIED && record->state() != request.state()) {
          return true;
        }
        MaskApplicant(*record);
        *response.add_cases() = *std::move(record);
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  if (more) response.set_next_page_token(absl::WebSafeBase64Escape(last_key));
  return response;
}

absl::StatusOr<v1::QueryProgressResponse> Intake::QueryProgress(
    const v1::QueryProgressRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_number(), "case_number"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.query_code(), "query_code"));
  // Unknown case number and wrong query code answer the same, so neither leaks.
  absl::Status not_found = absl::NotFoundError("no case with this case number and query code");
  SUNLIGHT_ASSIGN_OR_RETURN(auto case_id, store_->Get(kCaseNumbers, request.case_number()));
  if (!case_id.has_value()) return not_found;
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, LoadCase(*case_id));
  const std::string& expected = record.query_code();
  unsigned diff = expected.size() ^ request.query_code().size();
  for (size_t i = 0; i < expected.size() && i < request.query_code().size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ request.query_code()[i]);
  }
  if (diff != 0) return not_found;

  v1::QueryProgressResponse response;
  response.set_case_number(record.case_number());
  response.set_case_id(record.case_id());
  response.set_state(record.state());
  v1::GetItemRequest item_request;
  item_request.set_item_code(record.item_code());
  item_request.set_version(record.item_version());
  if (auto item = GetItem(item_request); item.ok()) {
    response.set_item_name(item->definition().name());
  }
  *response.mutable_submitted_at() = record.submitted_at();
  if (record.has_receipt()) {
    *response.mutable_accepted_at() = record.receipt().accepted_at();
    *response.mutable_promised_due() = record.current_due();
  }
  if (record.state() == v1::CASE_STATE_AWAITING_SUPPLEMENT && record.supplements_size() > 0) {
    *response.mutable_missing_materials() =
        record.supplements(record.supplements_size() - 1).missing_materials();
  }
  std::vector<events::v1::CaseEvent> history;
  SUNLIGHT_RETURN_IF_ERROR(log_->ReadCase(record.case_id(), &history));
  for (const auto& event : history) {
    auto* entry = response.add_entries();
    entry->set_type(event.type());
    *entry->mutable_occurred_at() = event.occurred_at();
  }
  return response;
}

absl::StatusOr<calendar::v1::DeadlineExplanation> Intake::ComputeDeadline(
    const v1::ComputeDeadlineRequest& request) const {
  if (!request.has_accepted_at()) return InvalidField("accepted_at", "required");
  google::protobuf::Timestamp as_of =
      request.has_as_of() ? request.as_of() : ToProto(clock_->Now());
  SUNLIGHT_ASSIGN_OR_RETURN(calendar::DeadlineRequest deadline,
                            calendar::DeadlineRequestFromProto(
                                request.accepted_at(), request.limit(), request.pauses(), as_of));
  return calendar::ExplainDeadline(*calendar_, deadline);
}

}  // namespace sunlight::intake
