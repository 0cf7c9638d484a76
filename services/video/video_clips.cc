// Clips: any range of a camera (or a hold's) as one MP4 assembled from its segments by stream
// copy, written once to a file under the recording directory and served from it chunk by
// chunk, so that a long clip costs disk, not memory, and every chunk of one request comes from
// the same clip.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/storage/proto_record.h"
#include "video_internal.h"
#include "video_store.h"

namespace sunlight::video {

namespace {

constexpr uint32_t kMaxChunkBytes = 2u << 20;
constexpr absl::Duration kLongestClip = absl::Hours(24);

// pread of [offset, offset + length) of `path`.
absl::StatusOr<std::string> ReadRange(const std::string& path, int64_t offset, int64_t length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
  std::string data(static_cast<size_t>(length), '\0');
  int64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, data.data() + done, static_cast<size_t>(length - done), offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string error = n < 0 ? std::strerror(errno) : "unexpected end of file";
      ::close(fd);
      return absl::InternalError(absl::StrCat("read ", path, ": ", error));
    }
    done += n;
  }
  ::close(fd);
  return data;
}

}  // namespace

Video::CachedClip::~CachedClip() {
  if (!path.empty()) ::unlink(path.c_str());
}

std::string Video::clips_dir() const { return AbsolutePath(".clips"); }

absl::StatusOr<std::shared_ptr<const Video::CachedClip>> Video::Clip(const std::string& camera_id,
                                                                     absl::Time from, absl::Time to,
                                                                     bool fresh) {
  const std::string key = absl::StrCat(camera_id, "|", store::Micros(from), "|", store::Micros(to));
  {
    std::lock_guard lock(clips_mu_);
    for (auto it = clips_.begin(); it != clips_.end(); ++it) {
      if ((*it)->key != key) continue;
      // A first chunk asks again unless nothing of the range could still be indexed since.
      if (fresh && (*it)->assembled_at < to + options_.segment_duration + absl::Seconds(10)) {
        clips_.erase(it);
        break;
      }
      std::shared_ptr<const CachedClip> clip = *it;
      clips_.erase(it);
      clips_.push_back(clip);  // newest last
      return clip;
    }
  }
  SUNLIGHT_ASSIGN_OR_RETURN(std::vector<v1::Segment> segments,
                            SegmentsOverlapping(camera_id, from, to));
  std::vector<SegmentInfo> infos;
  for (const v1::Segment& segment : segments) {
    infos.push_back(FromSegmentProto(segment, options_.recordings_dir));
  }
  auto clip = std::make_shared<CachedClip>();
  clip->key = key;
  clip->assembled_at = clock_->Now();
  static std::atomic<uint64_t> next_file{0};
  const std::string path = absl::StrCat(clips_dir(), "/", ::getpid(), "-", ++next_file, ".mp4");
  absl::StatusOr<ClipInfo> info = AssembleClipFile(infos, from, to, path);
  if (absl::IsNotFound(info.status())) {
    return absl::NotFoundError(absl::StrCat("camera ", camera_id, " recorded nothing between ",
                                            absl::FormatTime(from), " and ", absl::FormatTime(to)));
  }
  SUNLIGHT_RETURN_IF_ERROR(info.status());
  clip->path = path;
  clip->info = *std::move(info);
  metrics_.clips_assembled.Increment();
  std::lock_guard lock(clips_mu_);
  clips_.push_back(clip);
  // Older clips go once the cache is over its bytes (a reader still holding one keeps its
  // file until it is done with it).
  int64_t total = 0;
  for (const auto& cached : clips_) total += cached->info.bytes;
  while (total > options_.clip_cache_bytes && clips_.size() > 1) {
    total -= clips_.front()->info.bytes;
    clips_.pop_front();
  }
  return std::shared_ptr<const CachedClip>(clip);
}

absl::StatusOr<v1::ClipChunk> Video::GetClip(const v1::GetClipRequest& request) {
  std::string camera_id = request.camera_id();
  google::protobuf::Timestamp from = request.from(), to = request.to();
  if (!request.hold_id().empty()) {
    SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.hold_id(), "hold_id", 64));
    SUNLIGHT_ASSIGN_OR_RETURN(
        std::optional<v1::Hold> hold,
        storage::LoadProto<v1::Hold>(*store_, store::kHolds, request.hold_id()));
    if (!hold.has_value()) return absl::NotFoundError(absl::StrCat("no hold ", request.hold_id()));
    camera_id = hold->camera_id();
    from = hold->start();
    to = hold->end();
  } else {
    SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(camera_id, "camera_id", 64));
    if (from.seconds() <= 0) return InvalidField("from", "required (or hold_id)");
    if (to.seconds() <= 0) return InvalidField("to", "required (or hold_id)");
    if (FromProto(to) <= FromProto(from)) return InvalidField("to", "after from");
    if (FromProto(to) - FromProto(from) > kLongestClip) {
      return InvalidField("to", "at most 24 hours after from");
    }
  }
  if (request.offset() < 0) return InvalidField("offset", "not negative");
  const uint32_t max_bytes =
      request.max_bytes() == 0 ? kMaxChunkBytes : std::min(request.max_bytes(), kMaxChunkBytes);
  SUNLIGHT_ASSIGN_OR_RETURN(
      std::shared_ptr<const CachedClip> clip,
      Clip(camera_id, FromProto(from), FromProto(to), /*fresh=*/request.offset() == 0));
  if (request.offset() > clip->info.bytes) {
    return InvalidField("offset", absl::StrCat("past the clip's ", clip->info.bytes, " bytes"));
  }
  const int64_t length = std::min<int64_t>(max_bytes, clip->info.bytes - request.offset());
  v1::ClipChunk chunk;
  SUNLIGHT_ASSIGN_OR_RETURN(*chunk.mutable_data(), ReadRange(clip->path, request.offset(), length));
  chunk.set_offset(request.offset());
  chunk.set_total_bytes(clip->info.bytes);
  *chunk.mutable_start() = ToProto(clip->info.start);
  *chunk.mutable_end() = ToProto(clip->info.end);
  chunk.set_duration_seconds(absl::ToDoubleSeconds(clip->info.duration));
  chunk.set_unreadable_segments(static_cast<uint32_t>(clip->info.unreadable.size()));
  return chunk;
}

}  // namespace sunlight::video
