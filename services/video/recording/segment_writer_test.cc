#include "sunlight/video/segment_writer.h"

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <vector>

#include "catch2/catch.hpp"
#include "sunlight/base/clock.h"
#include "sunlight/testing/test_support.h"
#include "test_media.h"

extern "C" {
#include <libavformat/avformat.h>
}

namespace sunlight::video {
namespace {

using ::sunlight::testing::ScratchDir;
using ::sunlight::video::testing::DecodedFrameCount;
using ::sunlight::video::testing::MakeTestMovie;
using ::sunlight::video::testing::ProbedDurationSeconds;
using ::sunlight::video::testing::ReplayMovie;

const absl::Time kStart = absl::FromUnixSeconds(1771000000);

TEST_CASE("segments start on keyframes and each plays for its share of the recording") {
  ScratchDir dir("segment-writer");
  std::string movie = MakeTestMovie(dir.Sub("camera.mp4"), absl::Seconds(6), 25);
  FakeClock clock(kStart);
  std::vector<SegmentInfo> segments;
  SegmentWriter writer({.camera_id = "hall-1",
                        .directory = dir.Sub("segments"),
                        .segment_duration = absl::Seconds(2)},
                       clock, [&](const SegmentInfo& s) { segments.push_back(s); });
  REQUIRE(ReplayMovie(movie, writer, clock, 1.001).empty());
  REQUIRE(writer.Close().ok());

  REQUIRE(segments.size() == 3);
  int64_t frames = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const SegmentInfo& s = segments[i];
    CHECK(s.camera_id == "hall-1");
    CHECK(s.frame_count == 50);
    CHECK(s.keyframe_count == 2);
    REQUIRE(s.keyframes.size() == 2);
    CHECK(s.keyframes[0].at == absl::ZeroDuration());
    CHECK(s.keyframes[1].at == absl::Seconds(1));
    CHECK(s.keyframes[1].fragment_offset > s.keyframes[0].fragment_offset);
    CHECK(s.end - s.start == absl::Seconds(2));
    CHECK(s.bytes == static_cast<int64_t>(std::filesystem::file_size(s.path)));
    CHECK(std::filesystem::path(s.path).filename() == SegmentFileName("hall-1", s.start));
    CHECK(ProbedDurationSeconds(s.path) == Approx(2.0).margin(0.05));
    CHECK(DecodedFrameCount(s.path) == 50);
    frames += s.frame_count;
  }
  CHECK(frames == 150);
  // The camera's clock on the server's: segments follow each other from the first frame.
  CHECK(segments[0].start == kStart);
  CHECK(segments[1].start == segments[0].end);
  CHECK(segments[2].start == segments[1].end);
  // The server's clock ran 0.1% fast: 149 frames after the first, 5.96 s of the camera's
  // clock took 5.96596 s of the server's.
  CHECK(writer.drift_seconds() == Approx(0.00596).margin(0.0005));
}

TEST_CASE("packets before the first keyframe are not recorded") {
  ScratchDir dir("segment-writer-late");
  std::string movie = MakeTestMovie(dir.Sub("camera.mp4"), absl::Seconds(2), 25);
  FakeClock clock(kStart);
  std::vector<SegmentInfo> segments;
  SegmentWriter writer({.camera_id = "hall-1", .directory = dir.path()}, clock,
                       [&](const SegmentInfo& s) { segments.push_back(s); });
  AVFormatContext* input = nullptr;
  REQUIRE(avformat_open_input(&input, movie.c_str(), nullptr, nullptr) == 0);
  REQUIRE(avformat_find_stream_info(input, nullptr) >= 0);
  REQUIRE(writer.Begin(*input->streams[0]->codecpar, input->streams[0]->time_base).ok());
  AVPacket* packet = av_packet_alloc();
  for (int i = 0; av_read_frame(input, packet) >= 0; ++i) {
    if (i >= 10) REQUIRE(writer.Write(*packet).ok());  // joins mid-GOP
    clock.Advance(absl::Milliseconds(40));
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  avformat_close_input(&input);
  REQUIRE(writer.Close().ok());
  REQUIRE(segments.size() == 1);
  CHECK(segments[0].frame_count == 25);
  CHECK(segments[0].start == kStart + absl::Seconds(1));
  CHECK(DecodedFrameCount(segments[0].path) == 25);
}

TEST_CASE("a full disk ends the segment as far as it was written and a later keyframe retries") {
  ScratchDir dir("segment-writer-full");
  std::string movie = MakeTestMovie(dir.Sub("camera.mp4"), absl::Seconds(8), 25);
  FakeClock clock(kStart);
  std::vector<SegmentInfo> segments;
  SegmentWriter writer({.camera_id = "hall-1",
                        .directory = dir.Sub("segments"),
                        .segment_duration = absl::Seconds(4)},
                       clock, [&](const SegmentInfo& s) { segments.push_back(s); });
  // A file size limit stands in for a full disk: writes past it fail (EFBIG, not a signal).
  rlimit unlimited{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &unlimited) == 0);
  std::signal(SIGXFSZ, SIG_IGN);
  std::vector<absl::Status> errors = ReplayMovie(movie, writer, clock, 1.0, [&](int i) {
    if (i == 0) {
      rlimit small = unlimited;
      small.rlim_cur = 30000;
      REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    }
    if (i == 100) REQUIRE(setrlimit(RLIMIT_FSIZE, &unlimited) == 0);
  });
  REQUIRE(setrlimit(RLIMIT_FSIZE, &unlimited) == 0);
  REQUIRE(writer.Close().ok());

  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].code() == absl::StatusCode::kResourceExhausted);
  REQUIRE(segments.size() >= 2);
  // What each cut-short segment reports is what a player finds in it.
  for (const SegmentInfo& s : segments) {
    CHECK(s.frame_count > 0);
    CHECK(DecodedFrameCount(s.path) == s.frame_count);
  }
  // Once there is room again, recording goes on from the next keyframe to the end.
  CHECK(segments.back().start <= kStart + absl::Seconds(4));
  CHECK(segments.back().end == kStart + absl::Seconds(8));
}

}  // namespace
}  // namespace sunlight::video
