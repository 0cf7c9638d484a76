// The low-rate picture a camera's conduct rules look at: decoded frames, at most a few per
// second, converted to BGR and scaled down to the detection width.
//
// From packets the recorder already reads (no second connection to the camera):
//   SUNLIGHT_ASSIGN_OR_RETURN(std::unique_ptr<FrameSampleDecoder> decoder,
//                             FrameSampleDecoder::Create(*format->streams[i], {}));
//   std::vector<SampledFrame> frames;
//   absl::Status s = decoder->Decode(packet, frames);   // per packet of that stream
//   ... decoder->Decode(nullptr, frames) at the end of the stream.
//
// Or from a file or URL of its own:
//   SUNLIGHT_ASSIGN_OR_RETURN(std::unique_ptr<StreamFrameSampler> sampler,
//                             StreamFrameSampler::Open("rtsp://…", {}));
//   while (true) {
//     SUNLIGHT_ASSIGN_OR_RETURN(std::optional<SampledFrame> frame, sampler->Next());
//     if (!frame) break;  // end of stream
//     ...
//   }
//
// CPU: a frame that is not kept is still decoded when later frames depend on it, but never
// converted or scaled. When the stream's frame rate is at least twice the sampling rate the
// decoder is told to skip non-reference frames altogether (H.264's unreferenced B and P
// frames cost nothing then), since there are more frames than it keeps anyway.
#ifndef SUNLIGHT_VIDEO_FRAME_SAMPLER_H_
#define SUNLIGHT_VIDEO_FRAME_SAMPLER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct AVStream;
struct AVPacket;

namespace sunlight::video {

struct SampledFrame {
  // The frame's presentation time on the stream's clock (pts x time base); for a stream opened
  // by StreamFrameSampler, from the start of the stream. The caller maps it to wall time.
  absl::Duration stream_time;
  // 8-bit BGR, at most max_width wide, the source's aspect ratio kept (square pixels).
  cv::Mat bgr;
  // The source's size before scaling.
  int source_width = 0;
  int source_height = 0;
};

struct FrameSamplingOptions {
  // At most this many frames are kept per second of stream time: the first frame decoded in
  // each slot [k, k + 1) / frames_per_second of stream time. In (0, 5].
  double frames_per_second = 5;
  // Kept frames wider than this are scaled down to it; narrower ones are kept as they are.
  // People must stay at least ~100 px tall at this width for the HOG detector to find them.
  int max_width = 640;
  // Threads of the decoder. One is the cheapest per camera (no threading overhead); the service
  // runs many cameras side by side.
  int decoder_threads = 1;
  // Skips H.264's in-loop deblocking filter on every frame: less decoding work, and blockier
  // pictures until the next keyframe, which hardly matters to the detector.
  bool skip_deblocking = false;
};

// INVALID_ARGUMENT naming the field that is out of range.
absl::Status ValidateSamplingOptions(const FrameSamplingOptions& options);

// Decodes the packets of one video stream and keeps the frames due. Not thread-safe.
class FrameSampleDecoder {
 public:
  // INVALID_ARGUMENT when the stream is not video or the options are invalid, UNIMPLEMENTED
  // when no decoder is available for its codec. Keeps nothing of `stream` but copies.
  static absl::StatusOr<std::unique_ptr<FrameSampleDecoder>> Create(
      const AVStream& stream, const FrameSamplingOptions& options);

  virtual ~FrameSampleDecoder() = default;

  // Feeds one packet of the stream (nullptr: the stream ended, drain the decoder) and appends
  // the frames kept, in presentation order, to `frames`. DATA_LOSS for a packet the decoder
  // rejects as corrupt: the caller may go on with the next packet (the decoder recovers at
  // the next keyframe). INTERNAL for anything else.
  virtual absl::Status Decode(const AVPacket* packet, std::vector<SampledFrame>& frames) = 0;

  // Frames decoded and frames kept so far, for metrics.
  virtual int64_t frames_decoded() const = 0;
  virtual int64_t frames_kept() const = 0;
};

struct StreamOpenOptions {
  // For rtsp:// URLs: TCP transport. Camera streams over UDP lose packets on a busy network.
  bool rtsp_over_tcp = true;
  // Opening, and every read, fail with UNAVAILABLE after this long without data.
  absl::Duration io_timeout = absl::Seconds(5);
  // A stream that sends only corrupt packets fails with DATA_LOSS after this many in a row.
  int max_corrupt_packets = 100;
};

// Opens a file or URL with libavformat and yields its best video stream's sampled frames.
// Not thread-safe.
class StreamFrameSampler {
 public:
  // NOT_FOUND for a file that does not exist, UNAVAILABLE for a URL that does not answer in
  // time, INVALID_ARGUMENT for input that is not a media stream or has no video stream, or
  // for invalid options.
  static absl::StatusOr<std::unique_ptr<StreamFrameSampler>> Open(
      const std::string& url, const FrameSamplingOptions& sampling,
      const StreamOpenOptions& open = {});

  virtual ~StreamFrameSampler() = default;

  // The next kept frame; std::nullopt at the end of the stream (and after). UNAVAILABLE when
  // reading times out, DATA_LOSS after too many corrupt packets in a row.
  virtual absl::StatusOr<std::optional<SampledFrame>> Next() = 0;

  virtual const FrameSampleDecoder& decoder() const = 0;
};

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_FRAME_SAMPLER_H_
