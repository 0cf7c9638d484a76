// The notify service's logic (notifier.h): contacts, the supervision stream turned into
// notifications, and the outbox's records read back.
#include "sunlight/notify/notifier.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "notifier_text.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/eventlog/cursor.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/storage/proto_record.h"
#include "sunlight/storage/tuple_key.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::notify {

namespace sv1 = ::sunlight::supervision::v1;

namespace {

constexpr char kContacts[] = "contacts";                 // person id -> Contact
constexpr char kDepartmentHeads[] = "department_heads";  // HeadKey -> ""

// department_heads: (department, person).
using Head = storage::TupleKey<std::string, std::string>;

// The kinds the notifier sends, each of which the template set must have.
const std::vector<std::string>& Kinds() {
  static const auto* kinds =
      new std::vector<std::string>{"light.yellow",       "light.red",
                                   "notice.issued",      "case.submitted",
                                   "case.supplement",    "case.accepted",
                                   "case.decided",       "case.completed",
                                   "certificate.ready",  "evaluation.invitation",
                                   "complaint.accepted", "complaint.not_accepted",
                                   "complaint.answered", "manual"};
  return *kinds;
}

const char* ClockWhat(sv1::ClockKind kind) {
  switch (kind) {
    case sv1::CLOCK_KIND_CASE:
      return "办件";
    case sv1::CLOCK_KIND_STEP:
      return "办理环节";
    case sv1::CLOCK_KIND_PROCEDURE:
      return "特别程序";
    case sv1::CLOCK_KIND_NOTICE:
      return "督办通知";
    case sv1::CLOCK_KIND_APPEAL:
      return "绩效申诉";
    case sv1::CLOCK_KIND_RECTIFICATION:
      return "差评整改";
    case sv1::CLOCK_KIND_COMPLAINT_ACCEPTANCE:
      return "投诉受理";
    case sv1::CLOCK_KIND_COMPLAINT:
      return "投诉办理";
    default:
      return "事项";
  }
}

absl::Status ValidateContact(const v1::Contact& c) {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(c.person_id(), "contact.person_id", 64));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(c.department_id(), "contact.department_id", 128));
  if (!c.name().empty()) SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(c.name(), "contact.name", 256));
  SUNLIGHT_RETURN_IF_ERROR(ValidatePhoneNumber(c.phone(), "contact.phone"));
  SUNLIGHT_RETURN_IF_ERROR(ValidateEmailAddress(c.email(), "contact.email"));
  if (!c.webhook_url().empty() &&
      (!absl::StartsWith(c.webhook_url(), "https://") || c.webhook_url().size() > 2048 ||
       c.webhook_url().find_first_of(" \r\n\t") != std::string::npos)) {
    return InvalidField("contact.webhook_url", "an https:// URL of at most 2,048 bytes");
  }
  if (!c.language().empty() && c.language() != "zh" && c.language() != "en") {
    return InvalidField("contact.language", "zh or en");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> NotifierColumnFamilies() {
  std::vector<std::string> families = {kContacts, kDepartmentHeads};
  for (const std::string& f : OutboxColumnFamilies()) families.push_back(f);
  return families;
}

absl::StatusOr<v1::TemplateSet> LoadTemplates(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("templates: cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  v1::TemplateSet set;
  auto parsed = google::protobuf::util::JsonStringToMessage(text.str(), &set);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("templates: ", path, ": ", parsed.ToString()));
  }
  if (set.version().empty()) return InvalidField("templates.version", "required");
  for (const std::string& kind : Kinds()) {
    bool found = false;
    for (const auto& t : set.templates()) found |= t.kind() == kind && !t.body_zh().empty();
    if (!found) return InvalidField("templates", absl::StrCat("no Chinese text for ", kind));
  }
  return set;
}

absl::StatusOr<std::unique_ptr<Notifier>> Notifier::Open(storage::Store* store, const Clock* clock,
                                                         v1::TemplateSet templates, Outbox* outbox,
                                                         ApplicantDirectory* applicants,
                                                         ComplainantDirectory* complainants) {
  if (outbox == nullptr) return absl::InvalidArgumentError("outbox: required");
  return std::unique_ptr<Notifier>(
      new Notifier(store, clock, std::move(templates), outbox, applicants, complainants));
}

absl::StatusOr<uint64_t> Notifier::Cursor(const std::string& stream) const {
  return eventlog::ReadCursor(*store_, stream);
}

absl::StatusOr<v1::Contact> Notifier::SetContact(const v1::SetContactRequest& request) {
  const v1::Contact& c = request.contact();
  SUNLIGHT_RETURN_IF_ERROR(ValidateContact(c));
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(auto old,
                            storage::LoadProto<v1::Contact>(*store_, kContacts, c.person_id()));
  storage::WriteBatch batch;
  if (old.has_value() && old->head()) {
    batch.Delete(kDepartmentHeads, Head::Encode(old->department_id(), old->person_id()));
  }
  if (c.head()) batch.Put(kDepartmentHeads, Head::Encode(c.department_id(), c.person_id()), "");
  batch.Put(kContacts, c.person_id(), c.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  return c;
}

absl::StatusOr<v1::ListContactsResponse> Notifier::ListContacts(
    const v1::ListContactsRequest& request) const {
  v1::ListContactsResponse response;
  absl::Status failed;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kContacts, "", "", [&](std::string_view key, std::string_view bytes) {
        auto c = storage::ParseProto<v1::Contact>(bytes, kContacts, key);
        if (!c.ok()) {
          failed = c.status();
          return false;
        }
        if (request.department_id().empty() || c->department_id() == request.department_id())
          *response.add_contacts() = *std::move(c);
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(failed);
  return response;
}

absl::StatusOr<std::vector<v1::Contact>> Notifier::Recipients(
    const std::string& department, const std::string& responsible) const {
  std::vector<v1::Contact> out;
  std::set<std::string> seen;
  if (!responsible.empty()) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto c,
                              storage::LoadProto<v1::Contact>(*store_, kContacts, responsible));
    v1::Contact person;
    if (c.has_value()) {
      person = *std::move(c);
    } else {
      person.set_person_id(responsible);  // no contact: reported as undeliverable
      person.set_department_id(department);
    }
    seen.insert(responsible);
    out.push_back(std::move(person));
  }
  if (department.empty()) return out;
  std::vector<std::string> heads;
  std::string prefix = Head::Prefix(department);
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(kDepartmentHeads, prefix, storage::PrefixSuccessor(prefix),
                                        [&](std::string_view key, std::string_view) {
                                          if (auto parts = Head::Decode(key))
                                            heads.push_back(std::get<1>(*parts));
                                          return true;
                                        }));
  for (const std::string& id : heads) {
    if (!seen.insert(id).second) continue;
    SUNLIGHT_ASSIGN_OR_RETURN(auto c, storage::LoadProto<v1::Contact>(*store_, kContacts, id));
    if (c.has_value()) out.push_back(*std::move(c));
  }
  return out;
}

absl::StatusOr<bool> Notifier::StageFor(storage::WriteBatch& batch, const v1::Contact& to,
                                        const std::string& key, const std::string& kind,
                                        const std::string& case_id, const TextFields& fields,
                                        absl::Time not_before, const common::v1::Actor* sent_by) {
  const v1::Template* text = nullptr;
  for (const auto& t : templates_.templates()) {
    if (t.kind() == kind) text = &t;
  }
  if (text == nullptr) return absl::FailedPreconditionError(absl::StrCat("no template ", kind));
  const bool english = to.language() == "en" && !text->body_en().empty();
  v1::Notification n;
  n.set_key(key);
  n.set_kind(kind);
  n.set_case_id(case_id);
  n.set_recipient(to.person_id());
  n.set_template_version(templates_.version());
  n.set_subject(Fill(english ? text->subject_en() : text->subject_zh(), fields));
  n.set_body(Fill(english ? text->body_en() : text->body_zh(), fields));
  if (sent_by != nullptr) *n.mutable_sent_by() = *sent_by;
  if (not_before != absl::InfinitePast()) *n.mutable_not_before() = ToProto(not_before);
  if (!to.phone().empty()) {
    n.set_channel(v1::CHANNEL_SMS);
    n.set_to(to.phone());
  } else if (!to.email().empty()) {
    n.set_channel(v1::CHANNEL_EMAIL);
    n.set_to(to.email());
  } else if (!to.webhook_url().empty()) {
    n.set_channel(v1::CHANNEL_WEBHOOK);
    n.set_to(to.webhook_url());
    v1::WebhookMessage message;
    message.set_key(key);
    message.set_kind(kind);
    message.set_case_id(case_id);
    message.set_recipient(to.person_id());
    message.set_subject(n.subject());
    message.set_text(n.body());
    message.set_template_version(templates_.version());
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
      return absl::InternalError("webhook message: not printable as JSON");
    }
    n.set_body(std::move(json));
  } else {
    SUNLIGHT_ASSIGN_OR_RETURN(
        bool staged,
        outbox_->StageUndeliverable(
            batch, n, absl::StrCat("no phone, e-mail or webhook for ", to.person_id())));
    return staged;
  }
  return outbox_->Stage(batch, n);
}

absl::Status Notifier::Stage(Staging& staging, const v1::Contact& to, const std::string& key,
                             const std::string& kind, const std::string& case_id,
                             const TextFields& fields, absl::Time not_before,
                             const common::v1::Actor* sent_by) {
  if (!staging.keys.insert(key).second) return absl::OkStatus();
  SUNLIGHT_ASSIGN_OR_RETURN(
      bool done, StageFor(staging.batch, to, key, kind, case_id, fields, not_before, sent_by));
  if (!done) return absl::OkStatus();
  const bool reachable = !to.phone().empty() || !to.email().empty() || !to.webhook_url().empty();
  (reachable ? staging.deliverable : staging.undeliverable) += 1;
  return absl::OkStatus();
}

absl::Status Notifier::CommitStaging(Staging& staging) {
  SUNLIGHT_RETURN_IF_ERROR(store_->Write(staging.batch));
  outbox_->Committed(staging.deliverable);
  outbox_->CommittedDead(staging.undeliverable);
  return absl::OkStatus();
}

absl::Status Notifier::ApplyEvents(const std::string& stream,
                                   const std::vector<events::v1::CaseEvent>& events) {
  if (stream != kSupervisionStream && stream != kIntakeStream && stream != kWorkflowStream &&
      stream != kScoringStream) {
    return InvalidField("stream", absl::StrCat("unknown stream ", stream));
  }
  if (events.empty()) return absl::OkStatus();
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(uint64_t cursor, Cursor(stream));
  Staging staging;
  uint64_t last = cursor;
  for (const events::v1::CaseEvent& event : events) {
    if (event.sequence() <= cursor) continue;
    last = std::max(last, event.sequence());
    if (stream == kScoringStream) {
      SUNLIGHT_RETURN_IF_ERROR(StageForComplainant(staging, event));
    } else if (stream != kSupervisionStream) {
      SUNLIGHT_RETURN_IF_ERROR(StageForApplicant(staging, event));
    } else {
      SUNLIGHT_RETURN_IF_ERROR(StageForStaff(staging, event));
    }
  }
  if (last == cursor) return absl::OkStatus();
  eventlog::PutCursor(staging.batch, stream, last);
  return CommitStaging(staging);
}

absl::Status Notifier::StageForStaff(Staging& staging, const events::v1::CaseEvent& event) {
  if (event.type() == "supervision.light.changed") {
    sv1::LightChanged changed;
    if (!event.payload().UnpackTo(&changed)) return absl::DataLossError("bad payload");
    if (changed.to() != sv1::LIGHT_YELLOW && changed.to() != sv1::LIGHT_RED) {
      return absl::OkStatus();
    }
    const sv1::Clock& clock = changed.clock();
    const bool red = changed.to() == sv1::LIGHT_RED;
    std::string subject = !clock.case_number().empty() ? clock.case_number() : clock.subject_ref();
    SUNLIGHT_ASSIGN_OR_RETURN(auto people,
                              Recipients(clock.department_id(), clock.responsible_person()));
    for (const v1::Contact& person : people) {
      SUNLIGHT_RETURN_IF_ERROR(
          Stage(staging, person,
                SafeKey({"light", clock.clock_id(), red ? "red" : "yellow", person.person_id()}),
                red ? "light.red" : "light.yellow", clock.case_id(),
                {{"what", ClockWhat(clock.kind())},
                 {"subject", subject},
                 {"due", BeijingTime(FromProto(clock.due()), true)},
                 {"name", person.name().empty() ? person.person_id() : person.name()}}));
    }
  } else if (event.type() == "supervision.notice.issued") {
    sv1::NoticeChanged changed;
    if (!event.payload().UnpackTo(&changed)) return absl::DataLossError("bad payload");
    const sv1::Notice& notice = changed.notice();
    SUNLIGHT_ASSIGN_OR_RETURN(auto people, Recipients(notice.department_id(), ""));
    for (const v1::Contact& person : people) {
      SUNLIGHT_RETURN_IF_ERROR(Stage(
          staging, person, SafeKey({"notice", notice.notice_id(), "issued", person.person_id()}),
          "notice.issued", notice.case_id(),
          {{"notice", notice.notice_id()},
           {"reason", notice.reason()},
           {"due", BeijingTime(FromProto(notice.response_due()), true)},
           {"name", person.name().empty() ? person.person_id() : person.name()}}));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ListNotificationsResponse> Notifier::ListNotifications(
    const v1::ListNotificationsRequest& request) const {
  size_t limit = request.limit() == 0 ? 50 : std::min<size_t>(request.limit(), 500);
  SUNLIGHT_ASSIGN_OR_RETURN(auto list, outbox_->List(request.state(), request.after(), limit));
  v1::ListNotificationsResponse response;
  for (auto& n : list) *response.add_notifications() = std::move(n);
  response.set_backlog(outbox_->Backlog());
  return response;
}

absl::StatusOr<v1::GetNotificationResponse> Notifier::GetNotification(
    const v1::GetNotificationRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.key(), "key", 512));
  v1::GetNotificationResponse response;
  SUNLIGHT_ASSIGN_OR_RETURN(*response.mutable_notification(), outbox_->Get(request.key()));
  SUNLIGHT_ASSIGN_OR_RETURN(auto attempts, outbox_->Attempts(request.key()));
  for (auto& a : attempts) *response.add_attempts() = std::move(a);
  return response;
}

absl::StatusOr<v1::Notification> Notifier::Resend(const v1::ResendRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.key(), "key", 512));
  return outbox_->Resend(request.key());
}

}  // namespace sunlight::notify
