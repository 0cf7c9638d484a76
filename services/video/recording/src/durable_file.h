// A file written through FFmpeg's AVIO callbacks (segments, clips) and made durable on Finish:
// fsync of the file, then of its directory. Private to the library.
//
//   DurableFile file;
//   SUNLIGHT_RETURN_IF_ERROR(file.Create(path));
//   AVIOContext* io = avio_alloc_context(buffer, size, 1, &file, nullptr,
//                                        &DurableFile::WriteCallback, &DurableFile::SeekCallback);
//   ... avio_flush(io) ...
//   SUNLIGHT_RETURN_IF_ERROR(file.Finish());
#ifndef SUNLIGHT_VIDEO_SRC_DURABLE_FILE_H_
#define SUNLIGHT_VIDEO_SRC_DURABLE_FILE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace sunlight::video {

class DurableFile {
 public:
  DurableFile() = default;
  ~DurableFile();  // Closes without fsync.
  DurableFile(const DurableFile&) = delete;
  DurableFile& operator=(const DurableFile&) = delete;

  // Creates `path`, which must not exist: ALREADY_EXISTS if it does, RESOURCE_EXHAUSTED for
  // a full disk, INTERNAL for other failures.
  absl::Status Create(const std::string& path);
  // fsync, close, fsync of the directory. Later calls return the first call's result.
  absl::Status Finish();
  // Renames the open file to `path` (same directory), which must not exist; before Finish,
  // whose directory fsync makes the new name durable. On error the name is unchanged.
  absl::Status Rename(const std::string& path);
  // Closes and removes the file.
  void Discard();

  const std::string& path() const { return path_; }
  // The file's size as written.
  int64_t bytes() const { return size_; }
  // The AVERROR of the last failed write or seek (its errno), else `fallback`: FFmpeg's own
  // code for an I/O failure is often a generic one.
  int error(int fallback) const { return errno_ != 0 ? -errno_ : fallback; }

  // AVIO callbacks; `opaque` is the DurableFile.
  static int WriteCallback(void* opaque, uint8_t* data, int size);
  static int64_t SeekCallback(void* opaque, int64_t offset, int whence);

 private:
  std::string path_;
  int fd_ = -1;
  int64_t position_ = 0;
  int64_t size_ = 0;
  int errno_ = 0;
  std::optional<absl::Status> finished_;
};

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_SRC_DURABLE_FILE_H_
