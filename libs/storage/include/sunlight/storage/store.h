// The one RocksDB wrapper: column families, atomic write batches, synced writes.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(auto store, Store::Open({.path = dir,
//                                                       .column_families = {"cases"}}));
//   WriteBatch batch;
//   batch.Put("cases", key, value);
//   SUNLIGHT_RETURN_IF_ERROR(store->Write(batch));   // durable when it returns OK
//
// Every method returns absl::Status: kNotFound only where documented, kInvalidArgument for
// an unknown column family, kInternal / kDataLoss / kUnavailable for RocksDB failures (the
// RocksDB message is kept). The Store is thread-safe.
#ifndef SUNLIGHT_STORAGE_STORE_H_
#define SUNLIGHT_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Statistics;
}  // namespace rocksdb

namespace sunlight::storage {

struct StoreOptions {
  // Directory of the database; created when missing.
  std::string path;
  // Column families besides "default"; created when missing.
  std::vector<std::string> column_families;
  // When true (the default), every Write syncs the WAL before it returns, so an
  // acknowledged write survives a crash of the process or the machine.
  bool sync_writes = true;
};

// Figures of a store that predict trouble (Store::Stats), for metrics.
struct StoreStats {
  // Bytes compaction estimates it must rewrite to bring every level under its target size
  // (summed over the column families); writes slow down and stop as it grows.
  uint64_t pending_compaction_bytes = 0;
  // Bytes of the table files the current version uses.
  uint64_t live_sst_bytes = 0;
  // Bytes of every memtable (active, immutable and pinned).
  uint64_t memtable_bytes = 0;
  // Bytes and number of the live write-ahead log files.
  uint64_t wal_bytes = 0;
  uint64_t wal_files = 0;
  // Writes are stopped (until flushes or compactions catch up).
  bool write_stopped = false;
  // The rate writes are held to while slowed down, bytes per second; 0 when they are not.
  uint64_t delayed_write_rate = 0;
  // Microseconds writers waited for flushes or compactions (write stalls), since open.
  uint64_t stall_micros = 0;
  // Background errors (failed flushes or compactions) since open.
  uint64_t background_errors = 0;
};

struct BackupInfo;  // backup.h

// A set of puts and deletes applied atomically by Store::Write.
class WriteBatch {
 public:
  void Put(std::string_view column_family, std::string_view key, std::string_view value);
  void Delete(std::string_view column_family, std::string_view key);
  // Adds every operation of `other`, after this batch's own.
  void Append(const WriteBatch& other);
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }

 private:
  friend class Store;
  struct Op {
    std::string column_family;
    std::string key;
    std::string value;
    bool is_delete;
  };
  std::vector<Op> ops_;
};

class Store {
 public:
  // Opens (creating if needed) the database. On error returns a non-OK status and no store.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Applies all batches atomically, in order, as one RocksDB write. On error nothing of
  // them is applied.
  absl::Status Write(const std::vector<const WriteBatch*>& batches);
  absl::Status Write(const WriteBatch& batch) { return Write(std::vector{&batch}); }

  // The value at key, or std::nullopt when absent.
  absl::StatusOr<std::optional<std::string>> Get(std::string_view column_family,
                                                 std::string_view key) const;

  // Calls visit(key, value) for each key in [lower, upper) in ascending order (or descending
  // when `reverse`) until it returns false. An empty `upper` means no upper bound.
  absl::Status Scan(std::string_view column_family, std::string_view lower, std::string_view upper,
                    const std::function<bool(std::string_view, std::string_view)>& visit,
                    bool reverse = false) const;

  // The greatest key in the column family (with its value), or std::nullopt when empty.
  // Writes every column family's memtable to SST files (the WAL holds them until then).
  absl::Status Flush();
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Last(
      std::string_view column_family) const;

  // The store's figures now (RocksDB properties, its live WAL files, its statistics).
  absl::StatusOr<StoreStats> Stats() const;

  const StoreOptions& options() const { return options_; }

 private:
  // Backups (backup.h) use the database itself.
  friend absl::StatusOr<BackupInfo> CreateBackup(const Store& store, const std::string& backup_dir,
                                                 const std::string& app_metadata,
                                                 uint32_t keep_last);
  friend absl::Status ReadBackup(const std::string& backup_dir, uint32_t id,
                                 const std::function<absl::Status(const Store&)>& read);

  Store(StoreOptions options, std::unique_ptr<rocksdb::DB> db,
        std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> handles,
        std::shared_ptr<rocksdb::Statistics> statistics);
  absl::StatusOr<rocksdb::ColumnFamilyHandle*> Handle(std::string_view column_family) const;

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> handles_;
  std::shared_ptr<rocksdb::Statistics> statistics_;  // tickers only (cheap); null: none
};

}  // namespace sunlight::storage

#endif  // SUNLIGHT_STORAGE_STORE_H_
