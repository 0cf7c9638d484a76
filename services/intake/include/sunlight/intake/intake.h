// The intake service's logic: the catalogue (departments, windows, versioned service items)
// and cases from submission to acceptance, refusal, supplements and withdrawal.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(auto intake, Intake::Open(store.get(), calendar, clock));
//   SUNLIGHT_ASSIGN_OR_RETURN(auto submitted, intake->SubmitCase(request));
//
// Every state change and its case event commit in one write batch through the event log.
// Errors: kInvalidArgument names the offending field, kFailedPrecondition names the case's
// state, kNotFound, kAlreadyExists. Thread-safe: calls on one case are serialized.
#ifndef SUNLIGHT_SERVICES_INTAKE_INTAKE_H_
#define SUNLIGHT_SERVICES_INTAKE_INTAKE_H_

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sunlight/auth/data_key.h"
#include "sunlight/base/clock.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/intake/intake_metrics.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::intake {

// Column families of the intake store, besides the event log's.
std::vector<std::string> IntakeColumnFamilies();

class Intake {
 public:
  // `store` must have IntakeColumnFamilies() and eventlog::ColumnFamilies(); it, the
  // calendar and the clock must outlive the Intake.
  // `data_key` seals applicants' ID numbers and phones and hashes query codes at rest; null
  // keeps them in clear (in-process tests and insecure development only).
  static absl::StatusOr<std::unique_ptr<Intake>> Open(
      storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
      const Clock* clock, std::shared_ptr<const auth::DataKey> data_key = nullptr);

  eventlog::EventLog& event_log() { return *log_; }
  // Its metrics; main registers them where they are exposed (/metrics).
  IntakeMetrics& metrics() { return metrics_; }

  // Catalogue.
  absl::StatusOr<v1::Department> UpsertDepartment(const v1::UpsertDepartmentRequest& request);
  absl::StatusOr<v1::ListDepartmentsResponse> ListDepartments() const;
  absl::StatusOr<v1::Window> UpsertWindow(const v1::UpsertWindowRequest& request);
  absl::StatusOr<v1::ListWindowsResponse> ListWindows(const v1::ListWindowsRequest& request) const;
  absl::StatusOr<v1::ItemVersion> PublishItemVersion(const v1::PublishItemVersionRequest& request);
  absl::StatusOr<v1::ItemVersion> GetItem(const v1::GetItemRequest& request) const;
  absl::StatusOr<v1::ListItemsResponse> ListItems(const v1::ListItemsRequest& request) const;

  // Cases.
  absl::StatusOr<v1::SubmitCaseResponse> SubmitCase(const v1::SubmitCaseRequest& request);
  absl::StatusOr<v1::Case> AcceptCase(const v1::AcceptCaseRequest& request);
  absl::StatusOr<v1::Case> RefuseCase(const v1::RefuseCaseRequest& request);
  absl::StatusOr<v1::Case> RequestSupplement(const v1::RequestSupplementRequest& request);
  absl::StatusOr<v1::Case> ReceiveSupplement(const v1::ReceiveSupplementRequest& request);
  absl::StatusOr<v1::Case> WithdrawCase(const v1::WithdrawCaseRequest& request);
  absl::StatusOr<v1::GetCaseResponse> GetCase(const v1::GetCaseRequest& request) const;
  // The applicant's phone in full and whether they asked for text messages (the notify
  // service's only view of a case).
  absl::StatusOr<v1::ApplicantContact> GetApplicantContact(
      const v1::GetApplicantContactRequest& request) const;
  absl::StatusOr<v1::ListCasesResponse> ListCases(const v1::ListCasesRequest& request) const;
  absl::StatusOr<v1::QueryProgressResponse> QueryProgress(
      const v1::QueryProgressRequest& request) const;
  absl::StatusOr<calendar::v1::DeadlineExplanation> ComputeDeadline(
      const v1::ComputeDeadlineRequest& request) const;

 private:
  Intake(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
         std::shared_ptr<const calendar::WorkingCalendar> calendar, const Clock* clock,
         uint64_t last_case_number, std::shared_ptr<const auth::DataKey> data_key);

  // Personal data at rest (intake_personal_data.cc): sealing every Applicant in a message
  // before it is stored, opening them after it is read (DATA_LOSS when one does not open).
  void SealPersonalData(google::protobuf::Message* message) const;
  absl::Status OpenPersonalData(google::protobuf::Message* message) const;
  // A query code's stored form (a keyed digest with a data key); whether a given code matches
  // a stored one.
  std::string StoredQueryCode(const std::string& code) const;
  bool QueryCodeMatches(const std::string& stored, const std::string& given) const;

  std::mutex& CaseLock(std::string_view key);
  absl::StatusOr<v1::Case> LoadCase(std::string_view case_id) const;
  absl::StatusOr<std::optional<v1::ItemVersion>> LatestItem(std::string_view item_code) const;
  // Writes the case, one event for it, and the extra puts in `batch`, atomically.
  absl::StatusOr<v1::Case> CommitCase(v1::Case record, std::string type,
                                      const common::v1::Actor& actor,
                                      const google::protobuf::Message& payload,
                                      storage::WriteBatch batch = {});
  absl::Status CommitCatalogue(storage::WriteBatch batch, std::string type,
                               const common::v1::Actor& actor,
                               const google::protobuf::Message& payload);

  storage::Store* store_;
  std::unique_ptr<eventlog::EventLog> log_;
  IntakeMetrics metrics_;
  std::shared_ptr<const calendar::WorkingCalendar> calendar_;
  const Clock* clock_;
  std::shared_ptr<const auth::DataKey> data_key_;
  std::atomic<uint64_t> last_case_number_;
  std::mutex catalogue_mu_;  // serializes catalogue changes (item version numbering)
  std::array<std::mutex, 64> case_locks_;
};

}  // namespace sunlight::intake

#endif  // SUNLIGHT_SERVICES_INTAKE_INTAKE_H_
