// The figures of a service's RocksDB store that predict trouble, on /metrics: what compaction
// owes, table files, memtables and write-ahead log, write stalls and background errors.
// ServiceMain registers them for every service and refreshes them every 15 s.
//
//   StoreMetrics metrics;
//   metrics.Register(host.registry());
//   metrics.Refresh(*store);   // periodically
#ifndef SUNLIGHT_SERVER_STORE_METRICS_H_
#define SUNLIGHT_SERVER_STORE_METRICS_H_

#include <cstdint>
#include <mutex>

#include "sunlight/server/metrics.h"
#include "sunlight/storage/store.h"

#define SUNLIGHT_STORE_METRICS(COUNTER, GAUGE)                                                  \
  GAUGE(pending_compaction_bytes, "sunlight_rocksdb_pending_compaction_bytes",                  \
        "Bytes compaction estimates it must rewrite; writes slow down, then stop, as it grows") \
  GAUGE(live_sst_bytes, "sunlight_rocksdb_live_sst_bytes",                                      \
        "Bytes of the table files the store's current version uses")                            \
  GAUGE(memtable_bytes, "sunlight_rocksdb_memtable_bytes",                                      \
        "Bytes of the store's memtables (active, immutable and pinned)")                        \
  GAUGE(wal_bytes, "sunlight_rocksdb_wal_bytes", "Bytes of the live write-ahead log files")     \
  GAUGE(wal_files, "sunlight_rocksdb_wal_files", "Live write-ahead log files")                  \
  GAUGE(write_stopped, "sunlight_rocksdb_write_stopped",                                        \
        "1 while writes are stopped until flushes or compactions catch up, else 0")             \
  GAUGE(delayed_write_rate, "sunlight_rocksdb_delayed_write_rate_bytes_per_second",             \
        "The rate writes are held to while slowed down; 0 when they are not")                   \
  COUNTER(stall_seconds, "sunlight_rocksdb_write_stall_seconds_total",                          \
          "Time writers waited for flushes or compactions (write stalls)")                      \
  GAUGE(background_errors, "sunlight_rocksdb_background_errors",                                \
        "Failed flushes or compactions since the store opened")                                 \
  GAUGE(refreshed, "sunlight_rocksdb_refreshed_timestamp_seconds",                              \
        "When these figures were last read from the store")

namespace sunlight::server {

SUNLIGHT_METRICS_STRUCT(StoreMetricsList, SUNLIGHT_STORE_METRICS);

class StoreMetrics {
 public:
  void Register(prometheus::Registry& registry) { list_.Register(registry); }
  // Reads the store's figures (storage::Store::Stats) into the metrics; on an error the
  // metrics keep their last values and the error is returned.
  absl::Status Refresh(const storage::Store& store);
  const StoreMetricsList& list() const { return list_; }

 private:
  StoreMetricsList list_;
  std::mutex mu_;
  uint64_t stall_micros_ = 0;  // guarded by mu_: as last exported
};

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_STORE_METRICS_H_
