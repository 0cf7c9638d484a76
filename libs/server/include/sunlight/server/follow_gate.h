// A gate in front of what a service applies from the streams it follows, for
// Admin.PauseFollowing: while it is paused, batches wait (their streams hold, cursors stay)
// and the service serves on. ServiceMain puts every Follow behind one.
//
//   FollowGate gate;
//   auto apply = gate.Wrap(handler);       // what the subscriber calls
//   gate.Pause(absl::Now() + absl::Minutes(10));  // returns once no batch is being applied
//   ... back up ...
//   gate.Resume();
#ifndef SUNLIGHT_SERVER_FOLLOW_GATE_H_
#define SUNLIGHT_SERVER_FOLLOW_GATE_H_

#include <condition_variable>
#include <mutex>

#include "absl/time/time.h"
#include "sunlight/eventlog/subscriber.h"

namespace sunlight::server {

class FollowGate {
 public:
  // `apply` behind the gate: it waits while the gate is paused, then applies.
  eventlog::EventSubscriber::Handler Wrap(eventlog::EventSubscriber::Handler apply);
  // Holds every batch not yet begun until `until` (by the real clock) or Resume; returns once
  // no batch is being applied.
  void Pause(absl::Time until);
  void Resume();
  // Opens the gate for good (the service stops: waiting batches go on, to be cancelled).
  void Close();
  // The end of the pause in force; InfinitePast when there is none.
  absl::Time paused_until() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  absl::Time paused_until_ = absl::InfinitePast();  // guarded by mu_
  int applying_ = 0;                                // guarded by mu_
  bool closed_ = false;                             // guarded by mu_
};

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_FOLLOW_GATE_H_
