#include "sunlight/server/restore_fence.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/storage/backup.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight::server {
namespace {

// The history lives beside the cursors (it is about positions in streams, and travels with
// them in every backup). Cursor keys are KeyBuilder strings, which end in 0x00 0x01: this one
// cannot be one of them.
constexpr char kHistoryKey[] = "~restores";

std::string Describe(const admin::v1::RestoreRecord& r) {
  return absl::StrCat(
      "backup ", r.backup_id(), " (made ",
      absl::FormatTime(absl::RFC3339_sec, FromProto(r.backup_created_at()), absl::UTCTimeZone()),
      ", restored ",
      absl::FormatTime(absl::RFC3339_sec, FromProto(r.restored_at()), absl::UTCTimeZone()), ")");
}

bool Admitted(const admin::v1::RestoreRecord& record, const std::string& reader) {
  const auto& readers = record.admitted_readers();
  return std::find(readers.begin(), readers.end(), reader) != readers.end();
}

}  // namespace

absl::StatusOr<admin::v1::RestoreHistory> ReadRestoreHistory(const storage::Store& store) {
  SUNLIGHT_ASSIGN_OR_RETURN(auto value, store.Get(eventlog::kCursorsColumnFamily, kHistoryKey));
  admin::v1::RestoreHistory history;
  if (value.has_value() && !history.ParseFromString(*value)) {
    return absl::DataLossError("the store's restore history is unreadable");
  }
  return history;
}

absl::StatusOr<admin::v1::BackupManifest> ReadManifest(const storage::Store& store,
                                                       const std::string& service) {
  admin::v1::BackupManifest manifest;
  manifest.set_service(service);
  SUNLIGHT_ASSIGN_OR_RETURN(auto last, store.Last(eventlog::kEventsColumnFamily));
  if (last.has_value()) {
    if (last->first.size() != 8) return absl::DataLossError("event log: malformed key");
    events::v1::CaseEvent event;
    if (!event.ParseFromString(last->second)) return absl::DataLossError("event log: bad event");
    manifest.mutable_stream()->set_stream(event.stream());
    manifest.mutable_stream()->set_sequence(storage::DecodeU64(last->first));
  }
  absl::Status bad = absl::OkStatus();
  SUNLIGHT_RETURN_IF_ERROR(store.Scan(
      eventlog::kCursorsColumnFamily, "", "", [&](std::string_view key, std::string_view value) {
        storage::KeyReader reader(key);
        std::string stream;
        if (!reader.ReadString(&stream) || !reader.done()) return true;  // not a cursor
        if (value.size() != 8) {
          bad = absl::DataLossError(absl::StrCat("cursor of stream ", stream, " is malformed"));
          return false;
        }
        auto* cursor = manifest.add_cursors();
        cursor->set_stream(stream);
        cursor->set_sequence(storage::DecodeU64(value));
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(bad);
  SUNLIGHT_ASSIGN_OR_RETURN(auto history, ReadRestoreHistory(store));
  *manifest.mutable_restores() = history.restores();
  return manifest;
}

std::string StreamReaderOf(const auth::v1::Principal& principal) {
  if (principal.role() != auth::kService) return "";
  return principal.issuer();
}

absl::StatusOr<std::unique_ptr<RestoreFence>> RestoreFence::Load(storage::Store* store,
                                                                 std::string service) {
  SUNLIGHT_ASSIGN_OR_RETURN(auto history, ReadRestoreHistory(*store));
  return std::unique_ptr<RestoreFence>(
      new RestoreFence(store, std::move(service), std::move(history)));
}

absl::Status RestoreFence::Admit(const std::string& reader, uint64_t from_sequence) {
  if (reader.empty()) return absl::OkStatus();
  std::lock_guard lock(mu_);
  bool admits = false;
  for (const auto& record : history_.restores()) {
    if (Admitted(record, reader)) continue;
    const uint64_t end = record.stream().sequence();
    if (from_sequence > end + 1) {
      ++refused_;
      return absl::FailedPreconditionError(absl::StrCat(
          reader, " asks for ", service_, "'s events from sequence ", from_sequence, ", but ",
          service_, " was restored from ", Describe(record), " with its stream ending at ", end,
          ": ", reader,
          " applied events that were lost and whose numbers are being reused. "
          "Restore ",
          reader, " from a backup whose cursor of this stream is at most ", end,
          " (sunlight backups ", reader, "), or, if ", reader,
          " keeps nothing derived from this stream, admit it (sunlight admit-reader ", service_,
          " --reader=", reader, "). See docs/operations.md, \"Backup and restore\"."));
    }
    admits = true;
  }
  if (!admits) return absl::OkStatus();
  for (auto& record : *history_.mutable_restores()) {
    if (!Admitted(record, reader)) record.add_admitted_readers(reader);
  }
  return Save();
}

absl::Status RestoreFence::AdmitByHand(const std::string& reader) {
  if (reader.empty()) return absl::InvalidArgumentError("reader: required");
  std::lock_guard lock(mu_);
  for (auto& record : *history_.mutable_restores()) {
    if (!Admitted(record, reader)) record.add_admitted_readers(reader);
  }
  return Save();
}

absl::Status RestoreFence::Save() {
  storage::WriteBatch batch;
  batch.Put(eventlog::kCursorsColumnFamily, kHistoryKey, history_.SerializeAsString());
  return store_->Write(batch);
}

admin::v1::RestoreHistory RestoreFence::history() const {
  std::lock_guard lock(mu_);
  return history_;
}

uint64_t RestoreFence::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

absl::StatusOr<admin::v1::RestoreRecord> RestoreStore(
    const std::string& backup_dir, uint32_t backup_id, const std::string& data_dir,
    const std::string& service, const std::vector<std::string>& admitted_readers, absl::Time now) {
  SUNLIGHT_ASSIGN_OR_RETURN(auto backups, storage::ListBackups(backup_dir));
  if (backups.empty())
    return absl::NotFoundError(absl::StrCat("backup_dir: no backup in ", backup_dir));
  auto chosen = backup_id == 0 ? backups.end() - 1
                               : std::find_if(backups.begin(), backups.end(),
                                              [&](const auto& b) { return b.id == backup_id; });
  if (chosen == backups.end()) {
    return absl::NotFoundError(
        absl::StrCat("backup_id: no backup ", backup_id, " in ", backup_dir));
  }
  if (!service.empty() && chosen->app_metadata != service) {
    return absl::FailedPreconditionError(absl::StrCat("service: backup ", chosen->id, " in ",
                                                      backup_dir, " is of ", chosen->app_metadata,
                                                      ", not ", service));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto restored,
                            storage::RestoreBackup(backup_dir, chosen->id, data_dir));
  SUNLIGHT_ASSIGN_OR_RETURN(auto families, storage::ColumnFamiliesAt(data_dir));
  SUNLIGHT_ASSIGN_OR_RETURN(auto store,
                            storage::Store::Open({.path = data_dir, .column_families = families}));
  SUNLIGHT_ASSIGN_OR_RETURN(auto manifest, ReadManifest(*store, restored.app_metadata));
  admin::v1::RestoreRecord record;
  record.set_backup_id(restored.id);
  *record.mutable_backup_created_at() = ToProto(restored.created_at);
  *record.mutable_restored_at() = ToProto(now);
  *record.mutable_stream() = manifest.stream();
  for (const auto& reader : admitted_readers) record.add_admitted_readers(reader);
  admin::v1::RestoreHistory history;
  *history.mutable_restores() = manifest.restores();
  *history.add_restores() = record;
  storage::WriteBatch batch;
  batch.Put(eventlog::kCursorsColumnFamily, kHistoryKey, history.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(store->Write(batch));
  return record;
}

}  // namespace sunlight::server
