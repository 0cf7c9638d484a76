// The provincial exchange (DOMAIN.md section 8), at the edge in the gateway: the relay.
//
// The relay follows the intake, workflow, supervision and scoring event streams and appends
// every event (of scoring: what is published, not drafts), with applicants' personal data masked
// and the department it belongs to, to its own event log ("exchange") in the gateway's store, with
// each stream's cursor in the same write batch: one total order, nothing lost or doubled across
// restarts of the gateway or of any service. Platforms read it through
// sunlight.exchange.v1.Exchange over mutual TLS (ExchangeService), identified by their client
// certificate; only registered platforms get in, and each is sent only its own departments' records
// (Platform::Receives).
#ifndef SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_RELAY_H_
#define SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_RELAY_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "audit_log.h"
#include "exchange/staged_pushes.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/clock.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/eventlog/subscriber.h"
#include "sunlight/gateway/v1/gateway.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::gateway {

struct ExchangeOptions {
  std::string intake_target;
  std::string workflow_target;
  std::string supervision_target;
  // The scoring stream: published score sheets (without the cases behind them), rule sets and
  // appeals; empty: not followed.
  std::string scoring_target;
  // Signs the gateway's principal for its calls to the services (null: services run open).
  std::shared_ptr<const auth::PrincipalSigner> signer;
  // Mutual TLS to the services; insecure when null.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // The gateway's audit log and staged pushes (the gateway's own): a push is recorded in the
  // one and kept in the other. Without them every push is refused.
  AuditLog* audit = nullptr;
  StagedPushes* pushes = nullptr;
  // The time of audit entries and pushes; null: the system clock.
  const Clock* clock = nullptr;
};

// Relays the three streams into the exchange log.
class ExchangeRelay {
 public:
  static constexpr char kLogName[] = "exchange";
  // intake, workflow, supervision, scoring
  static const std::vector<std::string>& SourceStreams();

  // `store` must have eventlog::ColumnFamilies().
  static absl::StatusOr<std::unique_ptr<ExchangeRelay>> Open(storage::Store* store,
                                                             ExchangeOptions options);
  ~ExchangeRelay();

  // Follows the streams in the background, reconnecting as needed.
  void Start();
  void Stop();

  // Appends `events` of `stream` (consecutive, after the stored cursor) and the cursor in one
  // batch; events at or before the cursor are skipped (repeats after a reconnect). Each
  // record carries its department: a catalogue record's own; for a case, the first
  // department an event of it named (intake.case.submitted or .accepted,
  // workflow.process.started, else a supervision clock's, alert's or notice's), kept in the
  // same batch (column family exchange_case_departments).
  absl::Status Relay(const std::string& stream, const std::vector<events::v1::CaseEvent>& events);
  absl::StatusOr<uint64_t> Cursor(const std::string& stream) const;
  // Appends a checkpoint of the gateway's audit log (record "audit/<sequence>", source stream
  // "audit", event type "gateway.audit.checkpoint"), so that the province keeps a copy to
  // check the log against.
  absl::Status PublishAuditCheckpoint(const v1::AuditCheckpoint& checkpoint);

  const eventlog::EventLog& log() const { return *log_; }
  const ExchangeOptions& options() const { return options_; }

 private:
  ExchangeRelay(storage::Store* store, ExchangeOptions options,
                std::unique_ptr<eventlog::EventLog> log)
      : store_(store), options_(std::move(options)), log_(std::move(log)) {}

  // The department of `event` (see Relay); `named` holds the cases of this batch not yet
  // stored, whose index entries are put in `batch`.
  absl::StatusOr<std::string> DepartmentOf(const events::v1::CaseEvent& event,
                                           absl::flat_hash_map<std::string, std::string>& named,
                                           storage::WriteBatch& batch) const;

  storage::Store* store_;
  ExchangeOptions options_;
  std::unique_ptr<eventlog::EventLog> log_;
  std::mutex relay_mu_;  // one relay commit at a time: cursors are read, then written
  std::vector<std::unique_ptr<eventlog::EventSubscriber>> subscribers_;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_RELAY_H_
