// The real binary killed with SIGKILL while it records a real RTSP camera: on restart the
// segment it was writing is indexed up to about its last second, the time it was down is a
// restart gap, and recording goes on.
#include <catch2/catch.hpp>

#include "sunlight/base/proto_time.h"
#include "sunlight/testing/intake_fixture.h"
#include "sunlight/testing/rtsp_test_server.h"
#include "sunlight/testing/service_process.h"
#include "sunlight/video/v1/video.grpc.pb.h"

namespace sunlight::video {
namespace {

namespace v1 = ::sunlight::video::v1;

std::vector<v1::Segment> Segments(v1::Video::Stub& stub) {
  grpc::ClientContext context;
  v1::ListSegmentsRequest request;
  request.set_camera_id("hall-1");
  *request.mutable_from() = ToProto(absl::Now() - absl::Hours(1));
  *request.mutable_to() = ToProto(absl::Now() + absl::Hours(1));
  v1::ListSegmentsResponse response;
  if (!stub.ListSegments(&context, request, &response).ok()) return {};
  return {response.segments().begin(), response.segments().end()};
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  for (absl::Time until = absl::Now() + timeout; absl::Now() < until;) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return done();
}

TEST_CASE("a SIGKILL loses at most about a second of the segment being written") {
  testing::ScratchDir dir("video-crash");
  testing::RtspTestServer camera;
  REQUIRE(camera.Start().ok());
  testing::ServiceProcess video(
      dir, "video", SUNLIGHT_VIDEO_BINARY,
      intake::CalendarFlags({"--insecure_development=true", "--intake=127.0.0.1:1",
                             "--recordings_dir=" + dir.Sub("recordings"), "--segment_seconds=4"}));
  REQUIRE(video.Start().ok());
  auto stub = v1::Video::NewStub(video.channel());
  {
    grpc::ClientContext context;
    v1::UpsertCameraRequest request;
    request.mutable_actor()->set_id("admin-1");
    request.mutable_actor()->set_role("administrator");
    request.mutable_camera()->set_camera_id("hall-1");
    request.mutable_camera()->set_name("大厅");
    request.mutable_camera()->set_rtsp_url(camera.url());
    request.mutable_camera()->set_enabled(true);
    v1::Camera response;
    grpc::Status upserted = stub->UpsertCamera(&context, request, &response);
    INFO(upserted.error_message());
    REQUIRE(upserted.ok());
  }
  REQUIRE(WaitFor([&] { return Segments(*stub).size() >= 2; }, absl::Seconds(40)));
  // Killed 3 s into a segment (each is 4 s): 2 s or more of it is on disk, fragment by second.
  const absl::Time last_end = FromProto(Segments(*stub).back().end());
  absl::SleepFor(last_end + absl::Seconds(3) - absl::Now());
  const absl::Time killed = absl::Now();
  video.Kill(SIGKILL);

  REQUIRE(video.Start().ok());
  stub = v1::Video::NewStub(video.channel());
  std::vector<v1::Segment> before;
  REQUIRE(WaitFor(
      [&] {
        before.clear();
        for (const v1::Segment& s : Segments(*stub)) {
          if (FromProto(s.start()) < killed) before.push_back(s);
        }
        return !before.empty() && FromProto(before.back().start()) >= last_end - absl::Seconds(1);
      },
      absl::Seconds(10)));
  // The cut-short segment was found on disk, probed and indexed: at most ~1 s is lost.
  CHECK(killed - FromProto(before.back().end()) <= absl::Milliseconds(1500));
  CHECK(before.back().frame_count() > 25);
  // Recording resumes, and the time the service was down is a restart gap.
  REQUIRE(WaitFor(
      [&] {
        std::vector<v1::Segment> all = Segments(*stub);
        return !all.empty() && FromProto(all.back().start()) > killed;
      },
      absl::Seconds(30)));
  grpc::ClientContext context;
  v1::ListGapsRequest gaps;
  gaps.set_camera_id("hall-1");
  *gaps.mutable_from() = ToProto(killed - absl::Minutes(1));
  *gaps.mutable_to() = ToProto(absl::Now());
  v1::ListGapsResponse response;
  REQUIRE(stub->ListGaps(&context, gaps, &response).ok());
  REQUIRE(response.gaps_size() >= 1);
  CHECK(response.gaps(0).cause() == v1::GAP_CAUSE_RESTART);
  CHECK(FromProto(response.gaps(0).start()) == FromProto(before.back().end()));
}

}  // namespace
}  // namespace sunlight::video
