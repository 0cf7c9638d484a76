// The picture an inspector sees with a conduct event: the opening frame as JPEG, optionally
// with the zone's outline and the people the detector found drawn on it.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(std::string jpeg, EncodeSnapshotJpeg(
//       frame.bgr, {.zone = &engine.zones()[0], .people = people}));
#ifndef SUNLIGHT_VIDEO_CONDUCT_SNAPSHOT_H_
#define SUNLIGHT_VIDEO_CONDUCT_SNAPSHOT_H_

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "absl/status/statusor.h"
#include "sunlight/video/conduct_zone.h"

namespace sunlight::video {

struct SnapshotOptions {
  // Drawn in yellow when set (not owned).
  const ConductZone* zone = nullptr;
  // Drawn in green.
  std::vector<PersonBox> people;
  // JPEG quality, 1..100.
  int quality = 85;
};

// The JPEG bytes of `bgr` (8-bit, 3 channels; left unchanged). INVALID_ARGUMENT for another
// image type or a quality out of range, INTERNAL when the encoder fails.
absl::StatusOr<std::string> EncodeSnapshotJpeg(const cv::Mat& bgr,
                                               const SnapshotOptions& options = {});

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_CONDUCT_SNAPSHOT_H_
