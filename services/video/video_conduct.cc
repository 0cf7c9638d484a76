// Conduct events: every finished segment of a camera with zones is sampled (a few frames a
// second, no second connection to the camera), its people found, and the camera's rules
// (absent from post, crowding) run over them. What opens or closes is stored with a snapshot
// and a hold of its clip, in one write with the camera's progress, and waits for an inspector:
// only a confirmed event counts (scoring follows the "video" stream for that).
#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/eventlog/case_event.h"
#include "sunlight/storage/proto_record.h"
#include "sunlight/video/conduct_snapshot.h"
#include "video_internal.h"
#include "video_store.h"

namespace sunlight::video {

namespace {

constexpr uint32_t kMaxEventsListed = 500;
constexpr absl::Duration kClipBefore = absl::Minutes(1);
constexpr absl::Duration kClipAfter = absl::Minutes(1);

// The zones as the engine was made from them: a change makes a new engine.
std::string ZonesDigest(const v1::Camera& camera) {
  std::string digest;
  for (const v1::Zone& zone : camera.zones()) absl::StrAppend(&digest, zone.SerializeAsString());
  return digest;
}

}  // namespace

bool Video::InWorkingHours(absl::Time at) const {
  const absl::TimeZone zone = calendar_ ? calendar_->time_zone() : absl::UTCTimeZone();
  const absl::CivilSecond local = absl::ToCivilSecond(at, zone);
  if (calendar_) {
    absl::StatusOr<calendar::DayKind> kind = calendar_->Classify(absl::CivilDay(local));
    if (!kind.ok() || !calendar::IsWorkingDay(*kind)) return false;
  }
  const absl::Duration since_midnight =
      absl::Hours(local.hour()) + absl::Minutes(local.minute()) + absl::Seconds(local.second());
  for (const auto& [from, to] : working_hours_) {
    if (since_midnight >= from && since_midnight < to) return true;
  }
  return false;
}

void Video::QueueConduct(const SegmentInfo& segment) {
  absl::StatusOr<std::optional<v1::Camera>> camera = LoadCamera(segment.camera_id);
  if (!camera.ok() || !camera->has_value() || (*camera)->zones().empty()) return;
  {
    std::lock_guard lock(conduct_mu_);
    conduct_queue_.push_back(segment);
    metrics_.conduct_backlog.Set(static_cast<double>(conduct_queue_.size()));
  }
  conduct_cv_.notify_all();
}

void Video::ConductWorker() {
  std::unique_lock lock(conduct_mu_);
  while (true) {
    conduct_cv_.wait(lock, [&] { return conduct_stop_ || !conduct_queue_.empty(); });
    if (conduct_stop_) break;
    SegmentInfo segment = std::move(conduct_queue_.front());
    conduct_queue_.pop_front();
    conduct_busy_ = true;
    metrics_.conduct_backlog.Set(static_cast<double>(conduct_queue_.size()));
    lock.unlock();
    if (absl::Status detected = DetectConduct(ToSegmentProto(segment, options_.recordings_dir));
        !detected.ok()) {
      metrics_.conduct_failures.Increment();
      LogError("video",
               absl::StrCat("conduct rules over ", segment.path, ": ", detected.ToString()));
    }
    lock.lock();
    conduct_busy_ = false;
    conduct_cv_.notify_all();
  }
  conduct_busy_ = false;
  conduct_cv_.notify_all();
}

void Video::WaitForConductWorker() {
  std::unique_lock lock(conduct_mu_);
  conduct_cv_.wait(lock,
                   [&] { return conduct_stop_ || (conduct_queue_.empty() && !conduct_busy_); });
}

absl::Status Video::DetectConduct(const v1::Segment& segment) {
  SUNLIGHT_ASSIGN_OR_RETURN(std::optional<v1::Camera> camera, LoadCamera(segment.camera_id()));
  if (!camera.has_value() || camera->zones().empty()) return absl::OkStatus();
  std::lock_guard detecting(detect_mu_);
  if (detector_ == nullptr) {
    SUNLIGHT_ASSIGN_OR_RETURN(detector_, options_.detector_factory
                                             ? options_.detector_factory()
                                             : MakeHogPeopleDetector(HogPeopleDetectorOptions{}));
  }
  const absl::Time segment_start = FromProto(segment.start());
  std::vector<ConductChange> changes;
  bool fresh = false;
  std::unique_ptr<ConductState>& state = conduct_[camera->camera_id()];
  if (state == nullptr) {
    state = std::make_unique<ConductState>();
    fresh = true;  // events an earlier run left open are closed below
  }
  if (!state->engine.has_value() || state->zones_digest != ZonesDigest(*camera)) {
    if (state->engine.has_value()) {
      for (ConductTransition& closed : state->engine->Finish()) {
        changes.push_back({std::move(closed), ""});
      }
    }
    std::vector<ConductZone> zones;
    for (const v1::Zone& zone : camera->zones()) zones.push_back(FromZoneProto(zone));
    SUNLIGHT_ASSIGN_OR_RETURN(ConductRuleEngine engine,
                              ConductRuleEngine::Create(std::move(zones), [this](absl::Time at) {
                                return InWorkingHours(at);
                              }));
    state->engine.emplace(std::move(engine));
    state->zones_digest = ZonesDigest(*camera);
  }

  SUNLIGHT_ASSIGN_OR_RETURN(
      std::unique_ptr<StreamFrameSampler> sampler,
      StreamFrameSampler::Open(AbsolutePath(segment.path()), options_.sampling));
  while (true) {
    SUNLIGHT_ASSIGN_OR_RETURN(std::optional<SampledFrame> frame, sampler->Next());
    if (!frame.has_value()) break;
    SUNLIGHT_ASSIGN_OR_RETURN(std::vector<PersonBox> people, detector_->Detect(frame->bgr));
    metrics_.conduct_frames.Increment();
    absl::StatusOr<std::vector<ConductTransition>> observed =
        state->engine->Observe(segment_start + frame->stream_time, people);
    if (!observed.ok()) continue;  // a frame not after the previous one (overlapping segments)
    for (ConductTransition& transition : *observed) {
      std::string jpeg;
      if (transition.kind == ConductTransition::kOpened) {
        const ConductZone* zone = nullptr;
        for (const ConductZone& z : state->engine->zones()) {
          if (z.id == transition.event.zone_id) zone = &z;
        }
        absl::StatusOr<std::string> encoded =
            EncodeSnapshotJpeg(frame->bgr, {.zone = zone, .people = people});
        if (encoded.ok()) jpeg = *std::move(encoded);
      }
      changes.push_back({std::move(transition), std::move(jpeg)});
    }
  }

  std::lock_guard lock(write_mu_);
  storage::WriteBatch batch;
  std::vector<events::v1::CaseEvent> events;
  if (fresh) {
    SUNLIGHT_RETURN_IF_ERROR(
        CloseStaleConductEvents(batch, events, camera->camera_id(), segment_start));
  }
  SUNLIGHT_RETURN_IF_ERROR(StageConductChanges(batch, events, *camera, *state, changes));
  if (batch.empty() && events.empty()) return absl::OkStatus();
  return log_->Commit(std::move(batch), std::move(events)).status();
}

absl::Status Video::CloseStaleConductEvents(storage::WriteBatch& batch,
                                            std::vector<events::v1::CaseEvent>& events,
                                            const std::string& camera_id, absl::Time at) {
  std::vector<v1::ConductEvent> stale;
  SUNLIGHT_RETURN_IF_ERROR(storage::ScanProtos<v1::ConductEvent>(
      *store_, store::kConductEvents, "", "", [&](auto, v1::ConductEvent event) {
        if (event.camera_id() == camera_id && !event.has_end()) stale.push_back(std::move(event));
        return true;
      }));
  for (v1::ConductEvent& event : stale) {
    // Nothing is known of the time the service was down: it ends where watching resumed.
    *event.mutable_end() = ToProto(std::max(at, FromProto(event.start())));
    batch.Put(store::kConductEvents, event.event_id(), event.SerializeAsString());
    v1::ConductEventChanged payload;
    *payload.mutable_event() = event;
    events.push_back(eventlog::NewEvent("video.conduct.ended", "", eventlog::ServiceActor("video"),
                                        clock_->Now(), payload));
  }
  return absl::OkStatus();
}

absl::Status Video::StageConductChanges(storage::WriteBatch& batch,
                                        std::vector<events::v1::CaseEvent>& events,
                                        const v1::Camera& camera, ConductState& state,
                                        std::vector<ConductChange>& changes) {
  std::string department_id;
  if (!camera.window_id().empty()) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto department, store_->Get(store::kWindows, camera.window_id()));
    department_id = department.value_or("");
  }
  std::map<std::string, v1::ConductEvent> staged;  // by event id, this write's
  for (ConductChange& change : changes) {
    const ConductEvent& e = change.transition.event;
    v1::ConductEvent event;
    if (change.transition.kind == ConductTransition::kOpened) {
      event.set_event_id(store::NumberedId("ce", ++last_conduct_event_));
      batch.Put(store::kMeta, store::kLastConductEvent, absl::StrCat(last_conduct_event_));
      event.set_camera_id(camera.camera_id());
      event.set_zone_id(e.zone_id);
      event.set_rule(ToConductRule(e.rule));
      *event.mutable_start() = ToProto(e.start);
      event.set_peak_people(static_cast<uint32_t>(e.peak_people));
      event.set_window_id(camera.window_id());
      event.set_department_id(department_id);
      *event.mutable_detected_at() = ToProto(clock_->Now());
      event.set_decision(v1::CONDUCT_DECISION_PENDING);
      if (!change.jpeg.empty()) {
        batch.Put(store::kSnapshots, event.event_id(), change.jpeg);
        event.set_snapshot_bytes(static_cast<int64_t>(change.jpeg.size()));
      }
      v1::Hold hold;
      hold.set_camera_id(camera.camera_id());
      *hold.mutable_start() = ToProto(e.start - kClipBefore);
      *hold.mutable_end() = ToProto(e.snapshot_at + kClipAfter);
      hold.set_kind(kHoldConduct);
      hold.set_conduct_event_id(event.event_id());
      hold.set_reason(
          absl::StrCat(ConductRuleName(e.rule), " ", e.zone_id, " (", event.event_id(), ")"));
      absl::StatusOr<v1::Hold> held =
          StageHold(batch, events, std::move(hold), eventlog::ServiceActor("video"));
      if (held.ok()) {
        event.set_hold_id(held->hold_id());
      } else {
        LogError("video",
                 absl::StrCat(event.event_id(), ": clip not held: ", held.status().message()));
      }
      state.open_events[e.zone_id] = event.event_id();
      metrics_.conduct_events.Increment();
    } else {
      auto open = state.open_events.find(e.zone_id);
      if (open == state.open_events.end()) continue;
      const std::string id = open->second;
      state.open_events.erase(open);
      if (auto it = staged.find(id); it != staged.end()) {
        event = it->second;
      } else {
        SUNLIGHT_ASSIGN_OR_RETURN(
            std::optional<v1::ConductEvent> stored,
            storage::LoadProto<v1::ConductEvent>(*store_, store::kConductEvents, id));
        if (!stored.has_value()) continue;
        event = *std::move(stored);
      }
      *event.mutable_end() = ToProto(e.end.value_or(e.start));
      event.set_peak_people(static_cast<uint32_t>(e.peak_people));
      // The hold keeps the whole event, and a minute after.
      if (!event.hold_id().empty()) {
        SUNLIGHT_ASSIGN_OR_RETURN(
            std::optional<v1::Hold> hold,
            storage::LoadProto<v1::Hold>(*store_, store::kHolds, event.hold_id()));
        if (hold.has_value() && FromProto(hold->end()) < FromProto(event.end()) + kClipAfter) {
          *hold->mutable_end() = ToProto(FromProto(event.end()) + kClipAfter);
          batch.Put(store::kHolds, hold->hold_id(), hold->SerializeAsString());
        }
      }
    }
    batch.Put(store::kConductEvents, event.event_id(), event.SerializeAsString());
    staged[event.event_id()] = event;
    v1::ConductEventChanged payload;
    *payload.mutable_event() = event;
    events.push_back(eventlog::NewEvent(
        change.transition.kind == ConductTransition::kOpened ? "video.conduct.detected"
                                                             : "video.conduct.ended",
        "", eventlog::ServiceActor("video"), clock_->Now(), payload));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ListConductEventsResponse> Video::ListConductEvents(
    const v1::ListConductEventsRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.camera_id(), "camera_id", 64, false));
  if (!v1::ConductDecision_IsValid(request.decision())) {
    return InvalidField("decision", "PENDING, CONFIRMED or DISMISSED");
  }
  const uint32_t limit =
      request.limit() == 0 ? kMaxEventsListed : std::min(request.limit(), kMaxEventsListed);
  v1::ListConductEventsResponse response;
  SUNLIGHT_RETURN_IF_ERROR(storage::ScanProtos<v1::ConductEvent>(
      *store_, store::kConductEvents, "", "",
      [&](auto, v1::ConductEvent event) {
        if ((request.decision() == v1::CONDUCT_DECISION_UNSPECIFIED ||
             event.decision() == request.decision()) &&
            (request.camera_id().empty() || event.camera_id() == request.camera_id())) {
          *response.add_events() = std::move(event);
        }
        return static_cast<uint32_t>(response.events_size()) < limit;
      },
      /*reverse=*/true));
  return response;
}

absl::StatusOr<v1::ConductEvent> Video::GetConductEvent(
    const v1::GetConductEventRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.event_id(), "event_id", 64));
  SUNLIGHT_ASSIGN_OR_RETURN(
      std::optional<v1::ConductEvent> event,
      storage::LoadProto<v1::ConductEvent>(*store_, store::kConductEvents, request.event_id()));
  if (!event.has_value()) {
    return absl::NotFoundError(absl::StrCat("no conduct event ", request.event_id()));
  }
  return *std::move(event);
}

absl::StatusOr<v1::ConductSnapshot> Video::GetConductSnapshot(
    const v1::GetConductSnapshotRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.event_id(), "event_id", 64));
  SUNLIGHT_ASSIGN_OR_RETURN(auto jpeg, store_->Get(store::kSnapshots, request.event_id()));
  if (!jpeg.has_value()) {
    return absl::NotFoundError(absl::StrCat("no snapshot of conduct event ", request.event_id()));
  }
  v1::ConductSnapshot snapshot;
  snapshot.set_event_id(request.event_id());
  snapshot.set_jpeg(*std::move(jpeg));
  return snapshot;
}

absl::StatusOr<v1::ConductEvent> Video::DecideConductEvent(
    const v1::DecideConductEventRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.event_id(), "event_id", 64));
  if (request.decision() != v1::CONDUCT_DECISION_CONFIRMED &&
      request.decision() != v1::CONDUCT_DECISION_DISMISSED) {
    return InvalidField("decision", "CONFIRMED or DISMISSED");
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(request.reason(), "reason", 500, true));
  std::lock_guard lock(write_mu_);
  v1::GetConductEventRequest get;
  get.set_event_id(request.event_id());
  SUNLIGHT_ASSIGN_OR_RETURN(v1::ConductEvent event, GetConductEvent(get));
  if (event.decision() != v1::CONDUCT_DECISION_PENDING) {
    return absl::FailedPreconditionError(
        absl::StrCat("conduct event ", event.event_id(),
                     " was decided: ", v1::ConductDecision_Name(event.decision())));
  }
  const absl::Time now = clock_->Now();
  event.set_decision(request.decision());
  event.set_decision_reason(request.reason());
  *event.mutable_decided_by() = request.actor();
  *event.mutable_decided_at() = ToProto(now);
  storage::WriteBatch batch;
  std::vector<events::v1::CaseEvent> events;
  batch.Put(store::kConductEvents, event.event_id(), event.SerializeAsString());
  const bool confirmed = request.decision() == v1::CONDUCT_DECISION_CONFIRMED;
  v1::ConductEventChanged payload;
  *payload.mutable_event() = event;
  events.push_back(
      eventlog::NewEvent(confirmed ? "video.conduct.confirmed" : "video.conduct.dismissed", "",
                         request.actor(), now, payload));
  // A dismissed event's clip is no longer evidence: retention may take it.
  if (!confirmed && !event.hold_id().empty()) {
    SUNLIGHT_ASSIGN_OR_RETURN(
        std::optional<v1::Hold> hold,
        storage::LoadProto<v1::Hold>(*store_, store::kHolds, event.hold_id()));
    if (hold.has_value() && !hold->has_released_at()) {
      *hold->mutable_released_at() = ToProto(now);
      *hold->mutable_released_by() = request.actor();
      hold->set_reason(absl::StrCat(hold->reason(), "; released: dismissed"));
      batch.Put(store::kHolds, hold->hold_id(), hold->SerializeAsString());
      v1::HoldChanged released;
      *released.mutable_hold() = *hold;
      events.push_back(
          eventlog::NewEvent("video.hold.released", "", request.actor(), now, released));
    }
  }
  SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(batch), std::move(events)).status());
  return event;
}

}  // namespace sunlight::video
