// Intake cases: submission, acceptance, refusal, supplements and withdrawal of a case.
#include "sunlight/intake/intake.h"

#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "intake_store.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/calendar/deadline.h"

namespace sunlight::intake {
namespace {

std::string StateName(v1::CaseState state) { return v1::CaseState_Name(state); }

absl::Status WrongState(const v1::Case& record, absl::string_view action) {
  return absl::FailedPreconditionError(absl::StrCat(
      "case ", record.case_id(), " is in state ", StateName(record.state()), "; cannot ", action));
}

// Materials a case may carry, submitted and supplemented together.
constexpr int kMaxMaterials = 50;

// The materials of one request, and of the case with them: at most kMaxMaterials in all,
// each named, with a document reference of an allowed scheme.
absl::Status ValidateMaterials(
    const google::protobuf::RepeatedPtrField<v1::SubmittedMaterial>& materials,
    int already_on_case) {
  if (materials.size() + already_on_case > kMaxMaterials) {
    return InvalidField("materials", absl::StrCat("at most ", kMaxMaterials, " per case"));
  }
  for (int i = 0; i < materials.size(); ++i) {
    const std::string field = absl::StrCat("materials[", i, "]");
    SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(materials[i].name(), field + ".name", 256));
    if (materials[i].code().size() > 64) return InvalidField(field + ".code", "too long");
    if (!materials[i].document_ref().empty()) {
      SUNLIGHT_RETURN_IF_ERROR(
          ValidateDocumentRef(materials[i].document_ref(), field + ".document_ref"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

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
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(applicant.name(), "applicant.name", 256));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(applicant.id_number(), "applicant.id_number"));
  if (applicant.id_number().size() > 32) return InvalidField("applicant.id_number", "too long");
  if (applicant.phone().size() > 32) return InvalidField("applicant.phone", "too long");
  SUNLIGHT_RETURN_IF_ERROR(ValidateEmailAddress(applicant.email(), "applicant.email"));
  if (applicant.notify_by_sms()) {
    SUNLIGHT_RETURN_IF_ERROR(ValidatePhoneNumber(applicant.phone(), "applicant.phone"));
    if (applicant.phone().empty()) {
      return InvalidField("applicant.phone", "required for notify_by_sms");
    }
  }
  if (!applicant.language().empty() && applicant.language() != "zh" &&
      applicant.language() != "en") {
    return InvalidField("applicant.language", "zh or en");
  }
  if (applicant.notify_by_email() && applicant.email().empty()) {
    return InvalidField("applicant.email", "required for notify_by_email");
  }
  SUNLIGHT_RETURN_IF_ERROR(ValidateMaterials(request.materials(), 0));
  if (request.subject().size() > kMaxTextLength) return InvalidField("subject", "too long");

  std::string idempotency_key =
      store::Idempotency::Encode(request.actor().id(), request.idempotency_key());
  std::lock_guard lock(CaseLock(idempotency_key));
  SUNLIGHT_ASSIGN_OR_RETURN(auto existing, store_->Get(store::kIdempotency, idempotency_key));
  if (existing.has_value()) {
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Case original, LoadCase(*existing));
    if (original.item_code() != request.item_code() ||
        original.applicant().id_number() != applicant.id_number()) {
      return absl::AlreadyExistsError("idempotency_key: already used for a different submission");
    }
    // The query code went to the submission that made the case, once: a replay (maybe by
    // someone else behind the same address) does not get it.
    original.clear_query_code();
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
  SUNLIGHT_ASSIGN_OR_RETURN(std::string query_code, auth::NewQueryCode());
  record.set_query_code(std::move(query_code));

  storage::WriteBatch batch;
  if (applicant.notify_by_sms() || applicant.notify_by_email()) {
    batch.Put(store::kNotifyQueryCodes, record.case_id(),
              data_key_ == nullptr
                  ? record.query_code()
                  : data_key_->Seal(record.query_code(), store::kQueryCodeSealContext));
  }
  batch.Put(store::kIdempotency, idempotency_key, record.case_id());
  batch.Put(store::kCaseNumbers, record.case_number(), record.case_id());
  batch.Put(store::kCasesByDepartment,
            store::CasesByDepartment::Encode(record.department_id(), absl::ToUnixMicros(now),
                                             record.case_id()),
            "");
  v1::CaseSubmitted payload;
  *payload.mutable_case_() = record;
  payload.mutable_case_()->clear_query_code();  // a secret of the applicant's, never streamed
  SUNLIGHT_ASSIGN_OR_RETURN(record, CommitCase(std::move(record), "intake.case.submitted",
                                               request.actor(), payload, std::move(batch)));
  metrics_.cases_submitted.Increment();
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
    SUNLIGHT_ASSIGN_OR_RETURN(auto window, store_->Get(store::kWindows, request.window_id()));
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
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Case accepted, CommitCase(std::move(record), "intake.case.accepted",
                                                          request.actor(), payload));
  metrics_.cases_accepted.Increment();
  return accepted;
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
  if (!request.window_id().empty()) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto window, store_->Get(store::kWindows, request.window_id()));
    if (!window.has_value()) {
      return InvalidField("window_id", absl::StrCat("no window ", request.window_id()));
    }
  }
  absl::Time now = clock_->Now();
  record.set_state(v1::CASE_STATE_REFUSED);
  record.set_closing_reason(request.reason());
  *record.mutable_closed_at() = ToProto(now);
  v1::CaseRefused payload;
  payload.set_reason(request.reason());
  payload.set_window_id(request.window_id());
  payload.set_case_number(record.case_number());
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Case refused, CommitCase(std::move(record), "intake.case.refused",
                                                         request.actor(), payload));
  metrics_.cases_refused.Increment();
  return refused;
}

absl::StatusOr<v1::Case> Intake::RequestSupplement(const v1::RequestSupplementRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  if (request.missing_materials_size() == 0) {
    return InvalidField("missing_materials", "list everything missing at once (at least one)");
  }
  if (request.missing_materials_size() > kMaxMaterials) {
    return InvalidField("missing_materials", absl::StrCat("at most ", kMaxMaterials));
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
  SUNLIGHT_RETURN_IF_ERROR(ValidateMaterials(request.materials(), 0));
  std::lock_guard lock(CaseLock(request.case_id()));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, LoadCase(request.case_id()));
  SUNLIGHT_RETURN_IF_ERROR(ValidateMaterials(request.materials(), record.materials_size()));
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
                                       .pauses = calendar::PausesFromProto(record.pauses()),
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
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.reason(), "reason"));
  SUNLIGHT_RETURN_IF_ERROR(ValidateDocumentRef(request.applicant_request(), "applicant_request"));
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

}  // namespace sunlight::intake
