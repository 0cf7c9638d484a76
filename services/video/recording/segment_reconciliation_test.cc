#include "sunlight/video/segment_reconciliation.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_join.h"
#include "catch2/catch.hpp"
#include "sunlight/testing/rtsp_test_server.h"
#include "sunlight/testing/test_support.h"
#include "test_media.h"

namespace sunlight::video {
namespace {

using ::sunlight::testing::ChildProcess;
using ::sunlight::testing::RtspTestServer;
using ::sunlight::testing::ScratchDir;
using ::sunlight::video::testing::DecodedFrameCount;
using ::sunlight::video::testing::RecordTestMovie;

const absl::Time kStart = absl::FromUnixSeconds(1771000000);

void Touch(const std::string& path, const std::string& content = "") {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

TEST_CASE("files without an index row are orphans and rows without a file are missing") {
  SegmentReconciliation found =
      ReconcileSegments({"/v/c", "/v/a", "/v/b"}, {"/v/b", "/v/d", "/v/c"});
  CHECK(found.orphans == std::vector<std::string>{"/v/a"});
  CHECK(found.missing == std::vector<std::string>{"/v/d"});
}

TEST_CASE("only segment files are listed at any depth and a missing directory is an error") {
  ScratchDir dir("reconcile-list");
  std::string a = dir.Sub("hall-1/" + SegmentFileName("hall-1", kStart));
  std::string b = dir.Sub("hall-2/day/" + SegmentFileName("hall-2", kStart));
  Touch(a);
  Touch(b);
  Touch(dir.Sub("hall-1/notes.txt"));
  Touch(dir.Sub("hall-1/clip.mp4"));
  auto listed = ListSegmentFiles(dir.path());
  INFO(listed.status().ToString());
  REQUIRE(listed.ok());
  INFO(absl::StrJoin(*listed, " "));
  CHECK(*listed == std::vector<std::string>{a, b});
  auto found = ReconcileSegmentDirectory(dir.path(), {a, dir.Sub("hall-1/gone.mp4")});
  REQUIRE(found.ok());
  CHECK(found->orphans == std::vector<std::string>{b});
  CHECK(found->missing == std::vector<std::string>{dir.Sub("hall-1/gone.mp4")});
  // An unmounted disk must not look like every segment was lost.
  CHECK(ListSegmentFiles(dir.Sub("absent")).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("a probed segment is what the writer reported") {
  ScratchDir dir("reconcile-probe");
  std::vector<SegmentInfo> segments =
      RecordTestMovie(dir, kStart, absl::Seconds(4), 25, absl::Seconds(2));
  REQUIRE(segments.size() == 2);
  for (const SegmentInfo& written : segments) {
    auto probed = ProbeSegmentFile(written.path);
    INFO(probed.status().ToString());
    REQUIRE(probed.ok());
    CHECK(probed->camera_id == written.camera_id);
    CHECK(probed->start == written.start);
    CHECK(probed->end == written.end);
    CHECK(probed->bytes == written.bytes);
    CHECK(probed->frame_count == written.frame_count);
    CHECK(probed->keyframe_count == written.keyframe_count);
    REQUIRE(probed->keyframes.size() == written.keyframes.size());
    for (size_t i = 0; i < written.keyframes.size(); ++i) {
      CHECK(probed->keyframes[i].at == written.keyframes[i].at);
      CHECK(probed->keyframes[i].fragment_offset == written.keyframes[i].fragment_offset);
    }
  }
}

TEST_CASE("a segment cut short probes to its last complete frame and an empty one is data loss") {
  ScratchDir dir("reconcile-cut");
  std::vector<SegmentInfo> segments =
      RecordTestMovie(dir, kStart, absl::Seconds(4), 25, absl::Seconds(4));
  REQUIRE(segments.size() == 1);
  std::string cut = dir.Sub(SegmentFileName("hall-1", kStart));
  std::filesystem::copy_file(segments[0].path, cut);
  std::filesystem::resize_file(cut, segments[0].bytes * 2 / 3);
  auto probed = ProbeSegmentFile(cut);
  INFO(probed.status().ToString());
  REQUIRE(probed.ok());
  CHECK(probed->frame_count > 25);
  CHECK(probed->frame_count < 100);
  CHECK(DecodedFrameCount(cut) >= probed->frame_count - 25);

  std::string empty = dir.Sub(SegmentFileName("hall-1", kStart + absl::Seconds(9)));
  Touch(empty);
  CHECK(ProbeSegmentFile(empty).status().code() == absl::StatusCode::kDataLoss);
  std::string junk = dir.Sub(SegmentFileName("hall-1", kStart + absl::Seconds(10)));
  Touch(junk, "not an mp4 file at all");
  CHECK(ProbeSegmentFile(junk).status().code() == absl::StatusCode::kDataLoss);
  CHECK(ProbeSegmentFile(dir.Sub("other.mp4")).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a killed recorder loses at most the last second or so and leaves an orphan to index") {
  RtspTestServer camera;
  REQUIRE(camera.Start().ok());
  ScratchDir dir("reconcile-kill");
  ChildProcess recorder({SUNLIGHT_VIDEO_RECORD_TOOL, "--url=" + camera.url(),
                         "--dir=" + dir.Sub("hall-1"), "--camera=hall-1", "--segment_seconds=60"});
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!ListSegmentFiles(dir.Sub("hall-1")).ok() ||
         ListSegmentFiles(dir.Sub("hall-1"))->empty()) {
    REQUIRE(absl::Now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  absl::Time first_frame = absl::Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  absl::Duration recorded = absl::Now() - first_frame;
  recorder.Kill(SIGKILL);

  auto found = ReconcileSegmentDirectory(dir.path(), {});
  REQUIRE(found.ok());
  REQUIRE(found->orphans.size() == 1);
  CHECK(found->missing.empty());
  auto probed = ProbeSegmentFile(found->orphans[0]);
  INFO(probed.status().ToString());
  REQUIRE(probed.ok());
  absl::Duration kept = probed->end - probed->start;
  CHECK(kept >= recorded - absl::Milliseconds(1500));
  CHECK(kept <= recorded + absl::Milliseconds(500));
  // ffprobe may also decode a frame the kill cut short.
  CHECK(DecodedFrameCount(found->orphans[0]) >= probed->frame_count);
}

}  // namespace
}  // namespace sunlight::video
