// A ready intake over a scratch store, the national calendar and a fake clock, with a small
// catalogue: department "market", window "W1", item "GT-001" (individual business licence,
// statutory 10 / promised 5 working days, two mandatory materials).
#ifndef SUNLIGHT_SERVICES_INTAKE_INTAKE_TEST_FIXTURE_H_
#define SUNLIGHT_SERVICES_INTAKE_INTAKE_TEST_FIXTURE_H_

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "intake.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::intake {

inline absl::TimeZone Shanghai() {
  absl::TimeZone tz;
  REQUIRE(absl::LoadTimeZone("Asia/Shanghai", &tz));
  return tz;
}

inline absl::Time At(int y, int m, int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), Shanghai());
}

// For tests that run the real binaries on the real clock: the years after this one have no
// published holidays yet, and a limit may run into them; the flag allows them explicitly
// (weekends-only, marked provisional), as ./tools/run does.
inline std::string ProvisionalYearsFlag() {
  int year = static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year());
  return absl::StrCat("--provisional_years=", year + 1, ",", year + 2);
}

inline common::v1::Actor Clerk() {
  common::v1::Actor actor;
  actor.set_id("clerk-1");
  actor.set_name("Wang Fang");
  actor.set_role("window_clerk");
  actor.set_department_id("market");
  return actor;
}

inline common::v1::TimeLimit WorkingDays(uint32_t n) {
  common::v1::TimeLimit limit;
  limit.set_amount(n);
  limit.set_unit(common::v1::LIMIT_UNIT_WORKING_DAYS);
  return limit;
}

inline v1::ItemDefinition BusinessLicence() {
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

struct IntakeFixture {
  IntakeFixture() : clock(At(2026, 2, 13, 15)) {
    auto cal = calendar::WorkingCalendar::LoadFile(SUNLIGHT_CALENDAR_FILE);
    REQUIRE(cal.ok());
    calendar = *cal;
    Open();
    v1::UpsertDepartmentRequest department;
    *department.mutable_actor() = Clerk();
    department.mutable_department()->set_department_id("market");
    department.mutable_department()->set_name("市场监督管理局");
    REQUIRE(intake->UpsertDepartment(department).ok());
    v1::UpsertWindowRequest window;
    *window.mutable_actor() = Clerk();
    window.mutable_window()->set_window_id("W1");
    window.mutable_window()->set_department_id("market");
    window.mutable_window()->set_name("1 号窗口");
    REQUIRE(intake->UpsertWindow(window).ok());
    v1::PublishItemVersionRequest publish;
    *publish.mutable_actor() = Clerk();
    *publish.mutable_definition() = BusinessLicence();
    REQUIRE(intake->PublishItemVersion(publish).ok());
  }

  void Open() {
    std::vector<std::string> families = IntakeColumnFamilies();
    for (auto& f : eventlog::ColumnFamilies()) families.push_back(f);
    auto s = storage::Store::Open(
        {.path = dir.Sub("db"), .column_families = families, .sync_writes = false});
    REQUIRE(s.ok());
    store = *std::move(s);
    auto i = Intake::Open(store.get(), calendar, &clock);
    REQUIRE(i.ok());
    intake = *std::move(i);
  }

  void Reopen() {
    intake.reset();
    store.reset();
    Open();
  }

  v1::SubmitCaseRequest SubmitRequest(const std::string& key, bool complete = true) {
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

  v1::Case Submit(const std::string& key, bool complete = true) {
    auto response = intake->SubmitCase(SubmitRequest(key, complete));
    REQUIRE(response.ok());
    return response->case_();
  }

  absl::StatusOr<v1::Case> Accept(const std::string& case_id) {
    v1::AcceptCaseRequest request;
    *request.mutable_actor() = Clerk();
    request.set_case_id(case_id);
    request.set_window_id("W1");
    return intake->AcceptCase(request);
  }

  testing::ScratchDir dir{"intake"};
  FakeClock clock;
  std::shared_ptr<const calendar::WorkingCalendar> calendar;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Intake> intake;
};

}  // namespace sunlight::intake

#endif  // SUNLIGHT_SERVICES_INTAKE_INTAKE_TEST_FIXTURE_H_
