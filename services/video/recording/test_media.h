// Test-only helpers of the recording tests: H.264 files made at test time with the ffmpeg
// command-line tool, recorded through a SegmentWriter, and what ffprobe says of a file (the
// independent check that it plays).
//
//   std::string movie = MakeTestMovie(dir.Sub("in.mp4"), absl::Seconds(6), /*key_interval=*/25);
//   double seconds = ProbedDurationSeconds(movie);   // ffprobe -show_entries format=duration
#ifndef SUNLIGHT_VIDEO_RECORDING_TEST_MEDIA_H_
#define SUNLIGHT_VIDEO_RECORDING_TEST_MEDIA_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sunlight/base/clock.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/video/segment.h"
#include "sunlight/video/segment_writer.h"

namespace sunlight::video::testing {

// A 25 frames/s 160x120 H.264 test pattern of `length` in an MP4 with a 90 kHz time base
// (an RTSP camera's clock), a keyframe every `key_interval` frames, no B-frames. Returns
// `path`; fails the test if ffmpeg fails.
std::string MakeTestMovie(const std::string& path, absl::Duration length, int key_interval);

// Feeds every packet of `movie` to `writer` (after Begin) as a camera would send it, moving
// `clock` by 40 ms (one frame) times `clock_rate` after each packet (1.001: the server's clock
// runs 0.1% fast). Calls `before_packet(i)` before packet i. Returns the errors of Write.
std::vector<absl::Status> ReplayMovie(const std::string& movie, SegmentWriter& writer,
                                      FakeClock& clock, double clock_rate,
                                      const std::function<void(int)>& before_packet = {});

// A movie (MakeTestMovie, in `dir`) recorded from `start` into segments of
// `segment_duration` under dir.Sub("segments"), with a fake clock exactly in step with it.
std::vector<SegmentInfo> RecordTestMovie(const sunlight::testing::ScratchDir& dir, absl::Time start,
                                         absl::Duration length, int key_interval,
                                         absl::Duration segment_duration);

// `movie` (MakeTestMovie) recorded as camera `camera_id` from `start` into segments of
// `segment_duration` under `directory`, with a fake clock exactly in step with it.
std::vector<SegmentInfo> RecordMovieAs(const std::string& movie, const std::string& camera_id,
                                       const std::string& directory, absl::Time start,
                                       absl::Duration segment_duration);

// ffprobe's format duration of `path` in seconds; -1 when ffprobe finds no duration or fails.
double ProbedDurationSeconds(const std::string& path);
// Number of video frames ffprobe decodes from `path` (-count_frames); -1 on failure. Decoding
// every frame is the check that the file plays.
int DecodedFrameCount(const std::string& path);

// Runs `command` with /bin/sh; its standard output, and the exit status in `*status`.
std::string RunCommand(const std::string& command, int* status = nullptr);

}  // namespace sunlight::video::testing

#endif  // SUNLIGHT_VIDEO_RECORDING_TEST_MEDIA_H_
