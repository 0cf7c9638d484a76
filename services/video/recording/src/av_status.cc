#include "src/av_status.h"

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace sunlight::video {

std::string AvErrorText(int error) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(error, text, sizeof(text));
  return text;
}

absl::Status StorageError(int error, const std::string& what) {
  std::string message = absl::StrCat(what, ": ", AvErrorText(error));
  if (error == AVERROR(ENOSPC) || error == AVERROR(EDQUOT) || error == AVERROR(EFBIG)) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::InternalError(message);
}

}  // namespace sunlight::video
