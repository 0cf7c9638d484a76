// The notify service's logic (notifier.h): contacts, the supervision stream turned into
// notifications, and the outbox's records read back.
#include "sunlight/notify/notifier.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
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
  static const auto* kinds = new std::vector<std::string>{
      "light.yellow", "light.red",      "notice.issued",    "case.accepted",
      "case.decided", "case.completed", "certificate.ready"};
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

// An idempotency key of the parts, of the characters every channel carries as they are
// (Kannel's report URL among them): [A-Za-z0-9._~-], the parts joined by '.', others '_'.
std::string SafeKey(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (std::string_view part : parts) {
    if (!key.empty()) key += '.';
    for (char c : part) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '~' || c == '-';
      key += ok ? c : (c == '/' ? '.' : '_');
    }
  }
  return key.substr(0, 128);
}

std::string Fill(const std::string& text,
                 const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::pair<std::string, std::string>> replacements;
  for (const auto& [name, value] : fields) replacements.emplace_back("{" + name + "}", value);
  return absl::StrReplaceAll(text, replacements);
}

absl::Status ValidateContact(const v1::Contact& c) {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(c.person_id(), "contact.person_id", 64));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(c.department_id(), "contact.department_id", 128));
  if (!c.name().empty()) SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(c.name(), "contact.name", 256));
  const std::string& phone = c.phone();
  if (!phone.empty()) {
    bool digits = phone.size() >= 5 && phone.size() <= 20;
    for (size_t i = 0; i < phone.size(); ++i) {
      digits &= (phone[i] >= '0' && phone[i] <= '9') || (i == 0 && phone[i] == '+');
    }
    if (!digits) return InvalidField("contact.phone", "digits, a leading + allowed, 5 to 20");
  }
  const std::string& email = c.email();
  if (!email.empty()) {
    size_t at = email.find('@');
    bool ok = email.size() <= 254 && at != std::string::npos && at > 0 &&
              email.find('@', at + 1) == std::string::npos && at + 1 < email.size() &&
              email.find_first_of(" \r\n\t<>,;") == std::string::npos;
    if (!ok) return InvalidField("contact.email", "an address name@domain");
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
                                                         ApplicantDirectory* applicants) {
  if (outbox == nullptr) return absl::InvalidArgumentError("outbox: required");
  return std::unique_ptr<Notifier>(
      new Notifier(store, clock, std::move(templates), outbox, applicants));
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

absl::StatusOr<bool> Notifier::StageFor(
    storage::WriteBatch& batch, const v1::Contact& to, const std::string& key,
    const std::string& kind, const std::string& case_id,
    const std::vector<std::pair<std::string, std::string>>& fields, absl::Time not_before) {
  const v1::Template* text = nullptr;
  for (const auto& t : templates_.templates()) {
    if (t.kind() == kind) text = &t;
  }
  if (text == nullptr) return absl::FailedPreconditionError(absl::StrCat("no template ", kind));
  v1::Notification n;
  n.set_key(key);
  n.set_kind(kind);
  n.set_case_id(case_id);
  n.set_recipient(to.person_id());
  n.set_template_version(templates_.version());
  n.set_subject(Fill(text->subject_zh(), fields));
  n.set_body(Fill(text->body_zh(), fields));
  if (not_before != absl::InfinitePast()) *n.mutable_not_before() = ToProto(not_before);
  if (!to.phone().empty()) {
    n.set_channel(v1::CHANNEL_SMS);
    n.set_to(to.phone());
  } else if (!to.email().empty()) {
    n.set_channel(v1::CHANNEL_EMAIL);
    n.set_to(to.email());
  } else {
    SUNLIGHT_ASSIGN_OR_RETURN(
        bool staged, outbox_->StageUndeliverable(
                         batch, n, absl::StrCat("no phone or e-mail for ", to.person_id())));
    return staged;
  }
  return outbox_->Stage(batch, n);
}

namespace {

const absl::TimeZone& Beijing() {
  static const absl::TimeZone* zone = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  return *zone;
}

// Applicants are not woken: outside 08:00-21:00 a message waits for the next 08:00.
absl::Time AfterQuietHours(absl::Time now) {
  absl::CivilSecond local = absl::ToCivilSecond(now, Beijing());
  if (local.hour() >= 8 && local.hour() < 21) return now;
  absl::CivilDay day = absl::CivilDay(local);
  if (local.hour() >= 21) day += 1;
  return absl::FromCivil(absl::CivilHour(day.year(), day.month(), day.day(), 8), Beijing());
}

}  // namespace

absl::StatusOr<bool> Notifier::StageForApplicant(storage::WriteBatch& batch,
                                                 const events::v1::CaseEvent& event,
                                                 size_t& staged) {
  const std::string& type = event.type();
  std::string kind, what;
  std::vector<std::pair<std::string, std::string>> fields;
  if (type == "intake.case.accepted") {
    intake::v1::CaseAccepted accepted;
    if (!event.payload().UnpackTo(&accepted)) return absl::DataLossError("bad payload");
    kind = "case.accepted";
    fields.emplace_back(
        "due",
        absl::FormatTime("%Y-%m-%d", FromProto(accepted.receipt().promised_due()), Beijing()));
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
  } else if (type == "workflow.certificate.issued") {
    workflow::v1::CertificateIssued issued;
    if (!event.payload().UnpackTo(&issued)) return absl::DataLossError("bad payload");
    kind = "certificate.ready";
    fields.emplace_back("certificate", issued.certificate_number());
  } else {
    return false;
  }
  auto contact = applicants_->Contact(event.case_id());
  if (contact.status().code() == absl::StatusCode::kNotFound) return false;
  SUNLIGHT_RETURN_IF_ERROR(contact.status());
  if (!contact->notify_by_sms() || contact->phone().empty()) return false;
  v1::Contact to;
  to.set_person_id(absl::StrCat("applicant:", contact->case_number()));
  to.set_phone(contact->phone());
  fields.emplace_back("case_number", contact->case_number());
  fields.emplace_back("item", contact->item_name());
  const std::string key = what.empty() ? SafeKey({"applicant", event.case_id(), kind})
                                       : SafeKey({"applicant", event.case_id(), kind, what});
  SUNLIGHT_ASSIGN_OR_RETURN(bool done, StageFor(batch, to, key, kind, event.case_id(), fields,
                                                AfterQuietHours(clock_->Now())));
  staged += done ? 1 : 0;
  return done;
}

absl::Status Notifier::ApplyEvents(const std::string& stream,
                                   const std::vector<events::v1::CaseEvent>& events) {
  if (stream != kSupervisionStream && stream != kIntakeStream && stream != kWorkflowStream) {
    return InvalidField("stream", absl::StrCat("unknown stream ", stream));
  }
  if (events.empty()) return absl::OkStatus();
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(uint64_t cursor, Cursor(stream));
  storage::WriteBatch batch;
  std::set<std::string> keys;  // staged in this batch (the store does not have them yet)
  size_t staged = 0, undeliverable = 0;
  uint64_t last = cursor;
  auto stage = [&](const v1::Contact& to, const std::string& key, const std::string& kind,
                   const std::string& case_id,
                   const std::vector<std::pair<std::string, std::string>>& fields) -> absl::Status {
    if (!keys.insert(key).second) return absl::OkStatus();
    SUNLIGHT_ASSIGN_OR_RETURN(bool done, StageFor(batch, to, key, kind, case_id, fields));
    if (done) (to.phone().empty() && to.email().empty() ? undeliverable : staged) += 1;
    return absl::OkStatus();
  };
  for (const events::v1::CaseEvent& event : events) {
    if (event.sequence() <= cursor) continue;
    last = std::max(last, event.sequence());
    if (stream != kSupervisionStream) {
      if (applicants_ != nullptr && !event.case_id().empty()) {
        SUNLIGHT_RETURN_IF_ERROR(StageForApplicant(batch, event, staged).status());
      }
      continue;
    }
    if (event.type() == "supervision.light.changed") {
      sv1::LightChanged changed;
      if (!event.payload().UnpackTo(&changed)) return absl::DataLossError("bad payload");
      if (changed.to() != sv1::LIGHT_YELLOW && changed.to() != sv1::LIGHT_RED) continue;
      const sv1::Clock& clock = changed.clock();
      const bool red = changed.to() == sv1::LIGHT_RED;
      const absl::TimeZone shanghai = absl::FixedTimeZone(8 * 3600);
      std::string subject =
          !clock.case_number().empty() ? clock.case_number() : clock.subject_ref();
      SUNLIGHT_ASSIGN_OR_RETURN(auto people,
                                Recipients(clock.department_id(), clock.responsible_person()));
      for (const v1::Contact& person : people) {
        SUNLIGHT_RETURN_IF_ERROR(
            stage(person,
                  SafeKey({"light", clock.clock_id(), red ? "red" : "yellow", person.person_id()}),
                  red ? "light.red" : "light.yellow", clock.case_id(),
                  {{"what", ClockWhat(clock.kind())},
                   {"subject", subject},
                   {"due", absl::FormatTime("%Y-%m-%d %H:%M", FromProto(clock.due()), shanghai)},
                   {"name", person.name().empty() ? person.person_id() : person.name()}}));
      }
    } else if (event.type() == "supervision.notice.issued") {
      sv1::NoticeChanged changed;
      if (!event.payload().UnpackTo(&changed)) return absl::DataLossError("bad payload");
      const sv1::Notice& notice = changed.notice();
      SUNLIGHT_ASSIGN_OR_RETURN(auto people, Recipients(notice.department_id(), ""));
      const absl::TimeZone shanghai = absl::FixedTimeZone(8 * 3600);
      for (const v1::Contact& person : people) {
        SUNLIGHT_RETURN_IF_ERROR(
            stage(person, SafeKey({"notice", notice.notice_id(), "issued", person.person_id()}),
                  "notice.issued", notice.case_id(),
                  {{"notice", notice.notice_id()},
                   {"reason", notice.reason()},
                   {"due",
                    absl::FormatTime("%Y-%m-%d %H:%M", FromProto(notice.response_due()), shanghai)},
                   {"name", person.name().empty() ? person.person_id() : person.name()}}));
      }
    }
  }
  if (last == cursor) return absl::OkStatus();
  eventlog::PutCursor(batch, stream, last);
  SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  outbox_->Committed(staged);
  outbox_->CommittedDead(undeliverable);
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
