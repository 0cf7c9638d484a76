// Intake queries: a case with its history, a department's cases, progress, deadline arithmetic.
#include "sunlight/intake/intake.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "intake_store.h"
#include "sunlight/base/mask.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/calendar/deadline.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/storage/paging.h"

namespace sunlight::intake {
namespace {

void MaskApplicant(v1::Case& record) {
  auto* applicant = record.mutable_applicant();
  applicant->set_id_number(MaskIdNumber(applicant->id_number()));
  applicant->set_phone(MaskPhone(applicant->phone()));
  applicant->set_email(MaskEmail(applicant->email()));
  record.clear_query_code();
}

}  // namespace

absl::StatusOr<v1::GetCaseResponse> Intake::GetCase(const v1::GetCaseRequest& request) const {
  std::string case_id = request.case_id();
  if (case_id.empty() && !request.case_number().empty()) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto id, store_->Get(store::kCaseNumbers, request.case_number()));
    if (!id.has_value()) {
      return absl::NotFoundError(absl::StrCat("case number ", request.case_number(), " not found"));
    }
    case_id = *id;
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireText(case_id, "case_id"));
  v1::GetCaseResponse response;
  SUNLIGHT_ASSIGN_OR_RETURN(*response.mutable_case_(), LoadCase(case_id));
  if (data_key_ != nullptr) response.mutable_case_()->clear_query_code();  // only its digest
  if (request.include_history()) {
    std::vector<events::v1::CaseEvent> history;
    SUNLIGHT_RETURN_IF_ERROR(log_->ReadCase(case_id, &history));
    for (auto& event : history) {
      SUNLIGHT_RETURN_IF_ERROR(OpenPersonalData(&event));
      *response.add_history() = std::move(event);
    }
  }
  return response;
}

absl::StatusOr<v1::ApplicantContact> Intake::GetApplicantContact(
    const v1::GetApplicantContactRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, LoadCase(request.case_id()));
  v1::ApplicantContact contact;
  contact.set_case_id(record.case_id());
  contact.set_case_number(record.case_number());
  v1::GetItemRequest item_request;
  item_request.set_item_code(record.item_code());
  item_request.set_version(record.item_version());
  if (auto item = GetItem(item_request); item.ok()) {
    contact.set_item_name(item->definition().name());
  }
  contact.set_phone(record.applicant().phone());
  contact.set_notify_by_sms(record.applicant().notify_by_sms());
  contact.set_email(record.applicant().email());
  contact.set_notify_by_email(record.applicant().notify_by_email());
  contact.set_language(record.applicant().language());
  SUNLIGHT_ASSIGN_OR_RETURN(auto code, store_->Get(store::kNotifyQueryCodes, record.case_id()));
  if (code.has_value() && data_key_ != nullptr) {
    auto opened = data_key_->Open(*code, store::kQueryCodeSealContext);
    if (!opened.ok()) return absl::DataLossError("a case's sealed query code does not open");
    code = *std::move(opened);
  }
  if (code.has_value()) contact.set_query_code(*std::move(code));
  return contact;
}

absl::StatusOr<v1::ListCasesResponse> Intake::ListCases(const v1::ListCasesRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.department_id(), "department_id"));
  if (!v1::CaseState_IsValid(request.state())) return InvalidField("state", "unknown state");
  std::string prefix = store::CasesByDepartment::Prefix(request.department_id());
  SUNLIGHT_ASSIGN_OR_RETURN(
      storage::Page page,
      storage::ReadPage(request.page().page_size(), request.page().page_token(), prefix));

  if (request.has_submitted_from()) {
    std::string from = store::CasesByDepartment::Prefix(
        request.department_id(), absl::ToUnixMicros(FromProto(request.submitted_from())));
    if (from > page.lower) page.lower = std::move(from);
  }
  if (request.has_submitted_to()) {
    page.upper = store::CasesByDepartment::Prefix(
        request.department_id(), absl::ToUnixMicros(FromProto(request.submitted_to())));
  }
  page.max_examined = static_cast<size_t>(page.size) * 20;  // a state filter may skip many
  v1::ListCasesResponse response;
  SUNLIGHT_ASSIGN_OR_RETURN(
      std::string next,
      storage::ScanPage(*store_, store::kCasesByDepartment, prefix, page,
                        [&](std::string_view key, std::string_view) -> absl::StatusOr<bool> {
                          auto entry = store::CasesByDepartment::Decode(key);
                          if (!entry.has_value())
                            return store::MalformedKey(store::kCasesByDepartment, key);
                          SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, LoadCase(std::get<2>(*entry)));
                          if (request.state() != v1::CASE_STATE_UNSPECIFIED &&
                              record.state() != request.state()) {
                            return false;
                          }
                          MaskApplicant(record);
                          *response.add_cases() = std::move(record);
                          return true;
                        }));
  response.set_next_page_token(next);
  return response;
}

absl::StatusOr<v1::QueryProgressResponse> Intake::QueryProgress(
    const v1::QueryProgressRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_number(), "case_number"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.query_code(), "query_code"));
  // Unknown case number and wrong query code answer the same, so neither leaks.
  absl::Status not_found = absl::NotFoundError("no case with this case number and query code");
  SUNLIGHT_ASSIGN_OR_RETURN(auto case_id, store_->Get(store::kCaseNumbers, request.case_number()));
  if (!case_id.has_value()) return not_found;
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, LoadCase(*case_id));
  if (!QueryCodeMatches(record.query_code(), request.query_code())) return not_found;

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
