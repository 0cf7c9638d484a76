// The gateway's metrics: its one list (see sunlight/server/metrics.h). The exchange's
// per-platform lag is a labelled family of its own (exchange/exchange_service.h).
#ifndef SUNLIGHT_SERVICES_GATEWAY_GATEWAY_METRICS_H_
#define SUNLIGHT_SERVICES_GATEWAY_GATEWAY_METRICS_H_

#include "sunlight/server/metrics.h"

namespace sunlight::gateway {

#define SUNLIGHT_GATEWAY_METRICS(COUNTER, GAUGE)                                             \
  COUNTER(requests_refused_text, "sunlight_gateway_requests_refused_text_total",             \
          "Requests refused (400) for a path parameter, query argument or body that is not " \
          "UTF-8, or too long")                                                              \
  COUNTER(logins_failed, "sunlight_gateway_logins_failed_total",                             \
          "Failed logins: unknown user, wrong password, or locked")                          \
  COUNTER(wrong_query_codes, "sunlight_gateway_wrong_query_codes_total",                     \
          "Public progress or supplement requests with a wrong query code")                  \
  COUNTER(requests_limited, "sunlight_gateway_requests_limited_total",                       \
          "Requests refused by a limit (429): public rate, query-code waits, quotas")        \
  COUNTER(audit_entries, "sunlight_gateway_audit_entries_total", "Audit entries written")    \
  COUNTER(logins, "sunlight_gateway_logins_total", "Logins that opened a session")           \
  GAUGE(event_streams_open, "sunlight_gateway_event_streams_open",                           \
        "Server-sent event streams open now")                                                \
  GAUGE(audit_chain_ok, "sunlight_gateway_audit_chain_ok",                                   \
        "1 when the audit chain verified at the last check, 0 when it did not")

SUNLIGHT_METRICS_STRUCT(GatewayMetrics, SUNLIGHT_GATEWAY_METRICS);

// Every REST request by its route's pattern (not its path: bounded), method and status.
struct HttpMetrics {
  server::LabeledCounter requests;
  server::LabeledHistogram duration;
  void Register(prometheus::Registry& registry) {
    requests.Register(registry, "sunlight_http_requests_total",
                      "REST requests by route pattern, method and HTTP status");
    duration.Register(registry, "sunlight_http_request_duration_seconds",
                      "Time to the response's head, by route pattern and method",
                      server::LatencyBuckets());
  }
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_GATEWAY_METRICS_H_
