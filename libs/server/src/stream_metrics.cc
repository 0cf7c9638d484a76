#include "sunlight/server/stream_metrics.h"

namespace sunlight::server {

void StreamMetrics::Register(prometheus::Registry& registry) {
  lag_events_.Register(registry, "sunlight_consumer_lag_events",
                       "Events the producer has committed that this consumer has not applied");
  lag_seconds_.Register(registry, "sunlight_consumer_lag_seconds",
                        "While behind: seconds since the last event this consumer applied "
                        "occurred (0 when caught up)");
  batches_total_.Register(registry, "sunlight_consumer_batches_total",
                          "Batches of a followed stream applied with their cursor");
  events_total_.Register(registry, "sunlight_consumer_events_total",
                         "Events of a followed stream applied");
  reconnects_total_.Register(registry, "sunlight_consumer_reconnects_total",
                             "Times the subscription to a followed stream was made again");
  last_sequence_.Register(registry, "sunlight_eventlog_last_sequence",
                          "The last sequence committed to this service's event stream");
  commits_total_.Register(registry, "sunlight_eventlog_commits_total",
                          "Commits (state and events) to this service's event log");
  writes_total_.Register(registry, "sunlight_eventlog_writes_total",
                         "Synced store writes the commits took (group commit)");
}

void StreamMetrics::Follow(eventlog::EventSubscriber* subscriber,
                           eventlog::EventSubscriber::CursorFn cursor) {
  std::lock_guard lock(mu_);
  followed_.push_back(
      {.subscriber = subscriber, .cursor = std::move(cursor), .since = absl::Now()});
}

void StreamMetrics::Serve(const eventlog::EventLog* log) {
  std::lock_guard lock(mu_);
  log_ = log;
}

void StreamMetrics::Refresh() {
  std::lock_guard lock(mu_);
  for (Followed& f : followed_) {
    const std::map<std::string, std::string> labels = {{"stream", f.subscriber->options().stream}};
    absl::StatusOr<uint64_t> produced = f.subscriber->ProducerLastSequence();
    absl::StatusOr<uint64_t> applied = f.cursor();
    if (produced.ok() && applied.ok()) {
      const uint64_t behind = *produced > *applied ? *produced - *applied : 0;
      lag_events_.Set(labels, static_cast<double>(behind));
      absl::Time last = f.subscriber->last_handled_occurred_at();
      if (last == absl::InfinitePast()) last = f.since;
      lag_seconds_.Set(labels, behind == 0 ? 0 : absl::ToDoubleSeconds(absl::Now() - last));
    }
    const uint64_t batches = f.subscriber->batches(), events = f.subscriber->events();
    const uint64_t connections = f.subscriber->connections();
    batches_total_.Increment(labels, static_cast<double>(batches - f.batches));
    events_total_.Increment(labels, static_cast<double>(events - f.events));
    // The first connection is no reconnection.
    const uint64_t reconnects = connections > 0 ? connections - 1 : 0;
    const uint64_t before = f.connections > 0 ? f.connections - 1 : 0;
    // Each series is made at its first refresh, at 0, so rate() has it from the start.
    reconnects_total_.Increment(labels, static_cast<double>(reconnects - before));
    f.batches = batches;
    f.events = events;
    f.connections = connections;
  }
  if (log_ != nullptr) {
    last_sequence_.Set(static_cast<double>(log_->last_sequence()));
    const uint64_t commits = log_->commits(), writes = log_->writes();
    commits_total_.Increment(static_cast<double>(commits - commits_));
    writes_total_.Increment(static_cast<double>(writes - writes_));
    commits_ = commits;
    writes_ = writes;
  }
}

}  // namespace sunlight::server
