// The gateway's tamper-evident audit log: every state change made through the gateway, every
// login and logout, and every read of personal data in full. Entries are chained: each holds
// the previous entry's hash, and its own hash is SHA-256 over that and its content, so an
// edited, inserted or deleted entry breaks the chain at that point. The head (last sequence
// and hash) is kept beside the entries, so deleting entries at the end is detected too,
// unless the head is rewritten with them; VerifyAuditChain returns the head hash for
// keeping elsewhere.
#ifndef SUNLIGHT_SERVICES_GATEWAY_AUDIT_LOG_H_
#define SUNLIGHT_SERVICES_GATEWAY_AUDIT_LOG_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sunlight/gateway/v1/gateway.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::gateway {

inline constexpr char kAuditFamily[] = "audit";           // sequence -> AuditEntry
inline constexpr char kAuditHeadFamily[] = "audit_head";  // "head" -> AuditEntry (last)

class AuditLog {
 public:
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(storage::Store* store);

  // Numbers, links and durably writes one entry; returns it as written.
  absl::StatusOr<v1::AuditEntry> Append(v1::AuditEntry entry);
  // Walks the whole chain.
  absl::StatusOr<v1::VerifyAuditChainResponse> Verify() const;
  absl::StatusOr<v1::ListAuditEntriesResponse> List(
      const v1::ListAuditEntriesRequest& request) const;

  // The hash an entry must carry given its previous_hash and content.
  static std::string Hash(const v1::AuditEntry& entry);

 private:
  explicit AuditLog(storage::Store* store) : store_(store) {}

  storage::Store* store_;
  std::mutex mu_;
  uint64_t last_sequence_ = 0;  // guarded by mu_
  std::string last_hash_;       // guarded by mu_
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_AUDIT_LOG_H_
