#include "test_media.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "catch2/catch.hpp"

extern "C" {
#include <libavformat/avformat.h>
}

namespace sunlight::video::testing {

std::string RunCommand(const std::string& command, int* status) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    if (status != nullptr) *status = -1;
    return output;
  }
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  int ended = ::pclose(pipe);
  if (status != nullptr) *status = WIFEXITED(ended) ? WEXITSTATUS(ended) : -1;
  return output;
}

std::string MakeTestMovie(const std::string& path, absl::Duration length, int key_interval) {
  int status = 0;
  RunCommand(
      absl::StrCat("ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=160x120:rate=25 -t ",
                   absl::ToDoubleSeconds(length),
                   " -c:v libx264 -preset ultrafast -bf 0 -pix_fmt yuv420p -g ", key_interval,
                   " -keyint_min ", key_interval, " -sc_threshold 0 -video_track_timescale 90000 '",
                   path, "' 2>&1"),
      &status);
  REQUIRE(status == 0);
  return path;
}

std::vector<absl::Status> ReplayMovie(const std::string& movie, SegmentWriter& writer,
                                      FakeClock& clock, double clock_rate,
                                      const std::function<void(int)>& before_packet) {
  AVFormatContext* input = nullptr;
  REQUIRE(avformat_open_input(&input, movie.c_str(), nullptr, nullptr) == 0);
  REQUIRE(avformat_find_stream_info(input, nullptr) >= 0);
  AVStream* stream = input->streams[0];
  REQUIRE(writer.Begin(*stream->codecpar, stream->time_base).ok());
  std::vector<absl::Status> errors;
  AVPacket* packet = av_packet_alloc();
  for (int i = 0; av_read_frame(input, packet) >= 0; ++i) {
    if (before_packet) before_packet(i);
    if (absl::Status status = writer.Write(*packet); !status.ok()) errors.push_back(status);
    clock.Advance(absl::Microseconds(clock_rate * 40000));
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  avformat_close_input(&input);
  return errors;
}

std::vector<SegmentInfo> RecordMovieAs(const std::string& movie, const std::string& camera_id,
                                       const std::string& directory, absl::Time start,
                                       absl::Duration segment_duration) {
  FakeClock clock(start);
  std::vector<SegmentInfo> segments;
  SegmentWriter writer(
      {.camera_id = camera_id, .directory = directory, .segment_duration = segment_duration}, clock,
      [&](const SegmentInfo& s) { segments.push_back(s); });
  REQUIRE(ReplayMovie(movie, writer, clock, 1.0).empty());
  REQUIRE(writer.Close().ok());
  return segments;
}

std::vector<SegmentInfo> RecordTestMovie(const sunlight::testing::ScratchDir& dir, absl::Time start,
                                         absl::Duration length, int key_interval,
                                         absl::Duration segment_duration) {
  return RecordMovieAs(MakeTestMovie(dir.Sub("camera.mp4"), length, key_interval), "hall-1",
                       dir.Sub("segments"), start, segment_duration);
}

double ProbedDurationSeconds(const std::string& path) {
  int status = 0;
  std::string out = RunCommand(
      "ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 '" + path + "'",
      &status);
  double seconds = -1;
  if (status != 0 || !absl::SimpleAtod(absl::StripAsciiWhitespace(out), &seconds)) return -1;
  return seconds;
}

int DecodedFrameCount(const std::string& path) {
  int status = 0;
  std::string out = RunCommand(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
      "-of default=nw=1:nk=1 '" +
          path + "'",
      &status);
  int frames = -1;
  if (status != 0 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(out), &frames)) return -1;
  return frames;
}

}  // namespace sunlight::video::testing
