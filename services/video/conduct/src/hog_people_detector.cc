// The HOG people detector: raw multi-scale hits from OpenCV, grouped here (hit_grouping.h)
// rather than by OpenCV's groupRectangles, which drops the margins the boxes need as scores.
#include <utility>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "src/hit_grouping.h"
#include "sunlight/video/people_detector.h"

namespace sunlight::video {
namespace {

class HogPeopleDetector final : public PeopleDetector {
 public:
  explicit HogPeopleDetector(const HogPeopleDetectorOptions& options) : options_(options) {
    hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  }

  absl::StatusOr<std::vector<PersonBox>> Detect(const cv::Mat& bgr) override {
    if (bgr.empty() || bgr.type() != CV_8UC3) {
      return absl::InvalidArgumentError("image: not 8-bit BGR");
    }
    // The window must fit in the image; a smaller image has nobody HOG could find.
    if (bgr.cols < hog_.winSize.width || bgr.rows < hog_.winSize.height) {
      return std::vector<PersonBox>{};
    }
    const cv::Mat* input = &bgr;
    if (options_.grayscale) {
      cv::cvtColor(bgr, grey_, cv::COLOR_BGR2GRAY);
      input = &grey_;
    }
    std::vector<cv::Rect> windows;
    std::vector<double> margins;
    const cv::Size stride(options_.window_stride, options_.window_stride);
    // groupThreshold 0: the raw hits, grouped below.
    hog_.detectMultiScale(*input, windows, margins, options_.hit_threshold, stride, cv::Size(),
                          options_.scale_step, /*groupThreshold=*/0);
    std::vector<internal::WindowHit> hits;
    hits.reserve(windows.size());
    for (size_t i = 0; i < windows.size(); ++i) {
      hits.push_back({static_cast<double>(windows[i].x), static_cast<double>(windows[i].y),
                      static_cast<double>(windows[i].width), static_cast<double>(windows[i].height),
                      i < margins.size() ? margins[i] : 0});
    }
    std::vector<PersonBox> people;
    const double w = bgr.cols, h = bgr.rows;
    for (const internal::HitGroup& group :
         internal::GroupHits(std::move(hits), options_.group_overlap, options_.group_containment)) {
      if (group.hits < options_.min_group_hits || group.best.score < options_.min_score) continue;
      people.push_back({.left = group.best.x / w,
                        .top = group.best.y / h,
                        .width = group.best.width / w,
                        .height = group.best.height / h,
                        .score = group.best.score});
    }
    return people;
  }

 private:
  HogPeopleDetectorOptions options_;
  cv::HOGDescriptor hog_;
  cv::Mat grey_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PeopleDetector>> MakeHogPeopleDetector(
    const HogPeopleDetectorOptions& options) {
  if (options.window_stride < 8 || options.window_stride % 8 != 0) {
    return absl::InvalidArgumentError("window_stride: not a positive multiple of 8");
  }
  if (!(options.scale_step > 1.0 && options.scale_step <= 2.0)) {
    return absl::InvalidArgumentError("scale_step: not in (1, 2]");
  }
  if (!(options.group_overlap > 0 && options.group_overlap <= 1)) {
    return absl::InvalidArgumentError("group_overlap: not in (0, 1]");
  }
  if (!(options.group_containment > 0 && options.group_containment <= 1)) {
    return absl::InvalidArgumentError("group_containment: not in (0, 1]");
  }
  if (options.min_group_hits < 1) {
    return absl::InvalidArgumentError("min_group_hits: less than 1");
  }
  return std::make_unique<HogPeopleDetector>(options);
}

}  // namespace sunlight::video
