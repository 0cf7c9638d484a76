#include "sunlight/intake/intake.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sunlight/base/case_codes.h"
#include "sunlight/testing/intake_fixture.h"

namespace sunlight::intake {
namespace {

bool Mentions(const absl::Status& status, const std::string& text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

TEST_CASE_METHOD(IntakeFixture,
                 "a retried submit with the same idempotency key returns the "
                 "original case") {
  auto first = intake->SubmitCase(SubmitRequest("key-1"));
  REQUIRE(first.ok());
  CHECK_FALSE(first->replayed());
  auto retry = intake->SubmitCase(SubmitRequest("key-1"));
  REQUIRE(retry.ok());
  CHECK(retry->replayed());
  CHECK(retry->case_().case_id() == first->case_().case_id());
  CHECK(intake->event_log().last_sequence() == 4);  // 3 catalogue events + 1 submission

  auto other = SubmitRequest("key-1");
  other.mutable_applicant()->set_id_number("110101198001010000");
  CHECK(intake->SubmitCase(other).status().code() == absl::StatusCode::kAlreadyExists);
}

TEST_CASE_METHOD(IntakeFixture,
                 "a case carries at most 50 materials with safe document references") {
  auto request = SubmitRequest("caps");
  request.clear_materials();
  for (int i = 0; i < 51; ++i) {
    auto* m = request.add_materials();
    m->set_name(absl::StrCat("page ", i));
    m->set_document_ref(absl::StrCat("doc:page-", i));
  }
  CHECK(intake->SubmitCase(request).status().message() == "materials: at most 50 per case");
  request.mutable_materials()->RemoveLast();
  request.mutable_materials(3)->set_document_ref("javascript:alert(1)");
  CHECK(intake->SubmitCase(request).status().message() ==
        "materials[3].document_ref: must be an https:// URL or a doc: reference");
  request.mutable_materials(3)->set_document_ref("https://docs.example.gov.cn/a b");
  CHECK(intake->SubmitCase(request).status().code() == absl::StatusCode::kInvalidArgument);
  request.mutable_materials(3)->set_name(std::string(300, 'x'));
  request.mutable_materials(3)->set_document_ref("https://docs.example.gov.cn/a");
  CHECK(intake->SubmitCase(request).status().code() == absl::StatusCode::kInvalidArgument);
  request.mutable_materials(3)->set_name("page 3");
  CHECK(intake->SubmitCase(request).ok());
}

TEST_CASE_METHOD(IntakeFixture,
                 "acceptance records the receipt with due instants from the "
                 "calendar (DOMAIN.md example)") {
  v1::Case submitted = Submit("k");
  CHECK(submitted.state() == v1::CASE_STATE_SUBMITTED);
  CHECK(NormalizeQueryCode(submitted.query_code()) ==
        submitted.query_code());  // 10 of 32 characters
  auto accepted = Accept(submitted.case_id());
  REQUIRE(accepted.ok());
  CHECK(accepted->state() == v1::CASE_STATE_ACCEPTED);
  // Accepted Fri 2026-02-13 15:00; 5 working days: Feb 14 (make-up), 24, 25, 26, 27.
  CHECK(FromProto(accepted->receipt().promised_due()) == At(2026, 2, 28, 0));
  // 10 working days: ... Feb 27, Feb 28 (make-up), Mar 2, 3, 4, 5.
  CHECK(FromProto(accepted->receipt().statutory_due()) == At(2026, 3, 6, 0));
  CHECK(accepted->receipt().window_id() == "W1");
  CHECK(accepted->receipt().item_version() == 1);
  CHECK(accepted->receipt().calendar_version() == calendar->versioned_name());
  CHECK(FromProto(accepted->current_due()) == At(2026, 2, 28, 0));

  auto again = Accept(submitted.case_id());
  CHECK(again.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(Mentions(again.status(), "CASE_STATE_ACCEPTED"));
}

TEST_CASE_METHOD(IntakeFixture,
                 "a case lacking a mandatory material is not accepted until "
                 "the supplements arrive") {
  v1::Case submitted = Submit("k", /*complete=*/false);
  auto refused = Accept(submitted.case_id());
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(Mentions(refused.status(), "application-form"));

  v1::RequestSupplementRequest request;
  *request.mutable_actor() = Clerk();
  request.set_case_id(submitted.case_id());
  auto* missing = request.add_missing_materials();
  missing->set_code("application-form");
  missing->set_name("申请书");
  missing->set_reason("not signed");
  auto waiting = intake->RequestSupplement(request);
  REQUIRE(waiting.ok());
  CHECK(waiting->state() == v1::CASE_STATE_AWAITING_SUPPLEMENT);
  CHECK(waiting->pauses_size() == 0);  // the clock has not started yet

  v1::ReceiveSupplementRequest receive;
  *receive.mutable_actor() = Clerk();
  receive.set_case_id(submitted.case_id());
  auto* form = receive.add_materials();
  form->set_code("application-form");
  form->set_name("申请书 (signed)");
  auto back = intake->ReceiveSupplement(receive);
  REQUIRE(back.ok());
  CHECK(back->state() == v1::CASE_STATE_SUBMITTED);
  CHECK(Accept(submitted.case_id()).ok());
}

TEST_CASE_METHOD(IntakeFixture,
                 "waiting for supplements after acceptance pauses the clock to "
                 "the second") {
  v1::Case submitted = Submit("k");
  REQUIRE(Accept(submitted.case_id()).ok());
  clock.Set(At(2026, 2, 24, 10));
  v1::RequestSupplementRequest request;
  *request.mutable_actor() = Clerk();
  request.set_case_id(submitted.case_id());
  auto* missing = request.add_missing_materials();
  missing->set_name("场所证明 Proof of premises");
  missing->set_reason("lease expired");
  auto waiting = intake->RequestSupplement(request);
  REQUIRE(waiting.ok());
  REQUIRE(waiting->pauses_size() == 1);

  clock.Set(At(2026, 2, 25, 10) + absl::Seconds(1));
  v1::ReceiveSupplementRequest receive;
  *receive.mutable_actor() = Clerk();
  receive.set_case_id(submitted.case_id());
  receive.add_materials()->set_name("新租赁合同 New lease");
  auto resumed = intake->ReceiveSupplement(receive);
  REQUIRE(resumed.ok());
  CHECK(resumed->state() == v1::CASE_STATE_ACCEPTED);
  // 24 h + 1 s of working time paused. Feb 28 (Sat) is a make-up working day and covers the
  // 24 h; the last second falls on the next working day, Mon Mar 2: due 2026-03-02 00:00:01.
  CHECK(FromProto(resumed->current_due()) == At(2026, 3, 2, 0) + absl::Seconds(1));
  CHECK(FromProto(resumed->receipt().promised_due()) == At(2026, 2, 28, 0));
}

TEST_CASE_METHOD(IntakeFixture, "refusal needs a reason and is only possible before acceptance") {
  v1::Case submitted = Submit("k");
  v1::RefuseCaseRequest refuse;
  *refuse.mutable_actor() = Clerk();
  refuse.set_case_id(submitted.case_id());
  auto no_reason = intake->RefuseCase(refuse);
  CHECK(no_reason.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Mentions(no_reason.status(), "reason"));
  refuse.set_reason("not within this department's remit");
  refuse.set_window_id("W9");  // no such window
  auto no_window = intake->RefuseCase(refuse);
  CHECK(no_window.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Mentions(no_window.status(), "window_id"));
  refuse.set_window_id("W1");
  auto refused = intake->RefuseCase(refuse);
  REQUIRE(refused.ok());
  CHECK(refused->state() == v1::CASE_STATE_REFUSED);
  // The video service holds the clip of the window where it was refused.
  v1::CaseRefused payload;
  bool seen = false;
  for (const auto& event : testing::EventsAfter(intake->event_log(), 0)) {
    if (event.type() == "intake.case.refused") seen = event.payload().UnpackTo(&payload);
  }
  REQUIRE(seen);
  CHECK(payload.window_id() == "W1");
  CHECK(payload.case_number() == refused->case_number());

  v1::Case other = Submit("k2");
  REQUIRE(Accept(other.case_id()).ok());
  refuse.set_case_id(other.case_id());
  CHECK(intake->RefuseCase(refuse).status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE_METHOD(IntakeFixture,
                 "a case's full history comes back with every change, actor and "
                 "version") {
  v1::Case submitted = Submit("k");
  REQUIRE(Accept(submitted.case_id()).ok());
  v1::WithdrawCaseRequest withdraw;
  *withdraw.mutable_actor() = Clerk();
  withdraw.set_case_id(submitted.case_id());
  withdraw.set_reason("applicant moved away");
  // Only on the applicant's own request, with a reason.
  CHECK(intake->WithdrawCase(withdraw).status().message() == "applicant_request: required");
  withdraw.set_applicant_request("http://example.org/request");
  CHECK(intake->WithdrawCase(withdraw).status().message() ==
        "applicant_request: must be an https:// URL or a doc: reference");
  withdraw.set_applicant_request("doc:withdrawal-k");
  withdraw.clear_reason();
  CHECK(intake->WithdrawCase(withdraw).status().message() == "reason: required");
  withdraw.set_reason("applicant moved away");
  REQUIRE(intake->WithdrawCase(withdraw).ok());
  CHECK(intake->WithdrawCase(withdraw).status().code() == absl::StatusCode::kFailedPrecondition);

  v1::GetCaseRequest get;
  get.set_case_id(submitted.case_id());
  get.set_include_history(true);
  auto response = intake->GetCase(get);
  REQUIRE(response.ok());
  CHECK(response->case_().state() == v1::CASE_STATE_WITHDRAWN);
  CHECK(response->case_().version() == 3);
  REQUIRE(response->history_size() == 3);
  CHECK(response->history(0).type() == "intake.case.submitted");
  CHECK(response->history(1).type() == "intake.case.accepted");
  CHECK(response->history(2).type() == "intake.case.withdrawn");
  for (int i = 0; i < 3; ++i) {
    CHECK(response->history(i).case_version() == static_cast<uint64_t>(i + 1));
    CHECK(response->history(i).actor().id() == "clerk-1");
  }
  // The accepted event carries the item version the workflow routes by.
  v1::CaseAccepted accepted;
  REQUIRE(response->history(1).payload().UnpackTo(&accepted));
  CHECK(accepted.item().definition().steps_size() == 1);
  // The query code is the applicant's secret and never goes on the stream.
  v1::CaseSubmitted submitted_payload;
  REQUIRE(response->history(0).payload().UnpackTo(&submitted_payload));
  CHECK(submitted_payload.case_().query_code().empty());

  get.set_case_id("c999999999999");
  CHECK(intake->GetCase(get).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE_METHOD(IntakeFixture,
                 "lists page through a department's cases with personal data "
                 "masked") {
  for (int i = 0; i < 7; ++i) {
    v1::Case c = Submit(absl::StrCat("k", i));
    if (i % 2 == 0) REQUIRE(Accept(c.case_id()).ok());
    clock.Advance(absl::Minutes(1));
  }
  v1::ListCasesRequest list;
  list.set_department_id("market");
  list.mutable_page()->set_page_size(3);
  std::vector<std::string> ids;
  for (int page = 0; page < 5; ++page) {
    auto response = intake->ListCases(list);
    REQUIRE(response.ok());
    for (const auto& c : response->cases()) {
      ids.push_back(c.case_id());
      CHECK(c.applicant().id_number() == "110101********1234");
      CHECK(c.applicant().phone() == "138****5678");
      CHECK(c.query_code().empty());
    }
    if (response->next_page_token().empty()) break;
    list.mutable_page()->set_page_token(response->next_page_token());
  }
  CHECK(ids.size() == 7);
  CHECK(std::is_sorted(ids.begin(), ids.end()));

  v1::ListCasesRequest accepted;
  accepted.set_department_id("market");
  accepted.set_state(v1::CASE_STATE_ACCEPTED);
  auto only_accepted = intake->ListCases(accepted);
  REQUIRE(only_accepted.ok());
  CHECK(only_accepted->cases_size() == 4);

  v1::ListCasesRequest window;
  window.set_department_id("market");
  *window.mutable_submitted_from() = ToProto(At(2026, 2, 13, 15, 2));
  *window.mutable_submitted_to() = ToProto(At(2026, 2, 13, 15, 4));
  auto ranged = intake->ListCases(window);
  REQUIRE(ranged.ok());
  CHECK(ranged->cases_size() == 2);

  v1::ListCasesRequest bad;
  bad.set_department_id("market");
  bad.mutable_page()->set_page_token("garbage!");
  CHECK(Mentions(intake->ListCases(bad).status(), "page.page_token"));
  CHECK(Mentions(intake->ListCases(v1::ListCasesRequest()).status(), "department_id"));
}

TEST_CASE_METHOD(IntakeFixture, "an applicant follows progress only with the right query code") {
  v1::Case submitted = Submit("k");
  REQUIRE(Accept(submitted.case_id()).ok());
  v1::QueryProgressRequest query;
  query.set_case_number(submitted.case_number());
  query.set_query_code(submitted.query_code());
  auto progress = intake->QueryProgress(query);
  REQUIRE(progress.ok());
  CHECK(progress->state() == v1::CASE_STATE_ACCEPTED);
  CHECK(FromProto(progress->promised_due()) == At(2026, 2, 28, 0));
  CHECK(progress->entries_size() == 2);

  query.set_query_code(submitted.query_code() == "0000000000" ? "0000000001" : "0000000000");
  auto wrong = intake->QueryProgress(query);
  query.set_case_number("19990101-999999");
  auto unknown = intake->QueryProgress(query);
  CHECK(wrong.status().code() == absl::StatusCode::kNotFound);
  CHECK(wrong.status() == unknown.status());  // no hint which one was wrong
}

TEST_CASE_METHOD(IntakeFixture, "bad input is rejected with the offending field named") {
  auto no_actor = SubmitRequest("k");
  no_actor.clear_actor();
  CHECK(Mentions(intake->SubmitCase(no_actor).status(), "actor.id"));
  auto no_channel = SubmitRequest("k");
  no_channel.set_channel(v1::CHANNEL_UNSPECIFIED);
  CHECK(Mentions(intake->SubmitCase(no_channel).status(), "channel"));
  auto bad_channel = SubmitRequest("k");
  bad_channel.set_channel(static_cast<v1::Channel>(99));
  CHECK(intake->SubmitCase(bad_channel).status().code() == absl::StatusCode::kInvalidArgument);
  auto no_id = SubmitRequest("k");
  no_id.mutable_applicant()->clear_id_number();
  CHECK(Mentions(intake->SubmitCase(no_id).status(), "applicant.id_number"));
  auto unknown_item = SubmitRequest("k");
  unknown_item.set_item_code("NOPE");
  CHECK(intake->SubmitCase(unknown_item).status().code() == absl::StatusCode::kNotFound);

  v1::PublishItemVersionRequest publish;
  *publish.mutable_actor() = Clerk();
  *publish.mutable_definition() = BusinessLicence();
  *publish.mutable_definition()->mutable_promised_limit() = WorkingDays(11);
  CHECK(Mentions(intake->PublishItemVersion(publish).status(), "definition.promised_limit"));
  *publish.mutable_definition() = BusinessLicence();
  publish.mutable_definition()->mutable_steps(0)->clear_role();
  CHECK(Mentions(intake->PublishItemVersion(publish).status(), "definition.steps[0].role"));
  // Inspectors are supervision's, not a department's: no one could take such a step.
  publish.mutable_definition()->mutable_steps(0)->set_role("inspector");
  CHECK(intake->PublishItemVersion(publish).status().message() ==
        "definition.steps[0].role: \"inspector\" is not a department staff role");
  *publish.mutable_definition() = BusinessLicence();
  publish.mutable_definition()->set_department_id("nowhere");
  CHECK(Mentions(intake->PublishItemVersion(publish).status(), "definition.department_id"));
}

TEST_CASE_METHOD(IntakeFixture, "a case keeps the item version it was accepted under") {
  v1::Case early = Submit("early");
  REQUIRE(Accept(early.case_id()).ok());
  v1::Case late = Submit("late");

  v1::PublishItemVersionRequest publish;
  *publish.mutable_actor() = Clerk();
  *publish.mutable_definition() = BusinessLicence();
  *publish.mutable_definition()->mutable_promised_limit() = WorkingDays(3);
  auto v2 = intake->PublishItemVersion(publish);
  REQUIRE(v2.ok());
  CHECK(v2->version() == 2);

  auto accepted_late = Accept(late.case_id());
  REQUIRE(accepted_late.ok());
  CHECK(accepted_late->item_version() == 2);
  // 3 working days: Feb 14, 24, 25.
  CHECK(FromProto(accepted_late->receipt().promised_due()) == At(2026, 2, 26, 0));

  v1::GetCaseRequest get;
  get.set_case_id(early.case_id());
  auto still = intake->GetCase(get);
  REQUIRE(still.ok());
  CHECK(still->case_().item_version() == 1);
  CHECK(FromProto(still->case_().receipt().promised_due()) == At(2026, 2, 28, 0));

  v1::GetItemRequest item;
  item.set_item_code("GT-001");
  item.set_version(1);
  auto v1_item = intake->GetItem(item);
  REQUIRE(v1_item.ok());
  CHECK(v1_item->definition().promised_limit().amount() == 5);
  auto items = intake->ListItems(v1::ListItemsRequest());
  REQUIRE(items.ok());
  REQUIRE(items->items_size() == 1);
  CHECK(items->items(0).version() == 2);
}

TEST_CASE_METHOD(IntakeFixture, "case numbers continue after a restart") {
  v1::Case first = Submit("a");
  Reopen();
  v1::Case second = Submit("b");
  CHECK(second.case_id() > first.case_id());
  v1::GetCaseRequest get;
  get.set_case_id(first.case_id());
  CHECK(intake->GetCase(get).ok());
}

TEST_CASE_METHOD(IntakeFixture, "the deadline calculator explains the DOMAIN.md example") {
  v1::ComputeDeadlineRequest request;
  *request.mutable_accepted_at() = ToProto(At(2026, 2, 13, 15));
  *request.mutable_limit() = WorkingDays(5);
  auto explained = intake->ComputeDeadline(request);
  REQUIRE(explained.ok());
  CHECK(FromProto(explained->due()) == At(2026, 2, 28, 0));
  int counted = 0;
  for (const auto& day : explained->days()) counted += day.counted() ? 1 : 0;
  CHECK(counted == 5);
  request.clear_accepted_at();
  CHECK(Mentions(intake->ComputeDeadline(request).status(), "accepted_at"));
}

}  // namespace
}  // namespace sunlight::intake

namespace sunlight::intake {
namespace {

// Every byte of every file under `dir` (SST files, the WAL, the manifest).
std::string AllBytes(const std::string& dir) {
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return all;
}

// Finding 3 of the security review: the intake store held ID numbers, phones and query
// codes in clear, for anyone who could copy the data directory.
TEST_CASE_METHOD(IntakeFixture, "a copied intake store has no ID number or phone in clear") {
  v1::Case submitted = Submit("sealed-1");
  const std::string id_number = SubmitRequest("x").applicant().id_number();
  const std::string phone = SubmitRequest("x").applicant().phone();
  REQUIRE(!id_number.empty());
  REQUIRE(!phone.empty());
  REQUIRE(Accept(submitted.case_id()).ok());
  // The API still gives them to those who may see them, and the code still works.
  v1::GetCaseRequest get;
  get.set_case_id(submitted.case_id());
  get.set_include_history(true);
  auto got = intake->GetCase(get);
  REQUIRE(got.ok());
  CHECK(got->case_().applicant().id_number() == id_number);
  CHECK(got->case_().applicant().phone() == phone);
  CHECK(got->case_().applicant().sealed_personal_data().empty());
  CHECK(got->case_().query_code().empty());  // given once, at submission
  bool history_opened = false;
  for (const auto& event : got->history()) {
    v1::CaseSubmitted payload;
    if (event.payload().UnpackTo(&payload)) {
      history_opened = payload.case_().applicant().id_number() == id_number;
    }
  }
  CHECK(history_opened);
  v1::QueryProgressRequest query;
  query.set_case_number(submitted.case_number());
  query.set_query_code(submitted.query_code());
  CHECK(intake->QueryProgress(query).ok());
  // As typed by a person: small letters and a hyphen in the middle.
  std::string typed = absl::AsciiStrToLower(submitted.query_code());
  typed.insert(5, "-");
  query.set_query_code(typed);
  CHECK(intake->QueryProgress(query).ok());
  // A retried submission does not get the code again: it went to the submitter, once.
  auto retry = intake->SubmitCase(SubmitRequest("sealed-1"));
  REQUIRE(retry.ok());
  CHECK(retry->replayed());
  CHECK(retry->case_().query_code().empty());

  // The WAL, then the SST files after a flush: only masked forms and ciphertext.
  for (bool flushed : {false, true}) {
    if (flushed) REQUIRE(store->Flush().ok());
    const std::string bytes = AllBytes(dir.Sub("db"));
    INFO((flushed ? "after a flush" : "in the WAL"));
    CHECK(bytes.size() > 1000);
    CHECK(bytes.find(id_number) == std::string::npos);
    CHECK(bytes.find(phone) == std::string::npos);
    CHECK(bytes.find(submitted.case_number()) != std::string::npos);  // the scan does see data
  }
  // Another key cannot open it: the case reads as DATA_LOSS, never as other data.
  data_key = auth::DataKey::FromKey("another data key of at least 32 bytes!").value();
  Reopen();
  CHECK(intake->GetCase(get).status().code() == absl::StatusCode::kDataLoss);
}

// Issue 19: the applicant chooses how to be told; the notify service alone reads the phone,
// the address and the query code (for the "submitted" message), which stay sealed at rest.
TEST_CASE_METHOD(IntakeFixture,
                 "an applicant who asked to be told is reachable by the notify service "
                 "with the query code") {
  auto request = SubmitRequest("told-1");
  request.mutable_applicant()->set_notify_by_sms(true);
  request.mutable_applicant()->set_notify_by_email(true);
  request.mutable_applicant()->set_email("li.ming@example.cn");
  request.mutable_applicant()->set_language("en");
  auto submitted = intake->SubmitCase(request);
  REQUIRE(submitted.ok());
  v1::GetApplicantContactRequest get;
  get.set_case_id(submitted->case_().case_id());
  auto contact = intake->GetApplicantContact(get);
  REQUIRE(contact.ok());
  CHECK(contact->notify_by_sms());
  CHECK(contact->notify_by_email());
  CHECK(contact->email() == "li.ming@example.cn");
  CHECK(contact->language() == "en");
  CHECK(contact->phone() == request.applicant().phone());
  CHECK(contact->query_code() == submitted->case_().query_code());
  // One who asked for nothing has no query code kept.
  auto quiet = intake->SubmitCase(SubmitRequest("quiet-1"));
  REQUIRE(quiet.ok());
  get.set_case_id(quiet->case_().case_id());
  CHECK(intake->GetApplicantContact(get)->query_code().empty());
  // Neither the address nor the code is in clear in the store.
  REQUIRE(store->Flush().ok());
  const std::string bytes = AllBytes(dir.Sub("db"));
  CHECK(bytes.find("li.ming@example.cn") == std::string::npos);
  CHECK(bytes.find(submitted->case_().query_code()) == std::string::npos);

  auto no_email = SubmitRequest("told-2");
  no_email.mutable_applicant()->set_notify_by_email(true);
  CHECK(absl::StartsWith(intake->SubmitCase(no_email).status().message(), "applicant.email:"));
  auto bad_email = SubmitRequest("told-3");
  bad_email.mutable_applicant()->set_email("li.ming");
  CHECK(absl::StartsWith(intake->SubmitCase(bad_email).status().message(), "applicant.email:"));
  auto no_phone = SubmitRequest("told-4");
  no_phone.mutable_applicant()->set_notify_by_sms(true);
  no_phone.mutable_applicant()->clear_phone();
  CHECK(absl::StartsWith(intake->SubmitCase(no_phone).status().message(), "applicant.phone:"));
  auto bad_language = SubmitRequest("told-5");
  bad_language.mutable_applicant()->set_language("fr");
  CHECK(
      absl::StartsWith(intake->SubmitCase(bad_language).status().message(), "applicant.language:"));
}

}  // namespace
}  // namespace sunlight::intake
