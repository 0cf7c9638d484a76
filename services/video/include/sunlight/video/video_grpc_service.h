// The gRPC face of the video service: checks each call, converts statuses at the boundary,
// nothing else.
#ifndef SUNLIGHT_SERVICES_VIDEO_VIDEO_GRPC_SERVICE_H_
#define SUNLIGHT_SERVICES_VIDEO_VIDEO_GRPC_SERVICE_H_

#include "sunlight/auth/authorizer.h"
#include "sunlight/server/grpc_status.h"
#include "sunlight/video/v1/video.grpc.pb.h"
#include "sunlight/video/video.h"

namespace sunlight::video {

// Which audiences may call each method (see auth::Authorizer).
auth::MethodPolicy VideoMethodPolicy();

class VideoGrpcService final : public v1::Video::Service {
 public:
  // `authorizer` null: every call is allowed (in-process tests).
  explicit VideoGrpcService(Video* video, const auth::Authorizer* authorizer = nullptr)
      : video_(video), authorizer_(authorizer) {}

#define SUNLIGHT_VIDEO_METHOD(Name, Request, Response)                                          \
  grpc::Status Name(grpc::ServerContext* c, const v1::Request* r, v1::Response* out) override { \
    return server::Serve(auth::CheckCall(authorizer_, c, *r), video_, &Video::Name, *r, out);   \
  }
  SUNLIGHT_VIDEO_METHOD(UpsertCamera, UpsertCameraRequest, Camera)
  SUNLIGHT_VIDEO_METHOD(GetCamera, GetCameraRequest, Camera)
  SUNLIGHT_VIDEO_METHOD(ListCameras, ListCamerasRequest, ListCamerasResponse)
  SUNLIGHT_VIDEO_METHOD(GetCoverage, GetCoverageRequest, Coverage)
  SUNLIGHT_VIDEO_METHOD(ListSegments, ListSegmentsRequest, ListSegmentsResponse)
  SUNLIGHT_VIDEO_METHOD(ListGaps, ListGapsRequest, ListGapsResponse)
  SUNLIGHT_VIDEO_METHOD(GetClip, GetClipRequest, ClipChunk)
  SUNLIGHT_VIDEO_METHOD(CreateHold, CreateHoldRequest, Hold)
  SUNLIGHT_VIDEO_METHOD(ReleaseHold, ReleaseHoldRequest, Hold)
  SUNLIGHT_VIDEO_METHOD(ListHolds, ListHoldsRequest, ListHoldsResponse)
  SUNLIGHT_VIDEO_METHOD(ListConductEvents, ListConductEventsRequest, ListConductEventsResponse)
  SUNLIGHT_VIDEO_METHOD(GetConductEvent, GetConductEventRequest, ConductEvent)
  SUNLIGHT_VIDEO_METHOD(GetConductSnapshot, GetConductSnapshotRequest, ConductSnapshot)
  SUNLIGHT_VIDEO_METHOD(DecideConductEvent, DecideConductEventRequest, ConductEvent)
  SUNLIGHT_VIDEO_METHOD(GetStorage, GetStorageRequest, Storage)
#undef SUNLIGHT_VIDEO_METHOD

 private:
  Video* video_;
  const auth::Authorizer* authorizer_;
};

}  // namespace sunlight::video

#endif  // SUNLIGHT_SERVICES_VIDEO_VIDEO_GRPC_SERVICE_H_
