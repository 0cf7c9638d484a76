#include "sunlight/video/rtsp_source.h"

#include <cerrno>
#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/av_status.h"

namespace sunlight::video {
namespace {

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string StreamList(const AVFormatContext& input) {
  std::string list;
  for (unsigned i = 0; i < input.nb_streams; ++i) {
    const AVCodecParameters& codec = *input.streams[i]->codecpar;
    absl::StrAppend(&list, i == 0 ? "" : ", ", avcodec_get_name(codec.codec_id), " ",
                    av_get_media_type_string(codec.codec_type)
                        ? av_get_media_type_string(codec.codec_type)
                        : "data");
  }
  return list.empty() ? "none" : list;
}

}  // namespace

std::string UrlWithoutCredentials(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t authority = scheme + 3;
  size_t path = url.find('/', authority);
  size_t at = url.rfind('@', path == std::string::npos ? std::string::npos : path);
  if (at == std::string::npos || at < authority) return url;
  return url.substr(0, authority) + url.substr(at + 1);
}

RtspSource::RtspSource(RtspSourceOptions options, const std::atomic<bool>* stop)
    : options_(std::move(options)),
      display_url_(UrlWithoutCredentials(options_.url)),
      stop_(stop) {}

RtspSource::~RtspSource() {
  if (input_ != nullptr) avformat_close_input(&input_);
}

int RtspSource::Interrupt(void* opaque) {
  auto* source = static_cast<RtspSource*>(opaque);
  if (source->stop_ != nullptr && source->stop_->load()) return 1;
  if (SteadyNanos() <= source->deadline_nanos_.load()) return 0;
  source->timed_out_ = true;
  return 1;
}

void RtspSource::SetDeadline(absl::Duration timeout) {
  deadline_nanos_.store(SteadyNanos() + absl::ToInt64Nanoseconds(timeout));
}

absl::Status RtspSource::Failure(int error, const std::string& during) const {
  if (stop_ != nullptr && stop_->load()) return absl::CancelledError("recording stopped");
  const std::string where = absl::StrCat(" (", display_url_, ")");
  // An interrupted RTSP handshake comes back as any error (INVALIDDATA, EIO): the deadline
  // itself says it was a timeout.
  bool past_deadline = timed_out_ || SteadyNanos() > deadline_nanos_.load();
  if (past_deadline || error == AVERROR_EXIT || error == AVERROR(ETIMEDOUT)) {
    absl::Duration timeout = during == "reading" ? options_.read_timeout : options_.connect_timeout;
    return absl::DeadlineExceededError(absl::StrCat("the camera stopped answering for ",
                                                    absl::FormatDuration(timeout), " while ",
                                                    during, where));
  }
  if (error == AVERROR(ECONNREFUSED)) {
    return absl::UnavailableError("the camera refused the connection: nothing listens there" +
                                  where);
  }
  if (error == AVERROR(EHOSTUNREACH) || error == AVERROR(ENETUNREACH) ||
      error == AVERROR(EHOSTDOWN)) {
    return absl::UnavailableError("no route to the camera" + where);
  }
  if (error == AVERROR_HTTP_UNAUTHORIZED || error == AVERROR_HTTP_FORBIDDEN) {
    return absl::UnavailableError("the camera refused the user and password" + where);
  }
  if (error == AVERROR_HTTP_NOT_FOUND || error == AVERROR_STREAM_NOT_FOUND) {
    return absl::UnavailableError("the camera has no stream at this path" + where);
  }
  if (error == AVERROR_EOF) return absl::UnavailableError("the camera ended the stream" + where);
  if (error == AVERROR(ECONNRESET) || error == AVERROR(EPIPE)) {
    return absl::UnavailableError("the connection to the camera was lost" + where);
  }
  if (error == AVERROR_INVALIDDATA && during != "reading") {
    return absl::InvalidArgumentError("url: the server does not speak RTSP" + where);
  }
  return absl::UnavailableError(
      absl::StrCat("camera error while ", during, ": ", AvErrorText(error), where));
}

absl::StatusOr<std::unique_ptr<RtspSource>> RtspSource::Open(const RtspSourceOptions& options,
                                                             const std::atomic<bool>* stop) {
  if (!absl::StartsWith(options.url, "rtsp://") && !absl::StartsWith(options.url, "rtsps://")) {
    return absl::InvalidArgumentError("url: a camera address starts with rtsp://");
  }
  std::unique_ptr<RtspSource> source(new RtspSource(options, stop));
  source->input_ = avformat_alloc_context();
  if (source->input_ == nullptr) return absl::ResourceExhaustedError("out of memory");
  source->input_->interrupt_callback = {&RtspSource::Interrupt, source.get()};
  AVDictionary* settings = nullptr;
  av_dict_set(&settings, "rtsp_transport", "tcp", 0);
  av_dict_set_int(&settings, "timeout", absl::ToInt64Microseconds(options.read_timeout), 0);
  av_dict_set_int(&settings, "analyzeduration", absl::ToInt64Microseconds(options.connect_timeout),
                  0);
  source->SetDeadline(options.connect_timeout);
  int opened = avformat_open_input(&source->input_, options.url.c_str(),
                                   av_find_input_format("rtsp"), &settings);
  av_dict_free(&settings);
  if (opened < 0) return source->Failure(opened, "connecting");  // input_ is freed
  if (int found = avformat_find_stream_info(source->input_, nullptr); found < 0) {
    return source->Failure(found, "starting the stream");
  }
  source->video_stream_ =
      av_find_best_stream(source->input_, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (source->video_stream_ < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("url: the camera's stream has no video (it has: ", StreamList(*source->input_),
                     ") (", source->display_url_, ")"));
  }
  for (unsigned i = 0; i < source->input_->nb_streams; ++i) {
    if (static_cast<int>(i) != source->video_stream_) {
      source->input_->streams[i]->discard = AVDISCARD_ALL;
    }
  }
  AVCodecID codec = source->codec_parameters().codec_id;
  if (codec != AV_CODEC_ID_H264 && codec != AV_CODEC_ID_HEVC) {
    return absl::InvalidArgumentError(
        absl::StrCat("url: the camera sends ", avcodec_get_name(codec),
                     " video; set its encoder to H.264 or H.265 (", source->display_url_, ")"));
  }
  return source;
}

absl::Status RtspSource::Read(AVPacket* packet) {
  while (true) {
    av_packet_unref(packet);
    // A read the deadline interrupted can still hand out the frame the parser held: the next
    // one must not wait a whole timeout again.
    if (timed_out_) return Failure(AVERROR_EXIT, "reading");
    SetDeadline(options_.read_timeout);
    if (int read = av_read_frame(input_, packet); read < 0) return Failure(read, "reading");
    if (packet->stream_index == video_stream_) return absl::OkStatus();
  }
}

const AVCodecParameters& RtspSource::codec_parameters() const {
  return *input_->streams[video_stream_]->codecpar;
}

AVRational RtspSource::time_base() const { return input_->streams[video_stream_]->time_base; }

}  // namespace sunlight::video
