// What a camera recorder tells its owner: finished segments, gaps in the recording and the
// camera's state. The video service implements it to write its index.
//
//   class IndexWriter : public RecordingObserver {
//     void OnSegment(const SegmentInfo& s) override { store.PutSegment(s); }
//     void OnGap(const RecordingGap& gap) override { store.PutGap(gap); }
//     void OnState(CameraState state, const std::string& detail) override { ... }
//   };
#ifndef SUNLIGHT_VIDEO_RECORDING_OBSERVER_H_
#define SUNLIGHT_VIDEO_RECORDING_OBSERVER_H_

#include <string>

#include "absl/time/time.h"
#include "sunlight/video/segment.h"

namespace sunlight::video {

// Why a camera's recording has a hole.
enum class GapCause {
  // The camera could not be reached or refused, or it ended the stream or dropped the
  // connection.
  kCameraOffline,
  // The stream stalled (nothing for the read timeout) after it had started.
  kNetwork,
  // Segment files could not be written (disk full, I/O error).
  kStorage,
  // The recorder was not running (the service restarted or the camera was stopped).
  kRestart,
};
const char* GapCauseName(GapCause cause);  // "camera_offline", "network", "storage", "restart"

// A time without recording between two segments of a camera (or until the recorder stopped).
struct RecordingGap {
  std::string camera_id;
  // The end of the last frame recorded before the gap (the failure, when nothing was).
  absl::Time start;
  // The start of the first segment after it (as reported by OnSegment), or when the
  // recorder stopped.
  absl::Time end;
  // The cause of the first failure of the gap; later failures in it do not change it.
  GapCause cause = GapCause::kCameraOffline;
  // That failure's message.
  std::string detail;
};

enum class CameraState {
  kConnecting,
  kRecording,
  kCameraOffline,  // not reachable or refused; retrying
  kNetworkError,   // the stream stalled or broke; retrying
  kBadStream,      // not RTSP, no video, a codec not recorded: the camera's configuration
  kStorageError,   // segments cannot be written; reading on, retrying at keyframes
  kStopped,
};
const char* CameraStateName(CameraState state);  // "connecting", "recording", ...

// Called on the camera's recording thread, one call at a time per camera: a slow observer
// delays that camera's recording (packets queue in the socket), so an observer only writes
// its index or hands the work on.
class RecordingObserver {
 public:
  virtual ~RecordingObserver() = default;
  // A segment, once its file and directory are durable.
  virtual void OnSegment(const SegmentInfo& segment) = 0;
  // A gap, once it has ended: just before the first segment after it (when that segment is
  // durable), or when the recorder stops.
  virtual void OnGap(const RecordingGap& gap) = 0;
  // Each change of state, with a message for the operator ("" when recording).
  virtual void OnState(CameraState state, const std::string& detail) = 0;
};

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_RECORDING_OBSERVER_H_
