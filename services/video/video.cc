// The video service's start-up (options, recovery of the index against the files), its
// lifetime (recorders, the conduct worker), intake's stream (case clips) and the gauges.
#include "sunlight/video/video.h"

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/eventlog/case_event.h"
#include "sunlight/eventlog/cursor.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/storage/proto_record.h"
#include "sunlight/video/segment_reconciliation.h"
#include "video_internal.h"
#include "video_store.h"

namespace sunlight::video {

namespace iv1 = ::sunlight::intake::v1;

namespace {

// "09:00-12:00,13:30-17:30" as offsets from midnight.
absl::StatusOr<std::vector<std::pair<absl::Duration, absl::Duration>>> ParseWorkingHours(
    const std::string& text) {
  std::vector<std::pair<absl::Duration, absl::Duration>> out;
  auto clock_time = [](absl::string_view hm) -> std::optional<absl::Duration> {
    std::vector<absl::string_view> parts = absl::StrSplit(hm, ':');
    int h = 0, m = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &h) || !absl::SimpleAtoi(parts[1], &m) ||
        h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0)) {
      return std::nullopt;
    }
    return absl::Hours(h) + absl::Minutes(m);
  };
  for (absl::string_view range : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> ends = absl::StrSplit(range, '-');
    std::optional<absl::Duration> from = ends.size() == 2 ? clock_time(ends[0]) : std::nullopt;
    std::optional<absl::Duration> to = ends.size() == 2 ? clock_time(ends[1]) : std::nullopt;
    if (!from || !to || *from >= *to) {
      return absl::InvalidArgumentError(
          absl::StrCat("working_hours: \"", range, "\" is not HH:MM-HH:MM with start < end"));
    }
    out.emplace_back(*from, *to);
  }
  if (out.empty()) return absl::InvalidArgumentError("working_hours: at least one range");
  return out;
}

}  // namespace

std::vector<std::string> VideoColumnFamilies() {
  return {store::kCameras, store::kCameraSecrets, store::kSegments,      store::kSegmentOrder,
          store::kGaps,    store::kHolds,         store::kConductEvents, store::kSnapshots,
          store::kWindows, store::kMeta};
}

absl::Status ValidateVideoOptions(const VideoOptions& o) {
  if (o.recordings_dir.empty()) return absl::InvalidArgumentError("recordings_dir: required");
  if (o.retention < absl::Hours(1)) return absl::InvalidArgumentError("retention: at least 1 h");
  if (o.quota_bytes < 0) return absl::InvalidArgumentError("quota_bytes: not negative");
  if (o.segment_duration < absl::Seconds(2) || o.segment_duration > absl::Hours(1)) {
    return absl::InvalidArgumentError("segment_duration: 2 s to 1 h");
  }
  SUNLIGHT_RETURN_IF_ERROR(ValidateSamplingOptions(o.sampling));
  return ParseWorkingHours(o.working_hours).status();
}

absl::StatusOr<std::unique_ptr<Video>> Video::Open(
    storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
    const Clock* clock, std::shared_ptr<const auth::DataKey> data_key, VideoOptions options) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateVideoOptions(options));
  std::error_code error;
  // Clips are assembled afresh after a start: those of an earlier run go.
  const std::string clips = absl::StrCat(options.recordings_dir, "/.clips");
  std::filesystem::remove_all(clips, error);
  std::filesystem::create_directories(clips, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("recordings_dir ", options.recordings_dir, ": ", error.message()));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto log, eventlog::EventLog::Open(store, "video"));
  std::unique_ptr<Video> video(new Video(store, std::move(log), std::move(calendar), clock,
                                         std::move(data_key), std::move(options)));
  SUNLIGHT_RETURN_IF_ERROR(video->Recover());
  return video;
}

Video::Video(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
             std::shared_ptr<const calendar::WorkingCalendar> calendar, const Clock* clock,
             std::shared_ptr<const auth::DataKey> data_key, VideoOptions options)
    : store_(store),
      log_(std::move(log)),
      calendar_(std::move(calendar)),
      clock_(clock),
      data_key_(std::move(data_key)),
      options_(std::move(options)),
      working_hours_(*ParseWorkingHours(options_.working_hours)) {}

Video::~Video() { Stop(); }

absl::Status Video::Start() {
  {
    std::lock_guard lock(cameras_mu_);
    if (started_) return absl::OkStatus();
    started_ = true;
  }
  {
    std::lock_guard lock(conduct_mu_);
    conduct_stop_ = false;
  }
  conduct_thread_ = std::thread([this] { ConductWorker(); });
  return ReconcileRecorders();
}

void Video::Stop() {
  std::map<std::string, std::unique_ptr<RunningCamera>> running;
  {
    std::lock_guard lock(cameras_mu_);
    if (!started_) return;
    started_ = false;
    running.swap(running_);
  }
  // Outside the lock: each recorder's last reports take it.
  for (auto& [id, camera] : running) camera->recorder->Stop();
  {
    std::lock_guard lock(conduct_mu_);
    conduct_stop_ = true;
  }
  conduct_cv_.notify_all();
  if (conduct_thread_.joinable()) conduct_thread_.join();
}

std::string Video::AbsolutePath(const std::string& relative) const {
  return absl::StrCat(options_.recordings_dir, "/", relative);
}

absl::Status Video::Recover() {
  // Deletions a crash interrupted (marked, maybe unlinked): finished. Totals counted.
  std::vector<v1::Segment> marked;
  int64_t used = 0;
  SUNLIGHT_RETURN_IF_ERROR(storage::ScanProtos<v1::Segment>(
      *store_, store::kSegments, "", "", [&](auto, v1::Segment segment) {
        used += segment.bytes();  // DeleteSegment takes a marked one's bytes off
        if (segment.deleting()) marked.push_back(std::move(segment));
        return true;
      }));
  used_bytes_ = used;
  for (v1::Segment& segment : marked) SUNLIGHT_RETURN_IF_ERROR(DeleteSegment(std::move(segment)));
  SUNLIGHT_ASSIGN_OR_RETURN(std::vector<v1::Camera> cameras, LoadCameras());
  for (const v1::Camera& camera : cameras) {
    SUNLIGHT_RETURN_IF_ERROR(RecoverCamera(camera.camera_id()));
  }
  for (auto [name, counter] : {std::pair{store::kLastHold, &last_hold_},
                               std::pair{store::kLastConductEvent, &last_conduct_event_}}) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto value, store_->Get(store::kMeta, name));
    if (value.has_value() && !absl::SimpleAtoi(*value, counter)) {
      return absl::DataLossError(absl::StrCat("unreadable video_meta record ", name));
    }
  }
  return absl::OkStatus();
}

absl::Status Video::RecoverCamera(const std::string& camera_id) {
  const std::string directory = AbsolutePath(camera_id);
  absl::flat_hash_map<std::string, v1::Segment> indexed;
  SUNLIGHT_RETURN_IF_ERROR(storage::ScanProtos<v1::Segment>(
      *store_, store::kSegments, store::CameraPrefix(camera_id), store::CameraEnd(camera_id),
      [&](auto, v1::Segment segment) {
        indexed.emplace(AbsolutePath(segment.path()), std::move(segment));
        return true;
      }));
  absl::flat_hash_set<std::string> paths;
  for (const auto& [path, segment] : indexed) paths.insert(path);
  absl::StatusOr<SegmentReconciliation> found = ReconcileSegmentDirectory(directory, paths);
  if (absl::IsNotFound(found.status())) {
    // Never recorded, or the disk is not mounted: nothing is concluded about the index.
    if (!indexed.empty()) {
      LogWarning("video", absl::StrCat("camera ", camera_id, ": ", directory,
                                       " is missing; its index is kept as it is"));
    }
    return absl::OkStatus();
  }
  SUNLIGHT_RETURN_IF_ERROR(found.status());
  for (const std::string& path : found->orphans) {
    absl::StatusOr<SegmentInfo> probed = ProbeSegmentFile(path);
    if (!probed.ok()) {
      LogWarning("video", absl::StrCat("removing unreadable segment ", path, ": ",
                                       probed.status().ToString()));
      std::filesystem::remove(path);
      continue;
    }
    IndexSegment(*probed);
    metrics_.orphans_indexed.Increment();
  }
  for (const std::string& path : found->missing) {
    const v1::Segment& segment = indexed.at(path);
    storage::WriteBatch batch;
    batch.Delete(store::kSegments, store::SegmentKey(camera_id, FromProto(segment.start())));
    batch.Delete(store::kSegmentOrder,
                 store::SegmentOrderKey(FromProto(segment.start()), camera_id));
    v1::Gap gap;
    gap.set_camera_id(camera_id);
    *gap.mutable_start() = segment.start();
    *gap.mutable_end() = segment.end();
    gap.set_cause(v1::GAP_CAUSE_MISSING_FILES);
    gap.set_detail(absl::StrCat(segment.path(), " was indexed but is gone"));
    batch.Put(store::kGaps, store::SegmentKey(camera_id, FromProto(gap.start())),
              gap.SerializeAsString());
    v1::GapRecorded payload;
    *payload.mutable_gap() = gap;
    std::lock_guard lock(write_mu_);
    SUNLIGHT_RETURN_IF_ERROR(
        log_->Commit(std::move(batch),
                     {eventlog::NewEvent("video.gap.recorded", "", eventlog::ServiceActor("video"),
                                         clock_->Now(), payload)})
            .status());
    used_bytes_ -= segment.bytes();
    metrics_.missing_segments.Increment();
    LogWarning("video", gap.detail());
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Video::Cursor(const std::string& stream) const {
  return eventlog::ReadCursor(*store_, stream);
}

absl::Status Video::ApplyEvents(const std::string& stream,
                                const std::vector<events::v1::CaseEvent>& events) {
  if (stream != kIntakeStream) return absl::InvalidArgumentError("stream: not followed");
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(uint64_t cursor, Cursor(stream));
  storage::WriteBatch batch;
  std::vector<events::v1::CaseEvent> produced;
  uint64_t last = cursor;
  std::optional<std::vector<v1::Camera>> cameras;  // read once, when a batch needs them
  for (const events::v1::CaseEvent& event : events) {
    if (event.sequence() <= last) continue;
    last = event.sequence();
    std::string window_id, case_number;
    absl::Time at = FromProto(event.occurred_at());
    if (event.type() == "intake.window.upserted") {
      iv1::WindowUpserted payload;
      if (event.payload().UnpackTo(&payload)) {
        batch.Put(store::kWindows, payload.window().window_id(), payload.window().department_id());
      }
      continue;
    } else if (event.type() == "intake.case.accepted") {
      iv1::CaseAccepted payload;
      if (!event.payload().UnpackTo(&payload)) continue;
      window_id = payload.receipt().window_id();
      case_number = payload.case_number();
      at = FromProto(payload.receipt().accepted_at());
    } else if (event.type() == "intake.case.refused") {
      iv1::CaseRefused payload;
      if (!event.payload().UnpackTo(&payload)) continue;
      window_id = payload.window_id();
      case_number = payload.case_number();
    }
    if (window_id.empty()) continue;
    if (!cameras.has_value()) {
      SUNLIGHT_ASSIGN_OR_RETURN(cameras, LoadCameras());
    }
    for (const v1::Camera& camera : *cameras) {
      if (camera.window_id() != window_id) continue;
      v1::Hold hold;
      hold.set_camera_id(camera.camera_id());
      *hold.mutable_start() = ToProto(at - options_.case_clip_before);
      *hold.mutable_end() = ToProto(at + options_.case_clip_after);
      hold.set_kind(kHoldCase);
      hold.set_case_id(event.case_id());
      hold.set_case_number(case_number);
      hold.set_reason(absl::StrCat(event.type() == "intake.case.accepted" ? "受理" : "不予受理",
                                   " ", case_number, " @ ", window_id));
      absl::StatusOr<v1::Hold> held =
          StageHold(batch, produced, std::move(hold), eventlog::ServiceActor("video"));
      if (absl::IsResourceExhausted(held.status())) {
        LogError("video", absl::StrCat("case ", event.case_id(),
                                       ": clip not held: ", held.status().message()));
        continue;
      }
      SUNLIGHT_RETURN_IF_ERROR(held.status());
    }
  }
  if (last == cursor) return absl::OkStatus();
  eventlog::PutCursor(batch, stream, last);
  return log_->Commit(std::move(batch), std::move(produced)).status();
}

absl::Status Video::RefreshMetrics() {
  SUNLIGHT_ASSIGN_OR_RETURN(std::vector<v1::Camera> cameras, LoadCameras());
  int wanted = 0, recording = 0;
  for (const v1::Camera& camera : cameras) {
    wanted += camera.enabled() ? 1 : 0;
    v1::CameraStatus status = StatusOf(camera.camera_id());
    bool is_recording = status.state() == v1::CAMERA_STATE_RECORDING;
    recording += is_recording ? 1 : 0;
    camera_metrics_.SetRecording(camera.camera_id(), is_recording);
    camera_metrics_.SetDrift(camera.camera_id(), status.drift_seconds());
    v1::GetCoverageRequest today;
    today.set_camera_id(camera.camera_id());
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Coverage coverage, GetCoverage(today));
    camera_metrics_.SetCoverage(camera.camera_id(), coverage.ratio());
  }
  metrics_.cameras_wanted.Set(wanted);
  metrics_.cameras_recording.Set(recording);
  metrics_.used_bytes.Set(static_cast<double>(used_bytes_.load()));
  metrics_.held_bytes.Set(static_cast<double>(held_bytes_.load()));
  metrics_.quota_bytes.Set(static_cast<double>(EffectiveQuota()));
  metrics_.holds_over_quota.Set(holds_over_quota_.load() ? 1 : 0);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- conversions

v1::Segment ToSegmentProto(const SegmentInfo& info, const std::string& root) {
  v1::Segment s;
  s.set_camera_id(info.camera_id);
  *s.mutable_start() = ToProto(info.start);
  *s.mutable_end() = ToProto(info.end);
  s.set_bytes(info.bytes);
  std::string path = info.path;
  if (path.rfind(root + "/", 0) == 0) path.erase(0, root.size() + 1);
  s.set_path(path);
  s.set_frame_count(info.frame_count);
  for (const KeyframeEntry& k : info.keyframes) {
    v1::Keyframe* keyframe = s.add_keyframes();
    keyframe->set_at_ms(absl::ToInt64Milliseconds(k.at));
    keyframe->set_fragment_offset(k.fragment_offset);
  }
  return s;
}

SegmentInfo FromSegmentProto(const v1::Segment& s, const std::string& root) {
  SegmentInfo info;
  info.camera_id = s.camera_id();
  info.start = FromProto(s.start());
  info.end = FromProto(s.end());
  info.bytes = s.bytes();
  info.path = absl::StrCat(root, "/", s.path());
  info.frame_count = s.frame_count();
  info.keyframe_count = s.keyframes_size();
  for (const v1::Keyframe& k : s.keyframes()) {
    info.keyframes.push_back({absl::Milliseconds(k.at_ms()), k.fragment_offset()});
  }
  return info;
}

v1::GapCause ToGapCause(GapCause cause) {
  switch (cause) {
    case GapCause::kCameraOffline:
      return v1::GAP_CAUSE_CAMERA_OFFLINE;
    case GapCause::kNetwork:
      return v1::GAP_CAUSE_NETWORK;
    case GapCause::kStorage:
      return v1::GAP_CAUSE_STORAGE;
    case GapCause::kRestart:
      return v1::GAP_CAUSE_RESTART;
  }
  return v1::GAP_CAUSE_UNSPECIFIED;
}

v1::CameraState ToCameraState(CameraState state) {
  switch (state) {
    case CameraState::kConnecting:
      return v1::CAMERA_STATE_CONNECTING;
    case CameraState::kRecording:
      return v1::CAMERA_STATE_RECORDING;
    case CameraState::kCameraOffline:
      return v1::CAMERA_STATE_OFFLINE;
    case CameraState::kNetworkError:
      return v1::CAMERA_STATE_NETWORK_ERROR;
    case CameraState::kBadStream:
      return v1::CAMERA_STATE_BAD_STREAM;
    case CameraState::kStorageError:
      return v1::CAMERA_STATE_STORAGE_ERROR;
    case CameraState::kStopped:
      return v1::CAMERA_STATE_STOPPED;
  }
  return v1::CAMERA_STATE_UNSPECIFIED;
}

v1::ConductRule ToConductRule(ConductRule rule) {
  return rule == ConductRule::kCrowding ? v1::CONDUCT_RULE_CROWDING
                                        : v1::CONDUCT_RULE_ABSENT_FROM_POST;
}

ConductZone FromZoneProto(const v1::Zone& zone) {
  ConductZone z;
  z.id = zone.zone_id();
  z.kind = zone.kind() == v1::ZONE_KIND_QUEUE ? ZoneKind::kQueue : ZoneKind::kStaff;
  for (const v1::Point& p : zone.polygon()) z.polygon.push_back({p.x(), p.y()});
  z.hold = absl::Seconds(zone.hold_seconds());
  z.min_people = static_cast<int>(zone.min_people());
  return z;
}

// ---------------------------------------------------------------- per-camera gauges

void CameraMetrics::Register(prometheus::Registry& registry) {
  std::lock_guard lock(mu_);
  recording_ = &prometheus::BuildGauge()
                    .Name("sunlight_video_camera_recording")
                    .Help("1 while the camera is recording")
                    .Register(registry);
  coverage_ = &prometheus::BuildGauge()
                   .Name("sunlight_video_camera_coverage_ratio")
                   .Help("Part of today so far the camera's segments cover")
                   .Register(registry);
  drift_ = &prometheus::BuildGauge()
                .Name("sunlight_video_camera_drift_seconds")
                .Help("The camera's RTP clock against the server's, current connection")
                .Register(registry);
}

void CameraMetrics::Set(prometheus::Family<prometheus::Gauge>* family, const std::string& camera_id,
                        double value) {
  std::lock_guard lock(mu_);
  if (family != nullptr) family->Add({{"camera", camera_id}}).Set(value);
}
void CameraMetrics::SetRecording(const std::string& camera_id, bool recording) {
  Set(recording_, camera_id, recording ? 1 : 0);
}
void CameraMetrics::SetCoverage(const std::string& camera_id, double ratio) {
  Set(coverage_, camera_id, ratio);
}
void CameraMetrics::SetDrift(const std::string& camera_id, double seconds) {
  Set(drift_, camera_id, seconds);
}

}  // namespace sunlight::video
