// Intake: opening, the per-case locks, loading a case and the commit paths of cases and catalogue.
#include "sunlight/intake/intake.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "intake_store.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/eventlog/case_event.h"
#include "sunlight/storage/proto_record.h"

namespace sunlight::intake {
namespace {

using common::v1::Actor;

}  // namespace

std::vector<std::string> IntakeColumnFamilies() {
  return {store::kDepartments,
          store::kWindows,
          store::kItems,
          store::kCases,
          store::kCaseNumbers,
          store::kIdempotency,
          store::kCasesByDepartment,
          store::kNotifyQueryCodes};
}

absl::StatusOr<std::unique_ptr<Intake>> Intake::Open(
    storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
    const Clock* clock, std::shared_ptr<const auth::DataKey> data_key) {
  if (calendar == nullptr) return absl::InvalidArgumentError("calendar: required");
  SUNLIGHT_ASSIGN_OR_RETURN(auto log, eventlog::EventLog::Open(store, "intake"));
  SUNLIGHT_ASSIGN_OR_RETURN(auto last, store->Last(store::kCases));
  uint64_t last_number = 0;
  if (last.has_value()) {
    SUNLIGHT_ASSIGN_OR_RETURN(
        v1::Case record, storage::ParseProto<v1::Case>(last->second, store::kCases, last->first));
    // case ids are "c" + 12 digits, so the greatest key holds the greatest number.
    last_number = std::stoull(record.case_id().substr(1));
  }
  return std::unique_ptr<Intake>(new Intake(store, std::move(log), std::move(calendar), clock,
                                            last_number, std::move(data_key)));
}

Intake::Intake(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
               std::shared_ptr<const calendar::WorkingCalendar> calendar, const Clock* clock,
               uint64_t last_case_number, std::shared_ptr<const auth::DataKey> data_key)
    : store_(store),
      log_(std::move(log)),
      calendar_(std::move(calendar)),
      clock_(clock),
      data_key_(std::move(data_key)),
      last_case_number_(last_case_number) {}

std::mutex& Intake::CaseLock(std::string_view key) {
  return case_locks_[std::hash<std::string_view>()(key) % case_locks_.size()];
}

absl::Status Intake::CommitCatalogue(storage::WriteBatch batch, std::string type,
                                     const Actor& actor, const google::protobuf::Message& payload) {
  events::v1::CaseEvent event = eventlog::NewEvent(type, "", actor, clock_->Now(), payload);
  return log_->Commit(std::move(batch), {std::move(event)}).status();
}

absl::StatusOr<v1::Case> Intake::CommitCase(v1::Case record, std::string type, const Actor& actor,
                                            const google::protobuf::Message& payload,
                                            storage::WriteBatch batch) {
  record.set_version(record.version() + 1);
  // The payload as stored: a sealed copy when there is a data key.
  std::unique_ptr<google::protobuf::Message> sealed;
  if (data_key_ != nullptr) {
    sealed.reset(payload.New());
    sealed->CopyFrom(payload);
    SealPersonalData(sealed.get());
  }
  events::v1::CaseEvent event =
      eventlog::NewEvent(type, record.case_id(), actor, clock_->Now(), sealed ? *sealed : payload);
  event.set_case_version(record.version());
  v1::Case stored = record;
  SealPersonalData(&stored);
  stored.set_query_code(StoredQueryCode(record.query_code()));
  batch.Put(store::kCases, store::CaseKey(record.case_id()), stored.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(batch), {std::move(event)}).status());
  // The query code goes back only to the submission that made it; a digest never does.
  if (record.query_code() != stored.query_code() || data_key_ == nullptr) return record;
  record.clear_query_code();
  return record;
}

absl::StatusOr<v1::Case> Intake::LoadCase(std::string_view case_id) const {
  if (case_id.empty()) return InvalidField("case_id", "required");
  SUNLIGHT_ASSIGN_OR_RETURN(
      std::optional<v1::Case> record,
      storage::LoadProto<v1::Case>(*store_, store::kCases, store::CaseKey(case_id)));
  if (!record.has_value()) {
    return absl::NotFoundError(absl::StrCat("case ", std::string(case_id), " not found"));
  }
  SUNLIGHT_RETURN_IF_ERROR(OpenPersonalData(&*record));
  return *std::move(record);
}

}  // namespace sunlight::intake
