// The sampler, the detector and the rules on real video: OpenCV's vtest.avi (people walking
// across a yard, 768x576 at 10 frames/s) and clips the ffmpeg CLI makes at test time.
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/video/conduct_rules.h"
#include "sunlight/video/conduct_snapshot.h"
#include "sunlight/video/frame_sampler.h"
#include "sunlight/video/people_detector.h"

namespace sunlight::video {
namespace {

using testing::ScratchDir;

void Run(const std::string& command) {
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

std::string Ffmpeg(const std::string& args) {
  return absl::StrCat("'", SUNLIGHT_FFMPEG, "' -nostdin -v error -y ", args);
}

// vtest.avi as a plain file (some packagings gzip it).
std::string Vtest(const ScratchDir& dir) {
  const std::string shipped = SUNLIGHT_VTEST_AVI;
  INFO("vtest.avi comes with Debian's opencv-doc (tools/setup installs it)");
  REQUIRE_FALSE(shipped.empty());
  if (!absl::EndsWith(shipped, ".gz")) return shipped;
  const std::string plain = dir.Sub("vtest.avi");
  Run(absl::StrCat("gzip -dc '", shipped, "' > '", plain, "'"));
  return plain;
}

// The first `seconds` of vtest.avi as H.264 at 25 frames/s (a camera's usual rate), with
// B-frames nothing refers to, which the sampler need not decode.
std::string VtestH264(const ScratchDir& dir, int seconds) {
  const std::string clip = dir.Sub("vtest-h264.mp4");
  Run(Ffmpeg(absl::StrCat("-t ", seconds, " -i '", Vtest(dir), "' -r 25 -c:v libx264 ",
                          "-preset veryfast -x264-params bframes=2:b-pyramid=none:keyint=50 '",
                          clip, "'")));
  return clip;
}

std::unique_ptr<StreamFrameSampler> OpenOrFail(const std::string& url,
                                               const FrameSamplingOptions& options) {
  absl::StatusOr<std::unique_ptr<StreamFrameSampler>> sampler =
      StreamFrameSampler::Open(url, options);
  INFO(sampler.status().ToString());
  REQUIRE(sampler.ok());
  return *std::move(sampler);
}

// Every kept frame up to `until` of stream time.
std::vector<SampledFrame> Sample(StreamFrameSampler& sampler,
                                 absl::Duration until = absl::InfiniteDuration()) {
  std::vector<SampledFrame> frames;
  while (true) {
    absl::StatusOr<std::optional<SampledFrame>> next = sampler.Next();
    INFO(next.status().ToString());
    REQUIRE(next.ok());
    if (!next->has_value() || (*next)->stream_time > until) break;
    frames.push_back(**std::move(next));
  }
  return frames;
}

std::unique_ptr<PeopleDetector> Hog() {
  absl::StatusOr<std::unique_ptr<PeopleDetector>> detector = MakeHogPeopleDetector({});
  REQUIRE(detector.ok());
  return *std::move(detector);
}

TEST_CASE("the sampler keeps at most five frames a second of a 25 frame H.264 stream",
          "[sampler]") {
  ScratchDir dir("conduct-sampler");
  const std::string clip = VtestH264(dir, 4);
  std::unique_ptr<StreamFrameSampler> sampler = OpenOrFail(clip, {});
  const std::vector<SampledFrame> frames = Sample(*sampler);

  // 4 s: 20 frames at 5 a second, one in each 200 ms of stream time, five in each second.
  CHECK(frames.size() >= 19);
  CHECK(frames.size() <= 20);
  std::map<int64_t, int> per_slot, per_second;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (i > 0) CHECK(frames[i].stream_time > frames[i - 1].stream_time);
    ++per_slot[absl::ToInt64Milliseconds(frames[i].stream_time) / 200];
    ++per_second[absl::ToInt64Seconds(frames[i].stream_time)];
  }
  for (const auto& [slot, count] : per_slot) CHECK(count == 1);
  for (const auto& [second, count] : per_second) CHECK(count <= 5);
  CHECK(frames.front().stream_time < absl::Milliseconds(100));
  for (const SampledFrame& frame : frames) {
    CHECK(frame.bgr.type() == CV_8UC3);
    CHECK(frame.bgr.cols == 640);
    CHECK(frame.bgr.rows == 480);
    CHECK(frame.source_width == 768);
    CHECK(frame.source_height == 576);
  }
  // The unreferenced B-frames (two of three) were never decoded.
  CHECK(sampler->decoder().frames_kept() == static_cast<int64_t>(frames.size()));
  CHECK(sampler->decoder().frames_decoded() < 50);
}

TEST_CASE("the sampler keeps one frame a second when asked", "[sampler]") {
  ScratchDir dir("conduct-sampler-1");
  std::unique_ptr<StreamFrameSampler> sampler =
      OpenOrFail(Vtest(dir), {.frames_per_second = 1, .max_width = 320});
  const std::vector<SampledFrame> frames = Sample(*sampler, absl::Seconds(10));
  CHECK(frames.size() == 11);  // 0 s to 10 s
  CHECK(frames[1].stream_time == absl::Seconds(1));
  CHECK(frames[0].bgr.cols == 320);
  CHECK(frames[0].bgr.rows == 240);
}

TEST_CASE("the sampler refuses rates above five frames a second", "[sampler]") {
  CHECK(StreamFrameSampler::Open("/nonexistent.mp4", {.frames_per_second = 6}).status().message() ==
        "frames_per_second: not in (0, 5]");
}

TEST_CASE("a missing file is not found", "[sampler]") {
  CHECK(StreamFrameSampler::Open("/nonexistent/camera.mp4", {}).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("a file that is not video is an invalid argument", "[sampler]") {
  ScratchDir dir("conduct-bad");
  const std::string text = dir.Sub("notes.mp4");
  std::ofstream(text) << "these are not the frames you are looking for\n";
  CHECK(StreamFrameSampler::Open(text, {}).status().code() == absl::StatusCode::kInvalidArgument);

  const std::string audio = dir.Sub("tone.wav");
  Run(Ffmpeg(absl::StrCat("-f lavfi -i sine=frequency=440:duration=1 '", audio, "'")));
  absl::StatusOr<std::unique_ptr<StreamFrameSampler>> sampler = StreamFrameSampler::Open(audio, {});
  CHECK(sampler.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(sampler.status().message() == "url: no video stream");
}

TEST_CASE("an unreachable camera is unavailable", "[sampler]") {
  // Port 9 on the loopback: nothing listens there, the connection is refused at once.
  absl::StatusOr<std::unique_ptr<StreamFrameSampler>> sampler =
      StreamFrameSampler::Open("rtsp://127.0.0.1:9/stream", {}, {.io_timeout = absl::Seconds(2)});
  CHECK(sampler.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("a stream damaged in the middle still yields its intact frames", "[sampler]") {
  ScratchDir dir("conduct-damaged");
  const std::string clip = dir.Sub("camera.h264");
  Run(Ffmpeg(absl::StrCat("-t 4 -i '", Vtest(dir), "' -r 25 -c:v libx264 -preset ultrafast ",
                          "-x264-params keyint=25 -f h264 '", clip, "'")));
  {
    // Overwrite a stretch in the middle with garbage, as a broken camera might send.
    std::fstream file(clip, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(0, std::ios::end);
    const std::streamoff size = file.tellg();
    file.seekp(size * 2 / 5);
    for (std::streamoff i = 0; i < size / 5; ++i) file.put(static_cast<char>((i * 7919) & 0xff));
  }
  std::unique_ptr<StreamFrameSampler> sampler = OpenOrFail(clip, {});
  int frames = 0;
  while (true) {
    absl::StatusOr<std::optional<SampledFrame>> next = sampler->Next();
    if (!next.ok()) {
      CHECK(next.status().code() == absl::StatusCode::kDataLoss);
      break;
    }
    if (!next->has_value()) break;
    ++frames;
  }
  CHECK(frames >= 8);
}

TEST_CASE("the HOG detector finds people in vtest.avi", "[detector]") {
  ScratchDir dir("conduct-detect");
  std::unique_ptr<StreamFrameSampler> sampler =
      OpenOrFail(Vtest(dir), {.frames_per_second = 1, .max_width = 768});
  const std::vector<SampledFrame> frames = Sample(*sampler, absl::Seconds(9));
  REQUIRE(frames.size() == 10);
  std::unique_ptr<PeopleDetector> detector = Hog();
  int frames_with_people = 0;
  for (const SampledFrame& frame : frames) {
    absl::StatusOr<std::vector<PersonBox>> people = detector->Detect(frame.bgr);
    REQUIRE(people.ok());
    if (!people->empty()) ++frames_with_people;
    for (const PersonBox& person : *people) {
      CHECK(person.left >= 0);
      CHECK(person.top >= 0);
      CHECK(person.left + person.width <= 1.0001);
      CHECK(person.top + person.height <= 1.0001);
      // Upright people: boxes taller than wide, as the 64x128 window.
      CHECK(person.height * frame.bgr.rows > person.width * frame.bgr.cols);
    }
    for (size_t i = 1; i < people->size(); ++i) {
      CHECK((*people)[i - 1].score >= (*people)[i].score);
    }
  }
  CHECK(frames_with_people >= 6);
}

TEST_CASE("the HOG detector finds no one in an empty scene", "[detector]") {
  ScratchDir dir("conduct-empty");
  const std::string clip = dir.Sub("empty.mp4");
  Run(Ffmpeg(absl::StrCat("-f lavfi -i color=c=gray:s=640x480:d=3:r=25 -vf noise=alls=12:allf=t ",
                          "-c:v libx264 -preset ultrafast '", clip, "'")));
  std::unique_ptr<StreamFrameSampler> sampler = OpenOrFail(clip, {});
  const std::vector<SampledFrame> frames = Sample(*sampler);
  CHECK(frames.size() >= 14);
  std::unique_ptr<PeopleDetector> detector = Hog();
  for (const SampledFrame& frame : frames) {
    absl::StatusOr<std::vector<PersonBox>> people = detector->Detect(frame.bgr);
    REQUIRE(people.ok());
    CHECK(people->empty());
  }
}

TEST_CASE("the detector refuses an image that is not BGR", "[detector]") {
  CHECK(Hog()->Detect(cv::Mat(480, 640, CV_8UC1)).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(Hog()->Detect(cv::Mat()).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("two people in the whole frame of vtest.avi make a crowd with a snapshot", "[conduct]") {
  ScratchDir dir("conduct-crowd");
  std::unique_ptr<StreamFrameSampler> sampler =
      OpenOrFail(Vtest(dir), {.frames_per_second = 2, .max_width = 768});
  ConductZone hall = ConductZone::Rectangle("yard", ZoneKind::kQueue, {0, 0}, {1, 1}).value();
  hall.min_people = 2;
  hall.hold = absl::Seconds(5);
  absl::StatusOr<ConductRuleEngine> engine = ConductRuleEngine::Create({hall}, AlwaysWorking());
  REQUIRE(engine.ok());
  std::unique_ptr<PeopleDetector> detector = Hog();

  const absl::Time started = absl::FromUnixSeconds(1771000000);
  std::optional<ConductEvent> opened;
  std::string snapshot;
  for (const SampledFrame& frame : Sample(*sampler, absl::Seconds(12))) {
    absl::StatusOr<std::vector<PersonBox>> people = detector->Detect(frame.bgr);
    REQUIRE(people.ok());
    absl::StatusOr<std::vector<ConductTransition>> changes =
        engine->Observe(started + frame.stream_time, *people);
    REQUIRE(changes.ok());
    for (const ConductTransition& change : *changes) {
      if (change.kind != ConductTransition::kOpened || opened.has_value()) continue;
      opened = change.event;
      absl::StatusOr<std::string> jpeg =
          EncodeSnapshotJpeg(frame.bgr, {.zone = &engine->zones()[0], .people = *people});
      REQUIRE(jpeg.ok());
      snapshot = *std::move(jpeg);
    }
    if (opened.has_value()) break;
  }
  REQUIRE(opened.has_value());
  CHECK(opened->rule == ConductRule::kCrowding);
  CHECK(opened->zone_id == "yard");
  CHECK(opened->peak_people >= 2);
  CHECK(opened->snapshot_at - opened->start >= absl::Seconds(5));

  REQUIRE(snapshot.size() > 1000);
  CHECK(static_cast<unsigned char>(snapshot[0]) == 0xFF);
  CHECK(static_cast<unsigned char>(snapshot[1]) == 0xD8);
  const cv::Mat decoded =
      cv::imdecode(std::vector<uchar>(snapshot.begin(), snapshot.end()), cv::IMREAD_COLOR);
  CHECK(decoded.cols == 768);
  CHECK(decoded.rows == 576);
}

TEST_CASE("a snapshot needs a BGR image and a quality in range", "[snapshot]") {
  CHECK(EncodeSnapshotJpeg(cv::Mat(10, 10, CV_8UC1)).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(EncodeSnapshotJpeg(cv::Mat(10, 10, CV_8UC3, cv::Scalar(0, 0, 0)), {.quality = 0})
            .status()
            .message() == "quality: not in 1..100");
}

}  // namespace
}  // namespace sunlight::video
