// Cameras: registration by administrators (credentials sealed apart from the record), and
// the level-triggered reconciliation that makes every enabled camera's recorder run with its
// current settings.
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/eventlog/case_event.h"
#include "sunlight/storage/proto_record.h"
#include "sunlight/video/rtsp_source.h"
#include "sunlight/video/segment.h"
#include "video_internal.h"
#include "video_store.h"

namespace sunlight::video {

namespace {

constexpr char kCredentialsContext[] = "video.camera.credentials";
constexpr int kMaxZones = 16;

absl::Status ValidateUrl(const std::string& url) {
  bool ok = (absl::StartsWith(url, "rtsp://") || absl::StartsWith(url, "rtsps://")) &&
            url.size() > 8 && url.size() <= 1024;
  for (char c : url) ok = ok && static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  return ok ? absl::OkStatus()
            : InvalidField("camera.rtsp_url", "an rtsp:// URL of at most 1,024 bytes, no spaces");
}

// Moves user:password@ out of the URL into the request's credentials.
void SplitCredentials(std::string& url, std::string& username, std::string& password) {
  size_t start = url.find("://") + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  size_t at = authority.rfind('@');
  if (at == std::string::npos) return;
  std::string user_info = authority.substr(0, at);
  size_t colon = user_info.find(':');
  if (username.empty() && password.empty()) {
    username = user_info.substr(0, colon);
    password = colon == std::string::npos ? "" : user_info.substr(colon + 1);
  }
  url = UrlWithoutCredentials(url);
}

absl::Status ValidateZones(const v1::Camera& camera) {
  if (camera.zones_size() > kMaxZones) {
    return InvalidField("camera.zones", absl::StrCat("at most ", kMaxZones));
  }
  std::set<std::string> ids;
  for (int i = 0; i < camera.zones_size(); ++i) {
    const v1::Zone& zone = camera.zones(i);
    const std::string field = absl::StrCat("camera.zones[", i, "]");
    if (zone.kind() != v1::ZONE_KIND_STAFF && zone.kind() != v1::ZONE_KIND_QUEUE) {
      return InvalidField(field + ".kind", "STAFF or QUEUE");
    }
    if (zone.hold_seconds() < 10 || zone.hold_seconds() > 24 * 3600) {
      return InvalidField(field + ".hold_seconds", "10 to 86,400");
    }
    if (zone.kind() == v1::ZONE_KIND_QUEUE && (zone.min_people() < 1 || zone.min_people() > 100)) {
      return InvalidField(field + ".min_people", "1 to 100 for a queue zone");
    }
    if (zone.zone_id().size() > 64) return InvalidField(field + ".zone_id", "at most 64 bytes");
    if (absl::Status valid = ValidateZone(FromZoneProto(zone)); !valid.ok()) {
      return InvalidField(field, valid.message());
    }
    if (!ids.insert(zone.zone_id()).second) {
      return InvalidField(field + ".zone_id", absl::StrCat("\"", zone.zone_id(), "\" twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Camera> Video::UpsertCamera(const v1::UpsertCameraRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  v1::Camera camera = request.camera();
  if (absl::Status id = ValidateCameraId(camera.camera_id()); !id.ok()) {
    return InvalidField("camera.camera_id", id.message());
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(camera.name(), "camera.name", 64, true));
  SUNLIGHT_RETURN_IF_ERROR(ValidateUrl(camera.rtsp_url()));
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(camera.window_id(), "camera.window_id", 64, false));
  SUNLIGHT_RETURN_IF_ERROR(RequireCharacters(camera.area(), "camera.area", 128, false));
  SUNLIGHT_RETURN_IF_ERROR(ValidateZones(camera));
  std::string username = request.username(), password = request.password();
  std::string url = camera.rtsp_url();
  SplitCredentials(url, username, password);
  for (const auto& [value, field] : {std::pair{&username, "username"}, {&password, "password"}}) {
    if (value->size() > 256 || value->find_first_of("\r\n") != std::string::npos) {
      return InvalidField(field, "at most 256 bytes on one line");
    }
  }
  const bool new_credentials = !username.empty() || !password.empty();
  if (new_credentials && data_key_ == nullptr) {
    return absl::FailedPreconditionError(
        "camera credentials cannot be stored: the service has no data key (--data_key_file)");
  }

  SUNLIGHT_RETURN_IF_ERROR(CommitCamera(request, camera, url, username, password));
  // Outside write_mu_: stopping a recorder waits for its last segment to be indexed.
  if (absl::Status started = ReconcileRecorders(); !started.ok()) {
    LogError("video", absl::StrCat("camera ", camera.camera_id(), ": ", started.ToString()));
  }
  v1::GetCameraRequest get;
  get.set_camera_id(camera.camera_id());
  return GetCamera(get);
}

absl::Status Video::CommitCamera(const v1::UpsertCameraRequest& request, v1::Camera& camera,
                                 const std::string& url, const std::string& username,
                                 const std::string& password) {
  const bool new_credentials = !username.empty() || !password.empty();
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(std::optional<v1::Camera> before, LoadCamera(camera.camera_id()));
  uint32_t version = before.has_value() ? before->version() : 0;
  if (request.expected_version() != 0 && request.expected_version() != version) {
    return absl::AbortedError(absl::StrCat("camera ", camera.camera_id(), " is at version ",
                                           version, ", not ", request.expected_version()));
  }
  camera.set_rtsp_url(url);
  camera.clear_status();
  camera.clear_department_id();
  camera.set_version(version + 1);
  *camera.mutable_updated_at() = ToProto(clock_->Now());
  *camera.mutable_updated_by() = request.actor();
  storage::WriteBatch batch;
  if (request.clear_credentials()) {
    batch.Delete(store::kCameraSecrets, camera.camera_id());
    camera.set_has_credentials(false);
  } else if (new_credentials) {
    batch.Put(store::kCameraSecrets, camera.camera_id(),
              data_key_->Seal(absl::StrCat(username, "\n", password), kCredentialsContext));
    camera.set_has_credentials(true);
  } else {
    camera.set_has_credentials(before.has_value() && before->has_credentials());
  }
  batch.Put(store::kCameras, camera.camera_id(), camera.SerializeAsString());
  v1::CameraUpserted payload;
  *payload.mutable_camera() = camera;
  return log_
      ->Commit(std::move(batch), {eventlog::NewEvent("video.camera.upserted", "", request.actor(),
                                                     clock_->Now(), payload)})
      .status();
}

absl::StatusOr<std::optional<v1::Camera>> Video::LoadCamera(const std::string& camera_id) const {
  return storage::LoadProto<v1::Camera>(*store_, store::kCameras, camera_id);
}

absl::StatusOr<std::vector<v1::Camera>> Video::LoadCameras() const {
  std::vector<v1::Camera> cameras;
  SUNLIGHT_RETURN_IF_ERROR(storage::ScanProtos<v1::Camera>(*store_, store::kCameras, "", "",
                                                           [&](auto, v1::Camera camera) {
                                                             cameras.push_back(std::move(camera));
                                                             return true;
                                                           }));
  return cameras;
}

absl::StatusOr<v1::Camera> Video::GetCamera(const v1::GetCameraRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.camera_id(), "camera_id", 64));
  SUNLIGHT_ASSIGN_OR_RETURN(std::optional<v1::Camera> camera, LoadCamera(request.camera_id()));
  if (!camera.has_value()) {
    return absl::NotFoundError(absl::StrCat("no camera ", request.camera_id()));
  }
  *camera->mutable_status() = StatusOf(camera->camera_id());
  if (!camera->window_id().empty()) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto department, store_->Get(store::kWindows, camera->window_id()));
    if (department.has_value()) camera->set_department_id(*department);
  }
  return *std::move(camera);
}

absl::StatusOr<v1::ListCamerasResponse> Video::ListCameras(const v1::ListCamerasRequest&) const {
  SUNLIGHT_ASSIGN_OR_RETURN(std::vector<v1::Camera> cameras, LoadCameras());
  v1::ListCamerasResponse response;
  for (const v1::Camera& stored : cameras) {
    v1::GetCameraRequest get;
    get.set_camera_id(stored.camera_id());
    SUNLIGHT_ASSIGN_OR_RETURN(*response.add_cameras(), GetCamera(get));
  }
  return response;
}

absl::StatusOr<std::string> Video::RecordingUrl(const v1::Camera& camera) const {
  if (!camera.has_credentials()) return camera.rtsp_url();
  SUNLIGHT_ASSIGN_OR_RETURN(auto sealed, store_->Get(store::kCameraSecrets, camera.camera_id()));
  if (!sealed.has_value() || data_key_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("camera ", camera.camera_id(), ": its credentials cannot be read"));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(std::string credentials, data_key_->Open(*sealed, kCredentialsContext));
  size_t newline = credentials.find('\n');
  std::string user = credentials.substr(0, newline);
  std::string password = newline == std::string::npos ? "" : credentials.substr(newline + 1);
  const std::string& url = camera.rtsp_url();
  size_t start = url.find("://") + 3;
  return absl::StrCat(url.substr(0, start), user, password.empty() ? "" : ":", password, "@",
                      url.substr(start));
}

v1::CameraStatus Video::StatusOf(const std::string& camera_id) const {
  std::lock_guard lock(cameras_mu_);
  auto it = status_.find(camera_id);
  v1::CameraStatus status;
  if (it != status_.end()) status = it->second;
  if (status.state() == v1::CAMERA_STATE_UNSPECIFIED) status.set_state(v1::CAMERA_STATE_STOPPED);
  if (auto running = running_.find(camera_id); running != running_.end()) {
    status.set_drift_seconds(running->second->recorder->drift_seconds());
  }
  return status;
}

absl::Status Video::ReconcileRecorders() {
  SUNLIGHT_ASSIGN_OR_RETURN(std::vector<v1::Camera> cameras, LoadCameras());
  std::map<std::string, std::string> wanted;  // camera -> URL
  absl::Status first_error = absl::OkStatus();
  for (const v1::Camera& camera : cameras) {
    if (!camera.enabled() || !options_.record) continue;
    absl::StatusOr<std::string> url = RecordingUrl(camera);
    if (!url.ok()) {
      SetCameraState(camera.camera_id(), CameraState::kBadStream, url.status().ToString());
      first_error.Update(url.status());
      continue;
    }
    wanted.emplace(camera.camera_id(), *std::move(url));
  }
  std::vector<std::unique_ptr<RunningCamera>> to_stop;
  std::vector<std::string> to_start;
  {
    std::lock_guard lock(cameras_mu_);
    if (!started_) return first_error;
    for (auto it = running_.begin(); it != running_.end();) {
      auto want = wanted.find(it->first);
      if (want == wanted.end() || want->second != it->second->url) {
        to_stop.push_back(std::move(it->second));
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [id, url] : wanted) {
      if (!running_.contains(id)) to_start.push_back(id);
    }
  }
  for (auto& camera : to_stop) camera->recorder->Stop();
  for (const std::string& id : to_start) {
    SUNLIGHT_ASSIGN_OR_RETURN(std::optional<absl::Time> previous_end, LastSegmentEnd(id));
    auto camera = std::make_unique<RunningCamera>();
    camera->url = wanted.at(id);
    camera->observer = std::make_unique<CameraObserver>(this, id);
    camera->recorder = std::make_unique<CameraRecorder>(
        CameraRecorderOptions{.camera_id = id,
                              .url = camera->url,
                              .directory = AbsolutePath(id),
                              .segment_duration = options_.segment_duration,
                              .read_timeout = options_.read_timeout,
                              .connect_timeout = options_.read_timeout,
                              .backoff_initial = options_.backoff_initial,
                              .backoff_max = options_.backoff_max,
                              .previous_end = previous_end},
        *clock_, *camera->observer);
    if (absl::Status started = camera->recorder->Start(); !started.ok()) {
      first_error.Update(started);
      continue;
    }
    std::lock_guard lock(cameras_mu_);
    if (!started_) {
      camera->recorder->Stop();
      continue;
    }
    running_.emplace(id, std::move(camera));
  }
  return first_error;
}

void Video::SetCameraState(const std::string& camera_id, CameraState state,
                           const std::string& detail) {
  std::lock_guard lock(cameras_mu_);
  v1::CameraStatus& status = status_[camera_id];
  v1::CameraState next = ToCameraState(state);
  if (status.state() != next) *status.mutable_since() = ToProto(clock_->Now());
  status.set_state(next);
  status.set_detail(detail);
}

void Video::CameraObserver::OnSegment(const SegmentInfo& segment) {
  video_->IndexSegment(segment);
  video_->QueueConduct(segment);
}

void Video::CameraObserver::OnGap(const RecordingGap& gap) { video_->IndexGap(gap); }

void Video::CameraObserver::OnState(CameraState state, const std::string& detail) {
  video_->SetCameraState(camera_id_, state, detail);
}

}  // namespace sunlight::video
