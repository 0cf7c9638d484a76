// The service recording real RTSP cameras (GStreamer's RTSP server) on the system clock:
// segments indexed as they close, the camera's state, a camera that dies and comes back as a
// gap, a wrong address as a camera error, clips that play, conduct found by the worker.
#include <catch2/catch.hpp>
#include <fstream>

#include "sunlight/testing/rtsp_test_server.h"
#include "video_test_fixture.h"

namespace sunlight::video {
namespace {

using sunlight::testing::RtspGarbageServer;
using sunlight::testing::RtspTestServer;

struct LiveFixture : VideoFixture {
  LiveFixture() {
    service_clock = &system_clock;
    calendar = nullptr;  // UTC, every day a working day: the worker's rules run whenever CI does
    options.record = true;
    options.segment_duration = absl::Seconds(2);
    options.read_timeout = absl::Seconds(2);
    options.backoff_initial = absl::Milliseconds(200);
    options.backoff_max = absl::Seconds(1);
    options.working_hours = "00:00-24:00";
    Open();
    REQUIRE(video->Start().ok());
  }

  v1::Camera Add(const std::string& camera_id, const std::string& url,
                 std::vector<v1::Zone> zones = {}) {
    v1::UpsertCameraRequest request;
    *request.mutable_actor() = Administrator();
    request.mutable_camera()->set_camera_id(camera_id);
    request.mutable_camera()->set_name(camera_id);
    request.mutable_camera()->set_rtsp_url(url);
    request.mutable_camera()->set_enabled(true);
    for (v1::Zone& zone : zones) *request.mutable_camera()->add_zones() = std::move(zone);
    auto camera = video->UpsertCamera(request);
    REQUIRE(camera.ok());
    return *camera;
  }

  v1::Camera Get(const std::string& camera_id) {
    v1::GetCameraRequest get;
    get.set_camera_id(camera_id);
    auto camera = video->GetCamera(get);
    REQUIRE(camera.ok());
    return *camera;
  }

  std::vector<v1::Segment> Live(const std::string& camera_id) {
    return Segments(camera_id, absl::Now() - absl::Hours(1), absl::Now() + absl::Hours(1));
  }

  static bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
    for (absl::Time until = absl::Now() + timeout; absl::Now() < until;) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return done();
  }

  SystemClock system_clock;
};

TEST_CASE_METHOD(LiveFixture,
                 "a camera is recorded, dies, comes back as a gap, and its clip plays") {
  RtspTestServer camera({.key_interval = 25});
  REQUIRE(camera.Start().ok());
  // Credentials in the address reach the camera, not the record.
  const std::string url = camera.url();
  Add("hall-1", "rtsp://viewer:s3cret@" + url.substr(std::string("rtsp://").size()));
  CHECK(Get("hall-1").rtsp_url() == url);
  REQUIRE(WaitFor([&] { return Live("hall-1").size() >= 2; }, absl::Seconds(30)));
  v1::Camera recording = Get("hall-1");
  CHECK(recording.status().state() == v1::CAMERA_STATE_RECORDING);
  CHECK(recording.status().has_recorded_until());

  const absl::Time killed = absl::Now();
  camera.Kill();
  REQUIRE(WaitFor([&] { return Get("hall-1").status().state() != v1::CAMERA_STATE_RECORDING; },
                  absl::Seconds(15)));
  absl::SleepFor(absl::Seconds(2));
  REQUIRE(camera.Start().ok());
  REQUIRE(WaitFor(
      [&] {
        std::vector<v1::Segment> segments = Live("hall-1");
        return !segments.empty() && FromProto(segments.back().start()) > killed + absl::Seconds(2);
      },
      absl::Seconds(30)));
  v1::ListGapsRequest gaps;
  gaps.set_camera_id("hall-1");
  *gaps.mutable_from() = ToProto(killed - absl::Minutes(1));
  *gaps.mutable_to() = ToProto(absl::Now());
  REQUIRE(WaitFor([&] { return video->ListGaps(gaps)->gaps_size() >= 1; }, absl::Seconds(10)));
  const v1::Gap gap = video->ListGaps(gaps)->gaps(0);
  CHECK((gap.cause() == v1::GAP_CAUSE_CAMERA_OFFLINE || gap.cause() == v1::GAP_CAUSE_NETWORK));
  CHECK(FromProto(gap.end()) - FromProto(gap.start()) >= absl::Seconds(1));

  std::vector<v1::Segment> segments = Live("hall-1");
  v1::GetClipRequest clip;
  clip.set_camera_id("hall-1");
  *clip.mutable_from() = segments.front().start();
  *clip.mutable_to() = segments.back().end();
  const std::string path = dir.Sub("clip.mp4");
  { std::ofstream(path, std::ios::binary) << WholeClip(clip, 256 << 10); }
  double recorded = 0;
  for (const v1::Segment& s : segments) {
    recorded += absl::ToDoubleSeconds(FromProto(s.end()) - FromProto(s.start()));
  }
  // The gap is left out: the clip is as long as what was recorded.
  CHECK(testing::ProbedDurationSeconds(path) == Approx(recorded).margin(0.5));

  video->Stop();  // the open segment is closed and indexed
  CHECK(Get("hall-1").status().state() == v1::CAMERA_STATE_STOPPED);
}

TEST_CASE_METHOD(LiveFixture, "a wrong address is a camera error and a fixed one records") {
  RtspGarbageServer garbage;
  Add("hall-2", garbage.url());
  REQUIRE(WaitFor([&] { return Get("hall-2").status().state() == v1::CAMERA_STATE_BAD_STREAM; },
                  absl::Seconds(15)));
  CHECK_FALSE(Get("hall-2").status().detail().empty());
  RtspTestServer audio({.source = "audio"});
  REQUIRE(audio.Start().ok());
  Add("hall-2", audio.url());  // a new address restarts the recorder
  REQUIRE(WaitFor(
      [&] {
        return Get("hall-2").status().state() == v1::CAMERA_STATE_BAD_STREAM &&
               Get("hall-2").status().detail().find("video") != std::string::npos;
      },
      absl::Seconds(15)));
  RtspTestServer camera;
  REQUIRE(camera.Start().ok());
  Add("hall-2", camera.url());
  REQUIRE(WaitFor([&] { return !Live("hall-2").empty(); }, absl::Seconds(30)));
  CHECK(Get("hall-2").status().state() == v1::CAMERA_STATE_RECORDING);
  // What an operator's dashboard reads: the one camera wanted is the one recording.
  // (The registry outlives every metric update: the recorders stop before it goes.)
  prometheus::Registry registry;
  video->metrics().Register(registry);
  REQUIRE(video->RefreshMetrics().ok());
  const double wanted = video->metrics().cameras_wanted.value();
  const double recording = video->metrics().cameras_recording.value();
  const double used = video->metrics().used_bytes.value();
  video->Stop();
  CHECK(wanted == 1);
  CHECK(recording == 1);
  CHECK(used > 0);
}

TEST_CASE_METHOD(LiveFixture, "the worker runs the rules over every finished segment") {
  RtspTestServer camera;
  REQUIRE(camera.Start().ok());
  v1::Zone zone;
  zone.set_zone_id("post");
  zone.set_kind(v1::ZONE_KIND_STAFF);
  for (auto [x, y] : {std::pair{0.0, 0.0}, {1.0, 0.0}, {1.0, 1.0}, {0.0, 1.0}}) {
    v1::Point* p = zone.add_polygon();
    p->set_x(x);
    p->set_y(y);
  }
  zone.set_hold_seconds(10);
  Add("hall-3", camera.url(), {zone});  // nobody ever at the post (the detector sees no one)
  REQUIRE(WaitFor(
      [&] {
        video->WaitForConductWorker();
        return video->ListConductEvents({})->events_size() == 1;
      },
      absl::Seconds(40)));
  const v1::ConductEvent e = video->ListConductEvents({})->events(0);
  CHECK(e.rule() == v1::CONDUCT_RULE_ABSENT_FROM_POST);
  CHECK(e.decision() == v1::CONDUCT_DECISION_PENDING);
  CHECK(e.snapshot_bytes() > 0);
  CHECK_FALSE(e.hold_id().empty());
}

}  // namespace
}  // namespace sunlight::video
