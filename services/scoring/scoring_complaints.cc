// Complaints (投诉): filed online or entered from a phone call against a case, department,
// window or person; accepted or not within the rule set's working days; an accepted one is
// concluded valid or not within its handling limit, and the answer is due to the complainant.
#include "absl/strings/str_format.h"
#include "scoring_internal.h"
#include "sunlight/base/case_codes.h"
#include "sunlight/base/mask.h"
#include "sunlight/base/utf8.h"
#include "sunlight/eventlog/case_event.h"

namespace sunlight::scoring {

namespace {

constexpr char kContactContext[] = "scoring.complainant";
constexpr char kQueryCodePurpose[] = "complaint query code";

absl::Status RequireOptionalId(const std::string& value, const std::string& field) {
  return value.empty() ? absl::OkStatus() : RequireBoundedText(value, field, 128);
}

// "T20261202-000007" -> 7 (0 when not of that form).
uint64_t ComplaintNumberOf(const std::string& number) {
  if (number.size() < 16 || number.size() > 30 || number[0] != 'T' || number[9] != '-') return 0;
  uint64_t n = 0;
  for (size_t i = 1; i < number.size(); ++i) {
    if (i == 9) continue;
    if (number[i] < '0' || number[i] > '9') return 0;
    if (i > 9) n = n * 10 + static_cast<uint64_t>(number[i] - '0');
  }
  return n;
}

// The complaint as the stream and the complainant see it: no contact, no digest.
v1::Complaint Public(v1::Complaint c) {
  c.clear_sealed_contact();
  c.clear_query_code_digest();
  c.clear_complainant_name();
  c.clear_complainant_phone();
  c.clear_counted();
  c.clear_outcome_counted();
  return c;
}

events::v1::CaseEvent ComplaintEvent(const std::string& type, const common::v1::Actor& actor,
                                     absl::Time now, const v1::Complaint& complaint) {
  v1::ComplaintChanged payload;
  *payload.mutable_complaint() = Public(complaint);
  return eventlog::NewEvent(type, complaint.case_id(), actor, now, payload);
}

v1::Occurrence Occurrence(const v1::Complaint& c, const std::string& source, absl::Time at,
                          const absl::TimeZone& zone) {
  v1::Occurrence o;
  o.set_source(absl::StrCat(source, "/", c.complaint_id()));
  o.set_day(DayNumber(absl::ToCivilDay(at, zone)));
  o.set_department_id(c.department_id());
  o.set_window_id(c.window_id());
  o.set_person_id(c.person_id());
  o.set_case_id(c.case_id());
  o.set_case_number(c.case_number());
  o.set_what(absl::StrCat("complaint:", c.complaint_number()));
  *o.mutable_at() = ToProto(at);
  return o;
}

}  // namespace

absl::StatusOr<v1::FileComplaintResponse> Scoring::FileComplaint(
    const v1::FileComplaintRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  if (request.channel() != v1::COMPLAINT_CHANNEL_ONLINE &&
      request.channel() != v1::COMPLAINT_CHANNEL_PHONE) {
    return InvalidField("channel", "COMPLAINT_CHANNEL_ONLINE or COMPLAINT_CHANNEL_PHONE");
  }
  if (request.category() == v1::COMPLAINT_CATEGORY_UNSPECIFIED ||
      !v1::ComplaintCategory_IsValid(request.category())) {
    return InvalidField("category", "attitude, delay, extra_materials, fees, misconduct or other");
  }
  for (const auto& [value, field] :
       {std::pair{&request.case_id(), "case_id"},
        std::pair{&request.department_id(), "department_id"},
        std::pair{&request.window_id(), "window_id"}, std::pair{&request.person_id(), "person_id"},
        std::pair{&request.request_id(), "request_id"}}) {
    SUNLIGHT_RETURN_IF_ERROR(RequireOptionalId(*value, field));
  }
  if (!request.case_number().empty() && !IsCaseNumber(request.case_number())) {
    return InvalidField("case_number", "not a case number (YYYYMMDD-NNNNNN)");
  }
  if (request.case_id().empty() && request.department_id().empty() && request.window_id().empty() &&
      request.person_id().empty()) {
    return InvalidField("department_id", "a complaint names a case, department, window or person");
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.description(), "description", 2000, true));
  SUNLIGHT_RETURN_IF_ERROR(
      RequireCharacters(request.complainant_name(), "complainant_name", 64, false));
  if (request.complainant_phone().size() > 32 ||
      request.complainant_phone().find_first_not_of("0123456789+- ") != std::string::npos) {
    return InvalidField("complainant_phone", "digits, '+', '-' and spaces, at most 32");
  }
  if (data_key_ == nullptr) {
    return absl::FailedPreconditionError(
        "complaints need the scoring data key (--data_key_file): their query codes and "
        "contacts are kept sealed");
  }
  std::lock_guard lock(write_mu_);
  std::string request_key;
  if (!request.request_id().empty()) {
    request_key = store::RequestKey(request.actor().id(), request.request_id());
    SUNLIGHT_ASSIGN_OR_RETURN(auto id, store_->Get(store::kComplaintRequests, request_key));
    if (id.has_value()) {
      SUNLIGHT_ASSIGN_OR_RETURN(
          auto earlier, storage::LoadProto<v1::Complaint>(*store_, store::kComplaints, *id));
      if (earlier.has_value()) {
        v1::FileComplaintResponse response;
        *response.mutable_complaint() = *std::move(earlier);
        return response;
      }
    }
  }
  const absl::Time now = clock_->Now();
  const absl::TimeZone zone = calendar_->time_zone();
  uint64_t number = last_complaint_ + 1;
  v1::Complaint c;
  c.set_complaint_id(absl::StrCat("c", number));
  absl::CivilDay today = absl::ToCivilDay(now, zone);
  c.set_complaint_number(absl::StrFormat("T%08d-%06d", DayNumber(today), number));
  c.set_channel(request.channel());
  c.set_category(request.category());
  c.set_case_id(request.case_id());
  c.set_case_number(request.case_number());
  c.set_department_id(request.department_id());
  c.set_window_id(request.window_id());
  c.set_person_id(request.person_id());
  if (!request.case_id().empty()) {
    SUNLIGHT_ASSIGN_OR_RETURN(
        auto record, storage::LoadProto<v1::CaseRecord>(*store_, store::kCases, request.case_id()));
    if (record.has_value()) {
      if (c.case_number().empty()) c.set_case_number(record->case_number());
      if (c.department_id().empty()) c.set_department_id(record->department_id());
      if (c.window_id().empty()) c.set_window_id(record->window_id());
      if (c.person_id().empty()) c.set_person_id(record->accepted_by());
    }
  }
  c.set_description(request.description());
  if (!request.complainant_name().empty() || !request.complainant_phone().empty()) {
    v1::Complaint contact;
    contact.set_complainant_name(request.complainant_name());
    contact.set_complainant_phone(request.complainant_phone());
    c.set_sealed_contact(data_key_->Seal(contact.SerializeAsString(), kContactContext));
    c.set_complainant_name(MaskKeeping(SplitUtf8Characters(request.complainant_name()), 1, 0));
    c.set_complainant_phone(MaskPhone(request.complainant_phone()));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(std::string query_code, auth::NewQueryCode());
  c.set_query_code_digest(data_key_->Hash(kQueryCodePurpose, query_code));
  c.set_state(v1::COMPLAINT_STATE_FILED);
  *c.mutable_filed_by() = request.actor();
  *c.mutable_filed_at() = ToProto(now);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::RuleSet rules, RuleSetFor(CurrentMonth()));
  VoiceLimits limits = LimitsOf(rules);
  c.mutable_acceptance_limit()->set_amount(limits.complaint_acceptance_working_days);
  c.mutable_acceptance_limit()->set_unit(common::v1::LIMIT_UNIT_WORKING_DAYS);
  SUNLIGHT_ASSIGN_OR_RETURN(absl::Time due,
                            WorkingDaysAfter(now, limits.complaint_acceptance_working_days));
  *c.mutable_acceptance_due_at() = ToProto(due);
  Mutation m(store_, now);
  v1::Occurrence filed = Occurrence(c, "complaint", now, zone);
  filed.mutable_measures()->set_complaints(1);
  SUNLIGHT_RETURN_IF_ERROR(StageOccurrence(m, c.counted(), filed));
  *c.mutable_counted() = std::move(filed);
  m.batch.Put(store::kComplaints, store::NumberKey(number), c.SerializeAsString());
  m.batch.Put(store::kComplaintMonths,
              store::ComplaintMonthKey(MonthNumber(DayNumber(today)), number), "");
  if (!request_key.empty()) {
    m.batch.Put(store::kComplaintRequests, request_key, store::NumberKey(number));
  }
  m.events.push_back(ComplaintEvent("scoring.complaint.filed", request.actor(), now, c));
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  ++last_complaint_;
  metrics_.complaints_filed.Increment();
  v1::FileComplaintResponse response;
  *response.mutable_complaint() = std::move(c);
  response.set_query_code(std::move(query_code));
  return response;
}

absl::StatusOr<v1::Complaint> Scoring::GetComplaint(const v1::GetComplaintRequest& request) const {
  std::string key = store::ComplaintKey(request.complaint_id());
  if (key.empty()) return InvalidField("complaint_id", "a complaint id c<number>");
  SUNLIGHT_ASSIGN_OR_RETURN(auto c,
                            storage::LoadProto<v1::Complaint>(*store_, store::kComplaints, key));
  if (!c.has_value())
    return absl::NotFoundError(absl::StrCat("no complaint ", request.complaint_id()));
  return *std::move(c);
}

absl::StatusOr<v1::ComplainantContact> Scoring::GetComplainantContact(
    const v1::GetComplainantContactRequest& request) const {
  v1::GetComplaintRequest get;
  get.set_complaint_id(request.complaint_id());
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Complaint c, GetComplaint(get));
  v1::ComplainantContact contact;
  contact.set_complaint_id(c.complaint_id());
  contact.set_complaint_number(c.complaint_number());
  if (c.sealed_contact().empty()) return contact;
  auto opened = data_key_->Open(c.sealed_contact(), kContactContext);
  v1::Complaint sealed;
  if (!opened.ok() || !sealed.ParseFromString(*opened)) {
    return absl::DataLossError(
        absl::StrCat("complaint ", c.complaint_id(), ": contact does not open"));
  }
  contact.set_name(sealed.complainant_name());
  contact.set_phone(sealed.complainant_phone());
  return contact;
}

absl::StatusOr<v1::Complaint> Scoring::QueryComplaint(
    const v1::QueryComplaintRequest& request) const {
  uint64_t number = ComplaintNumberOf(request.complaint_number());
  if (number == 0) {
    return InvalidField("complaint_number", "a complaint number T<YYYYMMDD>-<NNNNNN>");
  }
  auto code = NormalizeQueryCode(request.query_code());
  if (!code.has_value()) return InvalidField("query_code", "10 letters and digits, as given");
  if (data_key_ == nullptr) return absl::FailedPreconditionError("no scoring data key");
  SUNLIGHT_ASSIGN_OR_RETURN(auto c, storage::LoadProto<v1::Complaint>(*store_, store::kComplaints,
                                                                      store::NumberKey(number)));
  // One answer for a wrong number and a wrong code.
  if (!c.has_value() || c->complaint_number() != request.complaint_number() ||
      c->query_code_digest() != data_key_->Hash(kQueryCodePurpose, *code)) {
    return absl::NotFoundError("no such complaint");
  }
  return Public(*std::move(c));
}

absl::StatusOr<v1::ListComplaintsResponse> Scoring::ListComplaints(
    const v1::ListComplaintsRequest& request) const {
  int64_t month = 0;
  if (!request.month().empty()) {
    SUNLIGHT_ASSIGN_OR_RETURN(month, RequireMonth(request.month()));
  }
  uint64_t after = 0;
  if (!request.page().page_token().empty()) {
    std::string key = store::ComplaintKey(request.page().page_token());
    if (key.empty()) return InvalidField("page.page_token", "from a previous response");
    after = store::DecodeNumberKey(key);
  }
  size_t limit = request.page().page_size() == 0 ? 50 : std::min(request.page().page_size(), 500u);
  std::set<int> states(request.states().begin(), request.states().end());
  v1::ListComplaintsResponse response;
  absl::Status failed;
  auto visit = [&](uint64_t number) {
    if (number <= after) return true;
    auto c =
        storage::LoadProto<v1::Complaint>(*store_, store::kComplaints, store::NumberKey(number));
    if (!c.ok()) {
      failed = c.status();
      return false;
    }
    if (!c->has_value()) return true;
    if (!request.department_id().empty() && (*c)->department_id() != request.department_id())
      return true;
    if (!states.empty() && states.count((*c)->state()) == 0) return true;
    if (static_cast<size_t>(response.complaints_size()) == limit) {
      response.set_next_page_token(response.complaints().rbegin()->complaint_id());
      return false;
    }
    v1::Complaint listed = **std::move(c);
    listed.clear_sealed_contact();
    listed.clear_query_code_digest();
    *response.add_complaints() = std::move(listed);
    return true;
  };
  if (month != 0) {
    std::string prefix = store::ComplaintMonthPrefix(month);
    SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kComplaintMonths, prefix,
                                          storage::PrefixSuccessor(prefix),
                                          [&](std::string_view key, std::string_view) {
                                            auto n = store::DecodeComplaintMonthKey(key);
                                            return !n.has_value() || visit(*n);
                                          }));
  } else {
    SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kComplaints, store::NumberKey(after + 1), "",
                                          [&](std::string_view key, std::string_view) {
                                            return visit(store::DecodeNumberKey(key));
                                          }));
  }
  SUNLIGHT_RETURN_IF_ERROR(failed);
  return response;
}

namespace {

absl::StatusOr<v1::Complaint> LoadComplaint(const storage::Store& store, const std::string& id,
                                            std::string& key) {
  key = store::ComplaintKey(id);
  if (key.empty()) return InvalidField("complaint_id", "a complaint id c<number>");
  SUNLIGHT_ASSIGN_OR_RETURN(auto c,
                            storage::LoadProto<v1::Complaint>(store, store::kComplaints, key));
  if (!c.has_value()) return absl::NotFoundError(absl::StrCat("no complaint ", id));
  return *std::move(c);
}

absl::Status RequireState(const v1::Complaint& c, v1::ComplaintState state, const char* doing) {
  if (c.state() == state) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("complaint ", c.complaint_number(), " is ",
                                                    v1::ComplaintState_Name(c.state()),
                                                    "; it cannot be ", doing));
}

}  // namespace

absl::StatusOr<v1::Complaint> Scoring::DecideComplaintAcceptance(
    const v1::DecideComplaintAcceptanceRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.reasons(), "reasons", 2000, true));
  SUNLIGHT_RETURN_IF_ERROR(RequireOptionalId(request.department_id(), "department_id"));
  std::lock_guard lock(write_mu_);
  std::string key;
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Complaint c, LoadComplaint(*store_, request.complaint_id(), key));
  SUNLIGHT_RETURN_IF_ERROR(RequireState(c, v1::COMPLAINT_STATE_FILED, "accepted or not"));
  const absl::Time now = clock_->Now();
  *c.mutable_acceptance_decided_by() = request.actor();
  *c.mutable_acceptance_decided_at() = ToProto(now);
  c.set_acceptance_reasons(request.reasons());
  Mutation m(store_, now);
  if (request.accept()) {
    if (!request.department_id().empty()) c.set_department_id(request.department_id());
    if (c.department_id().empty()) {
      return InvalidField("department_id", "required to accept a complaint against no department");
    }
    SUNLIGHT_ASSIGN_OR_RETURN(v1::RuleSet rules, RuleSetFor(CurrentMonth()));
    uint32_t days = LimitsOf(rules).complaint_handling_working_days;
    c.mutable_handling_limit()->set_amount(days);
    c.mutable_handling_limit()->set_unit(common::v1::LIMIT_UNIT_WORKING_DAYS);
    SUNLIGHT_ASSIGN_OR_RETURN(absl::Time due, WorkingDaysAfter(now, days));
    *c.mutable_handling_due_at() = ToProto(due);
    c.set_state(v1::COMPLAINT_STATE_ACCEPTED);
    // The filing now counts for the department it was routed to.
    v1::Occurrence filed =
        Occurrence(c, "complaint", FromProto(c.filed_at()), calendar_->time_zone());
    filed.mutable_measures()->set_complaints(1);
    SUNLIGHT_RETURN_IF_ERROR(StageOccurrence(m, c.counted(), filed));
    *c.mutable_counted() = std::move(filed);
  } else {
    c.set_state(v1::COMPLAINT_STATE_NOT_ACCEPTED);
    c.set_reply(v1::REPLY_STATE_DUE);
  }
  m.batch.Put(store::kComplaints, key, c.SerializeAsString());
  m.events.push_back(ComplaintEvent(
      request.accept() ? "scoring.complaint.accepted" : "scoring.complaint.not_accepted",
      request.actor(), now, c));
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  return c;
}

absl::StatusOr<v1::Complaint> Scoring::RespondToComplaint(
    const v1::RespondToComplaintRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.response(), "response", 2000, true));
  std::lock_guard lock(write_mu_);
  std::string key;
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Complaint c, LoadComplaint(*store_, request.complaint_id(), key));
  if (request.actor().department_id() != c.department_id()) {
    return absl::PermissionDeniedError("a department answers only complaints routed to it");
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireState(c, v1::COMPLAINT_STATE_ACCEPTED, "responded to"));
  const absl::Time now = clock_->Now();
  c.set_department_response(request.response());
  *c.mutable_responded_by() = request.actor();
  *c.mutable_responded_at() = ToProto(now);
  Mutation m(store_, now);
  m.batch.Put(store::kComplaints, key, c.SerializeAsString());
  m.events.push_back(ComplaintEvent("scoring.complaint.responded", request.actor(), now, c));
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  return c;
}

absl::StatusOr<v1::Complaint> Scoring::ConcludeComplaint(
    const v1::ConcludeComplaintRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  if (request.outcome() != v1::COMPLAINT_OUTCOME_VALID &&
      request.outcome() != v1::COMPLAINT_OUTCOME_NOT_VALID) {
    return InvalidField("outcome", "COMPLAINT_OUTCOME_VALID or COMPLAINT_OUTCOME_NOT_VALID");
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.reasons(), "reasons", 2000, true));
  std::lock_guard lock(write_mu_);
  std::string key;
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Complaint c, LoadComplaint(*store_, request.complaint_id(), key));
  SUNLIGHT_RETURN_IF_ERROR(RequireState(c, v1::COMPLAINT_STATE_ACCEPTED, "concluded"));
  const absl::Time now = clock_->Now();
  c.set_state(v1::COMPLAINT_STATE_CONCLUDED);
  c.set_outcome(request.outcome());
  c.set_outcome_reasons(request.reasons());
  *c.mutable_concluded_by() = request.actor();
  *c.mutable_concluded_at() = ToProto(now);
  c.set_on_time(now < FromProto(c.handling_due_at()));
  c.set_reply(v1::REPLY_STATE_DUE);
  bool valid = request.outcome() == v1::COMPLAINT_OUTCOME_VALID;
  v1::Occurrence outcome = Occurrence(c, "complaint-outcome", now, calendar_->time_zone());
  if (valid) {
    outcome.mutable_measures()->set_complaints_valid(1);
    outcome.add_events("valid_complaint");
  } else {
    outcome.mutable_measures()->set_complaints_not_valid(1);
  }
  Mutation m(store_, now);
  SUNLIGHT_RETURN_IF_ERROR(StageOccurrence(m, c.outcome_counted(), outcome));
  *c.mutable_outcome_counted() = std::move(outcome);
  m.batch.Put(store::kComplaints, key, c.SerializeAsString());
  m.events.push_back(ComplaintEvent("scoring.complaint.concluded", request.actor(), now, c));
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  return c;
}

}  // namespace sunlight::scoring
