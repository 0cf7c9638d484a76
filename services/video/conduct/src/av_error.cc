#include "src/av_error.h"

extern "C" {
#include <libavutil/error.h>
}

#include "absl/strings/str_cat.h"

namespace sunlight::video::internal {

std::string AvErrorText(int error) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(error, text, sizeof(text)) < 0) return absl::StrCat("error ", error);
  return text;
}

absl::Status AvStatus(absl::StatusCode code, absl::string_view what, int error) {
  return absl::Status(code, absl::StrCat(what, ": ", AvErrorText(error)));
}

}  // namespace sunlight::video::internal
