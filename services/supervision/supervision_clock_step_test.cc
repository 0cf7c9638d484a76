// Clock steps (issue 23): the system clock stepping back an hour or forward a day, as an
// injected clock, never fires a transition twice and never skips one, and the fire-delay
// histogram shows the step.
#include <catch2/catch.hpp>
#include <map>

#include "absl/strings/str_cat.h"

#include "prometheus/registry.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/supervision/supervision.h"
#include "sunlight/testing/suite_fixture.h"

namespace sunlight::supervision {
namespace {

using intake::At;
using testing::EventsAfter;

struct ClockStepFixture : testing::SuiteFixture {
  // Every light change supervision wrote, per (clock, light it turned).
  std::map<std::pair<std::string, int>, int> Transitions() {
    std::map<std::pair<std::string, int>, int> seen;
    for (const auto& event : EventsAfter(sv->event_log(), 0)) {
      if (event.type() != "supervision.light.changed") continue;
      v1::LightChanged changed;
      REQUIRE(event.payload().UnpackTo(&changed));
      if (changed.to() == v1::LIGHT_YELLOW || changed.to() == v1::LIGHT_RED) {
        ++seen[{changed.clock().clock_id(), changed.to()}];
      }
    }
    return seen;
  }

  std::vector<v1::Clock> OpenAndFinished() {
    std::vector<v1::Clock> clocks;
    for (const auto& case_id : cases) {
      v1::GetCaseClocksRequest request;
      request.set_case_id(case_id);
      auto response = sv->GetCaseClocks(request);
      REQUIRE(response.ok());
      for (const auto& c : response->clocks()) clocks.push_back(c.clock());
    }
    return clocks;
  }

  // Every clock whose instant has come has turned, once; none before its instant.
  void CheckExactlyOnce(absl::Time now) {
    auto seen = Transitions();
    for (const auto& [key, count] : seen) CHECK(count == 1);
    for (const v1::Clock& c : OpenAndFinished()) {
      if (!c.has_red_at() || c.has_finished_at()) continue;
      const bool yellow_due = FromProto(c.yellow_at()) <= now;
      const bool red_due = FromProto(c.red_at()) <= now;
      INFO(c.clock_id());
      CHECK(c.light() == (red_due      ? v1::LIGHT_RED
                          : yellow_due ? v1::LIGHT_YELLOW
                                       : v1::LIGHT_GREEN));
      if (red_due) CHECK(seen.count({c.clock_id(), v1::LIGHT_RED}) == 1);
      if (yellow_due && !red_due) CHECK(seen.count({c.clock_id(), v1::LIGHT_YELLOW}) == 1);
    }
  }

  double DelaySum(prometheus::Registry& registry, uint64_t* over_an_hour) {
    for (const auto& family : registry.Collect()) {
      if (family.name != "sunlight_supervision_fire_delay_seconds") continue;
      const auto& h = family.metric.at(0).histogram;
      uint64_t under = 0;
      for (const auto& bucket : h.bucket) {
        if (bucket.upper_bound == 60) under = bucket.cumulative_count;
      }
      *over_an_hour = h.sample_count - under;
      return h.sample_sum;
    }
    FAIL("no fire delay histogram");
    return 0;
  }

  std::vector<std::string> cases;
};

TEST_CASE_METHOD(ClockStepFixture,
                 "a clock stepping back an hour or forward a day fires each transition once") {
  prometheus::Registry registry;
  sv->gauges().Register(registry);
  for (int i = 0; i < 4; ++i) {
    clock.Set(At(2026, 3, 2, 9 + i));
    cases.push_back(AcceptNew(absl::StrCat("step-", i)));
    Pump();
  }
  // The first yellow instant comes: those clocks turn, once.
  absl::Time first = absl::InfiniteFuture();
  for (const v1::Clock& c : OpenAndFinished()) {
    if (c.has_yellow_at()) first = std::min(first, FromProto(c.yellow_at()));
  }
  REQUIRE(first < absl::InfiniteFuture());
  clock.Set(first + absl::Seconds(1));
  REQUIRE(sv->FireDue().ok());
  CheckExactlyOnce(clock.Now());
  const auto after_first = Transitions();
  CHECK(!after_first.empty());

  // Back an hour: nothing fires again, nothing turns back.
  clock.Set(first + absl::Seconds(1) - absl::Hours(1));
  REQUIRE(sv->FireDue().ok());
  CHECK(Transitions() == after_first);
  clock.Set(first + absl::Seconds(2));
  REQUIRE(sv->FireDue().ok());
  CHECK(Transitions() == after_first);

  // Forward a day: every instant of that day fires in one pass, each once, and the delay
  // histogram shows transitions fired hours late.
  clock.Set(first + absl::Hours(6));
  REQUIRE(sv->FireDue().ok());
  CheckExactlyOnce(clock.Now());
  uint64_t late_before = 0;
  DelaySum(registry, &late_before);
  clock.Set(clock.Now() + absl::Hours(24));
  REQUIRE(sv->FireDue().ok());
  REQUIRE(sv->FireDue().ok());  // a second pass finds nothing more
  CheckExactlyOnce(clock.Now());
  CHECK(Transitions().size() > after_first.size());
  uint64_t late = 0;
  const double sum = DelaySum(registry, &late);
  CHECK(late > late_before);
  CHECK(sum > 3600);

  // And back again across everything: still each once.
  const auto all = Transitions();
  clock.Set(clock.Now() - absl::Hours(1));
  REQUIRE(sv->FireDue().ok());
  CHECK(Transitions() == all);
}

}  // namespace
}  // namespace sunlight::supervision
