// Test-only: the video service in process over a scratch store, the national calendar and a
// fake clock (Thursday 2026-12-03 10:00 in Shanghai, a working day, in working hours), with
// recordings made from a test movie by the real segment writer and indexed the way start-up
// indexes files it finds. Recorders are off unless a test turns them on (video_test.cc).
//
//   TEST_CASE_METHOD(VideoFixture, "...") {
//     Register("hall-1");
//     std::vector<SegmentInfo> recorded = Record("hall-1", Start(), absl::Seconds(30));
//     ... video->ListSegments(...)
//   }
#ifndef SUNLIGHT_SERVICES_VIDEO_VIDEO_TEST_FIXTURE_H_
#define SUNLIGHT_SERVICES_VIDEO_VIDEO_TEST_FIXTURE_H_

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sunlight/base/proto_time.h"
#include "sunlight/testing/intake_fixture.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/video/segment.h"
#include "sunlight/video/video.h"
#include "test_media.h"

namespace sunlight::video {

// Answers every frame with the boxes `people()` gives (none by default).
class ScriptedDetector final : public PeopleDetector {
 public:
  explicit ScriptedDetector(std::function<std::vector<PersonBox>()> people)
      : people_(std::move(people)) {}
  absl::StatusOr<std::vector<PersonBox>> Detect(const cv::Mat&) override { return people_(); }

 private:
  std::function<std::vector<PersonBox>()> people_;
};

inline common::v1::Actor Administrator() { return intake::Person("admin-1", "administrator"); }
inline common::v1::Actor Inspector() { return intake::Person("insp-1", "inspector", "office"); }

struct VideoFixture {
  VideoFixture() {
    options.recordings_dir = dir.Sub("recordings");
    options.record = false;
    options.segment_duration = absl::Seconds(10);
    options.min_free_bytes = 0;
    options.detector_factory = [this]() -> absl::StatusOr<std::unique_ptr<PeopleDetector>> {
      return std::make_unique<ScriptedDetector>([this] { return people; });
    };
    calendar = *calendar::WorkingCalendar::LoadFile(SUNLIGHT_CALENDAR_FILE);
    data_key = *auth::DataKey::FromKey(std::string(32, 'k'));
    Open();
  }
  ~VideoFixture() { Close(); }

  static absl::Time Start() { return intake::At(2026, 12, 3, 10, 0); }

  void Close() {
    video.reset();
    store.reset();
  }
  // (Re)opens the service over the same store and files: start-up reconciliation runs.
  void Open() {
    Close();
    store = sunlight::testing::OpenScratchStore(dir.Sub("store"), VideoColumnFamilies());
    auto opened = Video::Open(store.get(), calendar, service_clock, data_key, options);
    REQUIRE(opened.ok());
    video = *std::move(opened);
  }

  v1::Camera Register(const std::string& camera_id, const std::string& window_id = "",
                      std::vector<v1::Zone> zones = {}) {
    v1::UpsertCameraRequest request;
    *request.mutable_actor() = Administrator();
    v1::Camera* camera = request.mutable_camera();
    camera->set_camera_id(camera_id);
    camera->set_name(camera_id);
    camera->set_rtsp_url("rtsp://127.0.0.1:1/" + camera_id);
    camera->set_window_id(window_id);
    camera->set_enabled(true);
    for (v1::Zone& zone : zones) *camera->add_zones() = std::move(zone);
    auto upserted = video->UpsertCamera(request);
    REQUIRE(upserted.ok());
    return *upserted;
  }

  // A movie of `length` recorded as `camera_id` from `start` into its directory, indexed by a
  // reopen (as after a crash before the rows were written).
  std::vector<SegmentInfo> Record(const std::string& camera_id, absl::Time start,
                                  absl::Duration length) {
    std::string& movie = movies[absl::ToInt64Seconds(length)];
    if (movie.empty()) {
      movie = testing::MakeTestMovie(
          dir.Sub(absl::StrCat("movie-", absl::ToInt64Seconds(length), ".mp4")), length,
          /*key_interval=*/25);
    }
    std::vector<SegmentInfo> segments =
        testing::RecordMovieAs(movie, camera_id, options.recordings_dir + "/" + camera_id, start,
                               options.segment_duration);
    Open();
    return segments;
  }

  // The segments of `camera_id` in [from, to) (by default ten days either side of Start()).
  std::vector<v1::Segment> Segments(const std::string& camera_id,
                                    absl::Time from = Start() - absl::Hours(24 * 10),
                                    absl::Time to = Start() + absl::Hours(24 * 10)) {
    v1::ListSegmentsRequest request;
    request.set_camera_id(camera_id);
    *request.mutable_from() = ToProto(from);
    *request.mutable_to() = ToProto(to);
    auto listed = video->ListSegments(request);
    REQUIRE(listed.ok());
    return {listed->segments().begin(), listed->segments().end()};
  }

  // The whole clip, chunk by chunk of `max_bytes`.
  std::string WholeClip(v1::GetClipRequest request, uint32_t max_bytes, int* chunks = nullptr) {
    std::string bytes;
    request.set_max_bytes(max_bytes);
    for (int n = 1;; ++n) {
      request.set_offset(static_cast<int64_t>(bytes.size()));
      auto chunk = video->GetClip(request);
      REQUIRE(chunk.ok());
      bytes += chunk->data();
      if (chunks != nullptr) *chunks = n;
      if (static_cast<int64_t>(bytes.size()) >= chunk->total_bytes()) return bytes;
    }
  }

  sunlight::testing::ScratchDir dir{"video"};
  FakeClock clock{Start()};
  const Clock* service_clock = &clock;  // the live tests' is the system clock
  std::shared_ptr<const calendar::WorkingCalendar> calendar;
  std::shared_ptr<const auth::DataKey> data_key;
  VideoOptions options;
  std::vector<PersonBox> people;  // what the scripted detector sees
  std::map<int64_t, std::string> movies;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Video> video;
};

}  // namespace sunlight::video

#endif  // SUNLIGHT_SERVICES_VIDEO_VIDEO_TEST_FIXTURE_H_
