// Test-only: a fake video service (sunlight.video.v1.Video) in memory, served over gRPC by the
// test (port 0), for the gateway's video routes. It holds one camera (hall-w07, recording), a
// hold of it and a pending conduct event with a snapshot, answers clips in chunks from
// `clip`, keeps what each call asked and, given a verifier, refuses calls without a principal
// signed for it and remembers whose they were.
#ifndef SUNLIGHT_SERVICES_GATEWAY_GATEWAY_TEST_VIDEO_H_
#define SUNLIGHT_SERVICES_GATEWAY_GATEWAY_TEST_VIDEO_H_

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/video/v1/video.grpc.pb.h"

namespace sunlight::gateway {

class FakeVideo final : public video::v1::Video::Service {
 public:
  using Message = google::protobuf::Message;
  struct Call {
    std::string method;  // "GetClip"
    std::shared_ptr<Message> request;
    auth::v1::Principal principal;  // when verified
  };

  FakeVideo() {
    video::v1::Camera& camera = cameras_["hall-w07"];
    camera.set_camera_id("hall-w07");
    camera.set_name("7 号窗口");
    camera.set_rtsp_url("rtsp://10.1.0.7/stream1");
    camera.set_window_id("W1");
    camera.set_department_id("market");
    camera.set_enabled(true);
    camera.set_version(1);
    camera.mutable_status()->set_state(video::v1::CAMERA_STATE_RECORDING);
    *camera.mutable_status()->mutable_recorded_until() = ToProto(absl::FromUnixSeconds(1772672400));
    video::v1::Hold& hold = holds_.emplace_back();
    hold.set_hold_id("h-000000000001");
    hold.set_camera_id("hall-w07");
    *hold.mutable_start() = ToProto(absl::FromUnixSeconds(1772672100));
    *hold.mutable_end() = ToProto(absl::FromUnixSeconds(1772672400));
    hold.set_kind("conduct");
    hold.set_conduct_event_id("ce-000000000001");
    video::v1::ConductEvent& event = events_.emplace_back();
    event.set_event_id("ce-000000000001");
    event.set_camera_id("hall-w07");
    event.set_zone_id("w07-staff");
    event.set_rule(video::v1::CONDUCT_RULE_ABSENT_FROM_POST);
    *event.mutable_start() = ToProto(absl::FromUnixSeconds(1772672160));
    event.set_window_id("W1");
    event.set_department_id("market");
    event.set_hold_id("h-000000000001");
    event.set_decision(video::v1::CONDUCT_DECISION_PENDING);
    event.set_snapshot_bytes(static_cast<int64_t>(snapshot.size()));
  }

  // The calls so far, and those of one method.
  std::vector<Call> Calls(const std::string& method = "") const {
    std::lock_guard lock(mu_);
    std::vector<Call> out;
    for (const Call& c : calls_) {
      if (method.empty() || c.method == method) out.push_back(c);
    }
    return out;
  }

  // What GetClip serves (by hold or by camera and range alike) and GetConductSnapshot.
  std::string clip = std::string(
                         "\0\0\0\x18"
                         "ftypisom",
                         12) +
                     std::string(1000, 'v');
  std::string snapshot = std::string("\xFF\xD8\xFF\xE0", 4) + "JFIF fake picture";
  // GetClip answers UNAVAILABLE for chunks from this byte on (-1: never).
  int64_t clip_fails_from = -1;
  // Principals are checked when set (the gateway signs them for "video").
  std::shared_ptr<const auth::PrincipalVerifier> verifier;

  grpc::Status UpsertCamera(grpc::ServerContext* c, const video::v1::UpsertCameraRequest* r,
                            video::v1::Camera* out) override {
    return Serve(c, "UpsertCamera", *r, [&]() -> grpc::Status {
      if (r->camera().camera_id().empty()) return Invalid("camera.camera_id: required");
      video::v1::Camera& camera = cameras_[r->camera().camera_id()];
      const bool had_credentials = camera.has_credentials();
      const uint32_t version = camera.version();
      camera = r->camera();
      camera.set_has_credentials(had_credentials || !r->password().empty());
      camera.set_version(version + 1);
      *camera.mutable_updated_by() = r->actor();
      *out = camera;
      return grpc::Status::OK;
    });
  }
  grpc::Status GetCamera(grpc::ServerContext* c, const video::v1::GetCameraRequest* r,
                         video::v1::Camera* out) override {
    return Serve(c, "GetCamera", *r, [&] { return FindCamera(r->camera_id(), out); });
  }
  grpc::Status ListCameras(grpc::ServerContext* c, const video::v1::ListCamerasRequest* r,
                           video::v1::ListCamerasResponse* out) override {
    return Serve(c, "ListCameras", *r, [&] {
      for (const auto& [id, camera] : cameras_) *out->add_cameras() = camera;
      return grpc::Status::OK;
    });
  }
  grpc::Status GetCoverage(grpc::ServerContext* c, const video::v1::GetCoverageRequest* r,
                           video::v1::Coverage* out) override {
    return Serve(c, "GetCoverage", *r, [&] {
      video::v1::Camera camera;
      if (grpc::Status s = FindCamera(r->camera_id(), &camera); !s.ok()) return s;
      out->set_camera_id(r->camera_id());
      out->set_day(r->day().empty() ? "2026-03-05" : r->day());
      out->set_recorded_seconds(3528);
      out->set_elapsed_seconds(3600);
      out->set_ratio(0.98);
      out->set_segments(59);
      return grpc::Status::OK;
    });
  }
  grpc::Status ListSegments(grpc::ServerContext* c, const video::v1::ListSegmentsRequest* r,
                            video::v1::ListSegmentsResponse* out) override {
    return Serve(c, "ListSegments", *r, [&] {
      video::v1::Segment* segment = out->add_segments();
      segment->set_camera_id(r->camera_id());
      *segment->mutable_start() = r->from();
      *segment->mutable_end() = r->to();
      segment->set_bytes(static_cast<int64_t>(clip.size()));
      return grpc::Status::OK;
    });
  }
  grpc::Status ListGaps(grpc::ServerContext* c, const video::v1::ListGapsRequest* r,
                        video::v1::ListGapsResponse* out) override {
    return Serve(c, "ListGaps", *r, [&] {
      video::v1::Gap* gap = out->add_gaps();
      gap->set_camera_id(r->camera_id());
      gap->set_cause(video::v1::GAP_CAUSE_NETWORK);
      return grpc::Status::OK;
    });
  }
  grpc::Status GetClip(grpc::ServerContext* c, const video::v1::GetClipRequest* r,
                       video::v1::ClipChunk* out) override {
    return Serve(c, "GetClip", *r, [&]() -> grpc::Status {
      const bool known =
          r->hold_id().empty()
              ? cameras_.contains(r->camera_id())
              : std::any_of(holds_.begin(), holds_.end(),
                            [&](const video::v1::Hold& h) { return h.hold_id() == r->hold_id(); });
      if (!known) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such camera or hold");
      const int64_t size = static_cast<int64_t>(clip.size());
      if (r->offset() < 0 || r->offset() > size) return Invalid("offset: past the clip's end");
      if (clip_fails_from >= 0 && r->offset() >= clip_fails_from) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the disk went away");
      }
      const int64_t cap = 2 << 20;
      const int64_t max = r->max_bytes() == 0 ? cap : std::min<int64_t>(r->max_bytes(), cap);
      out->set_data(clip.substr(static_cast<size_t>(r->offset()), static_cast<size_t>(max)));
      out->set_offset(r->offset());
      out->set_total_bytes(size);
      *out->mutable_start() = r->from();
      *out->mutable_end() = r->to();
      return grpc::Status::OK;
    });
  }
  grpc::Status CreateHold(grpc::ServerContext* c, const video::v1::CreateHoldRequest* r,
                          video::v1::Hold* out) override {
    return Serve(c, "CreateHold", *r, [&]() -> grpc::Status {
      if (r->reason().empty()) return Invalid("reason: required");
      video::v1::Hold& hold = holds_.emplace_back();
      hold.set_hold_id(absl::StrCat("h-", absl::Dec(holds_.size(), absl::kZeroPad12)));
      hold.set_camera_id(r->camera_id());
      *hold.mutable_start() = r->start();
      *hold.mutable_end() = r->end();
      hold.set_kind(r->case_id().empty() ? "investigation" : "case");
      hold.set_case_id(r->case_id());
      hold.set_reason(r->reason());
      *hold.mutable_created_by() = r->actor();
      *out = hold;
      return grpc::Status::OK;
    });
  }
  grpc::Status ReleaseHold(grpc::ServerContext* c, const video::v1::ReleaseHoldRequest* r,
                           video::v1::Hold* out) override {
    return Serve(c, "ReleaseHold", *r, [&] {
      for (auto& hold : holds_) {
        if (hold.hold_id() != r->hold_id()) continue;
        *hold.mutable_released_at() = ToProto(absl::Now());
        *hold.mutable_released_by() = r->actor();
        *out = hold;
        return grpc::Status::OK;
      }
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such hold");
    });
  }
  grpc::Status ListHolds(grpc::ServerContext* c, const video::v1::ListHoldsRequest* r,
                         video::v1::ListHoldsResponse* out) override {
    return Serve(c, "ListHolds", *r, [&] {
      for (const auto& hold : holds_) {
        if ((!r->camera_id().empty() && hold.camera_id() != r->camera_id()) ||
            (!r->case_id().empty() && hold.case_id() != r->case_id()) ||
            (!r->include_released() && hold.has_released_at())) {
          continue;
        }
        *out->add_holds() = hold;
      }
      return grpc::Status::OK;
    });
  }
  grpc::Status ListConductEvents(grpc::ServerContext* c,
                                 const video::v1::ListConductEventsRequest* r,
                                 video::v1::ListConductEventsResponse* out) override {
    return Serve(c, "ListConductEvents", *r, [&] {
      for (const auto& event : events_) {
        if (r->decision() != video::v1::CONDUCT_DECISION_UNSPECIFIED &&
            event.decision() != r->decision()) {
          continue;
        }
        *out->add_events() = event;
      }
      return grpc::Status::OK;
    });
  }
  grpc::Status GetConductEvent(grpc::ServerContext* c, const video::v1::GetConductEventRequest* r,
                               video::v1::ConductEvent* out) override {
    return Serve(c, "GetConductEvent", *r, [&] {
      const video::v1::ConductEvent* event = FindEvent(r->event_id());
      if (event == nullptr) return NoSuchEvent();
      *out = *event;
      return grpc::Status::OK;
    });
  }
  grpc::Status GetConductSnapshot(grpc::ServerContext* c,
                                  const video::v1::GetConductSnapshotRequest* r,
                                  video::v1::ConductSnapshot* out) override {
    return Serve(c, "GetConductSnapshot", *r, [&] {
      if (FindEvent(r->event_id()) == nullptr) return NoSuchEvent();
      out->set_event_id(r->event_id());
      out->set_jpeg(snapshot);
      return grpc::Status::OK;
    });
  }
  grpc::Status DecideConductEvent(grpc::ServerContext* c,
                                  const video::v1::DecideConductEventRequest* r,
                                  video::v1::ConductEvent* out) override {
    return Serve(c, "DecideConductEvent", *r, [&]() -> grpc::Status {
      video::v1::ConductEvent* event = FindEvent(r->event_id());
      if (event == nullptr) return NoSuchEvent();
      if (r->reason().empty()) return Invalid("reason: required");
      if (event->decision() != video::v1::CONDUCT_DECISION_PENDING) {
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "already decided");
      }
      event->set_decision(r->decision());
      event->set_decision_reason(r->reason());
      *event->mutable_decided_by() = r->actor();
      *out = *event;
      return grpc::Status::OK;
    });
  }
  grpc::Status GetStorage(grpc::ServerContext* c, const video::v1::GetStorageRequest* r,
                          video::v1::Storage* out) override {
    return Serve(c, "GetStorage", *r, [&] {
      out->set_used_bytes(int64_t{40} << 30);
      out->set_quota_bytes(int64_t{500} << 30);
      out->set_retention_days(30);
      return grpc::Status::OK;
    });
  }

 private:
  static grpc::Status Invalid(const std::string& message) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
  }

  // Records the call (its principal checked when there is a verifier), then answers it.
  template <typename Answer>
  grpc::Status Serve(grpc::ServerContext* context, const char* method, const Message& request,
                     Answer answer) {
    std::lock_guard lock(mu_);
    Call call{method, std::shared_ptr<Message>(request.New()), {}};
    call.request->CopyFrom(request);
    if (verifier != nullptr) {
      auto token = context->client_metadata().find(auth::kPrincipalMetadataKey);
      if (token == context->client_metadata().end()) {
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no principal");
      }
      auto principal =
          verifier->Verify(std::string(token->second.data(), token->second.size()), absl::Now());
      if (!principal.ok() || principal->audience() != "video") {
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "not a principal for video");
      }
      call.principal = *principal;
    }
    calls_.push_back(std::move(call));
    return answer();
  }

  grpc::Status FindCamera(const std::string& id, video::v1::Camera* out) const {
    auto it = cameras_.find(id);
    if (it == cameras_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such camera");
    *out = it->second;
    return grpc::Status::OK;
  }
  video::v1::ConductEvent* FindEvent(const std::string& id) {
    for (auto& event : events_) {
      if (event.event_id() == id) return &event;
    }
    return nullptr;
  }
  static grpc::Status NoSuchEvent() {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such conduct event");
  }

  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::map<std::string, video::v1::Camera> cameras_;
  std::vector<video::v1::Hold> holds_;
  std::vector<video::v1::ConductEvent> events_;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_GATEWAY_TEST_VIDEO_H_
