#include "sunlight/video/conduct_snapshot.h"

#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace sunlight::video {
namespace {

cv::Point ToPixel(NormalisedPoint p, const cv::Mat& image) {
  return {static_cast<int>(std::lround(p.x * (image.cols - 1))),
          static_cast<int>(std::lround(p.y * (image.rows - 1)))};
}

}  // namespace

absl::StatusOr<std::string> EncodeSnapshotJpeg(const cv::Mat& bgr, const SnapshotOptions& options) {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return absl::InvalidArgumentError("image: not 8-bit BGR");
  }
  if (options.quality < 1 || options.quality > 100) {
    return absl::InvalidArgumentError("quality: not in 1..100");
  }
  cv::Mat picture = bgr;
  if (options.zone != nullptr || !options.people.empty()) {
    picture = bgr.clone();
    const int thickness = std::max(1, picture.cols / 320);
    if (options.zone != nullptr) {
      std::vector<cv::Point> outline;
      for (const NormalisedPoint& p : options.zone->polygon) outline.push_back(ToPixel(p, picture));
      cv::polylines(picture, outline, /*isClosed=*/true, cv::Scalar(0, 220, 255), thickness);
    }
    for (const PersonBox& person : options.people) {
      cv::rectangle(picture, ToPixel({person.left, person.top}, picture),
                    ToPixel({person.left + person.width, person.top + person.height}, picture),
                    cv::Scalar(0, 200, 0), thickness);
    }
  }
  std::vector<uchar> bytes;
  if (!cv::imencode(".jpg", picture, bytes, {cv::IMWRITE_JPEG_QUALITY, options.quality})) {
    return absl::InternalError("encoding the snapshot: JPEG encoder failed");
  }
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace sunlight::video
