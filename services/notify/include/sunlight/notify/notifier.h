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
// From the intake and workflow streams, to applicants who asked at submission
// (Applicant.notify_by_sms, notify_by_email: each channel chosen gets its own message):
// submitted (with the case number and the query code), supplement needed (the one complete
// list), accepted (with the promised date), decided, completed, certificate ready, and the
// invitation to rate the service. From the scoring stream, to complainants who left a phone:
// complaint accepted (or not, with the reasons) and answered (the outcome). Applicants and
// complainants are not woken: outside 08:00-21:00 (Beijing time) their messages wait for
// 08:00. By hand (SendMessage): an administrator's or inspector's text to a case's applicant
// or to a department's staff. A contact's language ("en") picks the English texts.
// Thread-safe.
#ifndef SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_H_
#define SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_H_

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sunlight/base/clock.h"
#include "sunlight/events/v1/events.pb.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/notify/outbox.h"
#include "sunlight/notify/v1/notify.pb.h"
#include "sunlight/scoring/v1/voice.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::notify {

inline constexpr char kSupervisionStream[] = "supervision";
inline constexpr char kIntakeStream[] = "intake";
inline constexpr char kWorkflowStream[] = "workflow";
inline constexpr char kScoringStream[] = "scoring";

// How to reach a case's applicant: intake's GetApplicantContact behind a small interface, so
// a test can answer it. NOT_FOUND for an unknown case; any other error makes the stream's
// batch wait and come again.
class ApplicantDirectory {
 public:
  virtual ~ApplicantDirectory() = default;
  virtual absl::StatusOr<intake::v1::ApplicantContact> Contact(const std::string& case_id) = 0;
};

// The fields a template's {placeholders} are filled from.
using TextFields = std::vector<std::pair<std::string, std::string>>;

// How to answer a complainant: scoring's GetComplainantContact behind a small interface.
// NOT_FOUND for an unknown complaint; other errors make the batch come again.
class ComplainantDirectory {
 public:
  virtual ~ComplainantDirectory() = default;
  virtual absl::StatusOr<scoring::v1::ComplainantContact> Complainant(
      const std::string& complaint_id) = 0;
};

// Column families of the notify store, besides the outbox's.
std::vector<std::string> NotifierColumnFamilies();

// The templates of a file (the JSON mapping of TemplateSet); every kind the notifier sends
// must be there (INVALID_ARGUMENT naming the missing one).
absl::StatusOr<v1::TemplateSet> LoadTemplates(const std::string& path);

class Notifier {
 public:
  // `applicants` null: nothing is sent to applicants (nor by hand to a case's applicant);
  // `complainants` null: nothing to complainants.
  static absl::StatusOr<std::unique_ptr<Notifier>> Open(
      storage::Store* store, const Clock* clock, v1::TemplateSet templates, Outbox* outbox,
      ApplicantDirectory* applicants = nullptr, ComplainantDirectory* complainants = nullptr);

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
  // A message by hand: one notification per recipient, keyed by the request id (a retried
  // request sends nothing again and answers what the first one staged).
  absl::StatusOr<v1::SendMessageResponse> SendMessage(const v1::SendMessageRequest& request);

 private:
  Notifier(storage::Store* store, const Clock* clock, v1::TemplateSet templates, Outbox* outbox,
           ApplicantDirectory* applicants, ComplainantDirectory* complainants)
      : store_(store),
        clock_(clock),
        templates_(std::move(templates)),
        outbox_(outbox),
        applicants_(applicants),
        complainants_(complainants) {}

  // The notifications of one write: the batch, the keys staged in it (the store does not have
  // them yet) and how many of them can be delivered.
  struct Staging {
    storage::WriteBatch batch;
    std::set<std::string> keys;
    size_t deliverable = 0;
    size_t undeliverable = 0;
  };
  // Stages one notification unless its key is staged or stored already.
  absl::Status Stage(Staging& staging, const v1::Contact& to, const std::string& key,
                     const std::string& kind, const std::string& case_id, const TextFields& fields,
                     absl::Time not_before = absl::InfinitePast(),
                     const common::v1::Actor* sent_by = nullptr);
  absl::Status CommitStaging(Staging& staging);

  // What an event means for staff (lights, notices), for the case's applicant (intake and
  // workflow) and for a complainant (scoring), staged.
  absl::Status StageForStaff(Staging& staging, const events::v1::CaseEvent& event);
  absl::Status StageForApplicant(Staging& staging, const events::v1::CaseEvent& event);
  absl::Status StageForComplainant(Staging& staging, const events::v1::CaseEvent& event);
  // The applicant of a case as contacts, one per channel they chose (by hand: `any` takes the
  // phone, else the e-mail, whatever they chose); none for an unknown case.
  absl::StatusOr<std::vector<std::pair<v1::Contact, intake::v1::ApplicantContact>>>
  ApplicantContacts(const std::string& case_id, bool any);

  // The people to tell of something in `department` (the responsible person first, when
  // given, then the department's heads), once each; people without a contact are left out
  // unless named as responsible.
  absl::StatusOr<std::vector<v1::Contact>> Recipients(const std::string& department,
                                                      const std::string& responsible) const;
  // Stages one notification of `kind` for `to` with the template's text filled from `fields`.
  // `not_before` unset: at once.
  absl::StatusOr<bool> StageFor(storage::WriteBatch& batch, const v1::Contact& to,
                                const std::string& key, const std::string& kind,
                                const std::string& case_id, const TextFields& fields,
                                absl::Time not_before, const common::v1::Actor* sent_by);

  storage::Store* store_;
  const Clock* clock_;
  const v1::TemplateSet templates_;
  Outbox* outbox_;
  ApplicantDirectory* applicants_;
  ComplainantDirectory* complainants_;
  std::mutex write_mu_;  // one stream batch or contact change at a time
};

}  // namespace sunlight::notify

#endif  // SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_H_
