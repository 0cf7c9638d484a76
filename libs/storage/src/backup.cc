#include "sunlight/storage/backup.h"

#include <sys/stat.h>

#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "rocks_status.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/options.h"
#include "rocksdb/utilities/backup_engine.h"

namespace sunlight::storage {
namespace {

rocksdb::BackupEngineOptions EngineOptions(const std::string& backup_dir) {
  rocksdb::BackupEngineOptions options(backup_dir);
  options.share_table_files = true;          // incremental: a table file is copied once
  options.share_files_with_checksum = true;  // shared files named by checksum and session
  options.sync = true;                       // a backup that is listed is on disk
  options.max_background_operations = 1;     // two cores, the service's own work first
  return options;
}

BackupInfo ToBackupInfo(const rocksdb::BackupInfo& info) {
  return BackupInfo{.id = info.backup_id,
                    .created_at = absl::FromUnixSeconds(info.timestamp),
                    .size_bytes = info.size,
                    .file_count = info.number_files,
                    .app_metadata = info.app_metadata};
}

absl::Status MustExist(const std::string& backup_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(backup_dir, ec)) {
    return absl::NotFoundError(absl::StrCat("backup_dir: no directory ", backup_dir));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> OpenReadOnly(
    const std::string& backup_dir) {
  if (absl::Status s = MustExist(backup_dir); !s.ok()) return s;
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus s =
      rocksdb::BackupEngineReadOnly::Open(EngineOptions(backup_dir), rocksdb::Env::Default(), &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open backups in ", backup_dir));
  return std::unique_ptr<rocksdb::BackupEngineReadOnly>(raw);
}

// Backup `id`, or the latest for 0.
absl::StatusOr<rocksdb::BackupInfo> Find(const rocksdb::BackupEngineReadOnlyBase& engine,
                                         const std::string& backup_dir, uint32_t id,
                                         bool file_details = false) {
  rocksdb::BackupInfo info;
  rocksdb::Status s = id == 0 ? engine.GetLatestBackupInfo(&info, file_details)
                              : engine.GetBackupInfo(id, &info, file_details);
  if (s.IsNotFound()) {
    return absl::NotFoundError(id == 0
                                   ? absl::StrCat("backup_dir: no backup in ", backup_dir)
                                   : absl::StrCat("backup_id: no backup ", id, " in ", backup_dir));
  }
  if (!s.ok()) return FromRocks(s, absl::StrCat("backup ", id, " in ", backup_dir));
  return info;
}

}  // namespace

absl::StatusOr<BackupInfo> CreateBackup(const Store& store, const std::string& backup_dir,
                                        const std::string& app_metadata, uint32_t keep_last) {
  std::error_code ec;
  std::filesystem::create_directories(backup_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", backup_dir, ": ", ec.message()));
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus s =
      rocksdb::BackupEngine::Open(EngineOptions(backup_dir), rocksdb::Env::Default(), &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open backups in ", backup_dir));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  // Without a flush: the live WAL is copied, so unflushed writes are in the backup and the
  // service's writes go on undisturbed.
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = false;
  rocksdb::BackupID id = 0;
  s = engine->CreateNewBackupWithMetadata(options, store.db_.get(), app_metadata, &id);
  if (!s.ok()) return FromRocks(s, absl::StrCat("back up into ", backup_dir));
  if (keep_last > 0) {
    s = engine->PurgeOldBackups(keep_last);
    if (!s.ok()) return FromRocks(s, absl::StrCat("delete old backups in ", backup_dir));
  }
  auto info = Find(*engine, backup_dir, id);
  if (!info.ok()) return info.status();
  return ToBackupInfo(*info);
}

absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& backup_dir) {
  auto engine = OpenReadOnly(backup_dir);
  if (!engine.ok()) return engine.status();
  std::vector<rocksdb::BackupInfo> infos;
  (*engine)->GetBackupInfo(&infos);
  std::vector<BackupInfo> out;
  for (const auto& info : infos) out.push_back(ToBackupInfo(info));
  return out;
}

absl::StatusOr<BackupInfo> VerifyBackup(const std::string& backup_dir, uint32_t id) {
  auto engine = OpenReadOnly(backup_dir);
  if (!engine.ok()) return engine.status();
  auto info = Find(**engine, backup_dir, id);
  if (!info.ok()) return info.status();
  rocksdb::IOStatus s = (*engine)->VerifyBackup(info->backup_id, /*verify_with_checksum=*/true);
  if (!s.ok()) {
    return absl::DataLossError(
        absl::StrCat("backup ", info->backup_id, " in ", backup_dir, ": ", s.ToString()));
  }
  return ToBackupInfo(*info);
}

absl::StatusOr<BackupInfo> RestoreBackup(const std::string& backup_dir, uint32_t id,
                                         const std::string& data_dir) {
  std::error_code ec;
  if (std::filesystem::exists(data_dir, ec) && !std::filesystem::is_empty(data_dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data_dir: ", data_dir,
        " is not empty; a restore goes into an empty directory, with the service stopped"));
  }
  auto verified = VerifyBackup(backup_dir, id);
  if (!verified.ok()) return verified.status();
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", data_dir, ": ", ec.message()));
  chmod(data_dir.c_str(), 0700);
  auto engine = OpenReadOnly(backup_dir);
  if (!engine.ok()) return engine.status();
  rocksdb::IOStatus s =
      (*engine)->RestoreDBFromBackup(rocksdb::RestoreOptions(), verified->id, data_dir, data_dir);
  if (!s.ok()) {
    return FromRocks(s, absl::StrCat("restore backup ", verified->id, " into ", data_dir));
  }
  return verified;
}

absl::Status ReadBackup(const std::string& backup_dir, uint32_t id,
                        const std::function<absl::Status(const Store&)>& read) {
  auto engine = OpenReadOnly(backup_dir);
  if (!engine.ok()) return engine.status();
  auto info = Find(**engine, backup_dir, id, /*file_details=*/true);
  if (!info.ok()) return info.status();
  rocksdb::DBOptions db_options;
  db_options.env = info->env_for_open.get();
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, info->name_for_open, &names);
  if (!s.ok()) return FromRocks(s, absl::StrCat("backup ", info->backup_id, " column families"));
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> raw_handles;
  rocksdb::DB* raw_db = nullptr;
  s = rocksdb::DB::OpenForReadOnly(db_options, info->name_for_open, descriptors, &raw_handles,
                                   &raw_db);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open backup ", info->backup_id));
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> handles;
  for (size_t i = 0; i < descriptors.size(); ++i) handles[descriptors[i].name] = raw_handles[i];
  Store store(StoreOptions{.path = info->name_for_open, .column_families = {}},
              std::unique_ptr<rocksdb::DB>(raw_db), std::move(handles), nullptr);
  return read(store);
}

absl::StatusOr<std::vector<std::string>> ColumnFamiliesAt(const std::string& path) {
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  if (!s.ok()) return FromRocks(s, absl::StrCat("column families of ", path));
  std::erase(names, rocksdb::kDefaultColumnFamilyName);
  return names;
}

}  // namespace sunlight::storage
