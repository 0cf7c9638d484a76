// Finds people in a sampled frame. The rules only need boxes; the detector is behind an
// interface so that the service and its tests can use a fake, and a better detector can
// replace HOG without touching them.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(std::unique_ptr<PeopleDetector> detector,
//                             MakeHogPeopleDetector({}));
//   SUNLIGHT_ASSIGN_OR_RETURN(std::vector<PersonBox> people, detector->Detect(frame.bgr));
#ifndef SUNLIGHT_VIDEO_PEOPLE_DETECTOR_H_
#define SUNLIGHT_VIDEO_PEOPLE_DETECTOR_H_

#include <memory>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "absl/status/statusor.h"
#include "sunlight/video/conduct_zone.h"

namespace sunlight::video {

class PeopleDetector {
 public:
  virtual ~PeopleDetector() = default;
  // The people in `bgr` (8-bit, 3 channels), boxes normalised to its size, surest first.
  // INVALID_ARGUMENT for an empty or non-BGR image. Thread-compatible: one detector per
  // thread, or calls in turn.
  virtual absl::StatusOr<std::vector<PersonBox>> Detect(const cv::Mat& bgr) = 0;
};

// OpenCV's HOG descriptor with its built-in people SVM (Dalal and Triggs, 64x128 window):
// no weights to download. It finds upright people at least ~100 px tall in the image it is
// given (choose the sampler's max_width so that the camera's people are); it misses people
// sitting behind a desk more often than standing ones, hence the rules' smoothing.
struct HogPeopleDetectorOptions {
  // Window step in pixels (a multiple of the 8 px cell). Larger is faster and coarser.
  int window_stride = 8;
  // Ratio between two pyramid levels. Larger is faster and misses more in-between sizes.
  double scale_step = 1.1;
  // The SVM margin a window must pass to count as a raw hit.
  double hit_threshold = 0;
  // Raw hits are grouped: the surest hit absorbs those overlapping it (intersection over union
  // at least `group_overlap`, or covering at least `group_containment` of the smaller one).
  double group_overlap = 0.4;
  double group_containment = 0.7;
  // A group counts as a person when it has at least this many raw hits and its surest hit's
  // margin is at least min_score (isolated single hits are mostly texture, not people).
  int min_group_hits = 2;
  double min_score = 0.3;
  // Gradients of the grey image instead of the colour one: about a third of the work for the
  // gradients, slightly fewer people found.
  bool grayscale = false;
};

// INVALID_ARGUMENT naming the option out of range.
absl::StatusOr<std::unique_ptr<PeopleDetector>> MakeHogPeopleDetector(
    const HogPeopleDetectorOptions& options);

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_PEOPLE_DETECTOR_H_
