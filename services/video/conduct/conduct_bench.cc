// The detection path's CPU per camera: sampling (decode, convert, scale), HOG detection and
// the rules over one recorded stream, as fast as it decodes; CPU time over the stream's
// duration is the share of a core one live camera would take.
//
//   video_conduct_bench <file or URL> [--fps=5] [--width=640] [--seconds=60]
//                       [--scale_step=1.1] [--stride=8] [--grey] [--opencv_threads=1]
//
// Prints "BENCH video_detect_cpu_pct_per_camera <value> %" and the parts of it.
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include <opencv2/core/utility.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "sunlight/video/conduct_rules.h"
#include "sunlight/video/frame_sampler.h"
#include "sunlight/video/people_detector.h"

namespace {

using namespace sunlight::video;

absl::Duration CpuTime() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
}

bool Flag(const std::string& arg, const char* name, std::string* value) {
  const std::string prefix = std::string("--") + name + "=";
  if (!absl::StartsWith(arg, prefix)) return false;
  *value = arg.substr(prefix.size());
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: video_conduct_bench <file or URL> [--fps=5] [--width=640] "
               "[--seconds=60] [--scale_step=1.1] [--stride=8] [--grey] [--opencv_threads=1]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string url = argv[1];
  FrameSamplingOptions sampling;
  HogPeopleDetectorOptions hog;
  double seconds = 60;
  int opencv_threads = 1;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string value;
    bool ok = true;
    if (arg == "--grey") {
      hog.grayscale = true;
    } else if (arg == "--skip_deblocking") {
      sampling.skip_deblocking = true;
    } else if (Flag(arg, "fps", &value)) {
      ok = absl::SimpleAtod(value, &sampling.frames_per_second);
    } else if (Flag(arg, "width", &value)) {
      ok = absl::SimpleAtoi(value, &sampling.max_width);
    } else if (Flag(arg, "seconds", &value)) {
      ok = absl::SimpleAtod(value, &seconds);
    } else if (Flag(arg, "scale_step", &value)) {
      ok = absl::SimpleAtod(value, &hog.scale_step);
    } else if (Flag(arg, "stride", &value)) {
      ok = absl::SimpleAtoi(value, &hog.window_stride);
    } else if (Flag(arg, "opencv_threads", &value)) {
      ok = absl::SimpleAtoi(value, &opencv_threads);
    } else {
      ok = false;
    }
    if (!ok) return Usage();
  }
  // One thread per camera's detection: what the figure means, and what the service does when
  // it runs many cameras side by side.
  cv::setNumThreads(opencv_threads);

  absl::StatusOr<std::unique_ptr<StreamFrameSampler>> sampler =
      StreamFrameSampler::Open(url, sampling);
  absl::StatusOr<std::unique_ptr<PeopleDetector>> detector = MakeHogPeopleDetector(hog);
  if (!sampler.ok() || !detector.ok()) {
    std::fprintf(stderr, "%s\n",
                 (!sampler.ok() ? sampler.status() : detector.status()).ToString().c_str());
    return 1;
  }
  ConductZone hall = ConductZone::Rectangle("hall", ZoneKind::kQueue, {0, 0}, {1, 1}).value();
  hall.min_people = 2;
  hall.hold = absl::Seconds(10);
  ConductZone desk = ConductZone::Rectangle("desk", ZoneKind::kStaff, {0, 0.5}, {0.5, 1}).value();
  absl::StatusOr<ConductRuleEngine> engine =
      ConductRuleEngine::Create({hall, desk}, AlwaysWorking());
  if (!engine.ok()) return 1;

  const absl::Time epoch = absl::UnixEpoch();
  absl::Duration sampling_cpu, detection_cpu, first = absl::InfiniteDuration(), last;
  int64_t frames = 0, people = 0, events = 0;
  while (true) {
    const absl::Duration before_sampling = CpuTime();
    absl::StatusOr<std::optional<SampledFrame>> frame = (*sampler)->Next();
    const absl::Duration before_detection = CpuTime();
    sampling_cpu += before_detection - before_sampling;
    if (!frame.ok()) {
      std::fprintf(stderr, "%s\n", frame.status().ToString().c_str());
      return 1;
    }
    if (!frame->has_value() || (*frame)->stream_time > absl::Seconds(seconds)) break;
    absl::StatusOr<std::vector<PersonBox>> found = (*detector)->Detect((*frame)->bgr);
    if (!found.ok()) return 1;
    absl::StatusOr<std::vector<ConductTransition>> changes =
        engine->Observe(epoch + (*frame)->stream_time, *found);
    if (!changes.ok()) return 1;
    detection_cpu += CpuTime() - before_detection;
    first = std::min(first, (*frame)->stream_time);
    last = (*frame)->stream_time;
    ++frames;
    people += static_cast<int64_t>(found->size());
    events += static_cast<int64_t>(changes->size());
  }
  if (frames == 0) return 1;
  const double media = absl::ToDoubleSeconds(last - first) + 1.0 / sampling.frames_per_second;
  const double sample_pct = 100 * absl::ToDoubleSeconds(sampling_cpu) / media;
  const double detect_pct = 100 * absl::ToDoubleSeconds(detection_cpu) / media;
  std::printf("frames %lld over %.1f s of stream (%.2f/s), %lld person boxes, %lld transitions\n",
              static_cast<long long>(frames), media, frames / media, static_cast<long long>(people),
              static_cast<long long>(events));
  std::printf("decoded %lld of the stream's frames, kept %lld\n",
              static_cast<long long>((*sampler)->decoder().frames_decoded()),
              static_cast<long long>((*sampler)->decoder().frames_kept()));
  std::printf("BENCH video_detect_sampling_cpu_pct_per_camera %.2f %%\n", sample_pct);
  std::printf("BENCH video_detect_hog_cpu_pct_per_camera %.2f %%\n", detect_pct);
  std::printf("BENCH video_detect_cpu_pct_per_camera %.2f %%\n", sample_pct + detect_pct);
  return 0;
}
