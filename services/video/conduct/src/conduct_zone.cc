#include "sunlight/video/conduct_zone.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sunlight::video {
namespace {

bool InUnitSquare(NormalisedPoint p) {
  return std::isfinite(p.x) && std::isfinite(p.y) && p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1;
}

// Whether p lies on the segment ab, with a tolerance far below a pixel of any camera.
bool OnSegment(NormalisedPoint p, NormalisedPoint a, NormalisedPoint b) {
  constexpr double kEpsilon = 1e-9;
  const double cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
  if (std::abs(cross) > kEpsilon) return false;
  return p.x >= std::min(a.x, b.x) - kEpsilon && p.x <= std::max(a.x, b.x) + kEpsilon &&
         p.y >= std::min(a.y, b.y) - kEpsilon && p.y <= std::max(a.y, b.y) + kEpsilon;
}

}  // namespace

absl::StatusOr<ConductZone> ConductZone::Rectangle(std::string id, ZoneKind kind, NormalisedPoint a,
                                                   NormalisedPoint b) {
  const double left = std::min(a.x, b.x), right = std::max(a.x, b.x);
  const double top = std::min(a.y, b.y), bottom = std::max(a.y, b.y);
  if (!(right > left && bottom > top)) {
    return absl::InvalidArgumentError(absl::StrCat("zone ", id, ": polygon: empty rectangle"));
  }
  ConductZone zone;
  zone.id = std::move(id);
  zone.kind = kind;
  zone.polygon = {{left, top}, {right, top}, {right, bottom}, {left, bottom}};
  if (absl::Status valid = ValidateZone(zone); !valid.ok()) return valid;
  return zone;
}

bool ConductZone::Contains(NormalisedPoint point) const {
  const size_t n = polygon.size();
  if (n < 3) return false;
  // Even-odd ray casting to the right of `point`, after the boundary, which counts as inside
  // (a person standing on the edge of a zone drawn to the frame's edge is in it).
  bool inside = false;
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const NormalisedPoint a = polygon[i], b = polygon[j];
    if (OnSegment(point, a, b)) return true;
    if ((a.y > point.y) != (b.y > point.y)) {
      const double x_cross = a.x + (point.y - a.y) * (b.x - a.x) / (b.y - a.y);
      if (point.x < x_cross) inside = !inside;
    }
  }
  return inside;
}

int ConductZone::CountPeople(const std::vector<PersonBox>& people) const {
  return static_cast<int>(std::count_if(people.begin(), people.end(), [this](const PersonBox& p) {
    // A box cut by the frame's bottom edge has its feet at or beyond it: clamp into the frame.
    NormalisedPoint feet = p.Feet();
    feet.x = std::clamp(feet.x, 0.0, 1.0);
    feet.y = std::clamp(feet.y, 0.0, 1.0);
    return Contains(feet);
  }));
}

absl::Status ValidateZone(const ConductZone& zone) {
  if (zone.id.empty()) return absl::InvalidArgumentError("zone: id: empty");
  if (zone.polygon.size() < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("zone ", zone.id, ": polygon: fewer than three vertices"));
  }
  for (const NormalisedPoint& p : zone.polygon) {
    if (!InUnitSquare(p)) {
      return absl::InvalidArgumentError(
          absl::StrCat("zone ", zone.id, ": polygon: vertex (", p.x, ", ", p.y, ") outside [0,1]"));
    }
  }
  if (zone.hold <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("zone ", zone.id, ": hold: not positive"));
  }
  if (zone.kind == ZoneKind::kQueue && zone.min_people < 1) {
    return absl::InvalidArgumentError(absl::StrCat("zone ", zone.id, ": min_people: less than 1"));
  }
  return absl::OkStatus();
}

}  // namespace sunlight::video
