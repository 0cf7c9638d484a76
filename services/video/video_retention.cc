// Holds and retention: ranges of a camera kept whatever the age or the quota (a case's
// acceptance, a conduct event, an investigation), and the deletion of segments by age, by the
// quota and by the file system's free space, oldest first, never a held one. Deleting is
// crash-safe: the row is marked, the file unlinked, then the rows forgotten; start-up finishes
// a deletion a crash interrupted.
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <set>

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

constexpr absl::Duration kLongestHold = absl::Hours(24);

}  // namespace

absl::StatusOr<v1::Hold> Video::StageHold(storage::WriteBatch& batch,
                                          std::vector<events::v1::CaseEvent>& events, v1::Hold hold,
                                          const common::v1::Actor& actor) {
  if (holds_over_quota_.load()) {
    metrics_.holds_refused.Increment();
    return absl::ResourceExhaustedError(
        "holds alone fill the recording quota: release holds or raise the quota first");
  }
  hold.set_hold_id(store::NumberedId("h", ++last_hold_));
  *hold.mutable_created_at() = ToProto(clock_->Now());
  *hold.mutable_created_by() = actor;
  batch.Put(store::kHolds, hold.hold_id(), hold.SerializeAsString());
  batch.Put(store::kMeta, store::kLastHold, absl::StrCat(last_hold_));
  v1::HoldChanged payload;
  *payload.mutable_hold() = hold;
  events.push_back(
      eventlog::NewEvent("video.hold.created", hold.case_id(), actor, clock_->Now(), payload));
  metrics_.holds_created.Increment();
  return hold;
}

absl::StatusOr<v1::Hold> Video::CreateHold(const v1::CreateHoldRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.camera_id(), "camera_id", 64));
  if (request.start().seconds() <= 0) return InvalidField("start", "required");
  if (request.end().seconds() <= 0) return InvalidField("end", "required");
  const absl::Time start = FromProto(request.start()), end = FromProto(request.end());
  if (end <= start) return InvalidField("end", "after start");
  if (end - start > kLongestHold) return InvalidField("end", "at most 24 hours after start");
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.reason(), "reason", 500, true));
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.case_id(), "case_id", 64, false));
  SUNLIGHT_ASSIGN_OR_RETURN(std::optional<v1::Camera> camera, LoadCamera(request.camera_id()));
  if (!camera.has_value())
    return absl::NotFoundError(absl::StrCat("no camera ", request.camera_id()));
  v1::Hold hold;
  hold.set_camera_id(request.camera_id());
  *hold.mutable_start() = request.start();
  *hold.mutable_end() = request.end();
  hold.set_kind(kHoldInvestigation);
  hold.set_case_id(request.case_id());
  hold.set_reason(request.reason());
  std::lock_guard lock(write_mu_);
  storage::WriteBatch batch;
  std::vector<events::v1::CaseEvent> events;
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Hold held,
                            StageHold(batch, events, std::move(hold), request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(batch), std::move(events)).status());
  return held;
}

absl::StatusOr<v1::Hold> Video::ReleaseHold(const v1::ReleaseHoldRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.hold_id(), "hold_id", 64));
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.reason(), "reason", 500, true));
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(
      std::optional<v1::Hold> hold,
      storage::LoadProto<v1::Hold>(*store_, store::kHolds, request.hold_id()));
  if (!hold.has_value()) return absl::NotFoundError(absl::StrCat("no hold ", request.hold_id()));
  if (hold->has_released_at()) {
    return absl::FailedPreconditionError(absl::StrCat("hold ", hold->hold_id(), " was released"));
  }
  *hold->mutable_released_at() = ToProto(clock_->Now());
  *hold->mutable_released_by() = request.actor();
  hold->set_reason(absl::StrCat(hold->reason(), "; released: ", request.reason()));
  storage::WriteBatch batch;
  batch.Put(store::kHolds, hold->hold_id(), hold->SerializeAsString());
  v1::HoldChanged payload;
  *payload.mutable_hold() = *hold;
  SUNLIGHT_RETURN_IF_ERROR(
      log_->Commit(std::move(batch), {eventlog::NewEvent("video.hold.released", hold->case_id(),
                                                         request.actor(), clock_->Now(), payload)})
          .status());
  return *std::move(hold);
}

absl::StatusOr<v1::ListHoldsResponse> Video::ListHolds(const v1::ListHoldsRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.camera_id(), "camera_id", 64, false));
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.case_id(), "case_id", 64, false));
  v1::ListHoldsResponse response;
  SUNLIGHT_RETURN_IF_ERROR(
      storage::ScanProtos<v1::Hold>(*store_, store::kHolds, "", "", [&](auto, v1::Hold hold) {
        if ((request.camera_id().empty() || hold.camera_id() == request.camera_id()) &&
            (request.case_id().empty() || hold.case_id() == request.case_id()) &&
            (request.include_released() || !hold.has_released_at())) {
          *response.add_holds() = std::move(hold);
        }
        return true;
      }));
  return response;
}

absl::StatusOr<std::vector<v1::Hold>> Video::ActiveHolds() const {
  v1::ListHoldsResponse all;
  SUNLIGHT_ASSIGN_OR_RETURN(all, ListHolds(v1::ListHoldsRequest()));
  return std::vector<v1::Hold>(all.holds().begin(), all.holds().end());
}

int64_t Video::EffectiveQuota() const {
  int64_t quota =
      options_.quota_bytes > 0 ? options_.quota_bytes : std::numeric_limits<int64_t>::max();
  struct statvfs fs;
  if (statvfs(options_.recordings_dir.c_str(), &fs) == 0) {
    const int64_t free_bytes =
        static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
    quota = std::min(quota, used_bytes_.load() + free_bytes - options_.min_free_bytes);
  }
  return std::max<int64_t>(quota, 0);
}

absl::Status Video::DeleteSegment(v1::Segment segment) {
  const absl::Time start = FromProto(segment.start());
  if (!segment.deleting()) {
    segment.set_deleting(true);
    storage::WriteBatch mark;
    mark.Put(store::kSegments, store::SegmentKey(segment.camera_id(), start),
             segment.SerializeAsString());
    SUNLIGHT_RETURN_IF_ERROR(store_->Write(mark));
  }
  const std::string path = AbsolutePath(segment.path());
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::InternalError(absl::StrCat("unlink ", path, ": ", std::strerror(errno)));
  }
  storage::WriteBatch forget;
  forget.Delete(store::kSegments, store::SegmentKey(segment.camera_id(), start));
  forget.Delete(store::kSegmentOrder, store::SegmentOrderKey(start, segment.camera_id()));
  SUNLIGHT_RETURN_IF_ERROR(store_->Write(forget));
  used_bytes_ -= segment.bytes();
  metrics_.segments_deleted.Increment();
  return absl::OkStatus();
}

absl::StatusOr<size_t> Video::EnforceRetention() {
  std::unique_lock pass(retention_mu_, std::try_to_lock);
  if (!pass.owns_lock()) return 0;  // a pass is under way; it sees the same
  SUNLIGHT_ASSIGN_OR_RETURN(std::vector<v1::Hold> holds, ActiveHolds());
  const absl::Time cutoff = clock_->Now() - options_.retention;

  // What the holds keep, counted once per segment.
  std::set<std::pair<std::string, int64_t>> held;
  int64_t held_bytes = 0;
  for (const v1::Hold& hold : holds) {
    SUNLIGHT_ASSIGN_OR_RETURN(
        std::vector<v1::Segment> kept,
        SegmentsOverlapping(hold.camera_id(), FromProto(hold.start()), FromProto(hold.end())));
    for (const v1::Segment& segment : kept) {
      if (held.emplace(segment.camera_id(), store::Micros(FromProto(segment.start()))).second) {
        held_bytes += segment.bytes();
      }
    }
  }
  held_bytes_ = held_bytes;
  const int64_t quota = EffectiveQuota();
  holds_over_quota_ = held_bytes >= quota;

  // Oldest first across cameras; a camera's newest segment stays (its recording continues).
  std::map<std::string, int64_t> newest;  // camera -> start of its newest segment
  std::vector<v1::Segment> due;
  int64_t would_use = used_bytes_.load();
  absl::Status failed = absl::OkStatus();
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kSegmentOrder, "", "", [&](auto key, auto) {
    auto decoded = store::DecodeSegmentOrderKey(key);
    if (!decoded.has_value()) return true;
    auto [start_us, camera_id] = *decoded;
    const absl::Time start = absl::FromUnixMicros(start_us);
    if (start >= cutoff && would_use <= quota) return false;  // nothing newer is due
    if (held.contains({camera_id, start_us})) return true;
    auto last = newest.find(camera_id);
    if (last == newest.end()) {
      int64_t newest_start = INT64_MAX;
      absl::Status scanned = store_->Scan(
          store::kSegments, store::CameraPrefix(camera_id), store::CameraEnd(camera_id),
          [&](auto segment_key, auto) {
            if (auto at = store::DecodeCameraTime(segment_key)) newest_start = std::get<1>(*at);
            return false;
          },
          /*reverse=*/true);
      if (!scanned.ok()) {
        failed = scanned;
        return false;
      }
      last = newest.emplace(camera_id, newest_start).first;
    }
    if (last->second == start_us) return true;
    auto segment = storage::LoadProto<v1::Segment>(*store_, store::kSegments,
                                                   store::SegmentKey(camera_id, start));
    if (!segment.ok()) {
      failed = segment.status();
      return false;
    }
    if (!segment->has_value()) return true;
    if (FromProto((*segment)->end()) <= cutoff || would_use > quota) {
      would_use -= (*segment)->bytes();
      due.push_back(**std::move(segment));
    }
    return true;
  }));
  SUNLIGHT_RETURN_IF_ERROR(failed);

  size_t deleted = 0;
  // Only this pass deletes (retention_mu_), so what it read is still as it was.
  for (v1::Segment& segment : due) {
    SUNLIGHT_RETURN_IF_ERROR(DeleteSegment(std::move(segment)));
    ++deleted;
  }
  if (would_use > quota) {
    LogWarning("video", absl::StrCat("recordings use ", would_use, " bytes against a quota of ",
                                     quota, ": what is left is held or each camera's newest"));
  }
  return deleted;
}

absl::StatusOr<v1::Storage> Video::GetStorage(const v1::GetStorageRequest&) const {
  v1::Storage storage;
  storage.set_used_bytes(used_bytes_.load());
  storage.set_held_bytes(held_bytes_.load());
  storage.set_quota_bytes(EffectiveQuota());
  storage.set_retention_days(static_cast<uint32_t>(absl::ToInt64Hours(options_.retention) / 24));
  storage.set_holds_over_quota(holds_over_quota_.load());
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kSegmentOrder, "", "", [&](auto key, auto) {
    if (auto decoded = store::DecodeSegmentOrderKey(key); decoded.has_value()) {
      *storage.mutable_oldest_segment() = ToProto(absl::FromUnixMicros(std::get<0>(*decoded)));
    }
    return false;
  }));
  return storage;
}

}  // namespace sunlight::video
