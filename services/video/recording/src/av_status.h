// FFmpeg's error codes as absl::Status, and owners for its C objects (private to the library).
#ifndef SUNLIGHT_VIDEO_SRC_AV_STATUS_H_
#define SUNLIGHT_VIDEO_SRC_AV_STATUS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace sunlight::video {

// FFmpeg's text for `error` (an AVERROR code).
std::string AvErrorText(int error);

// A storage error of a segment or clip file: RESOURCE_EXHAUSTED for a full disk, a quota or
// a file size limit,
// INTERNAL otherwise; the message is "<what>: <reason>".
absl::Status StorageError(int error, const std::string& what);

struct PacketFree {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
using PacketPtr = std::unique_ptr<AVPacket, PacketFree>;
inline PacketPtr NewPacket() { return PacketPtr(av_packet_alloc()); }

struct InputClose {
  void operator()(AVFormatContext* input) const { avformat_close_input(&input); }
};
// An opened demuxer (avformat_open_input).
using InputPtr = std::unique_ptr<AVFormatContext, InputClose>;

struct CodecParametersFree {
  void operator()(AVCodecParameters* codec) const { avcodec_parameters_free(&codec); }
};
using CodecParametersPtr = std::unique_ptr<AVCodecParameters, CodecParametersFree>;

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_SRC_AV_STATUS_H_
