// A camera's video over RTSP (interleaved over TCP), read with FFmpeg's demuxer, without
// decoding.
//
//   std::atomic<bool> stop{false};
//   auto source = RtspSource::Open({.url = "rtsp://10.0.0.7/stream1"}, &stop);
//   if (!source.ok()) ShowCameraState(source.status().message());
//   PacketPtr packet = ...;
//   while ((*source)->Read(packet).ok()) writer.Write(*packet);
//
// Every blocking step (connect, the RTSP handshake, each read) has a deadline enforced by
// FFmpeg's interrupt callback and socket timeouts, so a camera that stops sending is noticed
// within `read_timeout`; the same callback ends a blocked step at once when `*stop` is set.
// The wall-clock deadlines are real time on purpose: they bound real I/O.
//
// Errors, with messages meant for the operator's view of the camera:
//   INVALID_ARGUMENT   the URL is not rtsp://; the server does not speak RTSP; the stream
//                      has no video, or video in a codec that is not recorded
//   UNAVAILABLE        the camera cannot be reached or refused (connection refused, no
//                      route, name not found, 404, 401), or it ended the stream
//   DEADLINE_EXCEEDED  the camera stopped answering or sending for the timeout
//   CANCELLED          `*stop` was set
#ifndef SUNLIGHT_VIDEO_RTSP_SOURCE_H_
#define SUNLIGHT_VIDEO_RTSP_SOURCE_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

extern "C" {
struct AVCodecParameters;
struct AVFormatContext;
struct AVPacket;
struct AVRational;
}

namespace sunlight::video {

struct RtspSourceOptions {
  std::string url;
  // Connecting and the RTSP handshake (DESCRIBE, SETUP, PLAY) and the stream's first packets.
  absl::Duration connect_timeout = absl::Seconds(5);
  // Between two packets of the stream once it plays.
  absl::Duration read_timeout = absl::Seconds(5);
};

class RtspSource {
 public:
  // Connects and finds the video stream. `stop`, if not null, must outlive the source.
  static absl::StatusOr<std::unique_ptr<RtspSource>> Open(const RtspSourceOptions& options,
                                                          const std::atomic<bool>* stop);
  ~RtspSource();
  RtspSource(const RtspSource&) = delete;
  RtspSource& operator=(const RtspSource&) = delete;

  // The next packet of the video stream into `packet` (unreferenced first); other streams
  // are skipped. Errors as in the file comment; after one, the source is done.
  absl::Status Read(AVPacket* packet);

  // The video stream, for SegmentWriter::Begin.
  const AVCodecParameters& codec_parameters() const;
  AVRational time_base() const;
  // The URL with any user and password removed, for logs and states.
  const std::string& display_url() const { return display_url_; }

 private:
  RtspSource(RtspSourceOptions options, const std::atomic<bool>* stop);
  static int Interrupt(void* opaque);
  void SetDeadline(absl::Duration timeout);
  absl::Status Failure(int error, const std::string& during) const;

  RtspSourceOptions options_;
  std::string display_url_;
  const std::atomic<bool>* stop_;
  std::atomic<int64_t> deadline_nanos_{0};  // steady clock
  std::atomic<bool> timed_out_{false};      // the interrupt callback hit the deadline
  AVFormatContext* input_ = nullptr;
  int video_stream_ = -1;
};

// `url` without the user and password of its authority ("rtsp://host:554/path").
std::string UrlWithoutCredentials(const std::string& url);

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_RTSP_SOURCE_H_
