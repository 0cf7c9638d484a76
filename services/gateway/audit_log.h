// The gateway's tamper-evident audit log: every state change made through the gateway (its
// intent before the change is attempted, its outcome after), every login and logout, and
// every read of personal data in full. Entries are chained: each holds the previous entry's
// hash, and its own hash is HMAC-SHA256, under the audit key (a file outside the store), of
// that and its content, so an edited, inserted or deleted entry breaks the chain at that
// point and one who can write the store but not read the key cannot forge a chain. The head
// is kept beside the entries; checkpoints of it (sequence and hash, MACed) are written to a
// file outside the store and published on the provincial exchange, so that a truncated,
// rewritten or wiped log is detected against them. An empty log does not verify.
//
// Text in an entry comes from requests; it is made well-formed UTF-8 before it is hashed,
// and an entry that could not be read back is refused before it is committed, so the log
// never holds an entry it cannot read. Logs written before that check may: Open then fails
// with DATA_LOSS saying how to repair (Repair, `gateway --repair_audit_log=true`).
#ifndef SUNLIGHT_SERVICES_GATEWAY_AUDIT_LOG_H_
#define SUNLIGHT_SERVICES_GATEWAY_AUDIT_LOG_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/auth/hmac_signer.h"
#include "sunlight/auth/keys.h"
#include "sunlight/gateway/v1/gateway.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::gateway {

inline constexpr char kAuditFamily[] = "audit";           // sequence -> AuditEntry
inline constexpr char kAuditHeadFamily[] = "audit_head";  // "head" -> AuditEntry (last)

class AuditLog {
 public:
  // On error (the head or the last entry cannot be read) returns DATA_LOSS naming the entry
  // and the repair command.
  // `key` keys the chain; `checkpoint_file` (empty: none) is where Checkpoint() appends;
  // `checkpoint_signer` (the gateway's principal key; null: unsigned) signs checkpoints.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      storage::Store* store, std::shared_ptr<const auth::HmacSigner> key,
      std::string checkpoint_file = "",
      std::shared_ptr<const auth::SigningKey> checkpoint_signer = nullptr);
  // The bytes a checkpoint's signature is over.
  static std::string CheckpointSigned(const v1::AuditCheckpoint& checkpoint);

  // Makes every entry that cannot be read readable again, keeping it: its text is rewritten
  // readable, the bytes it was stored as are kept in `unreadable_original` (its hash is over
  // them, so Verify still checks it); an unreadable head is rewritten readable (never from
  // the last entry found, so a log cut short still shows it); the repair is itself recorded
  // as a new entry ("repair_audit_log", target: the repaired sequences). An entry that is not
  // even protobuf wire data is damage, not old text: DATA_LOSS naming its key, nothing
  // written. Returns the repaired sequences (none: nothing written). Run with the gateway
  // stopped.
  static absl::StatusOr<std::vector<uint64_t>> Repair(storage::Store* store,
                                                      std::shared_ptr<const auth::HmacSigner> key,
                                                      absl::Time now);

  // Numbers, links and durably writes one entry; returns it as written. Text fields are
  // made readable first (at most 1024 bytes each); INTERNAL, and nothing written, when the
  // entry would not read back.
  absl::StatusOr<v1::AuditEntry> Append(v1::AuditEntry entry);
  // Walks the whole chain and checks it against the checkpoint file's checkpoints and
  // `checkpoints` (the province's copies): not intact when empty, when an entry is missing,
  // edited or unkeyed after a keyed one, or when a checkpoint names an entry the log no
  // longer has or one with another hash.
  absl::StatusOr<v1::VerifyAuditChainResponse> Verify(
      const std::vector<v1::AuditCheckpoint>& checkpoints = {}) const;
  // The head now as a checkpoint, appended (and synced) to the checkpoint file; nullopt when
  // the log is empty or nothing was appended since the last checkpoint.
  absl::StatusOr<std::optional<v1::AuditCheckpoint>> Checkpoint(absl::Time now);
  absl::StatusOr<v1::ListAuditEntriesResponse> List(
      const v1::ListAuditEntriesRequest& request) const;

  // The hash an entry must carry given its previous_hash, content and chain_version
  // (`key` for version 2).
  static std::string Hash(const v1::AuditEntry& entry, const auth::HmacSigner& key);
  // Longest text field kept in an entry.
  static constexpr size_t kMaxTextBytes = 1024;

 private:
  AuditLog(storage::Store* store, std::shared_ptr<const auth::HmacSigner> key,
           std::string checkpoint_file, std::shared_ptr<const auth::SigningKey> signer)
      : store_(store),
        key_(std::move(key)),
        checkpoint_file_(std::move(checkpoint_file)),
        checkpoint_signer_(std::move(signer)) {}
  // The checkpoint file's checkpoints whose MAC verifies (DATA_LOSS naming a line that does
  // not).
  absl::StatusOr<std::vector<v1::AuditCheckpoint>> ReadCheckpoints() const;
  std::string CheckpointMac(const v1::AuditCheckpoint& checkpoint) const;

  storage::Store* store_;
  std::shared_ptr<const auth::HmacSigner> key_;
  std::string checkpoint_file_;
  std::shared_ptr<const auth::SigningKey> checkpoint_signer_;
  uint64_t last_checkpoint_ = 0;  // guarded by mu_
  std::mutex mu_;
  // The last entry written (what checkpoints name). Guarded by mu_.
  uint64_t last_sequence_ = 0;
  std::string last_hash_;
  // Group commit: each Append chains its entry onto the last one assigned (written or
  // queued) under mu_, then one caller at a time writes every queued entry in one synced
  // write while the others wait; when a write fails, every entry queued behind it fails too
  // and the chain goes back to the last entry written. Guarded by mu_.
  struct Pending;
  uint64_t assigned_sequence_ = 0;
  std::string assigned_hash_;
  std::vector<Pending*> queue_;
  bool writing_ = false;
  std::condition_variable written_;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_AUDIT_LOG_H_
