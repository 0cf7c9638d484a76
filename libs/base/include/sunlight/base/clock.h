// The injected clock. Everything that reads the time takes a Clock&, so tests move time
// forward instead of sleeping.
//
//   sunlight::SystemClock clock;            // production
//   sunlight::FakeClock fake(absl::FromUnixSeconds(1771000000));
//   fake.Advance(absl::Hours(24));           // tests
#ifndef SUNLIGHT_BASE_CLOCK_H_
#define SUNLIGHT_BASE_CLOCK_H_

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sunlight {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current instant. Thread-safe.
  virtual absl::Time Now() const = 0;
};

// Wall-clock time, optionally shifted by a fixed offset (the demo uses an offset to show a
// case turning yellow and red without waiting days).
class SystemClock final : public Clock {
 public:
  explicit SystemClock(absl::Duration offset = absl::ZeroDuration()) : offset_(offset) {}
  absl::Time Now() const override { return absl::Now() + offset_; }

 private:
  absl::Duration offset_;
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Set(absl::Time t) { nanos_.store(absl::ToUnixNanos(t)); }
  void Advance(absl::Duration d) { nanos_.fetch_add(absl::ToInt64Nanoseconds(d)); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_CLOCK_H_
