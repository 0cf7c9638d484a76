#include "src/durable_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "src/av_status.h"

namespace sunlight::video {

DurableFile::~DurableFile() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status DurableFile::Create(const std::string& path) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError(path + " exists");
    return StorageError(AVERROR(errno), "creating " + path);
  }
  return absl::OkStatus();
}

absl::Status DurableFile::Finish() {
  if (finished_.has_value()) return *finished_;
  finished_ = absl::OkStatus();
  if (fd_ < 0) return *finished_ = absl::FailedPreconditionError("no file to finish");
  bool synced = ::fsync(fd_) == 0;
  int sync_errno = errno;
  ::close(fd_);
  fd_ = -1;
  if (!synced) return *finished_ = StorageError(AVERROR(sync_errno), "fsync of " + path_);
  std::string directory = std::filesystem::path(path_).parent_path().string();
  int dir = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return *finished_ = StorageError(AVERROR(errno), "opening " + directory);
  synced = ::fsync(dir) == 0;
  sync_errno = errno;
  ::close(dir);
  if (!synced) return *finished_ = StorageError(AVERROR(sync_errno), "fsync of " + directory);
  return *finished_;
}

absl::Status DurableFile::Rename(const std::string& path) {
  if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    return StorageError(AVERROR(errno), "renaming " + path_);
  }
  path_ = path;
  return absl::OkStatus();
}

void DurableFile::Discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!path_.empty()) ::unlink(path_.c_str());
  finished_ = absl::CancelledError("discarded");
}

int DurableFile::WriteCallback(void* opaque, uint8_t* data, int size) {
  auto* file = static_cast<DurableFile*>(opaque);
  int done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(file->fd_, data + done, size - done, file->position_);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      file->errno_ = n < 0 ? errno : ENOSPC;
      return AVERROR(file->errno_);
    }
    done += static_cast<int>(n);
    file->position_ += n;
    file->size_ = std::max(file->size_, file->position_);
  }
  return size;
}

int64_t DurableFile::SeekCallback(void* opaque, int64_t offset, int whence) {
  auto* file = static_cast<DurableFile*>(opaque);
  switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE:
      return file->size_;
    case SEEK_SET:
      file->position_ = offset;
      return offset;
    case SEEK_CUR:
      file->position_ += offset;
      return file->position_;
    case SEEK_END:
      file->position_ = file->size_ + offset;
      return file->position_;
    default:
      return AVERROR(EINVAL);
  }
}

}  // namespace sunlight::video
