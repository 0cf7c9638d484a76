// Messages written by hand (手工发送短消息, notifier.h): an administrator's or inspector's text
// to a case's applicant or to every member of a department's staff with a contact.
#include "absl/strings/str_cat.h"
#include "notifier_text.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/notify/notifier.h"

namespace sunlight::notify {

namespace {

absl::Status ValidateSendMessage(const v1::SendMessageRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.request_id(), "request_id", 64));
  if (SafeKey({request.request_id()}) != request.request_id()) {
    return InvalidField("request_id", "letters, digits and ._~- only");
  }
  if (request.case_id().empty() == request.department_id().empty()) {
    return InvalidField("case_id", "exactly one of case_id and department_id");
  }
  if (!request.case_id().empty()) {
    SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.case_id(), "case_id", 128));
  } else {
    SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.department_id(), "department_id", 128));
  }
  return RequireCharacters(request.text(), "text", 300, true);
}

}  // namespace

absl::StatusOr<v1::SendMessageResponse> Notifier::SendMessage(
    const v1::SendMessageRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateSendMessage(request));
  std::vector<v1::Contact> recipients;
  absl::Time not_before = absl::InfinitePast();
  if (!request.case_id().empty()) {
    if (applicants_ == nullptr) {
      return absl::FailedPreconditionError("notify runs without --intake: no applicants known");
    }
    SUNLIGHT_ASSIGN_OR_RETURN(auto contacts, ApplicantContacts(request.case_id(), true));
    if (contacts.empty()) return absl::NotFoundError(absl::StrCat("no case ", request.case_id()));
    for (auto& [to, applicant] : contacts) recipients.push_back(std::move(to));
    not_before = AfterQuietHours(clock_->Now());
  } else {
    v1::ListContactsRequest list;
    list.set_department_id(request.department_id());
    SUNLIGHT_ASSIGN_OR_RETURN(auto listed, ListContacts(list));
    for (auto& c : *listed.mutable_contacts()) recipients.push_back(std::move(c));
    if (recipients.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("department ", request.department_id(), " has no staff with a contact"));
    }
  }
  const common::v1::Actor& actor = request.actor();
  const TextFields fields = {{"text", request.text()},
                             {"from", actor.name().empty() ? actor.id() : actor.name()}};
  std::vector<std::string> keys;
  {
    std::lock_guard lock(write_mu_);
    Staging staging;
    for (const v1::Contact& to : recipients) {
      keys.push_back(SafeKey({"manual", request.request_id(), to.person_id()}));
      SUNLIGHT_RETURN_IF_ERROR(
          Stage(staging, to, keys.back(), "manual", request.case_id(), fields, not_before, &actor));
    }
    SUNLIGHT_RETURN_IF_ERROR(CommitStaging(staging));
  }
  v1::SendMessageResponse response;
  for (const std::string& key : keys) {
    SUNLIGHT_ASSIGN_OR_RETURN(*response.add_notifications(), outbox_->Get(key));
  }
  return response;
}

}  // namespace sunlight::notify
