// The video store: its column families and the codecs of every key it writes. No key is
// built or decoded anywhere else.
#ifndef SUNLIGHT_SERVICES_VIDEO_VIDEO_STORE_H_
#define SUNLIGHT_SERVICES_VIDEO_VIDEO_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "sunlight/storage/tuple_key.h"

namespace sunlight::video::store {

inline constexpr char kCameras[] = "cameras";  // camera id -> Camera (without status)
// camera id -> the RTSP credentials "user:password", sealed with the data key.
inline constexpr char kCameraSecrets[] = "camera_secrets";
inline constexpr char kSegments[] = "segments";  // SegmentKey -> Segment
// The order retention deletes in: SegmentOrderKey -> "".
inline constexpr char kSegmentOrder[] = "segment_order";
inline constexpr char kGaps[] = "gaps";                     // SegmentKey (gap start) -> Gap
inline constexpr char kHolds[] = "holds";                   // hold id -> Hold
inline constexpr char kConductEvents[] = "conduct_events";  // event id -> ConductEvent
inline constexpr char kSnapshots[] = "conduct_snapshots";   // event id -> JPEG
inline constexpr char kWindows[] = "windows";               // window id -> department id
// Singletons: "last_hold", "last_conduct_event" -> decimal counter.
inline constexpr char kMeta[] = "video_meta";
inline constexpr char kLastHold[] = "last_hold";
inline constexpr char kLastConductEvent[] = "last_conduct_event";

inline int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// segments, gaps: (camera id, start in Unix microseconds).
using CameraTime = storage::TupleKey<std::string, int64_t>;
inline std::string SegmentKey(const std::string& camera_id, absl::Time start) {
  return CameraTime::Encode(camera_id, Micros(start));
}
inline std::string CameraPrefix(const std::string& camera_id) {
  return CameraTime::Prefix(camera_id);
}
// The first key of `camera_id` at or after `at`.
inline std::string CameraFrom(const std::string& camera_id, absl::Time at) {
  return CameraTime::Encode(camera_id, Micros(at));
}
// Just past every key of `camera_id`.
inline std::string CameraEnd(const std::string& camera_id) {
  return CameraTime::Encode(camera_id, INT64_MAX);
}
inline std::optional<std::tuple<std::string, int64_t>> DecodeCameraTime(std::string_view key) {
  return CameraTime::Decode(key);
}

// segment_order: (start in Unix microseconds, camera id): oldest first across cameras.
using StartCamera = storage::TupleKey<int64_t, std::string>;
inline std::string SegmentOrderKey(absl::Time start, const std::string& camera_id) {
  return StartCamera::Encode(Micros(start), camera_id);
}
inline std::optional<std::tuple<int64_t, std::string>> DecodeSegmentOrderKey(std::string_view key) {
  return StartCamera::Decode(key);
}

// "h-000000000042", "ce-000000000042": ids that sort by number.
inline std::string NumberedId(std::string_view prefix, uint64_t number) {
  return absl::StrFormat("%s-%012d", prefix, number);
}

}  // namespace sunlight::video::store

#endif  // SUNLIGHT_SERVICES_VIDEO_VIDEO_STORE_H_
