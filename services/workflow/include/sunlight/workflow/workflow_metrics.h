// The workflow service's metrics: its one list (see sunlight/server/metrics.h).
#ifndef SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_METRICS_H_
#define SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_METRICS_H_

#include "sunlight/server/metrics.h"

namespace sunlight::workflow {

#define SUNLIGHT_WORKFLOW_METRICS(COUNTER, GAUGE)                                 \
  COUNTER(steps_completed, "sunlight_workflow_steps_completed_total",             \
          "Steps completed: passed, returned or denied")                          \
  COUNTER(intake_events_applied, "sunlight_workflow_intake_events_applied_total", \
          "Events of the intake stream applied")

SUNLIGHT_METRICS_STRUCT(WorkflowMetrics, SUNLIGHT_WORKFLOW_METRICS);

}  // namespace sunlight::workflow

#endif  // SUNLIGHT_SERVICES_WORKFLOW_WORKFLOW_METRICS_H_
