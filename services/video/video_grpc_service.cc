#include "sunlight/video/video_grpc_service.h"

namespace sunlight::video {

// People call through the gateway. Footage (clips, snapshots) is for inspectors and
// administrators only, and the gateway audits every such read; cameras are administered;
// conduct events are decided by inspectors.
auth::MethodPolicy VideoMethodPolicy() {
  constexpr uint32_t kRead = auth::kSignedIn;
  constexpr uint32_t kFootage = auth::kInspectors | auth::kAdministrators;
  return {
      auth::Allow<v1::UpsertCameraRequest>(auth::kAdministrators),
      auth::Allow<v1::GetCameraRequest>(kRead),
      auth::Allow<v1::ListCamerasRequest>(kRead),
      auth::Allow<v1::GetCoverageRequest>(kRead),
      auth::Allow<v1::ListSegmentsRequest>(kFootage),
      auth::Allow<v1::ListGapsRequest>(kRead),
      auth::Allow<v1::GetClipRequest>(kFootage),
      auth::Allow<v1::CreateHoldRequest>(kFootage),
      auth::Allow<v1::ReleaseHoldRequest>(auth::kAdministrators),
      auth::Allow<v1::ListHoldsRequest>(kRead),
      auth::Allow<v1::ListConductEventsRequest>(kRead),
      auth::Allow<v1::GetConductEventRequest>(kRead),
      auth::Allow<v1::GetConductSnapshotRequest>(kFootage),
      auth::Allow<v1::DecideConductEventRequest>(auth::kInspectors),
      auth::Allow<v1::GetStorageRequest>(kRead),
  };
}

}  // namespace sunlight::video
