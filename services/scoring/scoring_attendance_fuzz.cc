// Fuzz target: an attendance device's upload (POST /v1/device/punches) as the gateway binds
// it: the input is the JSON body, parsed into UploadPunchesRequest the way the gateway parses
// request bodies, signed by the device "clock-1" and given to Scoring::UploadPunches; then the
// days it touched are closed and the sheets of the month read, as the console does. Persons
// p1 and p2 have posts (09:00-12:00, 13:30-17:30). The upload's day, one of the 3 from
// 2026-03-02, comes from a hash of the input.
// A finding is a crash or a sanitizer report; refusals are answers.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/base/clock.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/scoring/scoring.h"
#include "sunlight/testing/test_support.h"

namespace {

namespace v1 = sunlight::scoring::v1;

struct Harness {
  Harness() : clock(absl::FromCivil(absl::CivilHour(2026, 3, 2, 12), absl::UTCTimeZone())) {
    auto families = sunlight::scoring::ScoringColumnFamilies();
    for (auto& f : sunlight::eventlog::ColumnFamilies()) families.push_back(f);
    store = sunlight::storage::Store::Open(
                {.path = dir.Sub("scoring"), .column_families = families, .sync_writes = false})
                .value();
    auto calendar = sunlight::calendar::WorkingCalendar::LoadFile(SUNLIGHT_CALENDAR_FILE).value();
    scoring = sunlight::scoring::Scoring::Open(store.get(), calendar, &clock).value();
    for (const char* person : {"p1", "p2"}) {
      v1::SetStaffAssignmentRequest request;
      request.mutable_actor()->set_id("admin");
      request.mutable_actor()->set_role("administrator");
      auto* a = request.mutable_assignment();
      a->set_person_id(person);
      a->set_department_id("market");
      a->set_effective_from("2026-03-01");
      for (auto [from, to] : {std::pair{"09:00", "12:00"}, std::pair{"13:30", "17:30"}}) {
        auto* hours = a->add_hours();
        hours->set_start(from);
        hours->set_end(to);
      }
      if (!scoring->SetStaffAssignment(request).ok()) std::abort();
    }
  }

  sunlight::testing::ScratchDir dir{"attendance-fuzz"};
  sunlight::FakeClock clock;
  std::unique_ptr<sunlight::storage::Store> store;
  std::unique_ptr<sunlight::scoring::Scoring> scoring;
  const absl::Time start = absl::FromCivil(absl::CivilHour(2026, 3, 2, 12), absl::UTCTimeZone());
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* harness = new Harness();
  v1::UploadPunchesRequest request;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const std::string body(reinterpret_cast<const char*>(data), size);
  if (!google::protobuf::util::JsonStringToMessage(body, &request, options).ok()) return -1;
  request.mutable_actor()->set_id("clock-1");
  request.mutable_actor()->set_role("attendance_device");
  // The day of the upload comes from the input, so that a finding replays on its own.
  uint64_t day = size;
  for (size_t i = 0; i < size; ++i) day = day * 31 + data[i];
  harness->clock.Set(harness->start + absl::Hours(24 * static_cast<int64_t>(day % 3)));
  if (!harness->scoring->UploadPunches(request).ok()) return 0;
  (void)harness->scoring->CloseAttendanceDays();
  for (const char* person : {"p1", "p2"}) {
    v1::GetAttendanceSheetRequest sheet;
    sheet.set_month(absl::FormatTime("%Y-%m", harness->clock.Now(), absl::UTCTimeZone()));
    sheet.set_person_id(person);
    (void)harness->scoring->GetAttendanceSheet(sheet);
  }
  return 0;
}
