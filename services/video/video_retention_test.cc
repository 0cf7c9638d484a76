// The index against the files at start-up, retention by age and by quota, holds, and clips
// assembled from recorded segments.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "video_store.h"
#include "video_test_fixture.h"

namespace sunlight::video {
namespace {

using testing::DecodedFrameCount;
using testing::ProbedDurationSeconds;

v1::Hold Hold(VideoFixture& f, const std::string& camera_id, absl::Time start, absl::Time end) {
  v1::CreateHoldRequest request;
  *request.mutable_actor() = Inspector();
  request.set_camera_id(camera_id);
  *request.mutable_start() = ToProto(start);
  *request.mutable_end() = ToProto(end);
  request.set_reason("投诉 T20261203-000001 调查");
  auto held = f.video->CreateHold(request);
  REQUIRE(held.ok());
  return *held;
}

bool Exists(const VideoFixture& f, const v1::Segment& segment) {
  return std::filesystem::exists(f.options.recordings_dir + "/" + segment.path());
}

TEST_CASE_METHOD(VideoFixture, "files found at start-up are indexed and missing ones are a gap") {
  Register("hall-1");
  std::vector<SegmentInfo> recorded = Record("hall-1", Start(), absl::Seconds(30));
  REQUIRE(recorded.size() == 3);
  std::vector<v1::Segment> segments = Segments("hall-1");
  REQUIRE(segments.size() == 3);
  CHECK(FromProto(segments[0].start()) == Start());
  CHECK(segments[0].path() == "hall-1/" + SegmentFileName("hall-1", Start()));
  CHECK(segments[1].frame_count() == 250);
  CHECK(segments[1].keyframes_size() == 10);

  clock.Set(Start() + absl::Seconds(60));
  v1::GetCoverageRequest coverage_request;
  coverage_request.set_camera_id("hall-1");
  auto coverage = video->GetCoverage(coverage_request);
  REQUIRE(coverage.ok());
  CHECK(coverage->segments() == 3);
  CHECK(coverage->recorded_seconds() == Approx(30).margin(0.1));
  CHECK(coverage->day() == "2026-12-03");

  // A file gone behind the service's back: its rows go, a gap says why.
  std::filesystem::remove(options.recordings_dir + "/" + segments[1].path());
  Open();
  std::vector<v1::Segment> left = Segments("hall-1");
  REQUIRE(left.size() == 2);
  v1::ListGapsRequest gaps_request;
  gaps_request.set_camera_id("hall-1");
  *gaps_request.mutable_from() = ToProto(Start());
  *gaps_request.mutable_to() = ToProto(Start() + absl::Minutes(1));
  auto gaps = video->ListGaps(gaps_request);
  REQUIRE(gaps.ok());
  REQUIRE(gaps->gaps_size() == 1);
  CHECK(gaps->gaps(0).cause() == v1::GAP_CAUSE_MISSING_FILES);
  CHECK(FromProto(gaps->gaps(0).start()) == Start() + absl::Seconds(10));
  auto storage = video->GetStorage({});
  REQUIRE(storage.ok());
  CHECK(storage->used_bytes() == left[0].bytes() + left[1].bytes());

  // A file that is not a segment (a stray copy with a segment's name) is removed.
  const std::string junk =
      options.recordings_dir + "/hall-1/" + SegmentFileName("hall-1", Start() + absl::Hours(1));
  { std::ofstream(junk) << "not a movie"; }
  Open();
  CHECK_FALSE(std::filesystem::exists(junk));
  CHECK(Segments("hall-1").size() == 2);
}

TEST_CASE_METHOD(VideoFixture, "the quota deletes the oldest first, never a held range") {
  Register("hall-1");
  Register("hall-2");
  Record("hall-1", Start(), absl::Seconds(40));
  Record("hall-2", Start() + absl::Seconds(5), absl::Seconds(40));
  std::vector<v1::Segment> one = Segments("hall-1"), two = Segments("hall-2");
  REQUIRE(one.size() == 4);
  REQUIRE(two.size() == 4);
  // hall-1's second segment is evidence.
  Hold(*this, "hall-1", Start() + absl::Seconds(12), Start() + absl::Seconds(15));

  int64_t all = 0;
  for (const auto& s : one) all += s.bytes();
  for (const auto& s : two) all += s.bytes();
  // Room for a little more than half: the oldest unheld ones go, alternating cameras by age.
  options.quota_bytes = all / 2 + 1;
  Open();
  auto deleted = video->EnforceRetention();
  REQUIRE(deleted.ok());
  std::vector<v1::Segment> one_after = Segments("hall-1"), two_after = Segments("hall-2");
  auto storage = video->GetStorage({});
  REQUIRE(storage.ok());
  CHECK(storage->used_bytes() <= options.quota_bytes);
  CHECK(storage->held_bytes() == one[1].bytes());
  CHECK_FALSE(storage->holds_over_quota());
  // Deleted in order of start: hall-1 @0, hall-2 @5, (hall-1 @10 held), hall-2 @15, ...
  CHECK_FALSE(Exists(*this, one[0]));
  CHECK_FALSE(Exists(*this, two[0]));
  CHECK(Exists(*this, one[1]));
  CHECK(FromProto(one_after.front().start()) == Start() + absl::Seconds(10));
  // Each camera's newest stays whatever the quota.
  CHECK(FromProto(one_after.back().start()) == FromProto(one.back().start()));
  CHECK(FromProto(two_after.back().start()) == FromProto(two.back().start()));
  CHECK(*deleted == 8 - one_after.size() - two_after.size());
  for (const auto& s : one_after) CHECK(Exists(*this, s));
  for (const auto& s : two_after) CHECK(Exists(*this, s));
}

TEST_CASE_METHOD(VideoFixture, "holds that alone fill the quota refuse new holds until released") {
  Register("hall-1");
  Record("hall-1", Start(), absl::Seconds(30));
  std::vector<v1::Segment> segments = Segments("hall-1");
  v1::Hold held = Hold(*this, "hall-1", Start(), Start() + absl::Seconds(25));
  options.quota_bytes = segments[0].bytes() + segments[1].bytes();
  Open();
  REQUIRE(video->EnforceRetention().ok());
  CHECK(Segments("hall-1").size() == 3);  // nothing held is deleted, whatever the quota
  CHECK(video->GetStorage({})->holds_over_quota());

  v1::CreateHoldRequest more;
  *more.mutable_actor() = Inspector();
  more.set_camera_id("hall-1");
  *more.mutable_start() = ToProto(Start());
  *more.mutable_end() = ToProto(Start() + absl::Seconds(5));
  more.set_reason("second look");
  CHECK(absl::IsResourceExhausted(video->CreateHold(more).status()));

  v1::ReleaseHoldRequest release;
  *release.mutable_actor() = Administrator();
  release.set_hold_id(held.hold_id());
  release.set_reason("complaint concluded");
  auto released = video->ReleaseHold(release);
  REQUIRE(released.ok());
  CHECK(released->has_released_at());
  CHECK(absl::IsFailedPrecondition(video->ReleaseHold(release).status()));
  REQUIRE(video->EnforceRetention().ok());
  CHECK_FALSE(video->GetStorage({})->holds_over_quota());
  CHECK(video->CreateHold(more).ok());
  v1::ListHoldsRequest list;
  list.set_camera_id("hall-1");
  CHECK(video->ListHolds(list)->holds_size() == 1);
  list.set_include_released(true);
  CHECK(video->ListHolds(list)->holds_size() == 2);
}

TEST_CASE_METHOD(VideoFixture,
                 "age deletes what is past retention and an interrupted deletion ends") {
  Register("hall-1");
  Record("hall-1", Start(), absl::Seconds(30));
  std::vector<v1::Segment> segments = Segments("hall-1");
  REQUIRE(segments.size() == 3);
  // A crash between marking a segment and forgetting it: start-up finishes the deletion.
  v1::Segment marked = segments[2];
  marked.set_deleting(true);
  storage::WriteBatch mark;
  mark.Put(store::kSegments, store::SegmentKey("hall-1", FromProto(marked.start())),
           marked.SerializeAsString());
  REQUIRE(store->Write(mark).ok());
  Open();
  CHECK_FALSE(Exists(*this, segments[2]));
  REQUIRE(Segments("hall-1").size() == 2);
  CHECK(video->GetStorage({})->used_bytes() == segments[0].bytes() + segments[1].bytes());

  clock.Set(Start() + options.retention + absl::Minutes(1));
  auto deleted = video->EnforceRetention();
  REQUIRE(deleted.ok());
  CHECK(*deleted == 1);  // the newest of the camera stays
  CHECK(Segments("hall-1").size() == 1);
  CHECK_FALSE(Exists(*this, segments[0]));
}

TEST_CASE_METHOD(VideoFixture, "a clip of a range or a hold plays and comes in chunks") {
  Register("hall-1");
  Record("hall-1", Start(), absl::Seconds(30));
  v1::GetClipRequest request;
  request.set_camera_id("hall-1");
  *request.mutable_from() = ToProto(Start() + absl::Seconds(5));
  *request.mutable_to() = ToProto(Start() + absl::Seconds(25));
  int chunks = 0;
  std::string clip = WholeClip(request, 64 << 10, &chunks);
  CHECK(chunks > 1);
  const std::string path = dir.Sub("clip.mp4");
  { std::ofstream(path, std::ios::binary) << clip; }
  CHECK(ProbedDurationSeconds(path) == Approx(20).margin(0.1));
  CHECK(DecodedFrameCount(path) == 500);
  CHECK(WholeClip(request, 0) == clip);  // one 2 MiB chunk: the same clip

  v1::Hold held = Hold(*this, "hall-1", Start() + absl::Seconds(12), Start() + absl::Seconds(18));
  v1::GetClipRequest by_hold;
  by_hold.set_hold_id(held.hold_id());
  const std::string held_path = dir.Sub("held.mp4");
  { std::ofstream(held_path, std::ios::binary) << WholeClip(by_hold, 0); }
  CHECK(ProbedDurationSeconds(held_path) == Approx(6).margin(0.1));

  // Nothing recorded there; bad ranges name their field.
  request.set_offset(0);
  *request.mutable_from() = ToProto(Start() + absl::Hours(2));
  *request.mutable_to() = ToProto(Start() + absl::Hours(3));
  CHECK(absl::IsNotFound(video->GetClip(request).status()));
  *request.mutable_to() = ToProto(Start());
  auto backwards = video->GetClip(request);
  CHECK(absl::IsInvalidArgument(backwards.status()));
  CHECK(backwards.status().message().find("to") != std::string::npos);
  request.set_offset(-1);
  *request.mutable_to() = ToProto(Start() + absl::Hours(3));
  CHECK(absl::IsInvalidArgument(video->GetClip(request).status()));
}

TEST_CASE_METHOD(VideoFixture, "bad camera registrations name the field") {
  auto attempt = [&](const std::function<void(v1::UpsertCameraRequest&)>& change) {
    v1::UpsertCameraRequest request;
    *request.mutable_actor() = Administrator();
    request.mutable_camera()->set_camera_id("hall-1");
    request.mutable_camera()->set_name("大厅");
    request.mutable_camera()->set_rtsp_url("rtsp://10.0.0.7/stream1");
    change(request);
    return video->UpsertCamera(request).status();
  };
  CHECK(attempt([](auto&) {}).ok());
  auto field_of = [&](const std::function<void(v1::UpsertCameraRequest&)>& change) {
    absl::Status status = attempt(change);
    CHECK(absl::IsInvalidArgument(status));
    return std::string(status.message());
  };
  CHECK(field_of([](auto& r) {
          r.mutable_camera()->set_camera_id("../etc");
        }).find("camera.camera_id") != std::string::npos);
  CHECK(field_of([](auto& r) {
          r.mutable_camera()->set_rtsp_url("http://x/y");
        }).find("camera.rtsp_url") != std::string::npos);
  CHECK(field_of([](auto& r) {
          r.mutable_camera()->set_rtsp_url("rtsp://a b/");
        }).find("camera.rtsp_url") != std::string::npos);
  CHECK(field_of([](auto& r) {
          v1::Zone* zone = r.mutable_camera()->add_zones();
          zone->set_zone_id("z");
          zone->set_kind(v1::ZONE_KIND_STAFF);
          zone->set_hold_seconds(60);
        }).find("camera.zones[0]") != std::string::npos);
  CHECK(field_of([](auto& r) { r.clear_actor(); }).find("actor.id") != std::string::npos);
  CHECK(absl::IsAborted(attempt([](auto& r) { r.set_expected_version(7); })));

  // Credentials in the URL are sealed apart and never shown again.
  REQUIRE(attempt([](auto& r) {
            r.mutable_camera()->set_rtsp_url("rtsp://viewer:s3cret@10.0.0.7:554/stream1");
          }).ok());
  v1::GetCameraRequest get;
  get.set_camera_id("hall-1");
  auto camera = video->GetCamera(get);
  REQUIRE(camera.ok());
  CHECK(camera->rtsp_url() == "rtsp://10.0.0.7:554/stream1");
  CHECK(camera->has_credentials());
  CHECK(camera->DebugString().find("s3cret") == std::string::npos);
  auto sealed = store->Get(store::kCameraSecrets, "hall-1");
  REQUIRE(sealed.ok());
  REQUIRE(sealed->has_value());
  CHECK((*sealed)->find("s3cret") == std::string::npos);
}

}  // namespace
}  // namespace sunlight::video
