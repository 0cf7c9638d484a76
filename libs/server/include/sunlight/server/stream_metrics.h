// What every service's event streams show on /metrics: for each stream it follows, the
// consumer's lag behind the producer (events, and seconds since the last event it applied
// occurred), the batches and events applied and the reconnections; for its own event log,
// the last sequence, the commits and the store writes they took (commits / writes is the
// group-commit size). ServiceMain registers them and refreshes them every few seconds.
//
//   StreamMetrics metrics;
//   metrics.Register(host.registry());
//   metrics.Follow(subscriber, cursor);   // each stream followed
//   metrics.Serve(&log);                  // the service's own log
//   metrics.Refresh();                    // periodically
#ifndef SUNLIGHT_SERVER_STREAM_METRICS_H_
#define SUNLIGHT_SERVER_STREAM_METRICS_H_

#include <mutex>
#include <vector>

#include "sunlight/eventlog/event_log.h"
#include "sunlight/eventlog/subscriber.h"
#include "sunlight/server/metrics.h"

namespace sunlight::server {

class StreamMetrics {
 public:
  void Register(prometheus::Registry& registry);
  // `subscriber` must outlive this; `cursor` reads the consumer's committed cursor.
  void Follow(eventlog::EventSubscriber* subscriber, eventlog::EventSubscriber::CursorFn cursor);
  void Serve(const eventlog::EventLog* log);
  // Reads every figure (one GetStreamInfo per followed stream, with a short deadline).
  void Refresh();

 private:
  struct Followed {
    eventlog::EventSubscriber* subscriber;
    eventlog::EventSubscriber::CursorFn cursor;
    absl::Time since;  // when it started following: the lag's age before any event applied
    uint64_t batches = 0, events = 0, connections = 0;  // as last exported
  };

  std::mutex mu_;
  std::vector<Followed> followed_;           // guarded by mu_
  const eventlog::EventLog* log_ = nullptr;  // guarded by mu_
  uint64_t commits_ = 0, writes_ = 0;        // guarded by mu_: as last exported

  LabeledGauge lag_events_, lag_seconds_;
  LabeledCounter batches_total_, events_total_, reconnects_total_;
  GaugeMetric last_sequence_;
  CounterMetric commits_total_, writes_total_;
};

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_STREAM_METRICS_H_
