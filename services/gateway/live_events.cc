#include "live_events.h"

#include "absl/strings/str_cat.h"
#include "sunlight/eventlog/subscriber.h"
#include "sunlight/events/v1/events.grpc.pb.h"

namespace sunlight::gateway {

LiveEvents::LiveEvents(LiveEventsOptions options) : options_(std::move(options)) {}

LiveEvents::~LiveEvents() { Stop(); }

void LiveEvents::Start() {
  subscriber_ = eventlog::Follow(
      "gateway", options_.signer, options_.credentials, options_.supervision_target, "supervision",
      [this] { return Cursor(); },
      [this](const std::vector<events::v1::CaseEvent>& batch) { return Apply(batch); });
  subscriber_->Start();
}

void LiveEvents::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (subscriber_ != nullptr) subscriber_->Stop();
}

bool LiveEvents::stopped() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

absl::StatusOr<uint64_t> LiveEvents::Cursor() {
  {
    std::lock_guard lock(mu_);
    if (cursor_known_) return cursor_;
  }
  // First connection: start at the stream's end (the console wants what happens next).
  auto stub = events::v1::EventStream::NewStub(grpc::CreateChannel(
      options_.supervision_target,
      options_.credentials ? options_.credentials : grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auth::ServiceCallSigner(options_.signer, "supervision")(
      &context, events::v1::GetStreamInfoRequest::descriptor()->full_name());
  events::v1::StreamInfo info;
  grpc::Status s = stub->GetStreamInfo(&context, events::v1::GetStreamInfoRequest(), &info);
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat("supervision stream info: ", s.error_message()));
  }
  std::lock_guard lock(mu_);
  if (!cursor_known_) {
    cursor_ = info.last_sequence();
    cursor_known_ = true;
  }
  return cursor_;
}

absl::Status LiveEvents::Apply(const std::vector<events::v1::CaseEvent>& events) {
  {
    std::lock_guard lock(mu_);
    for (const auto& event : events) {
      ++board_version_;  // lights, notices, alerts: the board may have moved
      if (event.type() == "supervision.alert.raised") {
        supervision::v1::AlertRaised raised;
        if (event.payload().UnpackTo(&raised)) {
          alerts_.push_back(raised.alert());
          while (alerts_.size() > options_.max_kept_alerts) {
            alerts_.pop_front();
            ++first_alert_;
          }
        }
      }
      cursor_ = event.sequence();
      cursor_known_ = true;
    }
  }
  changed_.notify_all();
  return absl::OkStatus();
}

std::shared_ptr<const void> LiveEvents::OpenStream(const std::string& user_id) {
  std::lock_guard lock(streams_mu_);
  size_t& open = streams_per_user_[user_id];
  if (open >= options_.max_streams_per_user) {
    if (open == 0) streams_per_user_.erase(user_id);
    return nullptr;
  }
  ++open;
  // The slot's deleter gives the place back (and forgets users with none open).
  return std::shared_ptr<const void>(this, [user_id](LiveEvents* live) {
    std::lock_guard lock(live->streams_mu_);
    auto it = live->streams_per_user_.find(user_id);
    if (it != live->streams_per_user_.end() && --it->second == 0) {
      live->streams_per_user_.erase(it);
    }
  });
}

LiveEvents::Changes LiveEvents::Wait(Listener* listener, absl::Duration timeout) {
  std::unique_lock lock(mu_);
  if (!listener->started) {
    listener->started = true;
    listener->next_alert = first_alert_ + alerts_.size();  // only what comes next
  }
  auto pending = [&] {
    return stopping_ || listener->board_version != board_version_ ||
           listener->next_alert < first_alert_ + alerts_.size();
  };
  changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), pending);
  Changes changes;
  if (stopping_) return changes;
  if (listener->board_version != board_version_) {
    changes.board_changed = true;
    listener->board_version = board_version_;
  }
  listener->next_alert = std::max(listener->next_alert, first_alert_);
  for (uint64_t i = listener->next_alert; i < first_alert_ + alerts_.size(); ++i) {
    changes.alerts.push_back(alerts_[i - first_alert_]);
  }
  listener->next_alert = first_alert_ + alerts_.size();
  return changes;
}

size_t LiveEvents::open_streams() {
  std::lock_guard lock(streams_mu_);
  size_t open = 0;
  for (const auto& [user, streams] : streams_per_user_) open += streams;
  return open;
}

}  // namespace sunlight::gateway
