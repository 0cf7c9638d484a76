// What the files of the Video class share and nothing else needs: its private structs and the
// conversions between the recording library's types and the API's.
#ifndef SUNLIGHT_SERVICES_VIDEO_VIDEO_INTERNAL_H_
#define SUNLIGHT_SERVICES_VIDEO_VIDEO_INTERNAL_H_

#include <memory>
#include <optional>
#include <string>

#include "sunlight/video/camera_recorder.h"
#include "sunlight/video/clip_assembler.h"
#include "sunlight/video/conduct_rules.h"
#include "sunlight/video/video.h"

namespace sunlight::video {

// Tells the service what one camera's recorder reports.
class Video::CameraObserver final : public RecordingObserver {
 public:
  CameraObserver(Video* video, std::string camera_id)
      : video_(video), camera_id_(std::move(camera_id)) {}
  void OnSegment(const SegmentInfo& segment) override;
  void OnGap(const RecordingGap& gap) override;
  void OnState(CameraState state, const std::string& detail) override;

 private:
  Video* video_;
  std::string camera_id_;
};

struct Video::RunningCamera {
  // The settings it was started with: a change of these restarts it.
  std::string url;
  std::unique_ptr<CameraObserver> observer;
  std::unique_ptr<CameraRecorder> recorder;
};

// One assembled clip, served chunk by chunk from its file, which goes with the last user.
struct Video::CachedClip {
  CachedClip() = default;
  CachedClip(const CachedClip&) = delete;
  CachedClip& operator=(const CachedClip&) = delete;
  ~CachedClip();
  std::string key;   // camera, from, to
  std::string path;  // under clips_dir()
  ClipInfo info;
  absl::Time assembled_at;
};

// A transition of a camera's conduct rules, with the snapshot of an opening.
struct Video::ConductChange {
  ConductTransition transition;
  std::string jpeg;
};

// A camera's conduct rules between segments (the worker's).
struct Video::ConductState {
  std::string zones_digest;  // the zones the engine was made from
  std::optional<ConductRuleEngine> engine;
  // Open events: the rule engine's zone id -> the stored event's id.
  std::map<std::string, std::string> open_events;
};

// The API's segment from the recorder's, with `path` relative to `root`.
v1::Segment ToSegmentProto(const SegmentInfo& info, const std::string& root);
// The recorder's segment from the API's, with the absolute path.
SegmentInfo FromSegmentProto(const v1::Segment& segment, const std::string& root);
v1::GapCause ToGapCause(GapCause cause);
v1::CameraState ToCameraState(CameraState state);
v1::ConductRule ToConductRule(ConductRule rule);
// The library's zone from the API's (validated by the caller).
ConductZone FromZoneProto(const v1::Zone& zone);

// Hold kinds.
inline constexpr char kHoldCase[] = "case";
inline constexpr char kHoldConduct[] = "conduct";
inline constexpr char kHoldInvestigation[] = "investigation";

}  // namespace sunlight::video

#endif  // SUNLIGHT_SERVICES_VIDEO_VIDEO_INTERNAL_H_
