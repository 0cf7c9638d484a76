#include "sunlight/server/store_metrics.h"

#include "absl/time/clock.h"

namespace sunlight::server {

absl::Status StoreMetrics::Refresh(const storage::Store& store) {
  auto stats = store.Stats();
  if (!stats.ok()) return stats.status();
  auto d = [](uint64_t v) { return static_cast<double>(v); };
  list_.pending_compaction_bytes.Set(d(stats->pending_compaction_bytes));
  list_.live_sst_bytes.Set(d(stats->live_sst_bytes));
  list_.memtable_bytes.Set(d(stats->memtable_bytes));
  list_.wal_bytes.Set(d(stats->wal_bytes));
  list_.wal_files.Set(d(stats->wal_files));
  list_.write_stopped.Set(stats->write_stopped ? 1 : 0);
  list_.delayed_write_rate.Set(d(stats->delayed_write_rate));
  list_.background_errors.Set(d(stats->background_errors));
  {
    std::lock_guard lock(mu_);
    if (stats->stall_micros > stall_micros_) {
      list_.stall_seconds.Increment(d(stats->stall_micros - stall_micros_) / 1e6);
      stall_micros_ = stats->stall_micros;
    }
  }
  list_.refreshed.Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  return absl::OkStatus();
}

}  // namespace sunlight::server
