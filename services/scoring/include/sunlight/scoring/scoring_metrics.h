// The scoring service's metrics: its one list (see sunlight/server/metrics.h).
#ifndef SUNLIGHT_SERVICES_SCORING_SCORING_METRICS_H_
#define SUNLIGHT_SERVICES_SCORING_SCORING_METRICS_H_

#include "sunlight/server/metrics.h"

namespace sunlight::scoring {

#define SUNLIGHT_SCORING_METRICS(COUNTER, GAUGE)                                        \
  COUNTER(events_applied, "sunlight_scoring_events_applied_total",                      \
          "Events of the intake, workflow and supervision streams applied")             \
  COUNTER(cases_rescored, "sunlight_scoring_case_contributions_total",                  \
          "Case contributions to the aggregates replaced after a case's facts changed") \
  COUNTER(sheets_computed, "sunlight_scoring_sheets_computed_total",                    \
          "Monthly score computations (open months, publications and recomputations)")  \
  COUNTER(sheets_published, "sunlight_scoring_sheets_published_total",                  \
          "Score sheet versions published")                                             \
  COUNTER(appeals_filed, "sunlight_scoring_appeals_filed_total", "Appeals filed")       \
  COUNTER(evaluations_rated, "sunlight_scoring_evaluations_total",                      \
          "Evaluations (好差评) of cases, online and at the windows' devices")          \
  COUNTER(complaints_filed, "sunlight_scoring_complaints_total", "Complaints filed")    \
  COUNTER(punches_accepted, "sunlight_scoring_punches_accepted_total",                  \
          "Attendance punches stored (from devices, not counting retried ones)")        \
  COUNTER(punches_duplicate, "sunlight_scoring_punches_duplicate_total",                \
          "Attendance punches uploaded again with the same content (retried batches)")  \
  GAUGE(last_compute_seconds, "sunlight_scoring_last_compute_seconds",                  \
        "Wall time of the latest monthly score computation")                            \
  GAUGE(months_open, "sunlight_scoring_months_open",                                    \
        "Months whose newest score sheet is open or a draft (not published)")           \
  GAUGE(months_stale, "sunlight_scoring_months_stale",                                  \
        "Published months that late events changed, waiting for a draft")
SUNLIGHT_METRICS_STRUCT(ScoringMetrics, SUNLIGHT_SCORING_METRICS);

// How long a month's scores take to compute (every computation: on demand, drafts, recompute).
struct ScoringTimings {
  server::HistogramMetric compute;
  void Register(prometheus::Registry& registry) {
    compute.Register(registry, "sunlight_scoring_recompute_seconds",
                     "Wall time of one month's score computation",
                     {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120});
  }
};

}  // namespace sunlight::scoring

#endif  // SUNLIGHT_SERVICES_SCORING_SCORING_METRICS_H_
