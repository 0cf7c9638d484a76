// One MP4 covering a time range of a camera, assembled from its segment files by stream copy
// (no transcode): what a case's clip is.
//
//   ClipInfo info;
//   auto bytes = AssembleClip(index.SegmentsOverlapping(camera, from, to), from, to, &info);
//   // or, for a held clip on disk:
//   auto written = AssembleClipFile(segments, from, to, holds_dir + "/case-42.mp4");
//
// The clip starts at the keyframe at or before `from` (at the first keyframe after it when
// nothing was recorded at `from`) and ends with the last frame that starts before `to`. It is
// a fragmented MP4 (an empty `moov`, one fragment per keyframe) that browsers and ffprobe play
// as it arrives. Time the camera did not record (gaps between segments) is left out: the
// clip's frames follow each other; ClipInfo says what wall-clock span it covers.
#ifndef SUNLIGHT_VIDEO_CLIP_ASSEMBLER_H_
#define SUNLIGHT_VIDEO_CLIP_ASSEMBLER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/video/segment.h"

namespace sunlight::video {

struct ClipInfo {
  // The server's clock at the clip's first frame (a keyframe) and at the end of its last.
  absl::Time start;
  absl::Time end;
  // The media duration of its frames (end - start less the gaps left out).
  absl::Duration duration;
  int64_t frame_count = 0;
  int64_t bytes = 0;
  // Segments of the range whose files could not be read (gone, damaged): their time is
  // missing from the clip.
  std::vector<std::string> unreadable;
};

// Of each segment only path, start and end are read; they may come in any order, and segments
// that do not overlap [from, to) are skipped. Errors: INVALID_ARGUMENT when `from` is not
// before `to`; NOT_FOUND when no readable segment has a frame in the range;
// FAILED_PRECONDITION when the camera's stream format (codec, size, parameter sets) changes
// within the range (ask for the parts on either side).
absl::StatusOr<std::string> AssembleClip(const std::vector<SegmentInfo>& segments, absl::Time from,
                                         absl::Time to, ClipInfo* info = nullptr);

// The same clip written to `path`, which must not exist (ALREADY_EXISTS), and made durable
// (fsync of the file and its directory) before this returns. On error no file is left.
// Storage errors: RESOURCE_EXHAUSTED for a full disk, INTERNAL otherwise.
absl::StatusOr<ClipInfo> AssembleClipFile(const std::vector<SegmentInfo>& segments, absl::Time from,
                                          absl::Time to, const std::string& path);

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_CLIP_ASSEMBLER_H_
