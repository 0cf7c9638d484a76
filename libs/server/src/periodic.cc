#include "sunlight/server/periodic.h"

namespace sunlight::server {

Periodic::Periodic(absl::Duration period, std::function<void()> work)
    : period_(period), work_(std::move(work)), thread_([this] { Run(); }) {}

Periodic::~Periodic() { Stop(); }

void Periodic::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Periodic::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    work_();
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoNanoseconds(period_), [this] { return stop_; });
  }
}

}  // namespace sunlight::server
