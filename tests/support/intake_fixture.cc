#include "sunlight/testing/intake_fixture.h"

#include <utility>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"

namespace sunlight::testing {

std::unique_ptr<storage::Store> OpenScratchStore(const std::string& path,
                                                 std::vector<std::string> families) {
  for (auto& f : eventlog::ColumnFamilies()) families.push_back(f);
  auto s = storage::Store::Open({.path = path, .column_families = families, .sync_writes = false});
  REQUIRE(s.ok());
  return *std::move(s);
}

std::vector<events::v1::CaseEvent> EventsAfter(const eventlog::EventLog& log, uint64_t cursor) {
  std::vector<events::v1::CaseEvent> events;
  REQUIRE(log.Read(cursor + 1, 1000000, &events).ok());
  return events;
}

}  // namespace sunlight::testing

namespace sunlight::intake {

absl::TimeZone Shanghai() {
  absl::TimeZone tz;
  REQUIRE(absl::LoadTimeZone("Asia/Shanghai", &tz));
  return tz;
}

absl::Time At(int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), Shanghai());
}

std::string ProvisionalYearsFlag() {
  int year = static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year());
  return absl::StrCat("--provisional_years=", year + 1, ",", year + 2);
}

std::vector<std::string> CalendarFlags(std::vector<std::string> more) {
  std::vector<std::string> flags = {std::string("--calendar=") + SUNLIGHT_CALENDAR_FILE,
                                    ProvisionalYearsFlag()};
  for (std::string& flag : more) flags.push_back(std::move(flag));
  return flags;
}

common::v1::Actor Clerk() {
  common::v1::Actor actor;
  actor.set_id("clerk-1");
  actor.set_name("Wang Fang");
  actor.set_role("window_clerk");
  actor.set_department_id("market");
  return actor;
}

common::v1::Actor Person(const std::string& id, const std::string& role,
                         const std::string& department) {
  common::v1::Actor actor;
  actor.set_id(id);
  actor.set_role(role);
  actor.set_department_id(department);
  return actor;
}

common::v1::TimeLimit WorkingDays(uint32_t n) {
  common::v1::TimeLimit limit;
  limit.set_amount(n);
  limit.set_unit(common::v1::LIMIT_UNIT_WORKING_DAYS);
  return limit;
}

v1::ItemDefinition BusinessLicence() {
  v1::ItemDefinition item;
  item.set_item_code("GT-001");
  item.set_name("个体工商户设立登记 Individual business licence");
  item.set_department_id("market");
  item.set_kind(v1::ITEM_KIND_PROMISED);
  item.set_type(v1::ITEM_TYPE_ADMINISTRATIVE_LICENCE);
  *item.mutable_statutory_limit() = WorkingDays(10);
  *item.mutable_promised_limit() = WorkingDays(5);
  auto* id_card = item.add_required_materials();
  id_card->set_code("id-card");
  id_card->set_name("身份证 ID card");
  id_card->set_mandatory(true);
  auto* form = item.add_required_materials();
  form->set_code("application-form");
  form->set_name("申请书 Application form");
  form->set_mandatory(true);
  auto* step = item.add_steps();
  step->set_code("approve");
  step->set_kind(v1::STEP_KIND_APPROVE);
  step->set_name("批准");
  step->set_department_id("market");
  step->set_role("approver");
  *step->mutable_limit() = WorkingDays(3);
  return item;
}

v1::UpsertDepartmentRequest MarketDepartment() {
  v1::UpsertDepartmentRequest department;
  *department.mutable_actor() = Clerk();
  department.mutable_department()->set_department_id("market");
  department.mutable_department()->set_name("市场监督管理局");
  return department;
}

v1::UpsertWindowRequest WindowW1() {
  v1::UpsertWindowRequest window;
  *window.mutable_actor() = Clerk();
  window.mutable_window()->set_window_id("W1");
  window.mutable_window()->set_department_id("market");
  window.mutable_window()->set_name("1 号窗口");
  return window;
}

v1::PublishItemVersionRequest Publication(const v1::ItemDefinition& definition) {
  v1::PublishItemVersionRequest publish;
  *publish.mutable_actor() = Clerk();
  *publish.mutable_definition() = definition;
  return publish;
}

void SeedCatalogue(v1::Intake::Stub& stub, const v1::ItemDefinition& definition) {
  grpc::ClientContext department_context, window_context, item_context;
  v1::Department department;
  REQUIRE(stub.UpsertDepartment(&department_context, MarketDepartment(), &department).ok());
  v1::Window window;
  REQUIRE(stub.UpsertWindow(&window_context, WindowW1(), &window).ok());
  v1::ItemVersion item;
  REQUIRE(stub.PublishItemVersion(&item_context, Publication(definition), &item).ok());
}

std::string SubmitAndAccept(v1::Intake::Stub& stub, const std::string& key) {
  grpc::ClientContext submit_context;
  v1::SubmitCaseResponse submitted;
  REQUIRE(stub.SubmitCase(&submit_context, IntakeFixture::SubmitRequest(key), &submitted).ok());
  grpc::ClientContext accept_context;
  v1::AcceptCaseRequest accept;
  *accept.mutable_actor() = Clerk();
  accept.set_case_id(submitted.case_().case_id());
  v1::CaseResponse accepted;
  REQUIRE(stub.AcceptCase(&accept_context, accept, &accepted).ok());
  return submitted.case_().case_id();
}

IntakeFixture::IntakeFixture() : clock(At(2026, 2, 13, 15)) {
  auto cal = calendar::WorkingCalendar::LoadFile(SUNLIGHT_CALENDAR_FILE);
  REQUIRE(cal.ok());
  calendar = *cal;
  Open();
  REQUIRE(intake->UpsertDepartment(MarketDepartment()).ok());
  REQUIRE(intake->UpsertWindow(WindowW1()).ok());
  REQUIRE(intake->PublishItemVersion(Publication(BusinessLicence())).ok());
}

void IntakeFixture::Open() {
  store = testing::OpenScratchStore(dir.Sub("db"), IntakeColumnFamilies());
  auto i = Intake::Open(store.get(), calendar, &clock, data_key);
  REQUIRE(i.ok());
  intake = *std::move(i);
}

void IntakeFixture::Reopen() {
  intake.reset();
  store.reset();
  Open();
}

v1::SubmitCaseRequest IntakeFixture::SubmitRequest(const std::string& key, bool complete) {
  v1::SubmitCaseRequest request;
  *request.mutable_actor() = Clerk();
  request.set_idempotency_key(key);
  request.set_item_code("GT-001");
  request.set_channel(v1::CHANNEL_WINDOW);
  request.set_subject("Li's noodle shop");
  auto* applicant = request.mutable_applicant();
  applicant->set_kind(v1::APPLICANT_KIND_PERSON);
  applicant->set_name("李明");
  applicant->set_id_number("110101199003071234");
  applicant->set_phone("13812345678");
  auto* id_card = request.add_materials();
  id_card->set_code("id-card");
  id_card->set_name("身份证");
  if (complete) {
    auto* form = request.add_materials();
    form->set_code("application-form");
    form->set_name("申请书");
  }
  return request;
}

v1::Case IntakeFixture::Submit(const std::string& key, bool complete) {
  auto response = intake->SubmitCase(SubmitRequest(key, complete));
  REQUIRE(response.ok());
  return response->case_();
}

absl::StatusOr<v1::Case> IntakeFixture::Accept(const std::string& case_id) {
  v1::AcceptCaseRequest request;
  *request.mutable_actor() = Clerk();
  request.set_case_id(case_id);
  request.set_window_id("W1");
  return intake->AcceptCase(request);
}

std::string IntakeFixture::AcceptNew(const std::string& key, const std::string& item_code) {
  v1::SubmitCaseRequest request = SubmitRequest(key);
  request.set_item_code(item_code);
  auto submitted = intake->SubmitCase(request);
  REQUIRE(submitted.ok());
  REQUIRE(Accept(submitted->case_().case_id()).ok());
  return submitted->case_().case_id();
}

}  // namespace sunlight::intake
