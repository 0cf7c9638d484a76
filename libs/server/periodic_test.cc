#include "sunlight/server/periodic.h"

#include <atomic>

#include <catch2/catch.hpp>

#include "absl/time/clock.h"

namespace sunlight::server {
namespace {

TEST_CASE("Periodic runs its work at once, then every period, and not after Stop") {
  std::atomic<int> runs{0};
  Periodic periodic(absl::Milliseconds(5), [&] { ++runs; });
  for (int i = 0; i < 200 && runs < 3; ++i) absl::SleepFor(absl::Milliseconds(5));
  CHECK(runs >= 3);
  periodic.Stop();
  int after = runs;
  absl::SleepFor(absl::Milliseconds(30));
  CHECK(runs == after);
  periodic.Stop();  // idempotent
}

}  // namespace
}  // namespace sunlight::server
