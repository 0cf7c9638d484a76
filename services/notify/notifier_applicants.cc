// The notifier's messages to the public (notifier.h): a case's applicant, from the intake and
// workflow streams, and a complainant, from the scoring stream. Both wait out quiet hours.
#include "absl/strings/str_cat.h"
#include "notifier_text.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/notify/notifier.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::notify {

absl::StatusOr<std::vector<std::pair<v1::Contact, intake::v1::ApplicantContact>>>
Notifier::ApplicantContacts(const std::string& case_id, bool any) {
  std::vector<std::pair<v1::Contact, intake::v1::ApplicantContact>> out;
  if (applicants_ == nullptr) return out;
  auto contact = applicants_->Contact(case_id);
  if (contact.status().code() == absl::StatusCode::kNotFound) return out;
  SUNLIGHT_RETURN_IF_ERROR(contact.status());
  v1::Contact to;
  to.set_person_id(absl::StrCat("applicant:", contact->case_number()));
  to.set_language(contact->language());
  if (any) {
    // By hand: whatever reaches them (nothing chosen: reported as undeliverable).
    if (!contact->phone().empty()) {
      to.set_phone(contact->phone());
    } else {
      to.set_email(contact->email());
    }
    out.emplace_back(std::move(to), *contact);
    return out;
  }
  if (contact->notify_by_sms() && !contact->phone().empty()) {
    v1::Contact sms = to;
    sms.set_phone(contact->phone());
    out.emplace_back(std::move(sms), *contact);
  }
  if (contact->notify_by_email() && !contact->email().empty()) {
    v1::Contact mail = to;
    mail.set_email(contact->email());
    out.emplace_back(std::move(mail), *contact);
  }
  return out;
}

absl::Status Notifier::StageForApplicant(Staging& staging, const events::v1::CaseEvent& event) {
  if (applicants_ == nullptr || event.case_id().empty()) return absl::OkStatus();
  const std::string& type = event.type();
  std::string kind, what;
  TextFields fields;
  bool invite = false;
  if (type == "intake.case.submitted") {
    kind = "case.submitted";
  } else if (type == "intake.case.accepted") {
    intake::v1::CaseAccepted accepted;
    if (!event.payload().UnpackTo(&accepted)) return absl::DataLossError("bad payload");
    kind = "case.accepted";
    fields.emplace_back("due", BeijingTime(FromProto(accepted.receipt().promised_due()), false));
  } else if (type == "intake.case.supplement_requested") {
    // The one complete list of what is missing (一次性告知), each request its own message.
    intake::v1::SupplementRequested requested;
    if (!event.payload().UnpackTo(&requested)) return absl::DataLossError("bad payload");
    kind = "case.supplement";
    std::string materials;
    for (const auto& m : requested.missing_materials()) {
      if (!materials.empty()) materials += "、";
      materials += m.name();
    }
    fields.emplace_back("materials", materials);
    what = absl::StrCat(event.case_version());
  } else if (type == "workflow.case.decided") {
    workflow::v1::CaseDecided decided;
    if (!event.payload().UnpackTo(&decided)) return absl::DataLossError("bad payload");
    kind = "case.decided";
    fields.emplace_back("decision", decided.decision() == workflow::v1::DECISION_APPROVED
                                        ? "准予许可"
                                        : "不予许可");
  } else if (type == "workflow.case.completed") {
    kind = "case.completed";
    invite = true;  // and the invitation to rate the service (评价)
  } else if (type == "workflow.certificate.issued") {
    workflow::v1::CertificateIssued issued;
    if (!event.payload().UnpackTo(&issued)) return absl::DataLossError("bad payload");
    kind = "certificate.ready";
    fields.emplace_back("certificate", issued.certificate_number());
  } else {
    return absl::OkStatus();
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto contacts, ApplicantContacts(event.case_id(), false));
  const absl::Time not_before = AfterQuietHours(clock_->Now());
  for (const auto& contact : contacts) {
    const auto& to = contact.first;  // a structured binding is not captured by clang 14
    const auto& applicant = contact.second;
    TextFields filled = fields;
    filled.emplace_back("case_number", applicant.case_number());
    filled.emplace_back("item", applicant.item_name());
    if (kind == "case.submitted") filled.emplace_back("query_code", applicant.query_code());
    // Text-message keys name no channel (as before e-mail was offered); e-mail ones do.
    auto key = [&](const std::string& k) {
      std::string base = what.empty() ? SafeKey({"applicant", event.case_id(), k})
                                      : SafeKey({"applicant", event.case_id(), k, what});
      return to.phone().empty() ? SafeKey({base, "email"}) : base;
    };
    SUNLIGHT_RETURN_IF_ERROR(
        Stage(staging, to, key(kind), kind, event.case_id(), filled, not_before));
    if (invite) {
      SUNLIGHT_RETURN_IF_ERROR(Stage(staging, to, key("evaluation.invitation"),
                                     "evaluation.invitation", event.case_id(), filled, not_before));
    }
  }
  return absl::OkStatus();
}

absl::Status Notifier::StageForComplainant(Staging& staging, const events::v1::CaseEvent& event) {
  if (complainants_ == nullptr) return absl::OkStatus();
  const std::string& type = event.type();
  std::string kind;
  if (type == "scoring.complaint.accepted") {
    kind = "complaint.accepted";
  } else if (type == "scoring.complaint.not_accepted") {
    kind = "complaint.not_accepted";
  } else if (type == "scoring.complaint.concluded") {
    kind = "complaint.answered";
  } else {
    return absl::OkStatus();
  }
  scoring::v1::ComplaintChanged changed;
  if (!event.payload().UnpackTo(&changed)) return absl::DataLossError("bad payload");
  const scoring::v1::Complaint& complaint = changed.complaint();
  auto contact = complainants_->Complainant(complaint.complaint_id());
  if (contact.status().code() == absl::StatusCode::kNotFound) return absl::OkStatus();
  SUNLIGHT_RETURN_IF_ERROR(contact.status());
  if (contact->phone().empty()) return absl::OkStatus();  // anonymous: they follow it by code
  v1::Contact to;
  to.set_person_id(absl::StrCat("complainant:", contact->complaint_number()));
  to.set_phone(contact->phone());
  const bool valid = complaint.outcome() == scoring::v1::COMPLAINT_OUTCOME_VALID;
  TextFields fields = {{"complaint_number", contact->complaint_number()},
                       {"due", complaint.has_handling_due_at()
                                   ? BeijingTime(FromProto(complaint.handling_due_at()), false)
                                   : ""},
                       {"reasons", kind == "complaint.answered" ? complaint.outcome_reasons()
                                                                : complaint.acceptance_reasons()},
                       {"outcome", valid ? "投诉属实" : "投诉不属实"},
                       {"outcome_en", valid ? "upheld" : "not upheld"}};
  return Stage(staging, to, SafeKey({"complaint", complaint.complaint_id(), kind}), kind,
               complaint.case_id(), fields, AfterQuietHours(clock_->Now()));
}

}  // namespace sunlight::notify
