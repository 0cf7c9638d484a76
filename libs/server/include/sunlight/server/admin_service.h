// sunlight.admin.v1.Admin, which every service serves through ServiceMain: online backups of
// its store (storage/backup.h) with a manifest of what each holds, pausing what it follows so
// that several services' backups agree, and its stream's restore fences (restore_fence.h).
// Administrators only, and in production only through the command-line client (principals the
// CLI signed): a backup writes where the caller says, on the service's machine.
//
//   AdminService admin({.service = "intake", .store = store, .data_dir = "data/intake",
//                       .authorizer = &admin_authorizer, .fence = fence.get(), .gate = &gate});
//   host.AddService(&admin);
//   admin.metrics().Register(host.registry());
#ifndef SUNLIGHT_SERVER_ADMIN_SERVICE_H_
#define SUNLIGHT_SERVER_ADMIN_SERVICE_H_

#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "sunlight/admin/v1/admin.grpc.pb.h"
#include "sunlight/auth/authorizer.h"
#include "sunlight/server/follow_gate.h"
#include "sunlight/server/metrics.h"
#include "sunlight/server/restore_fence.h"
#include "sunlight/storage/backup.h"
#include "sunlight/storage/store.h"

#define SUNLIGHT_ADMIN_METRICS(COUNTER, GAUGE)                                              \
  COUNTER(backups, "sunlight_backups_total", "Backups of the store made")                   \
  COUNTER(backup_failures, "sunlight_backup_failures_total", "Backups of the store failed") \
  GAUGE(last_backup, "sunlight_backup_last_success_timestamp_seconds",                      \
        "When the last backup of the store was made")                                       \
  GAUGE(last_backup_duration, "sunlight_backup_last_duration_seconds",                      \
        "How long the last backup of the store took")                                       \
  GAUGE(last_backup_bytes, "sunlight_backup_last_size_bytes",                               \
        "Bytes of every file of the last backup (shared ones included)")                    \
  COUNTER(readers_refused, "sunlight_stream_readers_refused_total",                         \
          "Subscriptions refused by a restore fence (a reader ahead of the restored stream)")

namespace sunlight::server {

SUNLIGHT_METRICS_STRUCT(AdminMetrics, SUNLIGHT_ADMIN_METRICS);

// Who may call which Admin method: administrators.
auth::MethodPolicy AdminMethodPolicy();

struct AdminOptions {
  std::string service;
  storage::Store* store = nullptr;
  // The store's directory, which no backup may overlap.
  std::string data_dir;
  // When not empty, every backup directory must be inside it (--backup_root).
  std::string backup_root;
  // With AdminMethodPolicy(); when it enforces, only principals the CLI signed get in.
  const auth::Authorizer* authorizer = nullptr;
  RestoreFence* fence = nullptr;
  // Null: the service follows nothing (PauseFollowing pauses nothing).
  FollowGate* gate = nullptr;
};

// `backup_dir` as a backup directory of a store in `data_dir`: absolute, normal (no ".",
// "..", "//" or trailing "/"), overlapping neither the data directory nor (symbolic links
// resolved) being inside it, and inside `backup_root` when that is given. INVALID_ARGUMENT
// naming backup_dir otherwise.
absl::Status ValidateBackupDir(const std::string& backup_dir, const std::string& data_dir,
                               const std::string& backup_root);

class AdminService final : public admin::v1::Admin::Service {
 public:
  explicit AdminService(AdminOptions options) : options_(std::move(options)) {}

  AdminMetrics& metrics() { return metrics_; }

  grpc::Status CreateBackup(grpc::ServerContext* context,
                            const admin::v1::CreateBackupRequest* request,
                            admin::v1::Backup* response) override;
  grpc::Status ListBackups(grpc::ServerContext* context,
                           const admin::v1::ListBackupsRequest* request,
                           admin::v1::ListBackupsResponse* response) override;
  grpc::Status VerifyBackup(grpc::ServerContext* context,
                            const admin::v1::VerifyBackupRequest* request,
                            admin::v1::VerifyBackupResponse* response) override;
  grpc::Status PauseFollowing(grpc::ServerContext* context,
                              const admin::v1::PauseFollowingRequest* request,
                              admin::v1::PauseFollowingResponse* response) override;
  grpc::Status ResumeFollowing(grpc::ServerContext* context,
                               const admin::v1::ResumeFollowingRequest* request,
                               admin::v1::ResumeFollowingResponse* response) override;
  grpc::Status ListRestores(grpc::ServerContext* context,
                            const admin::v1::ListRestoresRequest* request,
                            admin::v1::RestoreHistory* response) override;
  grpc::Status AdmitReader(grpc::ServerContext* context,
                           const admin::v1::AdmitReaderRequest* request,
                           admin::v1::RestoreHistory* response) override;

 private:
  // The call's check (the method policy), then: only the CLI signs for an administrator here.
  grpc::Status Check(const grpc::ServerContext* context,
                     const google::protobuf::Message& request) const;
  // A backup of `backup_dir` with its manifest (read from the file kept beside it, or from the
  // backup itself, then kept).
  absl::StatusOr<admin::v1::Backup> Describe(const std::string& backup_dir,
                                             const storage::BackupInfo& info) const;

  AdminOptions options_;
  AdminMetrics metrics_;
  std::mutex backup_mu_;  // one backup at a time
};

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_ADMIN_SERVICE_H_
