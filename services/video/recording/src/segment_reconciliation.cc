#include "sunlight/video/segment_reconciliation.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "src/av_status.h"

namespace sunlight::video {
namespace {

uint64_t BigEndian(const unsigned char* bytes, int n) {
  uint64_t value = 0;
  for (int i = 0; i < n; ++i) value = (value << 8) | bytes[i];
  return value;
}

// The offsets of the top-level `moof` boxes of an MP4 file, in order, up to the first box
// that does not fit in the file.
std::vector<int64_t> FragmentOffsets(const std::string& path, int64_t file_size) {
  std::vector<int64_t> offsets;
  std::ifstream in(path, std::ios::binary);
  int64_t offset = 0;
  while (in && offset + 8 <= file_size) {
    unsigned char header[16];
    in.seekg(offset);
    if (!in.read(reinterpret_cast<char*>(header), 8)) break;
    int64_t size = static_cast<int64_t>(BigEndian(header, 4));
    if (size == 1) {
      if (!in.read(reinterpret_cast<char*>(header + 8), 8)) break;
      size = static_cast<int64_t>(BigEndian(header + 8, 8));
    } else if (size == 0) {
      size = file_size - offset;
    }
    if (size < 8) break;
    if (std::equal(header + 4, header + 8, "moof")) offsets.push_back(offset);
    offset += size;
  }
  return offsets;
}

}  // namespace

SegmentReconciliation ReconcileSegments(const std::vector<std::string>& on_disk,
                                        const absl::flat_hash_set<std::string>& indexed) {
  SegmentReconciliation result;
  absl::flat_hash_set<std::string> present(on_disk.begin(), on_disk.end());
  for (const std::string& path : present) {
    if (!indexed.contains(path)) result.orphans.push_back(path);
  }
  for (const std::string& path : indexed) {
    if (!present.contains(path)) result.missing.push_back(path);
  }
  std::sort(result.orphans.begin(), result.orphans.end());
  std::sort(result.missing.begin(), result.missing.end());
  return result;
}

absl::StatusOr<std::vector<std::string>> ListSegmentFiles(const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    return absl::NotFoundError(absl::StrCat("no segment directory ", directory));
  }
  std::vector<std::string> paths;
  fs::recursive_directory_iterator it(directory, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string name = it->path().filename().string();
    if (!ParseSegmentFileName(name).ok()) continue;
    std::string relative = fs::relative(it->path(), directory, ec).string();
    paths.push_back(directory + "/" + relative);
  }
  if (ec) return absl::InternalError(absl::StrCat("listing ", directory, ": ", ec.message()));
  std::sort(paths.begin(), paths.end());
  return paths;
}

absl::StatusOr<SegmentReconciliation> ReconcileSegmentDirectory(
    const std::string& directory, const absl::flat_hash_set<std::string>& indexed) {
  absl::StatusOr<std::vector<std::string>> on_disk = ListSegmentFiles(directory);
  if (!on_disk.ok()) return on_disk.status();
  return ReconcileSegments(*on_disk, indexed);
}

absl::StatusOr<SegmentInfo> ProbeSegmentFile(const std::string& path) {
  absl::StatusOr<SegmentName> name =
      ParseSegmentFileName(std::filesystem::path(path).filename().string());
  if (!name.ok()) return name.status();
  std::error_code ec;
  int64_t file_size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (ec) return absl::NotFoundError(absl::StrCat("no segment file ", path));
  SegmentInfo info{.camera_id = name->camera_id,
                   .start = name->start,
                   .end = name->start,
                   .bytes = file_size,
                   .path = path};
  if (file_size == 0) return absl::DataLossError(absl::StrCat(path, " is empty"));

  AVFormatContext* opened = nullptr;
  if (int error = avformat_open_input(&opened, path.c_str(), av_find_input_format("mp4"), nullptr);
      error < 0) {
    return absl::DataLossError(absl::StrCat(path, " is not a readable MP4: ", AvErrorText(error)));
  }
  InputPtr input(opened);
  int video = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (video < 0) return absl::DataLossError(absl::StrCat(path, " has no video"));
  AVRational time_base = input->streams[video]->time_base;
  auto media = [&](int64_t ticks) {
    return absl::Microseconds(av_rescale_q(ticks, time_base, AVRational{1, 1000000}));
  };
  std::vector<int64_t> fragments = FragmentOffsets(path, file_size);
  PacketPtr packet = NewPacket();
  int64_t first_dts = 0;
  while (av_read_frame(input.get(), packet.get()) >= 0) {
    bool complete = (packet->flags & AV_PKT_FLAG_CORRUPT) == 0 &&
                    (packet->pos < 0 || packet->pos + packet->size <= file_size);
    if (packet->stream_index != video || !complete || packet->dts == AV_NOPTS_VALUE) {
      av_packet_unref(packet.get());
      if (!complete) break;
      continue;
    }
    if (info.frame_count == 0) first_dts = packet->dts;
    if ((packet->flags & AV_PKT_FLAG_KEY) != 0) {
      auto fragment = std::upper_bound(fragments.begin(), fragments.end(), packet->pos);
      info.keyframes.push_back(
          {.at = media(packet->dts - first_dts),
           .fragment_offset = fragment == fragments.begin() ? 0 : *std::prev(fragment)});
      ++info.keyframe_count;
    }
    ++info.frame_count;
    info.end = info.start + media(packet->dts + packet->duration - first_dts);
    av_packet_unref(packet.get());
  }
  if (info.frame_count == 0) return absl::DataLossError(absl::StrCat(path, " has no frames"));
  return info;
}

}  // namespace sunlight::video
