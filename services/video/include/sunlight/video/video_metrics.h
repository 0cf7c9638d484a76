// The video service's metrics: its one list (see sunlight/server/metrics.h), and the gauges
// per camera (a camera id label: as many series as cameras, which administrators register).
#ifndef SUNLIGHT_SERVICES_VIDEO_VIDEO_METRICS_H_
#define SUNLIGHT_SERVICES_VIDEO_VIDEO_METRICS_H_

#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "sunlight/server/metrics.h"

namespace sunlight::video {

#define SUNLIGHT_VIDEO_METRICS(COUNTER, GAUGE)                                                   \
  COUNTER(segments_indexed, "sunlight_video_segments_indexed_total",                             \
          "Segments written, made durable and indexed")                                          \
  COUNTER(segment_bytes, "sunlight_video_segment_bytes_total", "Bytes of the segments indexed")  \
  COUNTER(gaps_recorded, "sunlight_video_gaps_total", "Gaps over a second recorded")             \
  COUNTER(segments_deleted, "sunlight_video_segments_deleted_total",                             \
          "Segments deleted by retention (age, quota or free space)")                            \
  COUNTER(orphans_indexed, "sunlight_video_orphan_segments_indexed_total",                       \
          "Segment files found at start-up without an index row, probed and indexed")            \
  COUNTER(missing_segments, "sunlight_video_missing_segments_total",                             \
          "Indexed segments whose files were gone at start-up")                                  \
  COUNTER(holds_created, "sunlight_video_holds_total", "Holds created (cases, events, by hand)") \
  COUNTER(holds_refused, "sunlight_video_holds_refused_total",                                   \
          "Holds refused because holds alone reach the quota")                                   \
  COUNTER(clips_assembled, "sunlight_video_clips_assembled_total", "Clips assembled")            \
  COUNTER(conduct_events, "sunlight_video_conduct_events_total", "Conduct events detected")      \
  COUNTER(conduct_frames, "sunlight_video_conduct_frames_total",                                 \
          "Frames the people detector looked at")                                                \
  COUNTER(conduct_failures, "sunlight_video_conduct_failures_total",                             \
          "Segments the conduct rules could not read")                                           \
  GAUGE(cameras_wanted, "sunlight_video_cameras_enabled", "Cameras enabled for recording")       \
  GAUGE(cameras_recording, "sunlight_video_cameras_recording", "Cameras recording now")          \
  GAUGE(used_bytes, "sunlight_video_storage_used_bytes", "Bytes of every indexed segment")       \
  GAUGE(held_bytes, "sunlight_video_storage_held_bytes", "Bytes of the segments holds keep")     \
  GAUGE(quota_bytes, "sunlight_video_storage_quota_bytes",                                       \
        "The quota in force (configured, less what the file system lacks)")                      \
  GAUGE(holds_over_quota, "sunlight_video_holds_over_quota",                                     \
        "1 when holds alone reach the quota: new holds are refused")                             \
  GAUGE(conduct_backlog, "sunlight_video_conduct_backlog_segments",                              \
        "Finished segments waiting for the conduct rules")                                       \
  GAUGE(pending_conduct_events, "sunlight_video_conduct_events_pending",                         \
        "Conduct events waiting for an inspector")
SUNLIGHT_METRICS_STRUCT(VideoMetrics, SUNLIGHT_VIDEO_METRICS);

// From a segment's last frame to its row in the index: closing the file, fsync of file and
// folder, the index write.
struct VideoTimings {
  server::HistogramMetric segment_write;
  void Register(prometheus::Registry& registry) {
    segment_write.Register(registry, "sunlight_video_segment_write_seconds",
                           "From a segment's end to its index row (file and folder synced)",
                           server::LatencyBuckets());
  }
};

// Per camera: recording (0/1), today's coverage (0..1) and the clock drift in seconds.
class CameraMetrics {
 public:
  void Register(prometheus::Registry& registry);
  void SetRecording(const std::string& camera_id, bool recording);
  void SetCoverage(const std::string& camera_id, double ratio);
  void SetDrift(const std::string& camera_id, double seconds);

 private:
  void Set(prometheus::Family<prometheus::Gauge>* family, const std::string& camera_id,
           double value);

  std::mutex mu_;
  prometheus::Family<prometheus::Gauge>* recording_ = nullptr;  // guarded by mu_
  prometheus::Family<prometheus::Gauge>* coverage_ = nullptr;   // guarded by mu_
  prometheus::Family<prometheus::Gauge>* drift_ = nullptr;      // guarded by mu_
};

}  // namespace sunlight::video

#endif  // SUNLIGHT_SERVICES_VIDEO_VIDEO_METRICS_H_
