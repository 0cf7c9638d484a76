#include "sunlight/server/admin_service.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/eventlog/cursor.h"
#include "sunlight/server/grpc_status.h"
#include "sunlight/storage/backup.h"

namespace sunlight::server {
namespace {

namespace fs = std::filesystem;
namespace av1 = admin::v1;

constexpr absl::Duration kDefaultLease = absl::Minutes(10);
constexpr absl::Duration kMaxLease = absl::Hours(1);

// Whether `inner` is `outer` or inside it (both absolute and normal).
bool Within(const fs::path& inner, const fs::path& outer) {
  auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return o == outer.end() || (std::next(o) == outer.end() && o->empty());
}

// Symbolic links resolved as far as the path exists.
fs::path Resolved(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  fs::path resolved = fs::weakly_canonical(absolute, ec);
  return ec ? absolute.lexically_normal() : resolved;
}

// Where the manifest of backup `id` is kept: beside BackupEngine's files, in a folder of its own.
std::string ManifestPath(const std::string& backup_dir, uint32_t id) {
  return absl::StrCat(backup_dir, "/sunlight/", id, ".manifest");
}

absl::Status WriteManifest(const std::string& backup_dir, uint32_t id,
                           const av1::BackupManifest& manifest) {
  std::error_code ec;
  fs::create_directories(backup_dir + "/sunlight", ec);
  const std::string path = ManifestPath(backup_dir, id);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << manifest.SerializeAsString();
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  fs::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", ec.message()));
  return absl::OkStatus();
}

// The manifests of backups that are no longer there (deleted by keep_last) go with them.
void RemoveStaleManifests(const std::string& backup_dir,
                          const std::vector<storage::BackupInfo>& backups) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(backup_dir + "/sunlight", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    uint32_t id = 0;
    if (!absl::SimpleAtoi(it->path().stem().string(), &id)) continue;
    bool kept = std::any_of(backups.begin(), backups.end(), [&](auto& b) { return b.id == id; });
    if (!kept) fs::remove(it->path(), ec);
  }
}

// The manifest of backup `id`, read from the backup itself.
absl::StatusOr<av1::BackupManifest> ManifestOfBackup(const std::string& backup_dir, uint32_t id,
                                                     const std::string& service) {
  av1::BackupManifest manifest;
  absl::Status s = storage::ReadBackup(backup_dir, id, [&](const storage::Store& backup) {
    auto read = ReadManifest(backup, service);
    if (!read.ok()) return read.status();
    manifest = *std::move(read);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return manifest;
}

void Fill(const storage::BackupInfo& info, av1::Backup* out) {
  out->set_backup_id(info.id);
  *out->mutable_created_at() = ToProto(info.created_at);
  out->set_size_bytes(info.size_bytes);
  out->set_file_count(info.file_count);
}

}  // namespace

auth::MethodPolicy AdminMethodPolicy() {
  return {auth::Allow<av1::CreateBackupRequest>(auth::kAdministrators),
          auth::Allow<av1::ListBackupsRequest>(auth::kAdministrators),
          auth::Allow<av1::VerifyBackupRequest>(auth::kAdministrators),
          auth::Allow<av1::PauseFollowingRequest>(auth::kAdministrators),
          auth::Allow<av1::ResumeFollowingRequest>(auth::kAdministrators),
          auth::Allow<av1::ListRestoresRequest>(auth::kAdministrators),
          auth::Allow<av1::AdmitReaderRequest>(auth::kAdministrators)};
}

absl::Status ValidateBackupDir(const std::string& backup_dir, const std::string& data_dir,
                               const std::string& backup_root) {
  if (backup_dir.empty()) return absl::InvalidArgumentError("backup_dir: required");
  const fs::path path(backup_dir);
  if (!path.is_absolute()) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup_dir: must be an absolute path: ", backup_dir));
  }
  if (path.lexically_normal().string() != backup_dir || backup_dir.back() == '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "backup_dir: must be a normal path (no '.', '..', '//' or trailing '/'): ", backup_dir));
  }
  const fs::path resolved = Resolved(backup_dir);
  const fs::path data = Resolved(data_dir);
  if (Within(resolved, data) || Within(data, resolved)) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup_dir: ", backup_dir, " overlaps the data directory ", data.string()));
  }
  if (!backup_root.empty() && !Within(resolved, Resolved(backup_root))) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup_dir: ", backup_dir, " is not inside --backup_root ", backup_root));
  }
  return absl::OkStatus();
}

grpc::Status AdminService::Check(const grpc::ServerContext* context,
                                 const google::protobuf::Message& request) const {
  auto principal = auth::AuthorizeCall(options_.authorizer, context, request);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (options_.authorizer != nullptr && options_.authorizer->enforcing() &&
      principal->issuer() != auth::kCliIssuer) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("backups and restores are for the command-line client "
                                     "(sunlight), not for principals of ",
                                     principal->issuer()));
  }
  return grpc::Status::OK;
}

absl::StatusOr<av1::Backup> AdminService::Describe(const std::string& backup_dir,
                                                   const storage::BackupInfo& info) const {
  av1::Backup backup;
  Fill(info, &backup);
  std::ifstream in(ManifestPath(backup_dir, info.id), std::ios::binary);
  if (!in || !backup.mutable_manifest()->ParseFromIstream(&in)) {
    auto manifest = ManifestOfBackup(backup_dir, info.id, info.app_metadata);
    if (!manifest.ok()) return manifest.status();
    *backup.mutable_manifest() = *manifest;
    (void)WriteManifest(backup_dir, info.id, *manifest).ok();  // kept to spare the next reader
  }
  return backup;
}

grpc::Status AdminService::CreateBackup(grpc::ServerContext* context,
                                        const av1::CreateBackupRequest* request,
                                        av1::Backup* response) {
  if (grpc::Status s = Check(context, *request); !s.ok()) return s;
  const std::string& dir = request->backup_dir();
  if (absl::Status s = ValidateBackupDir(dir, options_.data_dir, options_.backup_root); !s.ok()) {
    return ToGrpcStatus(s);
  }
  std::unique_lock lock(backup_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    return grpc::Status(grpc::StatusCode::ABORTED, "another backup of the store is running");
  }
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    auto existing = storage::ListBackups(dir);
    if (existing.ok()) {
      for (const auto& b : *existing) {
        if (b.app_metadata != options_.service) {
          return grpc::Status(
              grpc::StatusCode::FAILED_PRECONDITION,
              absl::StrCat("backup_dir: ", dir, " holds backups of ",
                           b.app_metadata.empty() ? "another store" : b.app_metadata,
                           "; give each service a directory of its own"));
        }
      }
    }
  }
  const absl::Time start = absl::Now();
  auto made = storage::CreateBackup(*options_.store, dir, options_.service, request->keep_last());
  if (!made.ok()) {
    metrics_.backup_failures.Increment();
    LogError(options_.service, absl::StrCat("backup into ", dir, ": ", made.status().ToString()));
    return ToGrpcStatus(made.status());
  }
  const absl::Duration took = absl::Now() - start;
  // What the backup holds, read from it: exactly what a restore of it will have.
  auto manifest = ManifestOfBackup(dir, made->id, options_.service);
  if (!manifest.ok()) {
    metrics_.backup_failures.Increment();
    return ToGrpcStatus(manifest.status());
  }
  if (absl::Status s = WriteManifest(dir, made->id, *manifest); !s.ok()) return ToGrpcStatus(s);
  if (auto all = storage::ListBackups(dir); all.ok()) RemoveStaleManifests(dir, *all);
  metrics_.backups.Increment();
  metrics_.last_backup.Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  metrics_.last_backup_duration.Set(absl::ToDoubleSeconds(took));
  metrics_.last_backup_bytes.Set(static_cast<double>(made->size_bytes));
  Fill(*made, response);
  *response->mutable_manifest() = *std::move(manifest);
  *response->mutable_duration() = ToProtoDuration(took);
  LogInfo(options_.service, absl::StrCat("backup ", made->id, " into ", dir, ": ", made->file_count,
                                         " files, ", made->size_bytes, " bytes, stream at ",
                                         response->manifest().stream().sequence(), ", in ",
                                         absl::FormatDuration(took)));
  return grpc::Status::OK;
}

grpc::Status AdminService::ListBackups(grpc::ServerContext* context,
                                       const av1::ListBackupsRequest* request,
                                       av1::ListBackupsResponse* response) {
  if (grpc::Status s = Check(context, *request); !s.ok()) return s;
  const std::string& dir = request->backup_dir();
  if (absl::Status s = ValidateBackupDir(dir, options_.data_dir, options_.backup_root); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto backups = storage::ListBackups(dir);
  if (!backups.ok()) return ToGrpcStatus(backups.status());
  for (const auto& b : *backups) {
    auto described = Describe(dir, b);
    if (!described.ok()) return ToGrpcStatus(described.status());
    *response->add_backups() = *std::move(described);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::VerifyBackup(grpc::ServerContext* context,
                                        const av1::VerifyBackupRequest* request,
                                        av1::VerifyBackupResponse* response) {
  if (grpc::Status s = Check(context, *request); !s.ok()) return s;
  const std::string& dir = request->backup_dir();
  if (absl::Status s = ValidateBackupDir(dir, options_.data_dir, options_.backup_root); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto verified = storage::VerifyBackup(dir, request->backup_id());
  if (absl::IsNotFound(verified.status())) return ToGrpcStatus(verified.status());
  if (!verified.ok()) {
    response->set_intact(false);
    response->set_problem(std::string(verified.status().message()));
    return grpc::Status::OK;
  }
  auto described = Describe(dir, *verified);
  if (!described.ok()) return ToGrpcStatus(described.status());
  *response->mutable_backup() = *described;
  // The files are sound; the backup must also open and hold what its manifest says.
  auto reread = ManifestOfBackup(dir, verified->id, verified->app_metadata);
  if (!reread.ok()) {
    response->set_problem(absl::StrCat("does not open: ", reread.status().message()));
  } else if (reread->SerializeAsString() != described->manifest().SerializeAsString()) {
    response->set_problem("holds other positions than its manifest says");
  }
  response->set_intact(response->problem().empty());
  return grpc::Status::OK;
}

grpc::Status AdminService::PauseFollowing(grpc::ServerContext* context,
                                          const av1::PauseFollowingRequest* request,
                                          av1::PauseFollowingResponse* response) {
  if (grpc::Status s = Check(context, *request); !s.ok()) return s;
  absl::Duration lease = request->has_lease() ? FromProtoDuration(request->lease()) : kDefaultLease;
  if (lease <= absl::ZeroDuration() || lease > kMaxLease) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "lease: must be positive and at most an hour");
  }
  const absl::Time until = absl::Now() + lease;
  if (options_.gate != nullptr) options_.gate->Pause(until);
  auto manifest = ReadManifest(*options_.store, options_.service);
  if (!manifest.ok()) return ToGrpcStatus(manifest.status());
  *response->mutable_cursors() = manifest->cursors();
  *response->mutable_until() = ToProto(until);
  LogInfo(options_.service, absl::StrCat("following paused for ", absl::FormatDuration(lease)));
  return grpc::Status::OK;
}

grpc::Status AdminService::ResumeFollowing(grpc::ServerContext* context,
                                           const av1::ResumeFollowingRequest* request,
                                           av1::ResumeFollowingResponse*) {
  if (grpc::Status s = Check(context, *request); !s.ok()) return s;
  if (options_.gate != nullptr) options_.gate->Resume();
  LogInfo(options_.service, "following resumed");
  return grpc::Status::OK;
}

grpc::Status AdminService::ListRestores(grpc::ServerContext* context,
                                        const av1::ListRestoresRequest* request,
                                        av1::RestoreHistory* response) {
  if (grpc::Status s = Check(context, *request); !s.ok()) return s;
  *response = options_.fence->history();
  return grpc::Status::OK;
}

grpc::Status AdminService::AdmitReader(grpc::ServerContext* context,
                                       const av1::AdmitReaderRequest* request,
                                       av1::RestoreHistory* response) {
  if (grpc::Status s = Check(context, *request); !s.ok()) return s;
  if (absl::Status s = options_.fence->AdmitByHand(request->reader()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  LogWarning(options_.service,
             absl::StrCat(request->reader(), " admitted past the restore fences by hand"));
  *response = options_.fence->history();
  return grpc::Status::OK;
}

}  // namespace sunlight::server
