// The gateway's tamper-evident audit log: every state change made through the gateway, every
// login and logout, and every read of personal data in full. Entries are chained: each holds
// the previous entry's hash, and its own hash is SHA-256 over that and its content, so an
// edited, inserted or deleted entry breaks the chain at that point. The head (last sequence
// and hash) is kept beside the entries, so deleting entries at the end is detected too,
// unless the head is rewritten with them; VerifyAuditChain returns the head hash for
// keeping elsewhere.
//
// Text in an entry comes from requests; it is made well-formed UTF-8 before it is hashed,
// and an entry that could not be read back is refused before it is committed, so the log
// never holds an entry it cannot read. Logs written before that check may: Open then fails
// with DATA_LOSS saying how to repair (Repair, `gateway --repair_audit_log=true`).
#ifndef SUNLIGHT_SERVICES_GATEWAY_AUDIT_LOG_H_
#define SUNLIGHT_SERVICES_GATEWAY_AUDIT_LOG_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/gateway/v1/gateway.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::gateway {

inline constexpr char kAuditFamily[] = "audit";           // sequence -> AuditEntry
inline constexpr char kAuditHeadFamily[] = "audit_head";  // "head" -> AuditEntry (last)

class AuditLog {
 public:
  // On error (the head or the last entry cannot be read) returns DATA_LOSS naming the entry
  // and the repair command.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(storage::Store* store);

  // Makes every entry that cannot be read readable again, keeping it: its text is rewritten
  // readable, the bytes it was stored as are kept in `unreadable_original` (its hash is over
  // them, so Verify still checks it); an unreadable head is rewritten readable (never from
  // the last entry found, so a log cut short still shows it); the repair is itself recorded
  // as a new entry ("repair_audit_log", target: the repaired sequences). An entry that is not
  // even protobuf wire data is damage, not old text: DATA_LOSS naming its key, nothing
  // written. Returns the repaired sequences (none: nothing written). Run with the gateway
  // stopped.
  static absl::StatusOr<std::vector<uint64_t>> Repair(storage::Store* store, absl::Time now);

  // Numbers, links and durably writes one entry; returns it as written. Text fields are
  // made readable first (at most 1024 bytes each); INTERNAL, and nothing written, when the
  // entry would not read back.
  absl::StatusOr<v1::AuditEntry> Append(v1::AuditEntry entry);
  // Walks the whole chain.
  absl::StatusOr<v1::VerifyAuditChainResponse> Verify() const;
  absl::StatusOr<v1::ListAuditEntriesResponse> List(
      const v1::ListAuditEntriesRequest& request) const;

  // The hash an entry must carry given its previous_hash and content.
  static std::string Hash(const v1::AuditEntry& entry);
  // Longest text field kept in an entry.
  static constexpr size_t kMaxTextBytes = 1024;

 private:
  explicit AuditLog(storage::Store* store) : store_(store) {}

  storage::Store* store_;
  std::mutex mu_;
  uint64_t last_sequence_ = 0;  // guarded by mu_
  std::string last_hash_;       // guarded by mu_
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_AUDIT_LOG_H_
