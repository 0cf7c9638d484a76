// FrameSampleDecoder: libavcodec decodes, the sampling rate decides which frames are kept,
// libswscale converts only those to BGR at the detection width.
#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include "absl/strings/str_cat.h"
#include "src/av_error.h"
#include "sunlight/video/frame_sampler.h"

namespace sunlight::video {
namespace {

using internal::AvStatus;

// Presentation times come rounded to the stream's time base; a frame this much before a slot
// starts counts in that slot.
constexpr absl::Duration kRoundingSlack = absl::Milliseconds(1);

// The keep slot of `at`: floor(at / interval), also for times before the stream's origin.
int64_t KeepSlot(absl::Duration at, absl::Duration interval) {
  absl::Duration remainder;
  int64_t slot = absl::IDivDuration(at + kRoundingSlack, interval, &remainder);
  if (remainder < absl::ZeroDuration()) --slot;
  return slot;
}

struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct ScalerDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

class LibavFrameSampleDecoder final : public FrameSampleDecoder {
 public:
  LibavFrameSampleDecoder(std::unique_ptr<AVCodecContext, CodecContextDeleter> codec,
                          AVRational time_base, absl::Duration nominal_frame_interval,
                          const FrameSamplingOptions& options)
      : codec_(std::move(codec)),
        frame_(av_frame_alloc()),
        time_base_(time_base),
        nominal_frame_interval_(nominal_frame_interval),
        keep_interval_(absl::Seconds(1) / options.frames_per_second),
        max_width_(options.max_width) {}

  absl::Status Decode(const AVPacket* packet, std::vector<SampledFrame>& frames) override;
  int64_t frames_decoded() const override { return frames_decoded_; }
  int64_t frames_kept() const override { return frames_kept_; }

 private:
  absl::Duration FrameTime(const AVFrame& frame);
  absl::Status Keep(const AVFrame& frame, absl::Duration at, std::vector<SampledFrame>& frames);

  std::unique_ptr<AVCodecContext, CodecContextDeleter> codec_;
  std::unique_ptr<AVFrame, FrameDeleter> frame_;
  std::unique_ptr<SwsContext, ScalerDeleter> scaler_;
  AVRational time_base_;
  absl::Duration nominal_frame_interval_;
  absl::Duration keep_interval_;
  int max_width_;
  std::optional<absl::Duration> last_frame_time_;
  std::optional<int64_t> last_kept_slot_;
  absl::Duration last_kept_time_;
  bool drained_ = false;
  int64_t frames_decoded_ = 0;
  int64_t frames_kept_ = 0;
};

absl::Status LibavFrameSampleDecoder::Decode(const AVPacket* packet,
                                             std::vector<SampledFrame>& frames) {
  if (drained_) return absl::OkStatus();
  absl::Status sent = absl::OkStatus();
  if (const int ret = avcodec_send_packet(codec_.get(), packet); ret == AVERROR_EOF) {
    drained_ = true;
  } else if (ret == AVERROR_INVALIDDATA) {
    sent = AvStatus(absl::StatusCode::kDataLoss, "decoding a packet", ret);
  } else if (ret < 0) {
    return AvStatus(absl::StatusCode::kInternal, "decoding a packet", ret);
  }
  // Every frame the packet completed, also after a rejected packet (it completes none, but
  // the decoder may still hold earlier ones).
  while (true) {
    const int ret = avcodec_receive_frame(codec_.get(), frame_.get());
    if (ret == AVERROR(EAGAIN)) break;
    if (ret == AVERROR_EOF) {
      drained_ = true;
      break;
    }
    if (ret == AVERROR_INVALIDDATA) {
      return AvStatus(absl::StatusCode::kDataLoss, "decoding a frame", ret);
    }
    if (ret < 0) return AvStatus(absl::StatusCode::kInternal, "decoding a frame", ret);
    ++frames_decoded_;
    const absl::Duration at = FrameTime(*frame_);
    // The first frame of each slot of 1/frames_per_second, in stream time: at most
    // frames_per_second in any second [n, n + 1), whichever frames the decoder skipped.
    const int64_t slot = KeepSlot(at, keep_interval_);
    const bool due =
        !last_kept_slot_.has_value() || (slot > *last_kept_slot_ && at > last_kept_time_);
    absl::Status kept = due ? Keep(*frame_, at, frames) : absl::OkStatus();
    av_frame_unref(frame_.get());
    if (!kept.ok()) return kept;
  }
  return sent;
}

absl::Duration LibavFrameSampleDecoder::FrameTime(const AVFrame& frame) {
  int64_t ts = frame.best_effort_timestamp;
  if (ts == AV_NOPTS_VALUE) ts = frame.pts;
  absl::Duration at;
  if (ts != AV_NOPTS_VALUE) {
    at = absl::Microseconds(av_rescale_q(ts, time_base_, AVRational{1, 1000000}));
  } else {
    // No timestamp at all (some raw streams): the nominal rate from the last frame.
    at = last_frame_time_.has_value() ? *last_frame_time_ + nominal_frame_interval_
                                      : absl::ZeroDuration();
  }
  last_frame_time_ = at;
  return at;
}

absl::Status LibavFrameSampleDecoder::Keep(const AVFrame& frame, absl::Duration at,
                                           std::vector<SampledFrame>& frames) {
  if (frame.width <= 0 || frame.height <= 0) {
    return absl::DataLossError("decoding a frame: empty picture");
  }
  // Square pixels at the output: an anamorphic source is stretched to its display width.
  double display_width = frame.width;
  if (frame.sample_aspect_ratio.num > 0 && frame.sample_aspect_ratio.den > 0) {
    display_width *= av_q2d(frame.sample_aspect_ratio);
  }
  const int width =
      std::max(1, static_cast<int>(std::lround(std::min<double>(max_width_, display_width))));
  const int height =
      std::max(1, static_cast<int>(std::lround(frame.height * width / display_width)));
  scaler_.reset(sws_getCachedContext(scaler_.release(), frame.width, frame.height,
                                     static_cast<AVPixelFormat>(frame.format), width, height,
                                     AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr, nullptr, nullptr));
  if (scaler_ == nullptr) {
    const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame.format));
    return absl::InternalError(
        absl::StrCat("converting a frame: no scaler from ", name ? name : "an unknown format"));
  }
  SampledFrame sampled{.stream_time = at,
                       .bgr = cv::Mat(height, width, CV_8UC3),
                       .source_width = frame.width,
                       .source_height = frame.height};
  uint8_t* planes[4] = {sampled.bgr.data, nullptr, nullptr, nullptr};
  int strides[4] = {static_cast<int>(sampled.bgr.step[0]), 0, 0, 0};
  if (sws_scale(scaler_.get(), frame.data, frame.linesize, 0, frame.height, planes, strides) !=
      height) {
    return absl::InternalError("converting a frame: scaler wrote a partial picture");
  }
  last_kept_slot_ = KeepSlot(at, keep_interval_);
  last_kept_time_ = at;
  ++frames_kept_;
  frames.push_back(std::move(sampled));
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSamplingOptions(const FrameSamplingOptions& options) {
  if (!(options.frames_per_second > 0 && options.frames_per_second <= 5)) {
    return absl::InvalidArgumentError("frames_per_second: not in (0, 5]");
  }
  if (options.max_width < 16) return absl::InvalidArgumentError("max_width: less than 16");
  if (options.decoder_threads < 1) {
    return absl::InvalidArgumentError("decoder_threads: less than 1");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FrameSampleDecoder>> FrameSampleDecoder::Create(
    const AVStream& stream, const FrameSamplingOptions& options) {
  if (absl::Status valid = ValidateSamplingOptions(options); !valid.ok()) return valid;
  const AVCodecParameters& params = *stream.codecpar;
  if (params.codec_type != AVMEDIA_TYPE_VIDEO) {
    return absl::InvalidArgumentError("stream: not video");
  }
  const AVCodec* codec = avcodec_find_decoder(params.codec_id);
  if (codec == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("stream: no decoder for codec ", avcodec_get_name(params.codec_id)));
  }
  std::unique_ptr<AVCodecContext, CodecContextDeleter> context(avcodec_alloc_context3(codec));
  if (context == nullptr) return absl::ResourceExhaustedError("decoder: out of memory");
  if (const int ret = avcodec_parameters_to_context(context.get(), &params); ret < 0) {
    return AvStatus(absl::StatusCode::kInvalidArgument, "stream: codec parameters", ret);
  }
  context->pkt_timebase = stream.time_base;
  context->thread_count = options.decoder_threads;

  AVRational rate = stream.avg_frame_rate.num > 0 ? stream.avg_frame_rate : stream.r_frame_rate;
  const double source_fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
  // With at least twice the frames it keeps, skipping the frames nothing refers to cannot
  // starve the sampler; they are often half of an H.264 stream's decoding time.
  if (source_fps >= 2 * options.frames_per_second) context->skip_frame = AVDISCARD_NONREF;
  if (options.skip_deblocking) context->skip_loop_filter = AVDISCARD_ALL;

  if (const int ret = avcodec_open2(context.get(), codec, nullptr); ret < 0) {
    return AvStatus(absl::StatusCode::kInvalidArgument, "stream: opening the decoder", ret);
  }
  const absl::Duration nominal =
      source_fps > 0 ? absl::Seconds(1) / source_fps : absl::Milliseconds(40);
  return std::make_unique<LibavFrameSampleDecoder>(std::move(context), stream.time_base, nominal,
                                                   options);
}

}  // namespace sunlight::video
