// Routes of the video service, for inspectors and the system administrator: the hall's cameras
// (registered by the administrator; credentials go in and never come out), their coverage,
// segments and gaps; clips streamed as MP4 from the service's chunks; holds that retention
// never deletes; conduct events (absent from post, crowding) with their snapshots, confirmed or
// dismissed by an inspector. Footage (clips, snapshots) is audited like a change, refusals
// included. Department staff reach none of them: footage and camera settings are the
// supervision office's, and conduct events cannot be scoped to a department.
#include "absl/strings/ascii.h"
#include "gateway_routes.h"
#include "google/protobuf/util/time_util.h"
#include "http_errors.h"
#include "request_binding.h"
#include "sunlight/base/log.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/video/v1/video.pb.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
namespace vv1 = ::sunlight::video::v1;

namespace {

// What the gateway asks of GetClip at once (the service's cap).
constexpr uint32_t kClipChunkBytes = 2u << 20;

// As the JSON mapping prints it: "2026-03-05T01:00:00Z".
std::string Rfc3339(const google::protobuf::Timestamp& at) {
  return google::protobuf::util::TimeUtil::ToString(at);
}

// The audit target of a camera's time range: "hall-w07 2026-03-05T01:00:00Z/2026-03-05T01:05:00Z".
std::string RangeTarget(const std::string& camera_id, const google::protobuf::Timestamp& from,
                        const google::protobuf::Timestamp& to) {
  return absl::StrCat(camera_id, " ", Rfc3339(from), "/", Rfc3339(to));
}

// A camera as shown: its URL never with credentials, whatever the record holds (they are
// sealed in the video service's store; `has_credentials` says whether there are some).
void ShowCamera(vv1::Camera& camera) {
  std::string* url = camera.mutable_rtsp_url();
  const size_t start = url->find("://");
  if (start == std::string::npos) return;
  const size_t end = url->find_first_of("/?#", start + 3);
  const size_t at = url->rfind('@', end == std::string::npos ? url->size() : end);
  if (at != std::string::npos && at > start) url->erase(start + 3, at + 1 - (start + 3));
}

// A file name from an identifier, in case it ever holds more than [A-Za-z0-9_-].
std::string FileStem(const std::string& id) {
  std::string stem;
  for (char c : id) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') stem += c;
  }
  return stem.empty() ? "clip" : stem;
}

// A chunk as the clip's next one: where the previous ended, of the same clip, and not empty
// before the clip's end (or the download would never end).
absl::Status CheckChunk(const vv1::ClipChunk& chunk, int64_t offset, int64_t total) {
  const int64_t size = static_cast<int64_t>(chunk.data().size());
  if (chunk.offset() != offset || chunk.total_bytes() != total || offset + size > total ||
      (size == 0 && offset < total)) {
    return absl::InternalError(absl::StrCat("the video service's clip chunk at ", chunk.offset(),
                                            " of ", chunk.total_bytes(),
                                            " bytes does not follow byte ", offset, " of ", total));
  }
  return absl::OkStatus();
}

// A clip being sent: the caller (whose principal each chunk's call carries), the request,
// and how far it has gone.
struct ClipDownload {
  Gateway::Call call;
  vv1::GetClipRequest request;
  std::string first;   // the first chunk's bytes, until handed over
  int64_t total = 0;   // the clip's size
  int64_t offset = 0;  // the next chunk's first byte
};

}  // namespace

void Gateway::AddVideoRoutes() {
  constexpr uint32_t kWatch = auth::kInspectors | auth::kAdministrators;
  // Capture the method descriptors themselves: the helper lambdas die with AddRoutes.
  const pb::MethodDescriptor* get_clip = VideoMethod("GetClip");
  const Route::Finish show_camera = [](Call&, pb::Message& message) {
    ShowCamera(static_cast<vv1::Camera&>(message));
  };
  // A path parameter is the audit target.
  auto target_in_path = [](const char* name) -> Prepare {
    return [name](Call& call, pb::Message&) {
      call.target = call.path_params[name];
      return absl::OkStatus();
    };
  };

  // ---- cameras
  AddRoute("GET", "/v1/video/cameras", kWatch,
           "The hall's cameras with their recorders' state (`status`: state, last error, "
           "`recorded_until`).",
           VideoMethod("ListCameras"))
      .finish = [](Call&, pb::Message& message) {
    for (auto& camera : *static_cast<vv1::ListCamerasResponse&>(message).mutable_cameras()) {
      ShowCamera(camera);
    }
  };
  AddRoute("GET", "/v1/video/cameras/{camera_id}", kWatch, "One camera with its recorder's state.",
           VideoMethod("GetCamera"))
      .finish = show_camera;
  {
    Route& r = AddRoute("PUT", "/v1/video/cameras/{camera_id}", auth::kAdministrators,
                        "Register or change a camera (`camera`: name, `rtsp_url`, window, area, "
                        "zones, enabled; `camera.camera_id` the path's or empty). RTSP "
                        "credentials in `username` and `password` (or in the URL) are sealed by "
                        "the video service and never shown again; both empty keep those stored, "
                        "`clear_credentials` removes them. With `expected_version`, a concurrent "
                        "change is 409.",
                        VideoMethod("UpsertCamera"));
    r.prepare = [](Call& call, pb::Message& message) -> absl::Status {
      vv1::Camera* camera = static_cast<vv1::UpsertCameraRequest&>(message).mutable_camera();
      call.target = call.path_params["camera_id"];
      if (camera->camera_id().empty()) {
        camera->set_camera_id(call.target);
      } else if (camera->camera_id() != call.target) {
        return InvalidField("camera.camera_id", "not the camera of the path");
      }
      return absl::OkStatus();
    };
    r.finish = show_camera;
  }
  AddRoute("GET", "/v1/video/cameras/{camera_id}/coverage", kWatch,
           "How much of a local `day` (`YYYY-MM-DD`, today when empty) a camera recorded, with "
           "the gaps and their causes.",
           VideoMethod("GetCoverage"));
  AddRoute("GET", "/v1/video/cameras/{camera_id}/segments", kWatch,
           "A camera's recorded segments between `from` and `to` (RFC 3339), at most `limit`.",
           VideoMethod("ListSegments"));
  AddRoute("GET", "/v1/video/cameras/{camera_id}/gaps", kWatch,
           "A camera's gaps in recording between `from` and `to`, with their causes.",
           VideoMethod("ListGaps"));

  // ---- clips: the service's chunks, one after the other, as one MP4 body
  const auto stream_clip = [this, get_clip](Call& call) -> HttpResponse {
    if (call.http->query.count("offset") || call.http->query.count("max_bytes")) {
      const char* field = call.http->query.count("offset") ? "offset" : "max_bytes";
      return ErrorFor(InvalidField(field, "the gateway reads the clip in chunks of its own"),
                      field);
    }
    auto download = std::make_shared<ClipDownload>();
    std::string field;
    if (absl::Status s =
            BindRequest(*call.http, call.path_params, false, &download->request, &field);
        !s.ok()) {
      return ErrorFor(s, field);
    }
    const vv1::GetClipRequest& request = download->request;
    call.target = !request.hold_id().empty()
                      ? request.hold_id()
                      : RangeTarget(request.camera_id(), request.from(), request.to());
    download->request.set_max_bytes(kClipChunkBytes);
    // The first chunk before the response's head: an error is still an error status.
    auto first = Invoke(call, get_clip, download->request);
    if (!first.ok()) return ErrorFor(first.status());
    auto& chunk = static_cast<vv1::ClipChunk&>(**first);
    download->total = chunk.total_bytes();
    if (absl::Status s = CheckChunk(chunk, 0, download->total); !s.ok()) return ErrorFor(s);
    download->offset = static_cast<int64_t>(chunk.data().size());
    download->first = std::move(*chunk.mutable_data());
    download->call = call;
    download->call.http = nullptr;  // gone once the head is answered

    HttpResponse reply;
    reply.content_type = "video/mp4";
    reply.stream_length = download->total;
    reply.headers.emplace_back(
        "Content-Disposition",
        absl::StrCat("inline; filename=\"",
                     FileStem(!request.hold_id().empty() ? request.hold_id() : request.camera_id()),
                     ".mp4\""));
    // What it covers by the service's clock, and the segments it could not read.
    reply.headers.emplace_back("X-Clip-Start", Rfc3339(chunk.start()));
    reply.headers.emplace_back("X-Clip-End", Rfc3339(chunk.end()));
    reply.headers.emplace_back("X-Clip-Unreadable-Segments",
                               absl::StrCat(chunk.unreadable_segments()));
    reply.stream = [this, get_clip, download](std::string* out) -> bool {
      if (!download->first.empty()) {
        *out = std::move(download->first);
        download->first.clear();
        return true;
      }
      if (download->offset >= download->total) return false;
      download->request.set_offset(download->offset);
      auto next = Invoke(download->call, get_clip, download->request);
      absl::Status s = next.ok() ? CheckChunk(static_cast<const vv1::ClipChunk&>(**next),
                                              download->offset, download->total)
                                 : next.status();
      if (!s.ok()) {
        // The head is sent: the connection closes short of Content-Length.
        LogError("gateway", absl::StrCat("clip cut off at byte ", download->offset, " of ",
                                         download->total, ": ", s.ToString()));
        return false;
      }
      *out = std::move(*static_cast<vv1::ClipChunk&>(**next).mutable_data());
      download->offset += static_cast<int64_t>(out->size());
      return true;
    };
    return reply;
  };
  {
    Route& r = AddRoute("GET", "/v1/video/cameras/{camera_id}/clip.mp4", kWatch,
                        "A camera's footage between `from` and `to` (RFC 3339) as one MP4, "
                        "assembled without transcoding and streamed (Content-Length known; "
                        "`X-Clip-Start`, `X-Clip-End`, `X-Clip-Unreadable-Segments`). Audited.",
                        nullptr);
    r.input = vv1::GetClipRequest::descriptor();
    r.output = vv1::ClipChunk::descriptor();  // documented as the chunks it is made of
    r.media_type = "video/mp4";
    r.audited_read = true;
    r.stream = stream_clip;
  }

  // ---- holds
  {
    Route& r = AddRoute("POST", "/v1/video/holds", kWatch,
                        "Keep a camera's footage from `start` to `end` from retention, with a "
                        "`reason` (and the `case_id` it is for); 429 while holds fill the quota.",
                        VideoMethod("CreateHold"));
    r.success_status = 201;
    r.prepare = [](Call& call, pb::Message& message) {
      const auto& request = static_cast<const vv1::CreateHoldRequest&>(message);
      call.target = RangeTarget(request.camera_id(), request.start(), request.end());
      return absl::OkStatus();
    };
  }
  AddRoute("POST", "/v1/video/holds/{hold_id}:release", auth::kAdministrators,
           "Release a hold, with a `reason`: retention may delete its footage from then on.",
           VideoMethod("ReleaseHold"))
      .prepare = target_in_path("hold_id");
  AddRoute("GET", "/v1/video/holds", kWatch,
           "Holds, by `camera_id` or `case_id` (a case's clips); released ones too with "
           "`include_released`.",
           VideoMethod("ListHolds"));
  {
    Route& r = AddRoute("GET", "/v1/video/holds/{hold_id}/clip.mp4", kWatch,
                        "A hold's footage as one MP4, streamed as GET "
                        "/v1/video/cameras/{camera_id}/clip.mp4. Audited.",
                        nullptr);
    r.input = vv1::GetClipRequest::descriptor();
    r.output = vv1::ClipChunk::descriptor();
    r.media_type = "video/mp4";
    r.audited_read = true;
    r.stream = stream_clip;
  }

  // ---- conduct events
  AddRoute("GET", "/v1/video/conduct-events", kWatch,
           "Conduct events (absent from post, crowding), newest first: by `decision` "
           "(CONDUCT_DECISION_PENDING: waiting for an inspector) and `camera_id`, at most "
           "`limit`.",
           VideoMethod("ListConductEvents"));
  AddRoute("GET", "/v1/video/conduct-events/{event_id}", kWatch, "One conduct event.",
           VideoMethod("GetConductEvent"));
  {
    const pb::MethodDescriptor* get_snapshot = VideoMethod("GetConductSnapshot");
    Route& r = AddRoute("GET", "/v1/video/conduct-events/{event_id}/snapshot.jpg", kWatch,
                        "The picture (JPEG) kept of a conduct event; 404 when none was. Audited.",
                        nullptr);
    r.input = vv1::GetConductSnapshotRequest::descriptor();
    r.output = vv1::ConductSnapshot::descriptor();
    r.media_type = "image/jpeg";
    r.audited_read = true;
    r.stream = [this, get_snapshot](Call& call) -> HttpResponse {
      vv1::GetConductSnapshotRequest request;
      std::string field;
      if (absl::Status s = BindRequest(*call.http, call.path_params, false, &request, &field);
          !s.ok()) {
        return ErrorFor(s, field);
      }
      call.target = request.event_id();
      auto found = Invoke(call, get_snapshot, request);
      if (!found.ok()) return ErrorFor(found.status());
      auto& snapshot = static_cast<vv1::ConductSnapshot&>(**found);
      if (snapshot.jpeg().empty()) {
        return ErrorFor(absl::NotFoundError("no snapshot was kept of this event"));
      }
      HttpResponse reply;
      reply.content_type = "image/jpeg";
      reply.body = std::move(*snapshot.mutable_jpeg());
      return reply;
    };
  }
  AddRoute("POST", "/v1/video/conduct-events/{event_id}:decide", auth::kInspectors,
           "Confirm a pending conduct event (it then counts in the department's and the window's "
           "scores) or dismiss it: `decision` CONDUCT_DECISION_CONFIRMED or "
           "CONDUCT_DECISION_DISMISSED, with the `reason` (what the inspector saw); 409 once "
           "decided.",
           VideoMethod("DecideConductEvent"))
      .prepare = target_in_path("event_id");

  // ---- storage
  AddRoute("GET", "/v1/video/storage", kWatch,
           "The recordings' disk use against the quota, what holds keep, retention, the oldest "
           "segment.",
           VideoMethod("GetStorage"));
}

}  // namespace sunlight::gateway
