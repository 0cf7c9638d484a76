// Start-up reconciliation of a camera's segment files with the index: what is on disk but not
// indexed (a crash between the file and its index row) and what is indexed but gone.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(auto found, ReconcileSegmentDirectory(dir, index.Paths()));
//   for (const auto& path : found.orphans) {
//     auto segment = ProbeSegmentFile(path);
//     if (segment.ok()) index.Add(*segment); else std::filesystem::remove(path);
//   }
//   for (const auto& path : found.missing) index.ReportMissing(path);
#ifndef SUNLIGHT_VIDEO_SEGMENT_RECONCILIATION_H_
#define SUNLIGHT_VIDEO_SEGMENT_RECONCILIATION_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "sunlight/video/segment.h"

namespace sunlight::video {

struct SegmentReconciliation {
  // On disk, not indexed: to probe and index, or delete when they do not probe.
  std::vector<std::string> orphans;
  // Indexed, not on disk: to report, and forget.
  std::vector<std::string> missing;
};

// Pure: compares paths as given. Both lists come out sorted.
SegmentReconciliation ReconcileSegments(const std::vector<std::string>& on_disk,
                                        const absl::flat_hash_set<std::string>& indexed);

// The paths of the segment files (names ParseSegmentFileName accepts) under `directory`, at
// any depth, sorted; other files are left out. NOT_FOUND when `directory` does not exist (an
// unmounted disk must not make every indexed segment look missing), INTERNAL when it cannot
// be read.
absl::StatusOr<std::vector<std::string>> ListSegmentFiles(const std::string& directory);

// ListSegmentFiles, then ReconcileSegments; `indexed` holds paths under `directory` spelled
// as ListSegmentFiles spells them (directory + "/" + relative path).
absl::StatusOr<SegmentReconciliation> ReconcileSegmentDirectory(
    const std::string& directory, const absl::flat_hash_set<std::string>& indexed);

// Reads a segment file to its end, without decoding, into the SegmentInfo the writer would
// have reported: camera and start from its name, end = start + the media duration, frames,
// keyframes with their fragments, bytes = the file's size. A file cut short (a killed
// recorder) probes to its last complete frame. INVALID_ARGUMENT for a name that is not a
// segment's, NOT_FOUND for no file, DATA_LOSS for a file without one readable frame (empty,
// no header, not MP4: delete it).
absl::StatusOr<SegmentInfo> ProbeSegmentFile(const std::string& path);

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_SEGMENT_RECONCILIATION_H_
