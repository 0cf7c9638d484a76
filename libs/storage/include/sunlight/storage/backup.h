// Backups of a store with RocksDB's BackupEngine: online, consistent, incremental, checksummed.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(BackupInfo made, CreateBackup(*store, "/backups/intake", meta));
//   SUNLIGHT_RETURN_IF_ERROR(VerifyBackup("/backups/intake", made.id).status());
//   // Later, the service stopped, into an empty directory:
//   SUNLIGHT_RETURN_IF_ERROR(RestoreBackup("/backups/intake", made.id, "/data/intake").status());
//
// A backup directory holds the backups of one store. Each backup is a manifest
// (meta/<id>: every file with its size and CRC32C checksum, and the application's metadata)
// over files that the backups holding them share (shared_checksum/): a new backup copies only
// the table files earlier ones lack, plus the live write-ahead log and the small files.
#ifndef SUNLIGHT_STORAGE_BACKUP_H_
#define SUNLIGHT_STORAGE_BACKUP_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/storage/store.h"

namespace sunlight::storage {

struct BackupInfo {
  uint32_t id = 0;
  absl::Time created_at;
  // Bytes of every file of the backup (shared ones included) and their number.
  uint64_t size_bytes = 0;
  uint32_t file_count = 0;
  // What CreateBackup was given.
  std::string app_metadata;
};

// Backs `store` up into `backup_dir` (created when missing) as it is at one instant while
// writes go on: every write acknowledged before the call is in the backup, with the write-ahead
// log it is in. Then, when `keep_last` > 0, deletes the oldest backups beyond that many. On
// error no new backup is listed (files half copied are removed by the next backup).
absl::StatusOr<BackupInfo> CreateBackup(const Store& store, const std::string& backup_dir,
                                        const std::string& app_metadata, uint32_t keep_last = 0);

// The backups in `backup_dir`, oldest first (empty when it holds none); kNotFound when the
// directory does not exist.
absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& backup_dir);

// Reads every file of backup `id` (0: the latest) back and checks its size and checksum
// against the manifest: kDataLoss saying which file does not match or is missing; kNotFound
// when there is no such backup.
absl::StatusOr<BackupInfo> VerifyBackup(const std::string& backup_dir, uint32_t id);

// Restores backup `id` (0: the latest) into `data_dir`, which must be missing or empty
// (kFailedPrecondition: a store there, perhaps in use, is never overwritten). The backup is
// verified first (VerifyBackup) and every file's checksum again as it is copied (kDataLoss).
// `data_dir` is made with mode 0700.
absl::StatusOr<BackupInfo> RestoreBackup(const std::string& backup_dir, uint32_t id,
                                         const std::string& data_dir);

// Opens backup `id` (0: the latest) read-only in place, with every column family it has, and
// calls `read` with it: for reading exactly what a backup holds.
absl::Status ReadBackup(const std::string& backup_dir, uint32_t id,
                        const std::function<absl::Status(const Store&)>& read);

// The column families of the database at `path`, besides "default" (to open a store whose
// families one does not know, such as one just restored).
absl::StatusOr<std::vector<std::string>> ColumnFamiliesAt(const std::string& path);

}  // namespace sunlight::storage

#endif  // SUNLIGHT_STORAGE_BACKUP_H_
