// Test-only: a ready intake over a scratch store, the national calendar and a fake clock, and
// the small catalogue every intake test starts from: department "market", window "W1", item
// "GT-001" (individual business licence, statutory 10 / promised 5 working days, two
// mandatory materials, one approval step).
//
//   TEST_CASE_METHOD(IntakeFixture, "...") {
//     v1::Case submitted = Submit("key-1");
//     REQUIRE(Accept(submitted.case_id()).ok());
//   }
//
// The same catalogue for a real binary (see sunlight/testing/service_process.h):
//
//   ServiceProcess intake(dir, "intake", SUNLIGHT_INTAKE_BINARY, CalendarFlags());
//   REQUIRE(intake.Start().ok());
//   SeedCatalogue(*v1::Intake::NewStub(intake.channel()));
//
// Failures are Catch2 test failures (REQUIRE). SUNLIGHT_CALENDAR_FILE comes with the
// sunlight::test_fixtures target.
#ifndef SUNLIGHT_TESTING_INTAKE_FIXTURE_H_
#define SUNLIGHT_TESTING_INTAKE_FIXTURE_H_

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/intake/intake.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::testing {

// A store at `path` with `families` and the event log's column families, unsynced.
std::unique_ptr<storage::Store> OpenScratchStore(const std::string& path,
                                                 std::vector<std::string> families);
// Every event of `log` after sequence `cursor`, in order.
std::vector<events::v1::CaseEvent> EventsAfter(const eventlog::EventLog& log, uint64_t cursor);

}  // namespace sunlight::testing

namespace sunlight::intake {

absl::TimeZone Shanghai();
// A local time in Shanghai.
absl::Time At(int y, int m, int d, int hh, int mm = 0);

// For tests that run the real binaries on the real clock: the years after this one have no
// published holidays yet, and a limit may run into them; the flag allows them explicitly
// (weekends-only, marked provisional), as ./tools/run does.
std::string ProvisionalYearsFlag();
// The flags a real binary of a test gets for its calendar (the national calendar file and
// ProvisionalYearsFlag()), followed by `more`.
std::vector<std::string> CalendarFlags(std::vector<std::string> more = {});

common::v1::Actor Clerk();  // a window clerk of "market"
// A member of staff of `department` with `role`.
common::v1::Actor Person(const std::string& id, const std::string& role,
                         const std::string& department = "market");
common::v1::TimeLimit WorkingDays(uint32_t n);
v1::ItemDefinition BusinessLicence();

// The catalogue's requests, by Clerk().
v1::UpsertDepartmentRequest MarketDepartment();
v1::UpsertWindowRequest WindowW1();
v1::PublishItemVersionRequest Publication(const v1::ItemDefinition& definition);

// Publishes the catalogue to a running intake: MarketDepartment(), WindowW1() and
// `definition` (the business licence unless given).
void SeedCatalogue(v1::Intake::Stub& stub,
                   const v1::ItemDefinition& definition = BusinessLicence());
// Submits IntakeFixture::SubmitRequest(key) and accepts the case; returns its id.
std::string SubmitAndAccept(v1::Intake::Stub& stub, const std::string& key);

struct IntakeFixture {
  IntakeFixture();

  void Open();
  void Reopen();

  // A complete (or, with `complete` false, an incomplete) submission of GT-001 at a window.
  static v1::SubmitCaseRequest SubmitRequest(const std::string& key, bool complete = true);
  v1::Case Submit(const std::string& key, bool complete = true);
  absl::StatusOr<v1::Case> Accept(const std::string& case_id);  // at window W1
  // Submits SubmitRequest(key) for `item_code` and accepts the case; returns its id.
  std::string AcceptNew(const std::string& key, const std::string& item_code = "GT-001");

  testing::ScratchDir dir{"intake"};
  FakeClock clock;
  std::shared_ptr<const calendar::WorkingCalendar> calendar;
  std::unique_ptr<storage::Store> store;
  // Applicants' personal data sealed at rest, as in production.
  std::shared_ptr<const auth::DataKey> data_key =
      auth::DataKey::FromKey("intake fixture data key of at least 32 bytes").value();
  std::unique_ptr<Intake> intake;
};

}  // namespace sunlight::intake

#endif  // SUNLIGHT_TESTING_INTAKE_FIXTURE_H_
