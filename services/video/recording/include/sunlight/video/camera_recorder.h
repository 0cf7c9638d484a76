// Records one camera on a thread of its own until stopped: connect (RtspSource), write
// segments (SegmentWriter), and on any failure close the segment in progress, note the gap,
// and reconnect after an exponential backoff with jitter; recording resumes at the first
// keyframe. A storage failure keeps the connection and retries a new segment at keyframes
// after the same backoff: a full disk never stops the thread.
//
//   CameraRecorder recorder({.camera_id = "hall-2", .url = url, .directory = dir}, clock,
//                           index_writer);
//   recorder.Start();
//   ... metrics.drift.Set(recorder.drift_seconds());
//   recorder.Stop();   // closes the last segment (durable, reported)
#ifndef SUNLIGHT_VIDEO_CAMERA_RECORDER_H_
#define SUNLIGHT_VIDEO_CAMERA_RECORDER_H_

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sunlight/base/clock.h"
#include "sunlight/video/recording_observer.h"
#include "sunlight/video/rtsp_source.h"
#include "sunlight/video/segment_writer.h"

namespace sunlight::video {

struct CameraRecorderOptions {
  std::string camera_id;
  // rtsp://[user:password@]host[:port]/path
  std::string url;
  // Where this camera's segments go.
  std::string directory;
  absl::Duration segment_duration = absl::Minutes(1);
  absl::Duration fragment_duration = absl::Seconds(1);
  // A stalled camera is noticed within this.
  absl::Duration read_timeout = absl::Seconds(5);
  absl::Duration connect_timeout = absl::Seconds(5);
  // The n-th retry in a row waits backoff_initial * 2^n, at most backoff_max, each wait
  // between half and all of that (jitter); a resumed recording starts over.
  absl::Duration backoff_initial = absl::Seconds(1);
  absl::Duration backoff_max = absl::Seconds(30);
  // The end of this camera's last indexed segment, when the recorder replaces one that ended
  // (a restart): the time from it to the first new frame is reported as a kRestart gap.
  std::optional<absl::Time> previous_end;
};

class CameraRecorder {
 public:
  // `clock` and `observer` must outlive the recorder.
  CameraRecorder(CameraRecorderOptions options, const Clock& clock, RecordingObserver& observer);
  ~CameraRecorder();  // Stops.
  CameraRecorder(const CameraRecorder&) = delete;
  CameraRecorder& operator=(const CameraRecorder&) = delete;

  // Starts the recording thread; INVALID_ARGUMENT for a bad camera id, FAILED_PRECONDITION
  // if already started.
  absl::Status Start();
  // Ends a blocked connect or read at once, closes the segment in progress (reported), reports
  // a gap still open (ending now) and the kStopped state, and joins the thread. Idempotent.
  void Stop();

  // The camera's clock drift against the server's (SegmentWriter::drift_seconds) in the
  // current connection. Any thread.
  double drift_seconds() const { return drift_seconds_.load(std::memory_order_relaxed); }
  // The last state reported (kStopped before Start). Any thread.
  CameraState state() const { return state_.load(); }

 private:
  struct OpenGap {
    absl::Time start;
    GapCause cause;
    std::string detail;
  };

  void Run();
  // One connection: returns why it ended.
  absl::Status RecordConnection(RtspSource& source, SegmentWriter& writer);
  void Fail(GapCause cause, CameraState state, const absl::Status& status);
  void Resume();
  // A durable segment: ends the open gap, if any, at its start.
  void OnSegment(const SegmentInfo& segment);
  void SetState(CameraState state, const std::string& detail);
  // Waits the next backoff unless stopped; false when stopped.
  bool WaitBackoff();
  absl::Duration NextBackoff();

  CameraRecorderOptions options_;
  const Clock& clock_;
  RecordingObserver& observer_;
  std::atomic<bool> stop_{false};
  std::atomic<double> drift_seconds_{0.0};
  std::atomic<CameraState> state_{CameraState::kStopped};
  std::mutex mu_;
  std::condition_variable wake_;
  std::thread thread_;

  // Recording thread only.
  std::optional<OpenGap> gap_;
  std::optional<absl::Time> last_end_;
  std::string state_detail_;
  int retries_ = 0;
  std::mt19937_64 random_;
};

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_CAMERA_RECORDER_H_
