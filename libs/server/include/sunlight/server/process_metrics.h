// The process's own figures on /metrics, under Prometheus' standard names (prometheus-cpp 1.0
// has no process collector): CPU seconds, resident and virtual memory, open and allowed file
// descriptors, threads and the start time, read from /proc/self at each scrape. Every
// ServiceHost with a metrics endpoint exposes them.
//
//   exposer.RegisterCollectable(ProcessCollector());
#ifndef SUNLIGHT_SERVER_PROCESS_METRICS_H_
#define SUNLIGHT_SERVER_PROCESS_METRICS_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"

namespace sunlight::server {

struct ProcessFigures {
  double cpu_seconds = 0;  // user + system
  uint64_t resident_memory_bytes = 0;
  uint64_t virtual_memory_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;  // the soft limit
  uint64_t threads = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

// The calling process's figures now; kUnavailable when /proc cannot be read.
absl::StatusOr<ProcessFigures> ReadProcessFigures();

// process_cpu_seconds_total (counter), process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_threads and
// process_start_time_seconds (gauges), read when collected; nothing when /proc is unreadable.
std::shared_ptr<prometheus::Collectable> ProcessCollector();

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_PROCESS_METRICS_H_
