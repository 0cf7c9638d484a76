// The segment index: what the recorders report (segments once durable, gaps once ended, the
// camera's state), and the reads over it: segments and gaps of a range, coverage of a day.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/eventlog/case_event.h"
#include "sunlight/storage/proto_record.h"
#include "video_internal.h"
#include "video_store.h"

namespace sunlight::video {

namespace {

constexpr uint32_t kMaxSegmentsListed = 1440;

absl::Status ValidateRange(const google::protobuf::Timestamp& from,
                           const google::protobuf::Timestamp& to) {
  if (!from.IsInitialized() || from.seconds() <= 0) return InvalidField("from", "required");
  if (to.seconds() <= 0) return InvalidField("to", "required");
  if (FromProto(to) <= FromProto(from)) return InvalidField("to", "after from");
  if (FromProto(to) - FromProto(from) > absl::Hours(24 * 31)) {
    return InvalidField("to", "at most 31 days after from");
  }
  return absl::OkStatus();
}

}  // namespace

void Video::IndexSegment(const SegmentInfo& info) {
  v1::Segment segment = ToSegmentProto(info, options_.recordings_dir);
  storage::WriteBatch batch;
  batch.Put(store::kSegments, store::SegmentKey(info.camera_id, info.start),
            segment.SerializeAsString());
  batch.Put(store::kSegmentOrder, store::SegmentOrderKey(info.start, info.camera_id), "");
  if (absl::Status written = store_->Write(batch); !written.ok()) {
    // The file stays: the next start-up's reconciliation indexes it.
    LogError("video", absl::StrCat("segment ", info.path, " not indexed: ", written.ToString()));
    return;
  }
  used_bytes_ += info.bytes;
  timings_.segment_write.Observe(std::max(0.0, absl::ToDoubleSeconds(clock_->Now() - info.end)));
  metrics_.segments_indexed.Increment();
  metrics_.segment_bytes.Increment(static_cast<double>(info.bytes));
  {
    std::lock_guard lock(cameras_mu_);
    v1::CameraStatus& status = status_[info.camera_id];
    if (!status.has_recorded_until() || FromProto(status.recorded_until()) < info.end) {
      *status.mutable_recorded_until() = ToProto(info.end);
    }
  }
  // Over the quota (or short of free space): make room now rather than at the next pass.
  if (used_bytes_.load() > EffectiveQuota()) {
    if (auto deleted = EnforceRetention(); !deleted.ok()) {
      LogError("video", absl::StrCat("retention: ", deleted.status().ToString()));
    }
  }
}

void Video::IndexGap(const RecordingGap& recorded) {
  if (recorded.end - recorded.start <= absl::Seconds(1)) return;
  v1::Gap gap;
  gap.set_camera_id(recorded.camera_id);
  *gap.mutable_start() = ToProto(recorded.start);
  *gap.mutable_end() = ToProto(recorded.end);
  gap.set_cause(ToGapCause(recorded.cause));
  gap.set_detail(recorded.detail);
  storage::WriteBatch batch;
  batch.Put(store::kGaps, store::SegmentKey(gap.camera_id(), recorded.start),
            gap.SerializeAsString());
  v1::GapRecorded payload;
  *payload.mutable_gap() = gap;
  auto committed =
      log_->Commit(std::move(batch),
                   {eventlog::NewEvent("video.gap.recorded", "", eventlog::ServiceActor("video"),
                                       clock_->Now(), payload)});
  if (!committed.ok()) {
    LogError("video", absl::StrCat("gap of ", gap.camera_id(),
                                   " not recorded: ", committed.status().ToString()));
    return;
  }
  metrics_.gaps_recorded.Increment();
}

absl::StatusOr<std::optional<absl::Time>> Video::LastSegmentEnd(
    const std::string& camera_id) const {
  std::optional<absl::Time> end;
  SUNLIGHT_RETURN_IF_ERROR(storage::ScanProtos<v1::Segment>(
      *store_, store::kSegments, store::CameraPrefix(camera_id), store::CameraEnd(camera_id),
      [&](auto, v1::Segment segment) {
        end = FromProto(segment.end());
        return false;
      },
      /*reverse=*/true));
  return end;
}

absl::StatusOr<std::vector<v1::Segment>> Video::SegmentsOverlapping(const std::string& camera_id,
                                                                    absl::Time from,
                                                                    absl::Time to) const {
  // A segment that overlaps `from` started at most this long before it.
  const absl::Duration longest = std::max(2 * options_.segment_duration, absl::Minutes(10));
  std::vector<v1::Segment> out;
  SUNLIGHT_RETURN_IF_ERROR(storage::ScanProtos<v1::Segment>(
      *store_, store::kSegments, store::CameraFrom(camera_id, from - longest),
      store::CameraFrom(camera_id, to), [&](auto, v1::Segment segment) {
        if (FromProto(segment.end()) > from && !segment.deleting()) {
          out.push_back(std::move(segment));
        }
        return true;
      }));
  return out;
}

absl::StatusOr<std::vector<v1::Gap>> Video::GapsOverlapping(const std::string& camera_id,
                                                            absl::Time from, absl::Time to) const {
  std::vector<v1::Gap> out;
  // A gap can be long (a camera off for a week), so the scan goes back from `to` through the
  // camera's gaps; they do not overlap each other, so the first that ends by `from` ends it.
  SUNLIGHT_RETURN_IF_ERROR(storage::ScanProtos<v1::Gap>(
      *store_, store::kGaps, store::CameraPrefix(camera_id), store::CameraFrom(camera_id, to),
      [&](auto, v1::Gap gap) {
        if (FromProto(gap.end()) <= from) return false;
        out.push_back(std::move(gap));
        return true;
      },
      /*reverse=*/true));
  std::reverse(out.begin(), out.end());
  return out;
}

absl::StatusOr<v1::ListSegmentsResponse> Video::ListSegments(
    const v1::ListSegmentsRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.camera_id(), "camera_id", 64));
  SUNLIGHT_RETURN_IF_ERROR(ValidateRange(request.from(), request.to()));
  uint32_t limit =
      request.limit() == 0 ? kMaxSegmentsListed : std::min(request.limit(), kMaxSegmentsListed);
  SUNLIGHT_ASSIGN_OR_RETURN(
      std::vector<v1::Segment> segments,
      SegmentsOverlapping(request.camera_id(), FromProto(request.from()), FromProto(request.to())));
  v1::ListSegmentsResponse response;
  for (v1::Segment& segment : segments) {
    if (static_cast<uint32_t>(response.segments_size()) >= limit) break;
    *response.add_segments() = std::move(segment);
  }
  return response;
}

absl::StatusOr<v1::ListGapsResponse> Video::ListGaps(const v1::ListGapsRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.camera_id(), "camera_id", 64));
  SUNLIGHT_RETURN_IF_ERROR(ValidateRange(request.from(), request.to()));
  SUNLIGHT_ASSIGN_OR_RETURN(
      std::vector<v1::Gap> gaps,
      GapsOverlapping(request.camera_id(), FromProto(request.from()), FromProto(request.to())));
  v1::ListGapsResponse response;
  for (v1::Gap& gap : gaps) *response.add_gaps() = std::move(gap);
  return response;
}

absl::StatusOr<v1::Coverage> Video::GetCoverage(const v1::GetCoverageRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.camera_id(), "camera_id", 64));
  const absl::TimeZone zone = calendar_ ? calendar_->time_zone() : absl::UTCTimeZone();
  const absl::Time now = clock_->Now();
  absl::CivilDay day = absl::ToCivilDay(now, zone);
  if (!request.day().empty() && !absl::ParseCivilTime(request.day(), &day)) {
    return InvalidField("day", "YYYY-MM-DD");
  }
  const absl::Time day_start = absl::FromCivil(day, zone);
  const absl::Time day_end = absl::FromCivil(day + 1, zone);
  const absl::Time until = std::clamp(now, day_start, day_end);
  SUNLIGHT_ASSIGN_OR_RETURN(std::vector<v1::Segment> segments,
                            SegmentsOverlapping(request.camera_id(), day_start, day_end));
  v1::Coverage coverage;
  coverage.set_camera_id(request.camera_id());
  coverage.set_day(absl::FormatCivilTime(day));
  absl::Duration recorded;
  absl::Time covered_to = day_start;  // segments are in order; overlaps are counted once
  for (const v1::Segment& segment : segments) {
    absl::Time start = std::max({FromProto(segment.start()), covered_to, day_start});
    absl::Time end = std::min(FromProto(segment.end()), until);
    if (end > start) recorded += end - start;
    covered_to = std::max(covered_to, end);
    if (FromProto(segment.start()) < day_end) {
      coverage.set_segments(coverage.segments() + 1);
      coverage.set_bytes(coverage.bytes() + segment.bytes());
    }
  }
  const absl::Duration elapsed = until - day_start;
  coverage.set_recorded_seconds(absl::ToDoubleSeconds(recorded));
  coverage.set_elapsed_seconds(absl::ToDoubleSeconds(elapsed));
  coverage.set_ratio(
      elapsed > absl::ZeroDuration() ? std::min(1.0, absl::FDivDuration(recorded, elapsed)) : 0);
  SUNLIGHT_ASSIGN_OR_RETURN(std::vector<v1::Gap> gaps,
                            GapsOverlapping(request.camera_id(), day_start, day_end));
  for (v1::Gap& gap : gaps) *coverage.add_gaps() = std::move(gap);
  return coverage;
}

}  // namespace sunlight::video
