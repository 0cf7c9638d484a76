// The audit log's checkpoints (audit_log.h): the head, MACed, appended to a file outside the
// gateway's store and read back to verify the log against.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "audit_log.h"
#include "google/protobuf/util/json_util.h"
#include "openssl/crypto.h"
#include "sunlight/base/proto_time.h"

namespace sunlight::gateway {

std::string AuditLog::CheckpointSigned(const v1::AuditCheckpoint& checkpoint) {
  v1::AuditCheckpoint content;
  content.set_sequence(checkpoint.sequence());
  content.set_head_hash(checkpoint.head_hash());
  *content.mutable_at() = checkpoint.at();
  return absl::StrCat("audit checkpoint:", content.SerializeAsString());
}

std::string AuditLog::CheckpointMac(const v1::AuditCheckpoint& checkpoint) const {
  v1::AuditCheckpoint content = checkpoint;
  content.clear_mac();
  return key_->Mac(absl::StrCat("audit checkpoint:", content.SerializeAsString()));
}

absl::StatusOr<std::vector<v1::AuditCheckpoint>> AuditLog::ReadCheckpoints() const {
  std::vector<v1::AuditCheckpoint> checkpoints;
  if (checkpoint_file_.empty()) return checkpoints;
  std::ifstream in(checkpoint_file_);
  if (!in) return checkpoints;  // none written yet
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    v1::AuditCheckpoint checkpoint;
    bool parsed = google::protobuf::util::JsonStringToMessage(line, &checkpoint).ok();
    std::string mac = CheckpointMac(checkpoint);
    if (!parsed || checkpoint.mac().size() != mac.size() ||
        CRYPTO_memcmp(checkpoint.mac().data(), mac.data(), mac.size()) != 0) {
      return absl::DataLossError(absl::StrCat("audit checkpoint file ", checkpoint_file_, " line ",
                                              number, " does not verify (the file was edited)"));
    }
    checkpoints.push_back(std::move(checkpoint));
  }
  return checkpoints;
}

absl::StatusOr<std::optional<v1::AuditCheckpoint>> AuditLog::Checkpoint(absl::Time now) {
  std::lock_guard lock(mu_);
  if (last_sequence_ == 0 || last_sequence_ == last_checkpoint_) return std::nullopt;
  v1::AuditCheckpoint checkpoint;
  checkpoint.set_sequence(last_sequence_);
  checkpoint.set_head_hash(last_hash_);
  *checkpoint.mutable_at() = ToProto(now);
  if (checkpoint_signer_ != nullptr) {
    checkpoint.set_signature(checkpoint_signer_->Sign(CheckpointSigned(checkpoint)));
  }
  checkpoint.set_mac(CheckpointMac(checkpoint));
  if (!checkpoint_file_.empty()) {
    std::string line;
    if (auto s = google::protobuf::util::MessageToJsonString(checkpoint, &line); !s.ok()) {
      return absl::InternalError(s.ToString());
    }
    line += "\n";
    int fd = open(checkpoint_file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    bool written = fd >= 0 &&
                   write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                   fsync(fd) == 0;
    int error = errno;
    if (fd >= 0) close(fd);
    if (!written) {
      return absl::UnavailableError(
          absl::StrCat("audit checkpoint file ", checkpoint_file_, ": ", std::strerror(error)));
    }
  }
  last_checkpoint_ = last_sequence_;
  return checkpoint;
}

}  // namespace sunlight::gateway
