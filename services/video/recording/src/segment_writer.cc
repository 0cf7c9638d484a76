#include "sunlight/video/segment_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/av_status.h"
#include "src/durable_file.h"

namespace sunlight::video {
namespace {

// A camera that sends only headers (no timestamps) must not grow memory without bound.
constexpr int kMaxPrefixBytes = 4 << 20;
constexpr int kIoBufferBytes = 64 << 10;
// How often a slow camera clock is caught up with, and how long after connecting the clock
// mapping is taken as settled (the demuxer's start-up burst is behind it).
constexpr absl::Duration kClockWindow = absl::Seconds(10);
constexpr absl::Duration kClockSettling = absl::Seconds(2);

// Appends `tail`'s data to `head`, keeping `head`'s timestamps; the flags are combined.
bool AppendPacket(AVPacket* head, const AVPacket& tail) {
  int old_size = head->size;
  if (av_grow_packet(head, tail.size) < 0) return false;
  std::memcpy(head->data + old_size, tail.data, tail.size);
  head->flags |= tail.flags;
  return true;
}

}  // namespace

struct SegmentWriter::Session {
  CodecParametersPtr codec{avcodec_parameters_alloc()};
  AVRational time_base{1, 90000};
  // Data of packets without timestamps, put in front of the next packet.
  PacketPtr prefix;
  // The last packet, written once the next one gives its duration.
  PacketPtr held;
  // Added to every packet's timestamps after the camera's clock went back.
  int64_t timestamp_offset = 0;
  int64_t frame_ticks = 0;  // the last frame's duration, for the last one of a segment
  // The camera's clock on the server's: a frame of dts d is at base_wall + Media(d - base_dts).
  // Network delay only ever makes a frame late, so the mapping follows the earliest
  // arrivals: a frame that arrives before its mapped time moves the mapping back at once
  // (the burst of frames the demuxer buffered while connecting is placed where it belongs),
  // and the least lateness of each window moves it forward (a camera clock running slow).
  bool anchored = false;
  int64_t base_dts = 0;
  absl::Time base_wall;
  int64_t window_dts = 0;
  absl::Duration window_lateness = absl::InfiniteDuration();
  // The mapping once the connection settled, for the drift metric.
  bool settled = false;
  absl::Time settled_wall;

  absl::Time WallOf(int64_t dts) const { return base_wall + Media(dts - base_dts); }

  absl::Duration Media(int64_t ticks) const {
    return absl::Microseconds(av_rescale_q(ticks, time_base, AVRational{1, 1000000}));
  }
};

struct SegmentWriter::OpenFile {
  DurableFile file;
  AVFormatContext* muxer = nullptr;
  AVIOContext* io = nullptr;
  SegmentInfo info;
  int64_t first_dts = 0;
  int64_t end_dts = 0;  // dts + duration of the last frame written
  int64_t fragment_dts = 0;
  // What the last complete fragment holds: what a reader finds if the rest is lost.
  SegmentInfo durable;

  ~OpenFile() {
    if (muxer != nullptr) avformat_free_context(muxer);
    if (io != nullptr) {
      av_freep(&io->buffer);
      avio_context_free(&io);
    }
  }
};

SegmentWriter::SegmentWriter(SegmentWriterOptions options, const Clock& clock,
                             SegmentSink on_segment)
    : options_(std::move(options)), clock_(clock), on_segment_(std::move(on_segment)) {}

SegmentWriter::~SegmentWriter() { (void)Close().ok(); }

bool SegmentWriter::segment_open() const { return file_ != nullptr; }

absl::Status SegmentWriter::Begin(const AVCodecParameters& codec, const AVRational& time_base) {
  absl::Status closed = Close();
  if (auto id = ValidateCameraId(options_.camera_id); !id.ok()) return id;
  if (codec.codec_id != AV_CODEC_ID_H264 && codec.codec_id != AV_CODEC_ID_HEVC) {
    return absl::InvalidArgumentError(absl::StrCat("the camera's video is ",
                                                   avcodec_get_name(codec.codec_id),
                                                   "; only H.264 and H.265 are "
                                                   "recorded (set the camera's encoder to H.264)"));
  }
  if (codec.extradata_size <= 0) {
    return absl::InvalidArgumentError(
        "the camera's stream gives no parameter sets (SPS/PPS); it cannot be recorded");
  }
  if (time_base.num <= 0 || time_base.den <= 0) {
    return absl::InvalidArgumentError("the camera's stream has no time base");
  }
  session_ = std::make_unique<Session>();
  if (avcodec_parameters_copy(session_->codec.get(), &codec) < 0) {
    return absl::ResourceExhaustedError("out of memory copying the codec parameters");
  }
  session_->time_base = time_base;
  last_frame_end_ = absl::InfinitePast();
  drift_seconds_.store(0.0, std::memory_order_relaxed);
  return closed;
}

void SegmentWriter::UpdateClock(const AVPacket& packet) {
  Session& s = *session_;
  absl::Time now = clock_.Now();
  if (!s.anchored) {
    s.anchored = true;
    s.base_dts = s.window_dts = packet.dts;
    s.base_wall = now;
    return;
  }
  absl::Duration lateness = now - s.WallOf(packet.dts);
  if (lateness < absl::ZeroDuration()) {
    s.base_wall += lateness;
    lateness = absl::ZeroDuration();
  }
  s.window_lateness = std::min(s.window_lateness, lateness);
  if (s.Media(packet.dts - s.window_dts) >= kClockWindow) {
    s.base_wall += s.window_lateness;
    lateness -= s.window_lateness;
    s.window_lateness = absl::InfiniteDuration();
    s.window_dts = packet.dts;
  }
  if (!s.settled && s.Media(packet.dts - s.base_dts) >= kClockSettling) {
    s.settled = true;
    s.settled_wall = s.base_wall;
  }
  absl::Duration drift =
      s.settled ? (s.base_wall - s.settled_wall) + lateness : absl::ZeroDuration();
  drift_seconds_.store(absl::ToDoubleSeconds(drift), std::memory_order_relaxed);
}

absl::Status SegmentWriter::Write(const AVPacket& input) {
  if (session_ == nullptr) return absl::FailedPreconditionError("SegmentWriter::Begin first");
  Session& s = *session_;
  if (input.dts == AV_NOPTS_VALUE && input.pts == AV_NOPTS_VALUE) {
    if (s.prefix == nullptr) {
      s.prefix = NewPacket();
      if (av_packet_ref(s.prefix.get(), &input) < 0) s.prefix.reset();
    } else if (s.prefix->size + input.size <= kMaxPrefixBytes) {
      AppendPacket(s.prefix.get(), input);
    }
    return absl::OkStatus();
  }
  PacketPtr packet = NewPacket();
  if (s.prefix != nullptr) {
    packet = std::move(s.prefix);
    int prefix_flags = packet->flags;
    if (!AppendPacket(packet.get(), input)) return absl::ResourceExhaustedError("out of memory");
    // copy_props replaces the side data without freeing what the prefix had (found by
    // segment_writer_fuzz: a leak per merged prefix).
    av_packet_free_side_data(packet.get());
    av_packet_copy_props(packet.get(), &input);
    packet->flags |= prefix_flags;
  } else if (av_packet_ref(packet.get(), &input) < 0) {
    return absl::ResourceExhaustedError("out of memory");
  }
  if (packet->dts == AV_NOPTS_VALUE) packet->dts = packet->pts;
  if (packet->pts == AV_NOPTS_VALUE) packet->pts = packet->dts;
  packet->dts += s.timestamp_offset;
  packet->pts += s.timestamp_offset;

  if (s.held != nullptr) {
    if (packet->dts == s.held->dts) {  // the rest of the held access unit
      if (!AppendPacket(s.held.get(), *packet))
        return absl::ResourceExhaustedError("out of memory");
      return absl::OkStatus();
    }
    if (packet->dts < s.held->dts) {  // the camera's clock went back: keep ours going
      int64_t shift = s.held->dts + std::max<int64_t>(s.frame_ticks, 1) - packet->dts;
      s.timestamp_offset += shift;
      packet->dts += shift;
      packet->pts += shift;
    }
    packet->pts = std::max(packet->pts, packet->dts);
    s.frame_ticks = packet->dts - s.held->dts;
    s.held->duration = s.frame_ticks;
    PacketPtr previous = std::move(s.held);
    if (file_ != nullptr) {
      if (absl::Status emitted = Emit(previous.get()); !emitted.ok()) return emitted;
    }
  }
  UpdateClock(*packet);

  bool keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
  if (keyframe && file_ != nullptr &&
      s.Media(packet->dts - file_->first_dts) >= options_.segment_duration) {
    if (absl::Status closed = Close(); !closed.ok()) return closed;
  }
  if (file_ == nullptr) {
    if (!keyframe) return absl::OkStatus();
    if (absl::Status opened = OpenSegment(*packet); !opened.ok()) return opened;
  }
  s.held = std::move(packet);
  return absl::OkStatus();
}

absl::Status SegmentWriter::OpenSegment(const AVPacket& first) {
  absl::Time start = session_->WallOf(first.dts);
  std::error_code ec;
  std::filesystem::create_directories(options_.directory, ec);
  auto file = std::make_unique<OpenFile>();
  file->first_dts = first.dts;
  file->end_dts = first.dts;
  file->fragment_dts = first.dts;
  // A name is taken when the clock stepped back: the next millisecond is as true.
  absl::Status created;
  for (int attempt = 0; attempt < 1000; ++attempt, start += absl::Milliseconds(1)) {
    file->info = {.camera_id = options_.camera_id,
                  .start = start,
                  .end = start,
                  .path = options_.directory + "/" + SegmentFileName(options_.camera_id, start)};
    created = file->file.Create(file->info.path);
    if (!absl::IsAlreadyExists(created)) break;
  }
  if (!created.ok()) return created;
  auto fail = [&](absl::Status status) {
    file->file.Discard();
    return status;
  };

  if (avformat_alloc_output_context2(&file->muxer, nullptr, "mp4", nullptr) < 0) {
    return fail(absl::InternalError("the mp4 muxer is missing from libavformat"));
  }
  AVStream* stream = avformat_new_stream(file->muxer, nullptr);
  if (stream == nullptr || avcodec_parameters_copy(stream->codecpar, session_->codec.get()) < 0) {
    return fail(absl::ResourceExhaustedError("out of memory opening a segment"));
  }
  stream->codecpar->codec_tag = 0;
  stream->time_base = session_->time_base;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferBytes));
  file->io = avio_alloc_context(buffer, kIoBufferBytes, 1, &file->file, nullptr,
                                &DurableFile::WriteCallback, &DurableFile::SeekCallback);
  if (file->io == nullptr) {
    av_free(buffer);
    return fail(absl::ResourceExhaustedError("out of memory opening a segment"));
  }
  file->muxer->pb = file->io;
  file->muxer->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVDictionary* options = nullptr;
  av_dict_set(&options, "movflags", "frag_custom+empty_moov+default_base_moof", 0);
  int written = avformat_write_header(file->muxer, &options);
  av_dict_free(&options);
  avio_flush(file->io);
  if (written < 0 || file->io->error < 0) {
    int error = written < 0 ? written : file->io->error;
    return fail(StorageError(file->file.error(error), "writing " + file->info.path));
  }
  file->durable = file->info;
  file_ = std::move(file);
  segment_start_ = start;
  return absl::OkStatus();
}

absl::Status SegmentWriter::FlushFragment() {
  OpenFile& f = *file_;
  int flushed = av_write_frame(f.muxer, nullptr);
  avio_flush(f.io);
  if (flushed < 0 || f.io->error < 0) {
    int error = flushed < 0 ? flushed : f.io->error;
    return Abandon(StorageError(f.file.error(error), "writing " + f.info.path));
  }
  f.durable = f.info;
  f.durable.bytes = avio_tell(f.io);
  return absl::OkStatus();
}

absl::Status SegmentWriter::Emit(AVPacket* packet) {
  OpenFile& f = *file_;
  Session& s = *session_;
  bool keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
  bool fragment_full = s.Media(packet->dts - f.fragment_dts) >= options_.fragment_duration;
  if (f.info.frame_count > 0 && (keyframe || fragment_full)) {
    if (absl::Status flushed = FlushFragment(); !flushed.ok()) return flushed;
    f.fragment_dts = packet->dts;
  }
  if (keyframe) {
    f.info.keyframes.push_back(
        {.at = s.Media(packet->dts - f.first_dts), .fragment_offset = avio_tell(f.io)});
    ++f.info.keyframe_count;
  }
  int64_t dts = packet->dts;
  int64_t end_dts = dts + packet->duration;
  packet->stream_index = 0;
  packet->dts -= f.first_dts;
  packet->pts -= f.first_dts;
  av_packet_rescale_ts(packet, s.time_base, f.muxer->streams[0]->time_base);
  int written = av_write_frame(f.muxer, packet);
  if (written < 0 || f.io->error < 0) {
    int error = written < 0 ? written : f.io->error;
    return Abandon(StorageError(f.file.error(error), "writing " + f.info.path));
  }
  ++f.info.frame_count;
  f.end_dts = end_dts;
  f.info.end = f.info.start + s.Media(end_dts - f.first_dts);
  last_frame_end_ = f.info.end;
  return absl::OkStatus();
}

absl::Status SegmentWriter::Abandon(const absl::Status& cause) {
  std::unique_ptr<OpenFile> f = std::move(file_);
  if (session_ != nullptr) session_->held.reset();
  if (f->durable.frame_count == 0) {
    f->file.Discard();
    return cause;
  }
  // What reached the file before the failure is playable: keep it if it is durable.
  if (f->file.Finish().ok()) on_segment_(f->durable);
  return cause;
}

absl::Status SegmentWriter::Close() {
  if (file_ == nullptr) {
    if (session_ != nullptr) session_->held.reset();
    return absl::OkStatus();
  }
  if (session_->held != nullptr) {
    PacketPtr last = std::move(session_->held);
    last->duration = std::max<int64_t>(session_->frame_ticks, 1);
    if (absl::Status emitted = Emit(last.get()); !emitted.ok()) return emitted;
  }
  OpenFile& f = *file_;
  int ended = av_write_trailer(f.muxer);
  avio_flush(f.io);
  if (ended < 0 || f.io->error < 0) {
    int error = ended < 0 ? ended : f.io->error;
    return Abandon(StorageError(f.file.error(error), "writing " + f.info.path));
  }
  // The mapping may have moved since the segment opened (the start-up burst): name and
  // report the segment by where its first frame is now known to be.
  absl::Time start = session_->WallOf(f.first_dts);
  if (absl::AbsDuration(start - f.info.start) >= absl::Milliseconds(1)) {
    std::string renamed = options_.directory + "/" + SegmentFileName(options_.camera_id, start);
    if (f.file.Rename(renamed).ok()) {
      f.info.path = renamed;
      f.info.end = start + (f.info.end - f.info.start);
      f.info.start = start;
      last_frame_end_ = f.info.end;
    }
  }
  if (absl::Status finished = f.file.Finish(); !finished.ok()) {
    return Abandon(finished);
  }
  std::unique_ptr<OpenFile> closed = std::move(file_);
  closed->info.bytes = closed->file.bytes();
  segment_start_ = closed->info.start;
  on_segment_(closed->info);
  return absl::OkStatus();
}

}  // namespace sunlight::video
