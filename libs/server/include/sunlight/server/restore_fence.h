// What a store says of the streams (its own stream's end, its cursors), and the fence a
// restore puts on its stream.
//
// A store restored from a backup has lost the events its stream committed after the backup,
// and its next events reuse their sequence numbers. A consumer that had applied any of the
// lost events (its cursor beyond the restored end) would, reading on, skip the new events with
// those numbers: the dangerous case of restoring a producer to an older point than its
// consumers. So `sunlight restore` records the restore in the store (admin.v1.RestoreRecord)
// and the stream admits a reader only once it has subscribed from at most the restored end + 1;
// until then a subscription from further on is refused, saying what to do.
//
//   // sunlight restore (offline):
//   SUNLIGHT_ASSIGN_OR_RETURN(auto record, RestoreStore(backup_dir, 0, data_dir, {}, now));
//   // ServiceMain, serving the stream:
//   SUNLIGHT_ASSIGN_OR_RETURN(auto fence, RestoreFence::Load(store, "intake"));
//   stream_service.set_admission([&](const auto& p, uint64_t from) {
//     return fence->Admit(StreamReaderOf(p), from);
//   });
#ifndef SUNLIGHT_SERVER_RESTORE_FENCE_H_
#define SUNLIGHT_SERVER_RESTORE_FENCE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/admin/v1/admin.pb.h"
#include "sunlight/auth/v1/principal.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::server {

// The store's own stream (its last event's stream name and sequence; sequence 0 and an empty
// name for an empty log), every cursor it holds and its restore history, as a backup manifest
// of `service`. The store must have the event log's column families.
absl::StatusOr<admin::v1::BackupManifest> ReadManifest(const storage::Store& store,
                                                       const std::string& service);

// The restores recorded in the store, oldest first.
absl::StatusOr<admin::v1::RestoreHistory> ReadRestoreHistory(const storage::Store& store);

// The identity a subscription is fenced by: the service a service principal is of; empty for
// people (an administrator watching a stream keeps no cursor) and without a principal.
std::string StreamReaderOf(const auth::v1::Principal& principal);

class RestoreFence {
 public:
  // The fence of `service`'s store (which must outlive it): every restore it records.
  static absl::StatusOr<std::unique_ptr<RestoreFence>> Load(storage::Store* store,
                                                            std::string service);

  // OK when `reader` may read the stream from `from_sequence`: it was admitted after every
  // restore, or `from_sequence` is at most each remaining restore's end + 1, which admits it
  // (recorded in the store, synced, before OK). FAILED_PRECONDITION otherwise, naming the
  // restore and what to do. An empty `reader` is not fenced.
  absl::Status Admit(const std::string& reader, uint64_t from_sequence);
  // Admits `reader` after every restore, by an administrator's word.
  absl::Status AdmitByHand(const std::string& reader);

  admin::v1::RestoreHistory history() const;
  // Subscriptions refused so far.
  uint64_t refused() const;

 private:
  RestoreFence(storage::Store* store, std::string service, admin::v1::RestoreHistory history)
      : store_(store), service_(std::move(service)), history_(std::move(history)) {}
  // Writes history_ (synced). Called with mu_ held.
  absl::Status Save();

  storage::Store* store_;
  std::string service_;
  mutable std::mutex mu_;
  admin::v1::RestoreHistory history_;  // guarded by mu_
  uint64_t refused_ = 0;               // guarded by mu_
};

// Restores backup `backup_id` (0: the latest) of `backup_dir` into the empty `data_dir`
// (storage::RestoreBackup: verified first and while copied), then records the restore in it
// (admitting `admitted_readers` at once) and returns the record. The service must be stopped.
// kFailedPrecondition when `data_dir` is not empty or `service` is given and the backup is of
// another service; kDataLoss when the backup does not verify.
absl::StatusOr<admin::v1::RestoreRecord> RestoreStore(
    const std::string& backup_dir, uint32_t backup_id, const std::string& data_dir,
    const std::string& service, const std::vector<std::string>& admitted_readers, absl::Time now);

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_RESTORE_FENCE_H_
