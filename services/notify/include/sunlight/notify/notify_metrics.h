// The notify service's metrics: its one list (see sunlight/server/metrics.h).
#ifndef SUNLIGHT_SERVICES_NOTIFY_NOTIFY_METRICS_H_
#define SUNLIGHT_SERVICES_NOTIFY_NOTIFY_METRICS_H_

#include "sunlight/server/metrics.h"

namespace sunlight::notify {

#define SUNLIGHT_NOTIFY_METRICS(COUNTER, GAUGE)                                         \
  GAUGE(backlog, "sunlight_notify_backlog",                                             \
        "Notifications not yet delivered nor dead (queued, in flight, sent, retrying)") \
  GAUGE(delivered, "sunlight_notify_delivered", "Notifications delivered")              \
  GAUGE(dead, "sunlight_notify_dead",                                                   \
        "Notifications dead-lettered (refused, out of attempts, or nobody to reach)")   \
  COUNTER(attempts, "sunlight_notify_attempts_total", "Delivery attempts made")         \
  GAUGE(oldest, "sunlight_notify_oldest_seconds",                                       \
        "Age of the oldest notification still waiting for delivery (0 when none)")
SUNLIGHT_METRICS_STRUCT(NotifyMetrics, SUNLIGHT_NOTIFY_METRICS);

// By channel ("sms", "email", "webhook"): attempts the channel took, deliveries, failures.
struct NotifyChannelMetrics {
  server::LabeledCounter sent, delivered, failed;
  void Register(prometheus::Registry& registry) {
    sent.Register(registry, "sunlight_notify_sent_total", "Attempts a channel took, by channel");
    delivered.Register(registry, "sunlight_notify_delivered_total",
                       "Notifications delivered, by channel");
    failed.Register(registry, "sunlight_notify_failed_total",
                    "Failed attempts and failure reports, by channel");
  }
};

}  // namespace sunlight::notify

#endif  // SUNLIGHT_SERVICES_NOTIFY_NOTIFY_METRICS_H_
