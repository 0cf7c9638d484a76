// The supervision service's metrics: its one list (see sunlight/server/metrics.h).
#ifndef SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_METRICS_H_
#define SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_METRICS_H_

#include "sunlight/server/metrics.h"

namespace sunlight::supervision {

#define SUNLIGHT_SUPERVISION_METRICS(COUNTER, GAUGE)                         \
  COUNTER(transitions_fired, "sunlight_supervision_transitions_fired_total", \
          "Lights turned yellow or red by the scheduler at their instants")  \
  COUNTER(alerts_raised, "sunlight_supervision_alerts_raised_total",         \
          "Alerts raised: light transitions and anomalies, each once")       \
  COUNTER(alerts_delivered, "sunlight_supervision_alerts_delivered_total",   \
          "Alerts the alert sink took durably")                              \
  COUNTER(events_applied, "sunlight_supervision_events_applied_total",       \
          "Events of the intake and workflow streams applied")

SUNLIGHT_METRICS_STRUCT(SupervisionMetrics, SUNLIGHT_SUPERVISION_METRICS);

// The figures that are not plain counters: open clocks by kind and light (from the light
// board, refreshed periodically), how late each transition fires, how long re-plans take,
// and the alert outbox.
struct SupervisionGauges {
  server::LabeledGauge open_clocks;
  server::HistogramMetric fire_delay;
  server::CounterMetric replans;
  server::HistogramMetric replan_duration;
  server::GaugeMetric alert_backlog;
  server::GaugeMetric alert_oldest;
  void Register(prometheus::Registry& registry) {
    open_clocks.Register(registry, "sunlight_supervision_open_clocks",
                         "Open clocks by kind and light");
    fire_delay.Register(registry, "sunlight_supervision_fire_delay_seconds",
                        "From a transition's instant to its commit", server::LatencyBuckets());
    replans.Register(registry, "sunlight_supervision_replans_total",
                     "Re-plans of every open clock (a calendar or rule change)");
    replan_duration.Register(registry, "sunlight_supervision_replan_seconds",
                             "How long a re-plan of every open clock took",
                             {0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300});
    alert_backlog.Register(registry, "sunlight_supervision_alert_backlog",
                           "Alerts raised and not yet taken by the alert sink");
    alert_oldest.Register(registry, "sunlight_supervision_alert_oldest_seconds",
                          "Age of the oldest alert waiting for the sink (0 when none)");
  }
};

}  // namespace sunlight::supervision

#endif  // SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_METRICS_H_
