// The intake service's metrics: its one list (see sunlight/server/metrics.h).
#ifndef SUNLIGHT_SERVICES_INTAKE_INTAKE_METRICS_H_
#define SUNLIGHT_SERVICES_INTAKE_INTAKE_METRICS_H_

#include "sunlight/server/metrics.h"

namespace sunlight::intake {

#define SUNLIGHT_INTAKE_METRICS(COUNTER, GAUGE)                                              \
  COUNTER(cases_submitted, "sunlight_intake_cases_submitted_total",                          \
          "Cases submitted, at a window or online (a repeated idempotency key counts once)") \
  COUNTER(cases_accepted, "sunlight_intake_cases_accepted_total", "Cases accepted (受理)")   \
  COUNTER(cases_refused, "sunlight_intake_cases_refused_total", "Cases refused (不予受理)")

SUNLIGHT_METRICS_STRUCT(IntakeMetrics, SUNLIGHT_INTAKE_METRICS);

}  // namespace sunlight::intake

#endif  // SUNLIGHT_SERVICES_INTAKE_INTAKE_METRICS_H_
