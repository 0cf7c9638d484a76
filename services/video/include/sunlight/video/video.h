// The video service's logic (DOMAIN.md section 7): the hall's cameras, each recorded by a
// CameraRecorder into one-minute fragmented-MP4 segments indexed here; gaps with their cause;
// coverage per camera and day; retention by age and disk quota that never deletes a held
// range; clips assembled from segments without transcoding; the clips of the windows where
// cases are accepted or refused (from intake's stream), held automatically; and conduct
// events (absent from post, crowding) found in each finished segment, which count in scores
// only once an inspector has confirmed them (the "video" stream tells scoring).
//
//   SUNLIGHT_ASSIGN_OR_RETURN(auto video, Video::Open(store, calendar, &clock, key, options));
//   video->Start();                                 // recorders and the conduct worker
//   video->ApplyEvents("intake", batch);            // case clips
//   video->ReconcileRecorders();                    // periodically: wanted == running
//   video->EnforceRetention();                      // periodically: age, quota, free space
//
// Files: video.cc (open, start-up reconciliation, streams), video_cameras.cc (cameras and
// their recorders), video_index.cc (segments, gaps, coverage), video_retention.cc (holds,
// retention, storage), video_clips.cc (clips), video_conduct.cc (conduct events).
// Thread-safe.
#ifndef SUNLIGHT_SERVICES_VIDEO_VIDEO_H_
#define SUNLIGHT_SERVICES_VIDEO_VIDEO_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "sunlight/auth/data_key.h"
#include "sunlight/base/clock.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/events/v1/events.pb.h"
#include "sunlight/storage/store.h"
#include "sunlight/video/camera_recorder.h"
#include "sunlight/video/conduct_rules.h"
#include "sunlight/video/frame_sampler.h"
#include "sunlight/video/people_detector.h"
#include "sunlight/video/v1/video.pb.h"
#include "sunlight/video/video_metrics.h"

namespace sunlight::video {

inline constexpr char kIntakeStream[] = "intake";

// Column families of the video store, besides the event log's.
std::vector<std::string> VideoColumnFamilies();

struct VideoOptions {
  // Where segments are written, one directory per camera. Required.
  std::string recordings_dir;
  // Segments older than this are deleted unless held.
  absl::Duration retention = absl::Hours(24 * 30);
  // Recordings (segments) are kept within this many bytes, oldest deleted first; 0: no quota.
  int64_t quota_bytes = 0;
  // And within the file system less this reserve, whatever the quota.
  int64_t min_free_bytes = int64_t{256} << 20;
  // The recorders' settings (see CameraRecorderOptions).
  absl::Duration segment_duration = absl::Minutes(1);
  absl::Duration read_timeout = absl::Seconds(5);
  absl::Duration backoff_initial = absl::Seconds(1);
  absl::Duration backoff_max = absl::Seconds(30);
  // Whether recorders run (false: the index, clips and retention only; tests).
  bool record = true;
  // Working hours on the calendar's working days, local: "09:00-12:00,13:30-17:30".
  std::string working_hours = "09:00-12:00,13:30-17:30";
  // Conduct detection on finished segments of cameras with zones.
  FrameSamplingOptions sampling = {.frames_per_second = 2, .max_width = 640};
  // Makes the people detector (HOG when unset).
  std::function<absl::StatusOr<std::unique_ptr<PeopleDetector>>()> detector_factory;
  // Case clips: from this long before the acceptance or refusal to this long after.
  absl::Duration case_clip_before = absl::Minutes(1);
  absl::Duration case_clip_after = absl::Minutes(2);
  // Assembled clips kept in memory for their chunks, in all.
  int64_t clip_cache_bytes = int64_t{256} << 20;
};

// INVALID_ARGUMENT naming the option.
absl::Status ValidateVideoOptions(const VideoOptions& options);

class Video {
 public:
  // `data_key` seals cameras' credentials; null refuses credentials (development).
  static absl::StatusOr<std::unique_ptr<Video>> Open(
      storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
      const Clock* clock, std::shared_ptr<const auth::DataKey> data_key, VideoOptions options);
  ~Video();  // Stop()

  eventlog::EventLog& event_log() { return *log_; }
  VideoMetrics& metrics() { return metrics_; }
  CameraMetrics& camera_metrics() { return camera_metrics_; }
  VideoTimings& timings() { return timings_; }

  // Starts the recorder of every enabled camera and the conduct worker. Idempotent.
  absl::Status Start();
  // Stops every recorder (their last segments indexed) and the worker. Idempotent.
  void Stop();

  // Cameras (video_cameras.cc).
  absl::StatusOr<v1::Camera> UpsertCamera(const v1::UpsertCameraRequest& request);
  absl::StatusOr<v1::Camera> GetCamera(const v1::GetCameraRequest& request) const;
  absl::StatusOr<v1::ListCamerasResponse> ListCameras(const v1::ListCamerasRequest& request) const;
  // Level-triggered: every enabled camera has a recorder with its current settings, no other
  // camera has one. main calls it periodically; UpsertCamera too.
  absl::Status ReconcileRecorders();

  // The index (video_index.cc).
  absl::StatusOr<v1::Coverage> GetCoverage(const v1::GetCoverageRequest& request) const;
  absl::StatusOr<v1::ListSegmentsResponse> ListSegments(
      const v1::ListSegmentsRequest& request) const;
  absl::StatusOr<v1::ListGapsResponse> ListGaps(const v1::ListGapsRequest& request) const;

  // Clips (video_clips.cc).
  absl::StatusOr<v1::ClipChunk> GetClip(const v1::GetClipRequest& request);

  // Holds and retention (video_retention.cc).
  absl::StatusOr<v1::Hold> CreateHold(const v1::CreateHoldRequest& request);
  absl::StatusOr<v1::Hold> ReleaseHold(const v1::ReleaseHoldRequest& request);
  absl::StatusOr<v1::ListHoldsResponse> ListHolds(const v1::ListHoldsRequest& request) const;
  absl::StatusOr<v1::Storage> GetStorage(const v1::GetStorageRequest& request) const;
  // Deletes what age, the quota and the file system's free space ask for, oldest first,
  // never a held segment nor a camera's newest. Returns how many segments it deleted.
  absl::StatusOr<size_t> EnforceRetention();

  // Conduct events (video_conduct.cc).
  absl::StatusOr<v1::ListConductEventsResponse> ListConductEvents(
      const v1::ListConductEventsRequest& request) const;
  absl::StatusOr<v1::ConductEvent> GetConductEvent(const v1::GetConductEventRequest& request) const;
  absl::StatusOr<v1::ConductSnapshot> GetConductSnapshot(
      const v1::GetConductSnapshotRequest& request) const;
  absl::StatusOr<v1::ConductEvent> DecideConductEvent(const v1::DecideConductEventRequest& request);
  // Runs the conduct rules over a finished segment of `camera_id` (the worker does it for
  // every segment of a camera with zones; tests call it).
  absl::Status DetectConduct(const v1::Segment& segment);
  // Blocks until the conduct worker's queue is empty (tests).
  void WaitForConductWorker();

  // Intake's stream: case clips held (video.cc).
  absl::Status ApplyEvents(const std::string& stream,
                           const std::vector<events::v1::CaseEvent>& events);
  absl::StatusOr<uint64_t> Cursor(const std::string& stream) const;

  // Updates the gauges (coverage today, storage); main calls it periodically.
  absl::Status RefreshMetrics();

 private:
  class CameraObserver;
  struct RunningCamera;
  struct CachedClip;
  struct ConductState;

  Video(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
        std::shared_ptr<const calendar::WorkingCalendar> calendar, const Clock* clock,
        std::shared_ptr<const auth::DataKey> data_key, VideoOptions options);

  // Start-up (video.cc): finishes deletions a crash interrupted, reconciles each camera's
  // files with the index, loads counters and totals.
  absl::Status Recover();
  absl::Status RecoverCamera(const std::string& camera_id);

  // The recorder's reports (video_index.cc), on the camera's thread.
  void IndexSegment(const SegmentInfo& segment);
  void IndexGap(const RecordingGap& gap);
  void SetCameraState(const std::string& camera_id, CameraState state, const std::string& detail);
  // The camera's newest segment end, if any.
  absl::StatusOr<std::optional<absl::Time>> LastSegmentEnd(const std::string& camera_id) const;
  // Segments of `camera_id` overlapping [from, to), in order.
  absl::StatusOr<std::vector<v1::Segment>> SegmentsOverlapping(const std::string& camera_id,
                                                               absl::Time from,
                                                               absl::Time to) const;
  absl::StatusOr<std::vector<v1::Gap>> GapsOverlapping(const std::string& camera_id,
                                                       absl::Time from, absl::Time to) const;
  std::string AbsolutePath(const std::string& relative) const;

  // Stores a validated camera (its credentials sealed) with its event.
  absl::Status CommitCamera(const v1::UpsertCameraRequest& request, v1::Camera& camera,
                            const std::string& url, const std::string& username,
                            const std::string& password);
  absl::StatusOr<std::optional<v1::Camera>> LoadCamera(const std::string& camera_id) const;
  absl::StatusOr<std::vector<v1::Camera>> LoadCameras() const;
  // The URL with the camera's credentials in it, for its recorder.
  absl::StatusOr<std::string> RecordingUrl(const v1::Camera& camera) const;
  v1::CameraStatus StatusOf(const std::string& camera_id) const;

  // A hold staged in `batch` with its event (caller holds write_mu_). RESOURCE_EXHAUSTED
  // when holds are over the quota.
  absl::StatusOr<v1::Hold> StageHold(storage::WriteBatch& batch,
                                     std::vector<events::v1::CaseEvent>& events, v1::Hold hold,
                                     const common::v1::Actor& actor);
  absl::StatusOr<std::vector<v1::Hold>> ActiveHolds() const;
  // Deletes one segment: mark, unlink, forget.
  absl::Status DeleteSegment(v1::Segment segment);
  // The quota that applies now: the configured one, less what the file system lacks.
  int64_t EffectiveQuota() const;

  // Conduct (video_conduct.cc).
  struct ConductChange;
  void ConductWorker();
  void QueueConduct(const SegmentInfo& segment);
  // Stages what one segment's transitions change (caller holds write_mu_).
  absl::Status StageConductChanges(storage::WriteBatch& batch,
                                   std::vector<events::v1::CaseEvent>& events,
                                   const v1::Camera& camera, ConductState& state,
                                   std::vector<ConductChange>& changes);
  // Closes the stored events of `camera_id` left open by an earlier run.
  absl::Status CloseStaleConductEvents(storage::WriteBatch& batch,
                                       std::vector<events::v1::CaseEvent>& events,
                                       const std::string& camera_id, absl::Time at);
  bool InWorkingHours(absl::Time at) const;

  storage::Store* store_;
  std::unique_ptr<eventlog::EventLog> log_;
  std::shared_ptr<const calendar::WorkingCalendar> calendar_;
  const Clock* clock_;
  std::shared_ptr<const auth::DataKey> data_key_;
  VideoOptions options_;
  std::vector<std::pair<absl::Duration, absl::Duration>> working_hours_;  // from midnight
  mutable VideoMetrics metrics_;
  CameraMetrics camera_metrics_;
  VideoTimings timings_;

  // Writers of holds, events, cameras and the counters.
  mutable std::mutex write_mu_;
  uint64_t last_hold_ = 0;           // guarded by write_mu_
  uint64_t last_conduct_event_ = 0;  // guarded by write_mu_
  // Retention deletes one pass at a time.
  std::mutex retention_mu_;

  // Recorders and what they last said, by camera.
  mutable std::mutex cameras_mu_;
  std::map<std::string, std::unique_ptr<RunningCamera>> running_;  // guarded by cameras_mu_
  std::map<std::string, v1::CameraStatus> status_;                 // guarded by cameras_mu_
  bool started_ = false;                                           // guarded by cameras_mu_

  // Totals of the index, kept as segments come and go.
  std::atomic<int64_t> used_bytes_{0};
  std::atomic<int64_t> held_bytes_{0};
  std::atomic<bool> holds_over_quota_{false};

  // Clips being served in chunks (files under recordings_dir/.clips), newest last.
  std::string clips_dir() const;
  absl::StatusOr<std::shared_ptr<const CachedClip>> Clip(const std::string& camera_id,
                                                         absl::Time from, absl::Time to,
                                                         bool fresh);
  std::mutex clips_mu_;
  std::list<std::shared_ptr<const CachedClip>> clips_;  // guarded by clips_mu_

  // The conduct worker's queue of finished segments and each camera's rule state.
  std::mutex conduct_mu_;
  std::condition_variable conduct_cv_;
  std::deque<SegmentInfo> conduct_queue_;  // guarded by conduct_mu_
  bool conduct_busy_ = false;              // guarded by conduct_mu_
  bool conduct_stop_ = false;              // guarded by conduct_mu_
  // DetectConduct one segment at a time (the worker, or a test).
  std::mutex detect_mu_;
  std::map<std::string, std::unique_ptr<ConductState>> conduct_;  // guarded by detect_mu_
  std::unique_ptr<PeopleDetector> detector_;                      // guarded by detect_mu_
  std::thread conduct_thread_;
};

}  // namespace sunlight::video

#endif  // SUNLIGHT_SERVICES_VIDEO_VIDEO_H_
