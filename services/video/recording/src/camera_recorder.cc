#include "sunlight/video/camera_recorder.h"

#include <algorithm>
#include <chrono>

#include "src/av_status.h"

namespace sunlight::video {

const char* GapCauseName(GapCause cause) {
  switch (cause) {
    case GapCause::kCameraOffline:
      return "camera_offline";
    case GapCause::kNetwork:
      return "network";
    case GapCause::kStorage:
      return "storage";
    case GapCause::kRestart:
      return "restart";
  }
  return "unknown";
}

const char* CameraStateName(CameraState state) {
  switch (state) {
    case CameraState::kConnecting:
      return "connecting";
    case CameraState::kRecording:
      return "recording";
    case CameraState::kCameraOffline:
      return "camera_offline";
    case CameraState::kNetworkError:
      return "network_error";
    case CameraState::kBadStream:
      return "bad_stream";
    case CameraState::kStorageError:
      return "storage_error";
    case CameraState::kStopped:
      return "stopped";
  }
  return "unknown";
}

CameraRecorder::CameraRecorder(CameraRecorderOptions options, const Clock& clock,
                               RecordingObserver& observer)
    : options_(std::move(options)),
      clock_(clock),
      observer_(observer),
      random_(std::random_device{}()) {
  if (options_.previous_end.has_value()) {
    gap_ = OpenGap{*options_.previous_end, GapCause::kRestart, "the recorder was not running"};
    last_end_ = options_.previous_end;
  }
}

CameraRecorder::~CameraRecorder() { Stop(); }

absl::Status CameraRecorder::Start() {
  if (absl::Status valid = ValidateCameraId(options_.camera_id); !valid.ok()) return valid;
  if (thread_.joinable()) return absl::FailedPreconditionError("the recorder is running");
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void CameraRecorder::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CameraRecorder::SetState(CameraState state, const std::string& detail) {
  if (state == state_ && detail == state_detail_) return;  // retries of the same failure
  state_ = state;
  state_detail_ = detail;
  observer_.OnState(state, detail);
}

void CameraRecorder::Fail(GapCause cause, CameraState state, const absl::Status& status) {
  if (!gap_.has_value()) {
    gap_ = OpenGap{last_end_.value_or(clock_.Now()), cause, std::string(status.message())};
  }
  SetState(state, std::string(status.message()));
}

void CameraRecorder::Resume() {
  retries_ = 0;
  SetState(CameraState::kRecording, "");
}

void CameraRecorder::OnSegment(const SegmentInfo& segment) {
  if (gap_.has_value()) {
    observer_.OnGap({.camera_id = options_.camera_id,
                     .start = std::min(gap_->start, segment.start),
                     .end = segment.start,
                     .cause = gap_->cause,
                     .detail = gap_->detail});
    gap_.reset();
  }
  last_end_ = segment.end;
  observer_.OnSegment(segment);
}

absl::Duration CameraRecorder::NextBackoff() {
  absl::Duration base = options_.backoff_initial;
  for (int i = 0; i < retries_ && base < options_.backoff_max; ++i) base *= 2;
  base = std::min(base, options_.backoff_max);
  ++retries_;
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return base * jitter(random_);
}

bool CameraRecorder::WaitBackoff() {
  auto wait = std::chrono::nanoseconds(absl::ToInt64Nanoseconds(NextBackoff()));
  std::unique_lock<std::mutex> lock(mu_);
  return !wake_.wait_for(lock, wait, [this] { return stop_.load(); });
}

absl::Status CameraRecorder::RecordConnection(RtspSource& source, SegmentWriter& writer) {
  PacketPtr packet = NewPacket();
  bool storage_failed = false;
  auto retry_at = std::chrono::steady_clock::now();
  while (true) {
    if (absl::Status read = source.Read(packet.get()); !read.ok()) return read;
    if (storage_failed && std::chrono::steady_clock::now() < retry_at) continue;
    absl::Status written = writer.Write(*packet);
    drift_seconds_.store(writer.drift_seconds(), std::memory_order_relaxed);
    if (!written.ok()) {
      Fail(GapCause::kStorage, CameraState::kStorageError, written);
      storage_failed = true;
      retry_at = std::chrono::steady_clock::now() +
                 std::chrono::nanoseconds(absl::ToInt64Nanoseconds(NextBackoff()));
      continue;
    }
    if (writer.segment_open() && state_ != CameraState::kRecording) {
      storage_failed = false;
      Resume();
    }
  }
}

void CameraRecorder::Run() {
  SegmentWriter writer({.camera_id = options_.camera_id,
                        .directory = options_.directory,
                        .segment_duration = options_.segment_duration,
                        .fragment_duration = options_.fragment_duration},
                       clock_, [this](const SegmentInfo& segment) { OnSegment(segment); });
  SetState(CameraState::kConnecting, UrlWithoutCredentials(options_.url));
  while (!stop_) {
    auto source = RtspSource::Open({.url = options_.url,
                                    .connect_timeout = options_.connect_timeout,
                                    .read_timeout = options_.read_timeout},
                                   &stop_);
    absl::Status ended = source.status();
    if (ended.ok()) {
      ended = writer.Begin((*source)->codec_parameters(), (*source)->time_base());
      if (ended.ok()) {
        ended = RecordConnection(**source, writer);
        absl::Status closed = writer.Close();  // before Fail: the gap starts at its end
        if (!stop_) {
          // It was streaming: a stall is the network's, anything else the camera's.
          if (absl::IsDeadlineExceeded(ended)) {
            Fail(GapCause::kNetwork, CameraState::kNetworkError, ended);
          } else {
            Fail(GapCause::kCameraOffline, CameraState::kCameraOffline, ended);
          }
        }
        if (!closed.ok()) Fail(GapCause::kStorage, CameraState::kStorageError, closed);
        source->reset();  // TEARDOWN: after the state, which must not wait for it
        if (stop_) break;
        if (!WaitBackoff()) break;
        continue;
      }
    }
    if (stop_ || absl::IsCancelled(ended)) break;
    Fail(GapCause::kCameraOffline,
         absl::IsInvalidArgument(ended) ? CameraState::kBadStream : CameraState::kCameraOffline,
         ended);
    if (!WaitBackoff()) break;
  }
  if (absl::Status closed = writer.Close(); !closed.ok()) {
    Fail(GapCause::kStorage, CameraState::kStorageError, closed);
  }
  if (gap_.has_value()) {
    observer_.OnGap({.camera_id = options_.camera_id,
                     .start = gap_->start,
                     .end = std::max(gap_->start, clock_.Now()),
                     .cause = gap_->cause,
                     .detail = gap_->detail});
    gap_.reset();
  }
  SetState(CameraState::kStopped, "");
}

}  // namespace sunlight::video
