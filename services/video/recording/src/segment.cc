#include "sunlight/video/segment.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace sunlight::video {
namespace {

constexpr char kTimeFormat[] = "%Y%m%dT%H%M%E3SZ";
constexpr char kExtension[] = ".mp4";

// "YYYYMMDDTHHMMSS.mmmZ", field by field: absl's %Y would read all eight digits as a year.
bool ParseStart(const std::string& text, absl::Time* start) {
  if (text.size() != 20 || text[8] != 'T' || text[15] != '.' || text[19] != 'Z') return false;
  auto number = [&](size_t at, size_t length, int64_t* value) {
    for (size_t i = at; i < at + length; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
    }
    return absl::SimpleAtoi(text.substr(at, length), value);
  };
  int64_t year, month, day, hour, minute, second, millis;
  if (!number(0, 4, &year) || !number(4, 2, &month) || !number(6, 2, &day) ||
      !number(9, 2, &hour) || !number(11, 2, &minute) || !number(13, 2, &second) ||
      !number(16, 3, &millis)) {
    return false;
  }
  absl::CivilSecond civil(year, month, day, hour, minute, second);
  if (civil.year() != year || civil.month() != month || civil.day() != day ||
      civil.hour() != hour || civil.minute() != minute || civil.second() != second) {
    return false;  // 20260231: not a date
  }
  *start = absl::FromCivil(civil, absl::UTCTimeZone()) + absl::Milliseconds(millis);
  return true;
}

bool IsIdCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

absl::Status ValidateCameraId(const std::string& camera_id) {
  bool valid = !camera_id.empty() && camera_id.size() <= 64 && camera_id.front() != '-' &&
               camera_id.back() != '-';
  for (char c : camera_id) valid = valid && (IsIdCharacter(c) || c == '-');
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "camera_id: 1 to 64 letters, digits, '_' or '-' (not first or last)");
}

std::string SegmentFileName(const std::string& camera_id, absl::Time start) {
  return absl::StrCat(camera_id, "-", absl::FormatTime(kTimeFormat, start, absl::UTCTimeZone()),
                      kExtension);
}

absl::StatusOr<SegmentName> ParseSegmentFileName(const std::string& file_name) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("not a segment file name (<camera>-<YYYYMMDDTHHMMSS.mmm>Z.mp4): ", file_name));
  };
  if (!absl::EndsWith(file_name, kExtension)) return invalid();
  std::string stem = file_name.substr(0, file_name.size() - (sizeof(kExtension) - 1));
  size_t dash = stem.rfind('-');
  if (dash == std::string::npos) return invalid();
  SegmentName name{.camera_id = stem.substr(0, dash)};
  if (!ValidateCameraId(name.camera_id).ok() || !ParseStart(stem.substr(dash + 1), &name.start)) {
    return invalid();
  }
  return name;
}

}  // namespace sunlight::video
