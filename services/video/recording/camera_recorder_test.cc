#include "sunlight/video/camera_recorder.h"

#include <fcntl.h>
#include <stdio.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <vector>

#include "catch2/catch.hpp"
#include "sunlight/base/clock.h"
#include "sunlight/testing/rtsp_test_server.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/video/clip_assembler.h"
#include "test_media.h"

namespace sunlight::video {
namespace {

using ::sunlight::testing::RtspGarbageServer;
using ::sunlight::testing::RtspTestServer;
using ::sunlight::testing::ScratchDir;
using ::sunlight::video::testing::DecodedFrameCount;
using ::sunlight::video::testing::ProbedDurationSeconds;

// What the recorder reported, for a test thread to wait on.
class RecordedEvents : public RecordingObserver {
 public:
  void OnSegment(const SegmentInfo& segment) override {
    std::lock_guard<std::mutex> lock(mu_);
    segments_.push_back(segment);
    changed_.notify_all();
  }
  void OnGap(const RecordingGap& gap) override {
    std::lock_guard<std::mutex> lock(mu_);
    gaps_.push_back(gap);
    changed_.notify_all();
  }
  void OnState(CameraState state, const std::string& detail) override {
    std::lock_guard<std::mutex> lock(mu_);
    states_.push_back({state, detail, absl::Now()});
    changed_.notify_all();
  }

  struct State {
    CameraState state;
    std::string detail;
    absl::Time at;
  };

  // Waits until `done` holds (checked under the lock); false after `timeout`.
  bool WaitFor(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(15)) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)),
                             done);
  }
  // The first report of `state` after `since`, if any. Call under WaitFor or after Stop.
  const State* StateSince(CameraState state, absl::Time since) const {
    for (const State& s : states_) {
      if (s.state == state && s.at >= since) return &s;
    }
    return nullptr;
  }

  std::vector<SegmentInfo> segments_;
  std::vector<RecordingGap> gaps_;
  std::vector<State> states_;

 private:
  std::mutex mu_;
  std::condition_variable changed_;
};

CameraRecorderOptions FastOptions(const std::string& url, const std::string& directory) {
  return {.camera_id = "hall-1",
          .url = url,
          .directory = directory,
          .segment_duration = absl::Seconds(2),
          .read_timeout = absl::Seconds(2),
          .connect_timeout = absl::Seconds(3),
          .backoff_initial = absl::Milliseconds(200),
          .backoff_max = absl::Seconds(1)};
}

TEST_CASE("a camera is recorded into short segments that each play") {
  RtspTestServer camera;
  REQUIRE(camera.Start().ok());
  ScratchDir dir("recorder");
  SystemClock clock;
  RecordedEvents events;
  CameraRecorder recorder(FastOptions(camera.url(), dir.path()), clock, events);
  REQUIRE(recorder.Start().ok());
  REQUIRE(events.WaitFor([&] { return events.segments_.size() >= 2; }));
  recorder.Stop();

  REQUIRE(events.segments_.size() >= 3);  // the one in progress is closed by Stop
  CHECK(events.gaps_.empty());
  REQUIRE(events.states_.size() == 3);
  CHECK(events.states_[0].state == CameraState::kConnecting);
  CHECK(events.states_[1].state == CameraState::kRecording);
  CHECK(events.states_[2].state == CameraState::kStopped);
  CHECK(recorder.drift_seconds() == Approx(0).margin(0.5));
  absl::Duration total;
  for (const SegmentInfo& s : events.segments_) {
    INFO(s.path);
    CHECK(s.keyframes.front().at == absl::ZeroDuration());
    CHECK(ProbedDurationSeconds(s.path) ==
          Approx(absl::ToDoubleSeconds(s.end - s.start)).margin(0.1));
    CHECK(DecodedFrameCount(s.path) == s.frame_count);
    total += s.end - s.start;
  }
  for (size_t i = 0; i + 1 < events.segments_.size(); ++i) {
    CHECK(events.segments_[i].end - events.segments_[i].start == absl::Seconds(2));
  }
  // The segments follow each other: together they span the recording.
  absl::Duration span = events.segments_.back().end - events.segments_.front().start;
  CHECK(absl::ToDoubleSeconds(total) == Approx(absl::ToDoubleSeconds(span)).margin(0.5));

  // A clip across the first boundary: from 0.5 s before it to 1 s after, from the keyframe
  // (one a second) at or before its start.
  absl::Time boundary = events.segments_[0].end;
  ClipInfo clip;
  auto bytes = AssembleClip(events.segments_, boundary - absl::Milliseconds(500),
                            boundary + absl::Seconds(1), &clip);
  REQUIRE(bytes.ok());
  CHECK(absl::ToDoubleSeconds(clip.duration) == Approx(2.0).margin(1.0));
  std::string path = dir.Sub("clip.mp4");
  std::ofstream(path, std::ios::binary) << *bytes;
  CHECK(ProbedDurationSeconds(path) == Approx(absl::ToDoubleSeconds(clip.duration)).margin(0.1));
  CHECK(DecodedFrameCount(path) == clip.frame_count);
}

TEST_CASE("a killed camera is a gap and recording resumes when it is back") {
  RtspTestServer camera;
  REQUIRE(camera.Start().ok());
  ScratchDir dir("recorder-offline");
  SystemClock clock;
  RecordedEvents events;
  CameraRecorder recorder(FastOptions(camera.url(), dir.path()), clock, events);
  REQUIRE(recorder.Start().ok());
  REQUIRE(events.WaitFor([&] { return !events.segments_.empty(); }));

  absl::Time killed = absl::Now();
  camera.Kill();
  REQUIRE(events.WaitFor(
      [&] { return events.StateSince(CameraState::kCameraOffline, killed) != nullptr; },
      absl::Seconds(5)));
  CHECK(recorder.state() == CameraState::kCameraOffline);

  absl::Time back = absl::Now();
  REQUIRE(camera.Start().ok());
  REQUIRE(
      events.WaitFor([&] { return events.StateSince(CameraState::kRecording, back) != nullptr; }));
  REQUIRE(events.WaitFor([&] { return events.gaps_.size() == 1; }));
  recorder.Stop();

  const RecordingGap& gap = events.gaps_[0];
  CHECK(gap.camera_id == "hall-1");
  CHECK(gap.cause == GapCause::kCameraOffline);
  CHECK_FALSE(gap.detail.empty());
  // From the last frame before the kill to the first segment after the camera came back.
  CHECK(gap.start <= killed + absl::Milliseconds(100));
  CHECK(gap.start >= killed - absl::Seconds(2));
  CHECK(gap.end >= back);
  CHECK(gap.end <= absl::Now());
  bool resumed = false;
  for (const SegmentInfo& s : events.segments_) resumed = resumed || s.start == gap.end;
  CHECK(resumed);
}

TEST_CASE("a camera that hangs is noticed within the read timeout and recording resumes") {
  RtspTestServer camera;
  REQUIRE(camera.Start().ok());
  ScratchDir dir("recorder-stall");
  SystemClock clock;
  RecordedEvents events;
  CameraRecorder recorder(FastOptions(camera.url(), dir.path()), clock, events);
  REQUIRE(recorder.Start().ok());
  REQUIRE(events.WaitFor([&] { return !events.segments_.empty(); }));

  absl::Time paused = absl::Now();
  camera.Pause();
  REQUIRE(events.WaitFor(
      [&] { return events.StateSince(CameraState::kNetworkError, paused) != nullptr; },
      absl::Seconds(5)));
  absl::Time noticed = events.StateSince(CameraState::kNetworkError, paused)->at;
  CHECK(noticed - paused <= absl::Seconds(3));  // read_timeout is 2 s
  camera.Resume();
  REQUIRE(events.WaitFor([&] { return events.gaps_.size() == 1; }));
  recorder.Stop();
  CHECK(events.gaps_[0].cause == GapCause::kNetwork);
}

TEST_CASE("a segment directory that cannot be written is a storage gap and recording goes on") {
  RtspTestServer camera;
  REQUIRE(camera.Start().ok());
  ScratchDir dir("recorder-storage");
  std::string segments = dir.Sub("segments");
  SystemClock clock;
  RecordedEvents events;
  CameraRecorder recorder(FastOptions(camera.url(), segments), clock, events);
  REQUIRE(recorder.Start().ok());
  REQUIRE(events.WaitFor([&] { return !events.segments_.empty(); }));

  // Where the directory was, a file (swapped in at once, so the recorder cannot make the
  // directory again in between): no segment can be created or made durable.
  std::ofstream(dir.Sub("in-the-way")) << "in the way";
  REQUIRE(::renameat2(AT_FDCWD, dir.Sub("in-the-way").c_str(), AT_FDCWD, segments.c_str(),
                      RENAME_EXCHANGE) == 0);
  REQUIRE(events.WaitFor([&] { return recorder.state() == CameraState::kStorageError; }));
  CHECK(events.gaps_.empty());

  std::filesystem::remove(segments);  // space was freed
  REQUIRE(events.WaitFor(
      [&] { return events.gaps_.size() == 1 && recorder.state() == CameraState::kRecording; }));
  recorder.Stop();
  CHECK(events.gaps_[0].cause == GapCause::kStorage);
  CHECK(std::filesystem::exists(events.segments_.back().path));
}

TEST_CASE("a camera address that answers garbage is a bad stream and the recorder keeps trying") {
  RtspGarbageServer garbage;
  ScratchDir dir("recorder-garbage");
  SystemClock clock;
  RecordedEvents events;
  CameraRecorder recorder(FastOptions(garbage.url(), dir.path()), clock, events);
  REQUIRE(recorder.Start().ok());
  REQUIRE(events.WaitFor([&] { return recorder.state() == CameraState::kBadStream; }));
  recorder.Stop();
  CHECK(events.segments_.empty());
  REQUIRE(events.gaps_.size() == 1);  // open until the stop
  CHECK(events.gaps_[0].cause == GapCause::kCameraOffline);
  CHECK(events.states_.back().state == CameraState::kStopped);
}

}  // namespace
}  // namespace sunlight::video
