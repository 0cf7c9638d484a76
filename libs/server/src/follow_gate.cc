#include "sunlight/server/follow_gate.h"

#include "absl/time/clock.h"

namespace sunlight::server {

eventlog::EventSubscriber::Handler FollowGate::Wrap(eventlog::EventSubscriber::Handler apply) {
  return [this, apply = std::move(apply)](const std::vector<events::v1::CaseEvent>& batch) {
    {
      std::unique_lock lock(mu_);
      while (!closed_ && absl::Now() < paused_until_) {
        cv_.wait_until(lock, absl::ToChronoTime(paused_until_));
      }
      ++applying_;
    }
    absl::Status s = apply(batch);
    {
      std::lock_guard lock(mu_);
      --applying_;
    }
    cv_.notify_all();
    return s;
  };
}

void FollowGate::Pause(absl::Time until) {
  std::unique_lock lock(mu_);
  paused_until_ = until;
  cv_.wait(lock, [this] { return applying_ == 0; });
}

void FollowGate::Resume() {
  {
    std::lock_guard lock(mu_);
    paused_until_ = absl::InfinitePast();
  }
  cv_.notify_all();
}

void FollowGate::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    paused_until_ = absl::InfinitePast();
  }
  cv_.notify_all();
}

absl::Time FollowGate::paused_until() const {
  std::lock_guard lock(mu_);
  return absl::Now() < paused_until_ ? paused_until_ : absl::InfinitePast();
}

}  // namespace sunlight::server
