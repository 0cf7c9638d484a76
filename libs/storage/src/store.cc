#include "sunlight/storage/store.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "rocks_status.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/statistics.h"
#include "rocksdb/transaction_log.h"
#include "rocksdb/write_batch.h"

namespace sunlight::storage {

void WriteBatch::Put(std::string_view column_family, std::string_view key, std::string_view value) {
  ops_.push_back(Op{std::string(column_family), std::string(key), std::string(value), false});
}

void WriteBatch::Delete(std::string_view column_family, std::string_view key) {
  ops_.push_back(Op{std::string(column_family), std::string(key), std::string(), true});
}

void WriteBatch::Append(const WriteBatch& other) {
  ops_.insert(ops_.end(), other.ops_.begin(), other.ops_.end());
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("path: must not be empty");
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", options.path, ": ", ec.message()));

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  // Tickers only (write stalls among them): a relaxed per-core counter each, no timers.
  auto statistics = rocksdb::CreateDBStatistics();
  statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
  db_options.statistics = statistics;
  rocksdb::ColumnFamilyOptions cf_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (const auto& name : options.column_families) descriptors.emplace_back(name, cf_options);

  std::vector<rocksdb::ColumnFamilyHandle*> raw_handles;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, options.path, descriptors, &raw_handles, &raw_db);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open ", options.path));
  std::unique_ptr<rocksdb::DB> db(raw_db);
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> handles;
  for (size_t i = 0; i < descriptors.size(); ++i) handles[descriptors[i].name] = raw_handles[i];
  return std::unique_ptr<Store>(
      new Store(options, std::move(db), std::move(handles), std::move(statistics)));
}

Store::Store(StoreOptions options, std::unique_ptr<rocksdb::DB> db,
             std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> handles,
             std::shared_ptr<rocksdb::Statistics> statistics)
    : options_(std::move(options)),
      db_(std::move(db)),
      handles_(std::move(handles)),
      statistics_(std::move(statistics)) {}

Store::~Store() {
  for (auto& [name, handle] : handles_) {
    // Closing cannot be reported to anyone at this point; the WAL already holds every
    // acknowledged write.
    (void)db_->DestroyColumnFamilyHandle(handle);
  }
  (void)db_->Close();
}

absl::StatusOr<rocksdb::ColumnFamilyHandle*> Store::Handle(std::string_view column_family) const {
  auto it = handles_.find(column_family);
  if (it == handles_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown column family ", std::string(column_family)));
  }
  return it->second;
}

absl::Status Store::Flush() {
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  for (auto& [name, handle] : handles_) handles.push_back(handle);
  rocksdb::Status s = db_->Flush(rocksdb::FlushOptions(), handles);
  if (!s.ok()) return absl::InternalError(absl::StrCat("flush: ", s.ToString()));
  return absl::OkStatus();
}

absl::Status Store::Write(const std::vector<const WriteBatch*>& batches) {
  rocksdb::WriteBatch wb;
  for (const WriteBatch* batch : batches) {
    for (const auto& op : batch->ops_) {
      auto handle = Handle(op.column_family);
      if (!handle.ok()) return handle.status();
      rocksdb::Status s =
          op.is_delete ? wb.Delete(*handle, op.key) : wb.Put(*handle, op.key, op.value);
      if (!s.ok()) return FromRocks(s, "batch");
    }
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync_writes;
  return FromRocks(db_->Write(write_options, &wb), "write");
}

absl::StatusOr<std::optional<std::string>> Store::Get(std::string_view column_family,
                                                      std::string_view key) const {
  auto handle = Handle(column_family);
  if (!handle.ok()) return handle.status();
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), *handle, key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "get");
  return std::optional<std::string>(std::move(value));
}

absl::Status Store::Scan(std::string_view column_family, std::string_view lower,
                         std::string_view upper,
                         const std::function<bool(std::string_view, std::string_view)>& visit,
                         bool reverse) const {
  auto handle = Handle(column_family);
  if (!handle.ok()) return handle.status();
  rocksdb::ReadOptions read_options;
  rocksdb::Slice lower_slice(lower.data(), lower.size());
  rocksdb::Slice upper_slice(upper.data(), upper.size());
  read_options.iterate_lower_bound = &lower_slice;
  if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, *handle));
  if (reverse) {
    if (upper.empty()) {
      it->SeekToLast();
    } else {
      it->SeekForPrev(upper_slice);
      if (it->Valid() && it->key() == upper_slice) it->Prev();
    }
  } else {
    it->Seek(lower_slice);
  }
  for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
    if (!visit(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "scan");
}

absl::StatusOr<StoreStats> Store::Stats() const {
  StoreStats stats;
  auto aggregated = [&](const std::string& property) {
    uint64_t value = 0;
    return db_->GetAggregatedIntProperty(property, &value) ? value : 0;
  };
  auto db_wide = [&](const std::string& property) {
    uint64_t value = 0;
    return db_->GetIntProperty(property, &value) ? value : 0;
  };
  stats.pending_compaction_bytes =
      aggregated(rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
  stats.live_sst_bytes = aggregated(rocksdb::DB::Properties::kLiveSstFilesSize);
  stats.memtable_bytes = aggregated(rocksdb::DB::Properties::kCurSizeAllMemTables);
  stats.write_stopped = db_wide(rocksdb::DB::Properties::kIsWriteStopped) != 0;
  stats.delayed_write_rate = db_wide(rocksdb::DB::Properties::kActualDelayedWriteRate);
  stats.background_errors = db_wide(rocksdb::DB::Properties::kBackgroundErrors);
  if (statistics_ != nullptr)
    stats.stall_micros = statistics_->getTickerCount(rocksdb::STALL_MICROS);
  rocksdb::VectorLogPtr wal_files;
  if (absl::Status s = FromRocks(db_->GetSortedWalFiles(wal_files), "list WAL files"); !s.ok()) {
    return s;
  }
  for (const auto& file : wal_files) {
    if (file->Type() != rocksdb::kAliveLogFile) continue;
    stats.wal_bytes += file->SizeFileBytes();
    ++stats.wal_files;
  }
  return stats;
}

absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Store::Last(
    std::string_view column_family) const {
  std::optional<std::pair<std::string, std::string>> last;
  absl::Status s = Scan(
      column_family, "", "",
      [&](std::string_view k, std::string_view v) {
        last.emplace(std::string(k), std::string(v));
        return false;
      },
      /*reverse=*/true);
  if (!s.ok()) return s;
  return last;
}

}  // namespace sunlight::storage
