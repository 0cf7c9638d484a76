// FFmpeg's error codes as text, and the one mapping of them to absl::Status.
#ifndef SUNLIGHT_VIDEO_CONDUCT_SRC_AV_ERROR_H_
#define SUNLIGHT_VIDEO_CONDUCT_SRC_AV_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sunlight::video::internal {

// av_strerror's text for an AVERROR code.
std::string AvErrorText(int error);

// `code` with "<what>: <FFmpeg's text>" as its message.
absl::Status AvStatus(absl::StatusCode code, absl::string_view what, int error);

}  // namespace sunlight::video::internal

#endif  // SUNLIGHT_VIDEO_CONDUCT_SRC_AV_ERROR_H_
