// Fuzz target: a camera's stream as the recorder handles it, from untrusted bytes: demuxed
// with FFmpeg's libavformat from memory (MPEG-TS, raw H.264 or H.265, the containers cameras
// send besides RTSP's RTP) the way RtspSource does it (the best video stream, the others
// discarded, H.264/H.265 only), then every video packet written by SegmentWriter, stream copy
// into fragmented-MP4 segments of two seconds in a scratch directory, and closed. The clock
// moves 40 ms a packet. A finding is a crash or a sanitizer report; errors are answers.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

#include "sunlight/base/clock.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/video/segment_writer.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/log.h>
}

namespace {

struct Memory {
  const uint8_t* data;
  size_t size;
  size_t at = 0;
};

int ReadMemory(void* opaque, uint8_t* buffer, int size) {
  auto* memory = static_cast<Memory*>(opaque);
  const size_t n = std::min(static_cast<size_t>(size), memory->size - memory->at);
  if (n == 0) return AVERROR_EOF;
  std::memcpy(buffer, memory->data + memory->at, n);
  memory->at += n;
  return static_cast<int>(n);
}

void Record(const uint8_t* data, size_t size, const std::string& directory) {
  Memory memory{data, size};
  constexpr int kBuffer = 4096;
  auto* buffer = static_cast<uint8_t*>(av_malloc(kBuffer));
  AVIOContext* io = avio_alloc_context(buffer, kBuffer, 0, &memory, &ReadMemory, nullptr, nullptr);
  AVFormatContext* input = avformat_alloc_context();
  input->pb = io;
  input->flags |= AVFMT_FLAG_CUSTOM_IO;
  input->format_whitelist = av_strdup("mpegts,h264,hevc");
  input->probesize = 32 * 1024;
  input->max_analyze_duration = 500000;  // µs
  if (avformat_open_input(&input, nullptr, nullptr, nullptr) == 0) {
    if (avformat_find_stream_info(input, nullptr) >= 0) {
      const int video = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
      if (video >= 0) {
        for (unsigned i = 0; i < input->nb_streams; ++i) {
          if (static_cast<int>(i) != video) input->streams[i]->discard = AVDISCARD_ALL;
        }
        sunlight::FakeClock clock(absl::FromUnixSeconds(1780000000));
        sunlight::video::SegmentWriter writer({.camera_id = "hall-1",
                                               .directory = directory,
                                               .segment_duration = absl::Seconds(2),
                                               .fragment_duration = absl::Milliseconds(500)},
                                              clock, [](const sunlight::video::SegmentInfo&) {});
        if (writer.Begin(*input->streams[video]->codecpar, input->streams[video]->time_base).ok()) {
          AVPacket* packet = av_packet_alloc();
          while (av_read_frame(input, packet) >= 0) {
            if (packet->stream_index == video) {
              clock.Advance(absl::Milliseconds(40));
              if (!writer.Write(*packet).ok()) break;
            }
            av_packet_unref(packet);
          }
          av_packet_free(&packet);
          (void)writer.Close();
        }
      }
    }
    avformat_close_input(&input);
  } else {
    avformat_free_context(input);  // freed by a failed open already: input is null then
  }
  av_freep(&io->buffer);
  avio_context_free(&io);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sunlight::testing::ScratchDir* dir = [] {
    av_log_set_level(AV_LOG_QUIET);
    return new sunlight::testing::ScratchDir("segment-writer-fuzz");
  }();
  const std::string directory = dir->Sub("hall-1");
  Record(data, size, directory);
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);  // every input starts from no segments
  return 0;
}
