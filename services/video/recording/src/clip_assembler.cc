#include "sunlight/video/clip_assembler.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "src/av_status.h"
#include "src/durable_file.h"

namespace sunlight::video {
namespace {

constexpr int kIoBufferBytes = 64 << 10;

int AppendToString(void* opaque, uint8_t* data, int size) {
  static_cast<std::string*>(opaque)->append(reinterpret_cast<const char*>(data), size);
  return size;
}

bool SameStream(const AVCodecParameters& a, const AVCodecParameters& b) {
  return a.codec_id == b.codec_id && a.width == b.width && a.height == b.height &&
         a.extradata_size == b.extradata_size &&
         (a.extradata_size == 0 || std::memcmp(a.extradata, b.extradata, a.extradata_size) == 0);
}

// Writes the clip's fragmented MP4 through an AVIO callback.
class ClipMuxer {
 public:
  ClipMuxer(void* opaque, int (*write)(void*, uint8_t*, int), int64_t (*seek)(void*, int64_t, int))
      : opaque_(opaque), write_(write), seek_(seek) {}
  ~ClipMuxer() {
    if (muxer_ != nullptr) avformat_free_context(muxer_);
    if (io_ != nullptr) {
      av_freep(&io_->buffer);
      avio_context_free(&io_);
    }
  }

  bool started() const { return muxer_ != nullptr; }
  const AVCodecParameters& codec() const { return *muxer_->streams[0]->codecpar; }
  AVRational time_base() const { return muxer_->streams[0]->time_base; }

  absl::Status Start(const AVCodecParameters& codec, AVRational time_base) {
    if (avformat_alloc_output_context2(&muxer_, nullptr, "mp4", nullptr) < 0) {
      return absl::InternalError("the mp4 muxer is missing from libavformat");
    }
    AVStream* stream = avformat_new_stream(muxer_, nullptr);
    if (stream == nullptr || avcodec_parameters_copy(stream->codecpar, &codec) < 0) {
      return absl::ResourceExhaustedError("out of memory starting a clip");
    }
    stream->codecpar->codec_tag = 0;
    stream->time_base = time_base;
    auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferBytes));
    io_ = avio_alloc_context(buffer, kIoBufferBytes, 1, opaque_, nullptr, write_, seek_);
    if (io_ == nullptr) {
      av_free(buffer);
      return absl::ResourceExhaustedError("out of memory starting a clip");
    }
    muxer_->pb = io_;
    muxer_->flags |= AVFMT_FLAG_CUSTOM_IO;
    AVDictionary* options = nullptr;
    av_dict_set(&options, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
    int written = avformat_write_header(muxer_, &options);
    av_dict_free(&options);
    return Check(written);
  }

  // `packet` is in time_base(), its timestamps from zero.
  absl::Status Write(AVPacket* packet) {
    packet->stream_index = 0;
    return Check(av_write_frame(muxer_, packet));
  }

  absl::Status Finish() {
    int ended = av_write_trailer(muxer_);
    avio_flush(io_);
    return Check(ended);
  }

 private:
  absl::Status Check(int result) {
    if (result >= 0 && io_->error >= 0) return absl::OkStatus();
    return StorageError(result < 0 ? result : io_->error, "writing the clip");
  }

  void* opaque_;
  int (*write_)(void*, uint8_t*, int);
  int64_t (*seek_)(void*, int64_t, int);
  AVFormatContext* muxer_ = nullptr;
  AVIOContext* io_ = nullptr;
};

absl::Status Assemble(std::vector<SegmentInfo> segments, absl::Time from, absl::Time to,
                      ClipMuxer& out, ClipInfo& info) {
  if (from >= to) return absl::InvalidArgumentError("from: must be before to");
  std::sort(segments.begin(), segments.end(),
            [](const SegmentInfo& a, const SegmentInfo& b) { return a.start < b.start; });
  std::vector<PacketPtr> gop;  // from the keyframe at or before `from`, until `from`
  bool started = false;
  int64_t out_end = 0;  // where the next segment's frames go, in the clip's time base
  PacketPtr packet = NewPacket();
  for (const SegmentInfo& segment : segments) {
    if (segment.end <= from || segment.start >= to) continue;
    AVFormatContext* opened = nullptr;
    if (avformat_open_input(&opened, segment.path.c_str(), av_find_input_format("mp4"), nullptr) <
        0) {
      info.unreadable.push_back(segment.path);
      continue;
    }
    InputPtr input(opened);
    if (input->nb_streams < 1 || input->streams[0]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
      info.unreadable.push_back(segment.path);
      continue;
    }
    const AVStream& stream = *input->streams[0];
    if (!out.started()) {
      if (absl::Status begun = out.Start(*stream.codecpar, stream.time_base); !begun.ok()) {
        return begun;
      }
    } else if (!SameStream(out.codec(), *stream.codecpar)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the camera's stream format changed at ",
                       absl::FormatTime(segment.start, absl::UTCTimeZone()),
                       "; ask for the clip before and after that time separately"));
    }
    AVRational time_base = out.time_base();
    bool first_in_segment = true;
    int64_t first_dts = 0;
    int64_t segment_base = 0;
    auto emit = [&](AVPacket* p) -> absl::Status {
      av_packet_rescale_ts(p, stream.time_base, time_base);
      if (first_in_segment) segment_base = out_end - p->dts;
      first_in_segment = false;
      p->dts += segment_base;
      p->pts = std::max(p->pts + segment_base, p->dts);
      p->duration = std::max<int64_t>(p->duration, 1);
      out_end = p->dts + p->duration;
      ++info.frame_count;
      return out.Write(p);
    };
    bool first_packet = true;
    bool done = false;
    while (!done && av_read_frame(input.get(), packet.get()) >= 0) {
      PacketPtr p(av_packet_clone(packet.get()));
      av_packet_unref(packet.get());
      if (p == nullptr || p->stream_index != 0 || p->dts == AV_NOPTS_VALUE ||
          (p->flags & AV_PKT_FLAG_CORRUPT) != 0) {
        continue;
      }
      if (first_packet) first_dts = p->dts;
      first_packet = false;
      absl::Duration since_start = absl::Microseconds(
          av_rescale_q(p->dts - first_dts, stream.time_base, AVRational{1, 1000000}));
      absl::Time at = segment.start + since_start;
      absl::Duration length =
          absl::Microseconds(av_rescale_q(p->duration, stream.time_base, AVRational{1, 1000000}));
      if (at >= to) {
        done = true;
        break;
      }
      bool keyframe = (p->flags & AV_PKT_FLAG_KEY) != 0;
      if (!started) {
        if (keyframe && at <= from) {
          gop.clear();
          gop.push_back(std::move(p));
          info.start = at;
          continue;
        }
        if (at < from) {
          if (!gop.empty()) gop.push_back(std::move(p));
          continue;
        }
        if (gop.empty() && !keyframe) continue;
        started = true;
        if (gop.empty()) info.start = at;
        for (PacketPtr& buffered : gop) {
          if (absl::Status written = emit(buffered.get()); !written.ok()) return written;
        }
        gop.clear();
      }
      if (absl::Status written = emit(p.get()); !written.ok()) return written;
      info.end = at + length;
    }
    if (!started && !gop.empty()) {  // `from` is in the segment's last frame
      started = true;
      for (PacketPtr& buffered : gop) {
        if (absl::Status written = emit(buffered.get()); !written.ok()) return written;
      }
      info.end = segment.end;
      gop.clear();
    }
    if (done) break;
  }
  if (!started) {
    return absl::NotFoundError(absl::StrCat("nothing was recorded from ",
                                            absl::FormatTime(from, absl::UTCTimeZone()), " to ",
                                            absl::FormatTime(to, absl::UTCTimeZone())));
  }
  info.duration =
      absl::Microseconds(av_rescale_q(out_end, out.time_base(), AVRational{1, 1000000}));
  return out.Finish();
}

}  // namespace

absl::StatusOr<std::string> AssembleClip(const std::vector<SegmentInfo>& segments, absl::Time from,
                                         absl::Time to, ClipInfo* info) {
  std::string bytes;
  ClipInfo assembled;
  {
    ClipMuxer out(&bytes, &AppendToString, nullptr);
    if (absl::Status status = Assemble(segments, from, to, out, assembled); !status.ok()) {
      return status;
    }
  }
  assembled.bytes = static_cast<int64_t>(bytes.size());
  if (info != nullptr) *info = std::move(assembled);
  return bytes;
}

absl::StatusOr<ClipInfo> AssembleClipFile(const std::vector<SegmentInfo>& segments, absl::Time from,
                                          absl::Time to, const std::string& path) {
  DurableFile file;
  if (absl::Status created = file.Create(path); !created.ok()) return created;
  ClipInfo info;
  absl::Status status;
  {
    ClipMuxer out(&file, &DurableFile::WriteCallback, &DurableFile::SeekCallback);
    status = Assemble(segments, from, to, out, info);
  }
  if (status.ok()) status = file.Finish();
  if (!status.ok()) {
    file.Discard();
    return status;
  }
  info.bytes = file.bytes();
  return info;
}

}  // namespace sunlight::video
