// Backups with BackupEngine: online, incremental, verified, restored only into an empty place.
#include "sunlight/storage/backup.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight::storage {
namespace {

std::string TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("sunlight-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

void PutNumbered(Store& store, uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < to; ++i) {
    WriteBatch batch;
    batch.Put("things", EncodeU64(i), std::string(100, 'x'));
    REQUIRE(store.Write(batch).ok());
  }
}

// The number of keys in "things", all consecutive from 0.
uint64_t CountConsecutive(const Store& store) {
  uint64_t next = 0;
  REQUIRE(store
              .Scan("things", "", "",
                    [&](std::string_view key, std::string_view) {
                      REQUIRE(DecodeU64(key) == next);
                      ++next;
                      return true;
                    })
              .ok());
  return next;
}

TEST_CASE("a backup taken while writes go on holds every write acknowledged before it") {
  const std::string root = TempDir("backup-online");
  auto store = Store::Open({.path = root + "/data", .column_families = {"things"}});
  REQUIRE(store.ok());
  PutNumbered(**store, 0, 500);
  REQUIRE((*store)->Flush().ok());  // some of it in table files, the rest in the WAL only
  PutNumbered(**store, 500, 1000);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> written{1000};
  std::thread writer([&] {
    for (uint64_t i = 1000; !stop; ++i) {
      WriteBatch batch;
      batch.Put("things", EncodeU64(i), "during");
      REQUIRE((*store)->Write(batch).ok());
      written = i + 1;
    }
  });
  const uint64_t acknowledged = written;
  auto first = CreateBackup(**store, root + "/backups", "meta-1");
  REQUIRE(first.ok());
  stop = true;
  writer.join();
  CHECK(first->id == 1);
  CHECK(first->app_metadata == "meta-1");
  CHECK(first->file_count > 0);

  // What the backup holds, read in place: a consecutive prefix at least as long as what was
  // acknowledged before the backup began.
  uint64_t in_backup = 0;
  REQUIRE(ReadBackup(root + "/backups", first->id, [&](const Store& backup) {
            in_backup = CountConsecutive(backup);
            return absl::OkStatus();
          }).ok());
  CHECK(in_backup >= acknowledged);
  CHECK(in_backup <= written);

  // The second backup shares the table files of the first: it copies less.
  REQUIRE((*store)->Flush().ok());
  auto second = CreateBackup(**store, root + "/backups", "meta-2");
  REQUIRE(second.ok());
  CHECK(second->id == 2);
  auto listed = ListBackups(root + "/backups");
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].id == 1);
  CHECK((*listed)[1].app_metadata == "meta-2");
  REQUIRE(VerifyBackup(root + "/backups", 0).ok());

  // Restored into an empty directory, the first backup reopens with what it held.
  auto restored = RestoreBackup(root + "/backups", 1, root + "/restored");
  REQUIRE(restored.ok());
  CHECK(restored->id == 1);
  auto families = ColumnFamiliesAt(root + "/restored");
  REQUIRE(families.ok());
  CHECK(*families == std::vector<std::string>{"things"});
  {
    auto reopened = Store::Open({.path = root + "/restored", .column_families = {"things"}});
    REQUIRE(reopened.ok());
    CHECK(CountConsecutive(**reopened) == in_backup);
  }
  // Never over a store that is there.
  auto over = RestoreBackup(root + "/backups", 1, root + "/restored");
  CHECK(over.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(RestoreBackup(root + "/backups", 7, root + "/other").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(ListBackups(root + "/nowhere").status().code() == absl::StatusCode::kNotFound);

  // keep_last deletes the oldest.
  auto third = CreateBackup(**store, root + "/backups", "meta-3", /*keep_last=*/1);
  REQUIRE(third.ok());
  listed = ListBackups(root + "/backups");
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].id == 3);
  std::filesystem::remove_all(root);
}

TEST_CASE("a backup whose file was damaged fails verification and is not restored") {
  const std::string root = TempDir("backup-damaged");
  {
    auto store =
        Store::Open({.path = root + "/data", .column_families = {"things"}, .sync_writes = false});
    REQUIRE(store.ok());
    PutNumbered(**store, 0, 2000);
    REQUIRE((*store)->Flush().ok());
    REQUIRE(CreateBackup(**store, root + "/backups", "").ok());
  }
  // Flip a byte in the middle of a shared table file.
  std::string table;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(root + "/backups/shared_checksum")) {
    if (entry.path().extension() == ".sst") table = entry.path().string();
  }
  REQUIRE_FALSE(table.empty());
  {
    std::fstream file(table, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(100);
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5a);
    file.seekp(100);
    file.write(&byte, 1);
  }
  auto verified = VerifyBackup(root + "/backups", 1);
  CHECK(verified.status().code() == absl::StatusCode::kDataLoss);
  auto restored = RestoreBackup(root + "/backups", 1, root + "/restored");
  CHECK(restored.status().code() == absl::StatusCode::kDataLoss);
  std::error_code ec;
  CHECK_FALSE(std::filesystem::exists(root + "/restored/CURRENT", ec));
  std::filesystem::remove_all(root);
}

TEST_CASE("a store reports its table, memtable and WAL sizes and no stall") {
  const std::string dir = TempDir("store-stats");
  auto store = Store::Open({.path = dir, .column_families = {"things"}, .sync_writes = false});
  REQUIRE(store.ok());
  PutNumbered(**store, 0, 1000);
  auto before = (*store)->Stats();
  REQUIRE(before.ok());
  CHECK(before->memtable_bytes > 100 * 1000);
  CHECK(before->wal_bytes > 100 * 1000);
  CHECK(before->wal_files >= 1);
  CHECK(before->live_sst_bytes == 0);
  REQUIRE((*store)->Flush().ok());
  auto after = (*store)->Stats();
  REQUIRE(after.ok());
  CHECK(after->live_sst_bytes > 0);
  CHECK(after->memtable_bytes < before->memtable_bytes);
  CHECK_FALSE(after->write_stopped);
  CHECK(after->delayed_write_rate == 0);
  CHECK(after->stall_micros == 0);
  CHECK(after->background_errors == 0);
  CHECK(after->pending_compaction_bytes < 1024 * 1024);
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sunlight::storage
