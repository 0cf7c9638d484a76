// Backup and restore figures, for the recovery time objective (docs/operations.md): a store of
// --megabytes of incompressible records (about a case's size each, flushed and compacted as a
// service's would be), then a full backup, an incremental one after --growth_percent more
// records, a verification of every file's checksum and a restore into an empty directory.
// Prints
//   BENCH backup_full_mb_per_s <n> MB/s         the first backup of the store
//   BENCH backup_incremental_s <s> s            the next, after the growth (shares the rest)
//   BENCH backup_verify_mb_per_s <n> MB/s       re-reading and checksumming the whole backup
//   BENCH restore_mb_per_s <n> MB/s             verified, copied, checksummed again
// Page-cache warm: a cold disk is slower; measure on the machine that restores.
#include <filesystem>
#include <iostream>
#include <random>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "sunlight/server/config.h"
#include "sunlight/storage/backup.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight {
namespace {

void Fill(storage::Store& store, uint64_t from, uint64_t to, std::mt19937_64& rng) {
  constexpr size_t kRecord = 2048;
  for (uint64_t i = from; i < to;) {
    storage::WriteBatch batch;
    for (int n = 0; n < 256 && i < to; ++n, ++i) {
      std::string value(kRecord, '\0');
      for (size_t b = 0; b < kRecord; b += 8) {
        uint64_t r = rng();
        value.replace(b, 8, reinterpret_cast<const char*>(&r), 8);
      }
      batch.Put("records", storage::EncodeU64(i), value);
    }
    if (absl::Status s = store.Write(batch); !s.ok()) {
      std::cerr << s << "\n";
      std::exit(1);
    }
  }
}

template <typename T>
T OrExit(absl::StatusOr<T> value) {
  if (!value.ok()) {
    std::cerr << value.status() << "\n";
    std::exit(1);
  }
  return *std::move(value);
}

int Run(int argc, char** argv) {
  auto config = server::ParseToolFlagsOrExit(
      argc, argv,
      {{"megabytes", "1024", "size of the store"},
       {"growth_percent", "5", "records added before the incremental backup"},
       {"dir", "/tmp/sunlight-backup-bench", "scratch directory (removed first and after)"}});
  const int64_t megabytes = server::IntOrExit(config, "megabytes");
  const int64_t growth = server::IntOrExit(config, "growth_percent");
  const std::string dir = config.Get("dir");
  std::filesystem::remove_all(dir);
  const uint64_t records = static_cast<uint64_t>(megabytes) * 512;  // 2 KiB each
  std::mt19937_64 rng(42);
  auto store = OrExit(storage::Store::Open(
      {.path = dir + "/data", .column_families = {"records"}, .sync_writes = false}));
  Fill(*store, 0, records, rng);
  if (absl::Status s = store->Flush(); !s.ok()) return 1;

  auto seconds = [](absl::Time start) { return absl::ToDoubleSeconds(absl::Now() - start); };
  absl::Time start = absl::Now();
  auto full = OrExit(storage::CreateBackup(*store, dir + "/backups", "bench"));
  const double full_s = seconds(start);
  const double mb = static_cast<double>(full.size_bytes) / 1e6;
  Fill(*store, records, records + records * static_cast<uint64_t>(growth) / 100, rng);
  start = absl::Now();
  auto incremental = OrExit(storage::CreateBackup(*store, dir + "/backups", "bench"));
  const double incremental_s = seconds(start);
  store.reset();
  start = absl::Now();
  OrExit(storage::VerifyBackup(dir + "/backups", incremental.id));
  const double verify_s = seconds(start);
  start = absl::Now();
  OrExit(storage::RestoreBackup(dir + "/backups", incremental.id, dir + "/restored"));
  const double restore_s = seconds(start);
  const double restored_mb = static_cast<double>(incremental.size_bytes) / 1e6;
  absl::PrintF("store %.0f MB, %d files; incremental backup %.0f MB in all\n", mb, full.file_count,
               restored_mb);
  absl::PrintF("BENCH backup_full_mb_per_s %.0f MB/s\n", mb / full_s);
  absl::PrintF("BENCH backup_incremental_s %.2f s\n", incremental_s);
  absl::PrintF("BENCH backup_verify_mb_per_s %.0f MB/s\n", restored_mb / verify_s);
  absl::PrintF("BENCH restore_mb_per_s %.0f MB/s\n", restored_mb / restore_s);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace sunlight

int main(int argc, char** argv) { return sunlight::Run(argc, argv); }
