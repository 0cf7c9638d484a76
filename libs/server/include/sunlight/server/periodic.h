// Work run every `period` on a thread of its own, until the Periodic is destroyed.
//
//   Periodic scheduler(absl::Milliseconds(100), [&] { (void)supervision.FireDue(); });
//   ...
//   scheduler.Stop();  // or let it go out of scope
//
// The work runs first right away, then `period` after each run ends (runs never overlap);
// Stop waits for a run in progress and returns without starting another.
#ifndef SUNLIGHT_SERVER_PERIODIC_H_
#define SUNLIGHT_SERVER_PERIODIC_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace sunlight::server {

class Periodic {
 public:
  Periodic(absl::Duration period, std::function<void()> work);
  ~Periodic();  // Stops.
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  // Idempotent.
  void Stop();

 private:
  void Run();

  absl::Duration period_;
  std::function<void()> work_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_PERIODIC_H_
