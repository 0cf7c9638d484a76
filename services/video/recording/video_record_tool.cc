// Records one camera into a directory until SIGTERM or SIGINT (or until killed, which is what
// the crash tests do); prints each segment, gap and state change on stderr.
//
//   video_record_tool --url=rtsp://127.0.0.1:8554/camera --dir=/tmp/rec --camera=hall-1
//                     [--segment_seconds=60]
#include <csignal>
#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sunlight/base/clock.h"
#include "sunlight/base/log.h"
#include "sunlight/video/camera_recorder.h"

namespace {

class LoggingObserver : public sunlight::video::RecordingObserver {
 public:
  void OnSegment(const sunlight::video::SegmentInfo& s) override {
    sunlight::LogInfo("video", absl::StrCat("segment ", s.path, " frames=", s.frame_count,
                                            " seconds=", absl::ToDoubleSeconds(s.end - s.start)));
  }
  void OnGap(const sunlight::video::RecordingGap& gap) override {
    sunlight::LogInfo("video", absl::StrCat("gap cause=", GapCauseName(gap.cause),
                                            " seconds=", absl::ToDoubleSeconds(gap.end - gap.start),
                                            " ", gap.detail));
  }
  void OnState(sunlight::video::CameraState state, const std::string& detail) override {
    sunlight::LogInfo("video", absl::StrCat("state ", CameraStateName(state), " ", detail));
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags = {
      {"url", ""}, {"dir", ""}, {"camera", "camera"}, {"segment_seconds", "60"}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    size_t equals = arg.find('=');
    if (arg.rfind("--", 0) != 0 || equals == std::string::npos ||
        !flags.contains(arg.substr(2, equals - 2))) {
      sunlight::LogError("video",
                         "usage: video_record_tool --url=rtsp://... --dir=DIR "
                         "[--camera=ID] [--segment_seconds=N]");
      return 2;
    }
    flags[arg.substr(2, equals - 2)] = arg.substr(equals + 1);
  }
  double segment_seconds = 0;
  if (flags["url"].empty() || flags["dir"].empty() ||
      !absl::SimpleAtod(flags["segment_seconds"], &segment_seconds) || segment_seconds <= 0) {
    sunlight::LogError("video", "--url, --dir and a positive --segment_seconds are required");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // the recording thread inherits the mask

  sunlight::SystemClock clock;
  LoggingObserver observer;
  sunlight::video::CameraRecorder recorder({.camera_id = flags["camera"],
                                            .url = flags["url"],
                                            .directory = flags["dir"],
                                            .segment_duration = absl::Seconds(segment_seconds)},
                                           clock, observer);
  if (absl::Status started = recorder.Start(); !started.ok()) {
    sunlight::LogError("video", std::string(started.message()));
    return 1;
  }
  int signal = 0;
  sigwait(&signals, &signal);
  recorder.Stop();
  return 0;
}
