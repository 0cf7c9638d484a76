// A recorded segment: one fragmented-MP4 file of one camera, starting on a keyframe, as the
// writer reports it and the index stores it.
//
//   std::string name = SegmentFileName("hall-2", start);   // "hall-2-20260105T093000.250Z.mp4"
//   auto parsed = ParseSegmentFileName(name);               // {"hall-2", start}
//
// The file name carries the camera and the start (milliseconds, UTC), so a file found on
// disk without an index row (after a crash) can be indexed from its name and a probe.
#ifndef SUNLIGHT_VIDEO_SEGMENT_H_
#define SUNLIGHT_VIDEO_SEGMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sunlight::video {

// One keyframe of a segment: where a player or a clip can start.
struct KeyframeEntry {
  // Media time since the segment's first frame.
  absl::Duration at;
  // Byte offset in the file of the fragment (`moof` box) holding this keyframe.
  int64_t fragment_offset = 0;
};

struct SegmentInfo {
  std::string camera_id;
  // The server's clock at the segment's first frame.
  absl::Time start;
  // `start` plus the media duration of the segment's frames (the camera's clock).
  absl::Time end;
  // Size of the file once closed (or as probed).
  int64_t bytes = 0;
  std::string path;
  int64_t frame_count = 0;
  int64_t keyframe_count = 0;
  // Every keyframe, in order; the first is at zero.
  std::vector<KeyframeEntry> keyframes;
};

// Camera ids name files and index keys: 1 to 64 of [A-Za-z0-9_], '-' inside. Otherwise
// INVALID_ARGUMENT naming `camera_id`.
absl::Status ValidateCameraId(const std::string& camera_id);

// "<camera_id>-<YYYYMMDDTHHMMSS.mmm>Z.mp4" in UTC. `camera_id` must be valid.
std::string SegmentFileName(const std::string& camera_id, absl::Time start);

struct SegmentName {
  std::string camera_id;
  absl::Time start;
};
// The inverse of SegmentFileName (a bare file name, no directory); INVALID_ARGUMENT for any
// other name.
absl::StatusOr<SegmentName> ParseSegmentFileName(const std::string& file_name);

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_SEGMENT_H_
