// The notify service's logic: notifications derived from the suite's event streams, kept in
// the outbox of libs/notify (outbox.h) and delivered by its channels.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(auto notifier, Notifier::Open(store, &clock, templates, outbox));
//   notifier->ApplyEvents("supervision", batch);   // lights and notices -> the people to tell
//
// From the supervision stream: each clock that turns yellow or red (a case, a step, a special
// procedure, a notice, a complaint, a rectification, an appeal) is told to the responsible
// person when there is one and to every head of the clock's department; each notice issued,
// to the department's heads. One notification per (clock, light, person) (its key
// "light.<clock id>.<light>.<person>", '/' read as '.'), staged in the same
// write as the stream's cursor, so a redelivered event or a restart sends nothing twice. A
// person is reached by text message when their contact has a phone, else by e-mail; with
// neither the notification is recorded dead with the reason, not dropped. Staff have no quiet
// hours.
//
// From the intake and workflow streams, to applicants who asked for text messages at
// submission (Applicant.notify_by_sms): accepted (with the promised date), decided,
// completed, certificate ready; outside 08:00-21:00 (Beijing time) they wait for 08:00.
// Thread-safe.
#ifndef SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_H_
#define SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sunlight/base/clock.h"
#include "sunlight/events/v1/events.pb.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/notify/outbox.h"
#include "sunlight/notify/v1/notify.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::notify {

inline constexpr char kSupervisionStream[] = "supervision";
inline constexpr char kIntakeStream[] = "intake";
inline constexpr char kWorkflowStream[] = "workflow";

// How to reach a case's applicant: intake's GetApplicantContact behind a small interface, so
// a test can answer it. NOT_FOUND for an unknown case; any other error makes the stream's
// batch wait and come again.
class ApplicantDirectory {
 public:
  virtual ~ApplicantDirectory() = default;
  virtual absl::StatusOr<intake::v1::ApplicantContact> Contact(const std::string& case_id) = 0;
};

// Column families of the notify store, besides the outbox's.
std::vector<std::string> NotifierColumnFamilies();

// The templates of a file (the JSON mapping of TemplateSet); every kind the notifier sends
// must be there (INVALID_ARGUMENT naming the missing one).
absl::StatusOr<v1::TemplateSet> LoadTemplates(const std::string& path);

class Notifier {
 public:
  // `applicants` null: nothing is sent to applicants.
  static absl::StatusOr<std::unique_ptr<Notifier>> Open(storage::Store* store, const Clock* clock,
                                                        v1::TemplateSet templates, Outbox* outbox,
                                                        ApplicantDirectory* applicants = nullptr);

  // Applies consecutive events of `stream`; the notifications they call for are staged in the
  // same write as the stream's cursor. Events at or before the cursor are skipped.
  absl::Status ApplyEvents(const std::string& stream,
                           const std::vector<events::v1::CaseEvent>& events);
  absl::StatusOr<uint64_t> Cursor(const std::string& stream) const;

  absl::StatusOr<v1::Contact> SetContact(const v1::SetContactRequest& request);
  absl::StatusOr<v1::ListContactsResponse> ListContacts(
      const v1::ListContactsRequest& request) const;
  absl::StatusOr<v1::ListNotificationsResponse> ListNotifications(
      const v1::ListNotificationsRequest& request) const;
  absl::StatusOr<v1::GetNotificationResponse> GetNotification(
      const v1::GetNotificationRequest& request) const;
  absl::StatusOr<v1::Notification> Resend(const v1::ResendRequest& request);

 private:
  Notifier(storage::Store* store, const Clock* clock, v1::TemplateSet templates, Outbox* outbox,
           ApplicantDirectory* applicants)
      : store_(store),
        clock_(clock),
        templates_(std::move(templates)),
        outbox_(outbox),
        applicants_(applicants) {}

  // The notification an intake or workflow event means for the case's applicant, if any:
  // (kind, fields).
  absl::StatusOr<bool> StageForApplicant(storage::WriteBatch& batch,
                                         const events::v1::CaseEvent& event, size_t& staged);

  // The people to tell of something in `department` (the responsible person first, when
  // given, then the department's heads), once each; people without a contact are left out
  // unless named as responsible.
  absl::StatusOr<std::vector<v1::Contact>> Recipients(const std::string& department,
                                                      const std::string& responsible) const;
  // Stages one notification of `kind` for `to` with the template's text filled from `fields`.
  // `not_before` unset: at once.
  absl::StatusOr<bool> StageFor(storage::WriteBatch& batch, const v1::Contact& to,
                                const std::string& key, const std::string& kind,
                                const std::string& case_id,
                                const std::vector<std::pair<std::string, std::string>>& fields,
                                absl::Time not_before = absl::InfinitePast());

  storage::Store* store_;
  const Clock* clock_;
  const v1::TemplateSet templates_;
  Outbox* outbox_;
  ApplicantDirectory* applicants_;
  std::mutex write_mu_;  // one stream batch or contact change at a time
};

}  // namespace sunlight::notify

#endif  // SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_H_
