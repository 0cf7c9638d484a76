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

}  // namespace sunlight::supervision

#endif  // SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_METRICS_H_
