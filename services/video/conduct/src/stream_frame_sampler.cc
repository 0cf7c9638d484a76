// StreamFrameSampler: libavformat reads a file or URL, every blocking call bounded by an
// interrupt deadline, and a FrameSampleDecoder keeps the frames due.
#include <chrono>
#include <deque>
#include <filesystem>
#include <system_error>
#include <utility>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
}

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/av_error.h"
#include "sunlight/video/frame_sampler.h"

namespace sunlight::video {
namespace {

using internal::AvStatus;
using SteadyClock = std::chrono::steady_clock;

struct FormatContextDeleter {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};

// The deadline of the blocking call in progress; libavformat polls it.
struct IoDeadline {
  SteadyClock::time_point at = SteadyClock::time_point::max();

  void Arm(absl::Duration timeout) {
    at = SteadyClock::now() + absl::ToChronoMicroseconds(timeout);
  }
  static int Expired(void* self) {
    return SteadyClock::now() > static_cast<IoDeadline*>(self)->at ? 1 : 0;
  }
};

class LibavStreamFrameSampler final : public StreamFrameSampler {
 public:
  LibavStreamFrameSampler(std::unique_ptr<IoDeadline> deadline,
                          std::unique_ptr<AVFormatContext, FormatContextDeleter> format,
                          int stream_index, absl::Duration origin,
                          std::unique_ptr<FrameSampleDecoder> decoder,
                          const StreamOpenOptions& open)
      : deadline_(std::move(deadline)),
        format_(std::move(format)),
        packet_(av_packet_alloc()),
        stream_index_(stream_index),
        origin_(origin),
        decoder_(std::move(decoder)),
        open_(open) {}

  absl::StatusOr<std::optional<SampledFrame>> Next() override;
  const FrameSampleDecoder& decoder() const override { return *decoder_; }

 private:
  // The deadline outlives the format context that polls it (declared first, destroyed last).
  std::unique_ptr<IoDeadline> deadline_;
  std::unique_ptr<AVFormatContext, FormatContextDeleter> format_;
  std::unique_ptr<AVPacket, PacketDeleter> packet_;
  int stream_index_;
  absl::Duration origin_;
  std::unique_ptr<FrameSampleDecoder> decoder_;
  StreamOpenOptions open_;
  std::deque<SampledFrame> pending_;
  std::vector<SampledFrame> decoded_;
  int corrupt_in_row_ = 0;
  bool ended_ = false;
};

absl::StatusOr<std::optional<SampledFrame>> LibavStreamFrameSampler::Next() {
  while (pending_.empty() && !ended_) {
    decoded_.clear();
    deadline_->Arm(open_.io_timeout);
    const int ret = av_read_frame(format_.get(), packet_.get());
    absl::Status decoded = absl::OkStatus();
    if (ret == AVERROR_EOF) {
      ended_ = true;
      decoded = decoder_->Decode(nullptr, decoded_);
    } else if (ret == AVERROR_EXIT) {
      return absl::UnavailableError(
          absl::StrCat("reading the stream: no data for ", absl::FormatDuration(open_.io_timeout)));
    } else if (ret == AVERROR(EAGAIN)) {
      continue;
    } else if (ret < 0) {
      return AvStatus(absl::StatusCode::kUnavailable, "reading the stream", ret);
    } else {
      if (packet_->stream_index == stream_index_)
        decoded = decoder_->Decode(packet_.get(), decoded_);
      av_packet_unref(packet_.get());
    }
    if (decoded.code() == absl::StatusCode::kDataLoss) {
      if (++corrupt_in_row_ >= open_.max_corrupt_packets) {
        return absl::DataLossError(
            absl::StrCat(corrupt_in_row_, " corrupt packets in a row, last: ", decoded.message()));
      }
    } else if (!decoded.ok()) {
      return decoded;
    } else {
      corrupt_in_row_ = 0;
    }
    for (SampledFrame& frame : decoded_) {
      frame.stream_time -= origin_;
      pending_.push_back(std::move(frame));
    }
  }
  if (pending_.empty()) return std::nullopt;
  SampledFrame next = std::move(pending_.front());
  pending_.pop_front();
  return next;
}

bool IsUrl(const std::string& url) { return absl::StrContains(url, "://"); }

absl::StatusCode OpenErrorCode(int error) {
  if (error == AVERROR(ENOENT)) return absl::StatusCode::kNotFound;
  if (error == AVERROR_INVALIDDATA) return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kUnavailable;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StreamFrameSampler>> StreamFrameSampler::Open(
    const std::string& url, const FrameSamplingOptions& sampling, const StreamOpenOptions& open) {
  if (absl::Status valid = ValidateSamplingOptions(sampling); !valid.ok()) return valid;
  if (open.io_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("io_timeout: not positive");
  }
  if (open.max_corrupt_packets < 1) {
    return absl::InvalidArgumentError("max_corrupt_packets: less than 1");
  }
  if (url.empty()) return absl::InvalidArgumentError("url: empty");
  if (std::error_code error; !IsUrl(url) && !std::filesystem::exists(url, error)) {
    return absl::NotFoundError(absl::StrCat("url: no such file: ", url));
  }

  auto deadline = std::make_unique<IoDeadline>();
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) return absl::ResourceExhaustedError("demuxer: out of memory");
  raw->interrupt_callback = {&IoDeadline::Expired, deadline.get()};

  AVDictionary* options = nullptr;
  const std::string timeout_us = absl::StrCat(absl::ToInt64Microseconds(open.io_timeout));
  if (absl::StartsWith(url, "rtsp://")) {
    if (open.rtsp_over_tcp) av_dict_set(&options, "rtsp_transport", "tcp", 0);
    av_dict_set(&options, "timeout", timeout_us.c_str(), 0);
  } else if (IsUrl(url)) {
    av_dict_set(&options, "rw_timeout", timeout_us.c_str(), 0);
  }
  deadline->Arm(open.io_timeout);
  const int opened = avformat_open_input(&raw, url.c_str(), nullptr, &options);
  av_dict_free(&options);
  if (opened < 0) {  // avformat_open_input has freed the context.
    return AvStatus(opened == AVERROR_EXIT ? absl::StatusCode::kUnavailable : OpenErrorCode(opened),
                    absl::StrCat("opening ", IsUrl(url) ? "the stream" : url), opened);
  }
  std::unique_ptr<AVFormatContext, FormatContextDeleter> format(raw);

  // Probing reads up to the demuxer's analysis duration of a live stream (5 s by default).
  deadline->Arm(open.io_timeout + absl::Seconds(5));
  if (const int ret = avformat_find_stream_info(format.get(), nullptr); ret < 0) {
    return AvStatus(
        ret == AVERROR_EXIT ? absl::StatusCode::kUnavailable : absl::StatusCode::kInvalidArgument,
        "reading the stream's format", ret);
  }
  const int index = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return absl::InvalidArgumentError("url: no video stream");
  // Only the video stream is demuxed further.
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    if (static_cast<int>(i) != index) format->streams[i]->discard = AVDISCARD_ALL;
  }
  const AVStream& stream = *format->streams[index];
  absl::StatusOr<std::unique_ptr<FrameSampleDecoder>> decoder =
      FrameSampleDecoder::Create(stream, sampling);
  if (!decoder.ok()) return decoder.status();
  absl::Duration origin = absl::ZeroDuration();
  if (stream.start_time != AV_NOPTS_VALUE) {
    origin = absl::Microseconds(av_rescale_q(stream.start_time, stream.time_base, {1, 1000000}));
  }
  return std::make_unique<LibavStreamFrameSampler>(std::move(deadline), std::move(format), index,
                                                   origin, *std::move(decoder), open);
}

}  // namespace sunlight::video
