#include "sunlight/video/clip_assembler.h"

#include <filesystem>
#include <fstream>
#include <vector>

#include "catch2/catch.hpp"
#include "sunlight/testing/test_support.h"
#include "sunlight/video/segment_writer.h"
#include "test_media.h"

namespace sunlight::video {
namespace {

using ::sunlight::testing::ScratchDir;
using ::sunlight::video::testing::DecodedFrameCount;
using ::sunlight::video::testing::ProbedDurationSeconds;
using ::sunlight::video::testing::RecordTestMovie;

const absl::Time kStart = absl::FromUnixSeconds(1771000000);

absl::Time At(double seconds) { return kStart + absl::Seconds(seconds); }

// Three 2 s segments from kStart (a keyframe every second, 25 frames/s).
std::vector<SegmentInfo> RecordSixSeconds(const ScratchDir& dir) {
  std::vector<SegmentInfo> segments =
      RecordTestMovie(dir, kStart, absl::Seconds(6), 25, absl::Seconds(2));
  REQUIRE(segments.size() == 3);
  return segments;
}

TEST_CASE("a clip over a segment boundary starts at the keyframe before from and plays") {
  ScratchDir dir("clip");
  std::vector<SegmentInfo> segments = RecordSixSeconds(dir);
  ClipInfo info;
  auto bytes = AssembleClip(segments, At(1.5), At(4.5), &info);
  REQUIRE(bytes.ok());
  CHECK(info.start == At(1));
  CHECK(info.end == At(4.52));  // the frame at 4.48 s is the last to start before 4.5 s
  CHECK(info.duration == absl::Milliseconds(3520));
  CHECK(info.frame_count == 88);
  CHECK(info.bytes == static_cast<int64_t>(bytes->size()));
  CHECK(info.unreadable.empty());

  std::string path = dir.Sub("clip.mp4");
  std::ofstream(path, std::ios::binary) << *bytes;
  CHECK(ProbedDurationSeconds(path) == Approx(3.52).margin(0.05));
  CHECK(DecodedFrameCount(path) == 88);
}

TEST_CASE("a clip written to a file is the same clip") {
  ScratchDir dir("clip-file");
  std::vector<SegmentInfo> segments = RecordSixSeconds(dir);
  auto info = AssembleClipFile(segments, At(0.2), At(6), dir.Sub("held.mp4"));
  REQUIRE(info.ok());
  CHECK(info->start == At(0));
  CHECK(info->frame_count == 150);
  CHECK(info->bytes == static_cast<int64_t>(std::filesystem::file_size(dir.Sub("held.mp4"))));
  CHECK(ProbedDurationSeconds(dir.Sub("held.mp4")) == Approx(6.0).margin(0.05));
  CHECK(DecodedFrameCount(dir.Sub("held.mp4")) == 150);
  // A clip never overwrites a file.
  CHECK(AssembleClipFile(segments, At(0), At(1), dir.Sub("held.mp4")).status().code() ==
        absl::StatusCode::kAlreadyExists);
}

TEST_CASE("time not recorded is left out of a clip and a lost file is named") {
  ScratchDir dir("clip-gap");
  std::vector<SegmentInfo> segments = RecordSixSeconds(dir);
  std::filesystem::remove(segments[1].path);
  ClipInfo info;
  auto bytes = AssembleClip(segments, At(1), At(5), &info);
  REQUIRE(bytes.ok());
  CHECK(info.start == At(1));
  CHECK(info.duration == absl::Seconds(2));  // 1 s to 2 s, then 4 s to 5 s
  CHECK(info.frame_count == 50);
  CHECK(info.unreadable == std::vector<std::string>{segments[1].path});
  std::string path = dir.Sub("clip.mp4");
  std::ofstream(path, std::ios::binary) << *bytes;
  CHECK(DecodedFrameCount(path) == 50);
}

TEST_CASE("a clip of a range without recording is not found and a reversed range is invalid") {
  ScratchDir dir("clip-empty");
  std::vector<SegmentInfo> segments = RecordSixSeconds(dir);
  CHECK(AssembleClip(segments, At(10), At(20)).status().code() == absl::StatusCode::kNotFound);
  CHECK(AssembleClip(segments, At(2), At(2)).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(AssembleClipFile(segments, At(10), At(20), dir.Sub("none.mp4")).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK_FALSE(std::filesystem::exists(dir.Sub("none.mp4")));
}

}  // namespace
}  // namespace sunlight::video
