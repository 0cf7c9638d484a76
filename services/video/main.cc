// video: the hall's cameras recorded, clips, holds, conduct events. Wiring only; logic in
// video.h.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/server/service_main.h"
#include "sunlight/video/video.h"
#include "sunlight/video/video_grpc_service.h"

namespace {

// A non-negative integer flag, or INVALID_ARGUMENT naming it.
absl::StatusOr<int64_t> IntegerFlag(const sunlight::server::ServiceMain& main,
                                    const std::string& name) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(main.flag(name), &value) || value < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": a non-negative integer"));
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  namespace vd = sunlight::video;
  sunlight::server::ServiceMain main({.name = "video",
                                      .default_port = 7006,
                                      .column_families = vd::VideoColumnFamilies(),
                                      .method_policy = vd::VideoMethodPolicy(),
                                      .calendar = true,
                                      .stream_readers = {"gateway", "scoring"}});
  main.AddFlag({"intake", "127.0.0.1:7001",
                "intake service address (its event stream: windows, acceptances and refusals, "
                "whose clips are held)"});
  main.AddFlag({"recordings_dir", "", "directory of the segments; default: <data_dir>/recordings"});
  main.AddFlag({"retention_days", "30", "segments older than this are deleted unless held"});
  main.AddFlag({"quota_bytes", "0", "recordings kept within this many bytes; 0: no quota"});
  main.AddFlag({"min_free_bytes", "268435456", "free space kept on the recordings' file system"});
  main.AddFlag({"segment_seconds", "60", "length of a recorded segment (2 to 3,600)"});
  main.AddFlag({"working_hours", "09:00-12:00,13:30-17:30",
                "the posts' working hours on working days, local (absent-from-post rule)"});
  main.AddFlag({"data_key_file", "",
                "file (mode 0600) of the key that seals cameras' RTSP credentials; required "
                "unless --insecure_development (then credentials are refused)"});
  if (!main.Init(argc, argv)) return main.exit_code();
  auto data_key = sunlight::server::DataKeyFromFlag(main, "data_key_file");
  if (!data_key.ok()) return main.Fail(data_key.status());
  vd::VideoOptions options;
  options.recordings_dir = main.flag("recordings_dir").empty()
                               ? absl::StrCat(main.flag("data_dir"), "/recordings")
                               : main.flag("recordings_dir");
  auto retention_days = IntegerFlag(main, "retention_days");
  auto quota = IntegerFlag(main, "quota_bytes");
  auto min_free = IntegerFlag(main, "min_free_bytes");
  auto segment_seconds = IntegerFlag(main, "segment_seconds");
  for (const auto* parsed : {&retention_days, &quota, &min_free, &segment_seconds}) {
    if (!parsed->ok()) return main.Fail(parsed->status());
  }
  options.retention = absl::Hours(24 * *retention_days);
  options.quota_bytes = *quota;
  options.min_free_bytes = *min_free;
  options.segment_duration = absl::Seconds(*segment_seconds);
  options.working_hours = main.flag("working_hours");
  auto video =
      vd::Video::Open(main.store(), main.calendar(), main.clock(), *data_key, std::move(options));
  if (!video.ok()) return main.Fail(video.status());
  vd::Video* v = video->get();
  v->metrics().Register(main.host().registry());
  v->camera_metrics().Register(main.host().registry());
  v->timings().Register(main.host().registry());
  vd::VideoGrpcService service(v, main.authorizer());
  main.AddService(&service);
  main.ServeEventLog(&v->event_log());
  main.Follow(
      vd::kIntakeStream, main.flag("intake"), [v] { return v->Cursor(vd::kIntakeStream); },
      [v](const auto& batch) { return v->ApplyEvents(vd::kIntakeStream, batch); });
  if (absl::Status started = v->Start(); !started.ok()) {
    sunlight::LogError("video", started.ToString());  // a camera's; the others record
  }
  // Level-triggered: a recorder that should run and does not is started again.
  main.Every(absl::Seconds(5), [v] {
    if (absl::Status reconciled = v->ReconcileRecorders(); !reconciled.ok()) {
      sunlight::LogError("video", reconciled.ToString());
    }
  });
  main.Every(absl::Seconds(30), [v] {
    if (auto deleted = v->EnforceRetention(); !deleted.ok()) {
      sunlight::LogError("video", deleted.status().ToString());
    }
  });
  main.Every(absl::Seconds(15), [v] {
    if (absl::Status refreshed = v->RefreshMetrics(); !refreshed.ok()) {
      sunlight::LogError("video", refreshed.ToString());
    }
  });
  main.OnShutdown([v] { v->Stop(); });
  return main.Run(absl::StrCat("following intake at ", main.flag("intake")));
}
