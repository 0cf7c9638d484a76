// Writes one camera's H.264/H.265 packets, stream copy (no transcode), into fragmented-MP4
// segment files on disk.
//
//   SegmentWriter writer({.camera_id = "hall-2", .directory = "/srv/video/hall-2"}, clock,
//                        [&](const SegmentInfo& s) { index.Add(s); });
//   SUNLIGHT_RETURN_IF_ERROR(writer.Begin(source.codec_parameters(), source.time_base()));
//   while (source.Read(packet).ok()) SUNLIGHT_RETURN_IF_ERROR(writer.Write(*packet));
//   (void)writer.Close();   // the last segment, durable, reported
//
// Segments start on a keyframe (packets before the first keyframe are dropped) and end at the
// first keyframe `segment_duration` or more after their start. Each file is an empty `moov`
// followed by fragments; a fragment starts at every keyframe and at most every
// `fragment_duration`, and is handed to the kernel (write) as soon as it is complete, so a
// killed process loses at most the fragment in progress. A segment is reported only after
// its file and its directory are fsync'ed: the index never names a file that is not durable.
//
// Timestamps: the camera's clock (packet timestamps) is mapped onto the injected clock from
// the arrival of the packets: at the first packet of a session, then following the earliest
// arrivals (network delay only makes packets late), so a burst of packets buffered while
// connecting is placed where it belongs and a camera clock that runs slow or fast is caught
// up with every 10 s. A segment's start is its first frame on that mapping (a first segment
// is renamed on close when the mapping moved while it was open); its end adds the media
// duration, so segments of one session follow each other. The drift since the mapping
// settled (2 s after Begin) is exposed for a metric; it includes network jitter.
//
// Thread-compatible, except drift_seconds(), which any thread may read.
#ifndef SUNLIGHT_VIDEO_SEGMENT_WRITER_H_
#define SUNLIGHT_VIDEO_SEGMENT_WRITER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sunlight/base/clock.h"
#include "sunlight/video/segment.h"

extern "C" {
struct AVCodecParameters;
struct AVPacket;
struct AVRational;
}

namespace sunlight::video {

struct SegmentWriterOptions {
  std::string camera_id;
  // Created if missing; segment files are named by SegmentFileName.
  std::string directory;
  absl::Duration segment_duration = absl::Minutes(1);
  absl::Duration fragment_duration = absl::Seconds(1);
};

class SegmentWriter {
 public:
  // Called with every segment once durable, on the thread that called Write or Close.
  using SegmentSink = std::function<void(const SegmentInfo&)>;

  SegmentWriter(SegmentWriterOptions options, const Clock& clock, SegmentSink on_segment);
  ~SegmentWriter();  // Closes, ignoring errors.
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // Starts a session of the input stream described by `codec` and `time_base`; every packet
  // written until the next Begin belongs to it. Closes a segment still open. INVALID_ARGUMENT
  // for a bad camera id, or a codec other than H.264 and H.265.
  absl::Status Begin(const AVCodecParameters& codec, const AVRational& time_base);

  // Writes one packet of the stream (the writer keeps no reference to it). Packets without
  // timestamps are merged into the next one; packets with the timestamp of the previous one
  // are merged into it (cameras split an access unit). Errors are all of storage
  // (RESOURCE_EXHAUSTED when the disk is full, otherwise INTERNAL with the system's reason):
  // the segment in progress is then closed as far as it was written (and reported if any
  // fragment of it was written) and the next keyframe tries a new file. FAILED_PRECONDITION
  // before Begin.
  absl::Status Write(const AVPacket& packet);

  // Ends the segment in progress: trailer, fsync of the file and its directory, then the
  // sink. OK without an open segment. On error the file stays as far as it was written,
  // and it is not reported.
  absl::Status Close();

  // Whether a segment is open, and the start of the current (or last) segment (for an open
  // first segment of a session, provisional: see the file comment).
  bool segment_open() const;
  absl::Time segment_start() const { return segment_start_; }
  // The end of the last frame written to any segment of this session; InfinitePast before.
  absl::Time last_frame_end() const { return last_frame_end_; }

  // Server clock minus camera clock, both since the first packet after Begin, in seconds:
  // positive when the camera's clock runs slow (or packets arrive late).
  double drift_seconds() const { return drift_seconds_.load(std::memory_order_relaxed); }

 private:
  struct Session;
  struct OpenFile;

  absl::Status Emit(AVPacket* packet);
  absl::Status OpenSegment(const AVPacket& first);
  absl::Status FlushFragment();
  absl::Status Abandon(const absl::Status& cause);
  void UpdateClock(const AVPacket& packet);

  SegmentWriterOptions options_;
  const Clock& clock_;
  SegmentSink on_segment_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<OpenFile> file_;
  absl::Time segment_start_ = absl::InfinitePast();
  absl::Time last_frame_end_ = absl::InfinitePast();
  std::atomic<double> drift_seconds_{0.0};
};

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_SEGMENT_WRITER_H_
