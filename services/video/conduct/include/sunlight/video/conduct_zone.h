// Where people are and where the conduct rules look: person boxes and zones, both in
// normalised image coordinates (x right, y down, the frame is [0,1] x [0,1]), so a zone drawn
// once on a camera's picture holds at any decoding or detection size.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(ConductZone desk, ConductZone::Rectangle(
//       "window-3-staff", ZoneKind::kStaff, {0.10, 0.40}, {0.35, 0.95}));
//   desk.hold = absl::Minutes(10);
//   bool inside = desk.Contains(box.Feet());
//
// A person is in a zone when the bottom-centre of its box (its feet, where it stands on the
// floor) lies in the zone's polygon, boundary included. The feet rather than the centre,
// because a camera looks down at an angle: the centre of a tall box in front of a counter can
// fall inside the counter's zone when the person stands outside it, the feet do not. Draw a
// staff zone over the floor behind the counter, a queue zone over the floor in front of it.
#ifndef SUNLIGHT_VIDEO_CONDUCT_ZONE_H_
#define SUNLIGHT_VIDEO_CONDUCT_ZONE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sunlight::video {

struct NormalisedPoint {
  double x = 0;
  double y = 0;
};

// One detected person: a box in normalised coordinates and the detector's confidence (larger
// is surer; its scale is the detector's own).
struct PersonBox {
  double left = 0;
  double top = 0;
  double width = 0;
  double height = 0;
  double score = 0;

  NormalisedPoint Feet() const { return {left + width / 2, top + height}; }
  NormalisedPoint Centre() const { return {left + width / 2, top + height / 2}; }
};

enum class ZoneKind {
  // The staff side of a service window: the rule "absent from post" watches it.
  kStaff,
  // Where applicants queue: the rule "crowding" watches it.
  kQueue,
};

struct ConductZone {
  // Unique per camera; events carry it.
  std::string id;
  ZoneKind kind = ZoneKind::kStaff;
  // At least three vertices in [0,1], in order (either winding); the polygon may be concave.
  std::vector<NormalisedPoint> polygon;
  // T: how long the rule's condition must hold before an event is opened. Staff: nobody in the
  // zone (during working hours) for this long. Queue: at least min_people in it for this long.
  absl::Duration hold = absl::Minutes(5);
  // N, for a queue zone: the number of people that makes a crowd. Ignored for a staff zone.
  int min_people = 5;

  // The axis-aligned rectangle with corners `a` and `b`; INVALID_ARGUMENT when it is empty or
  // leaves [0,1].
  static absl::StatusOr<ConductZone> Rectangle(std::string id, ZoneKind kind, NormalisedPoint a,
                                               NormalisedPoint b);

  // Whether `point` lies in the polygon or on its boundary.
  bool Contains(NormalisedPoint point) const;

  // How many of `people` stand in the zone (their feet inside).
  int CountPeople(const std::vector<PersonBox>& people) const;
};

// OK, or INVALID_ARGUMENT naming the field that is wrong (an empty id, fewer than three
// vertices, a vertex outside [0,1], a non-positive hold, min_people < 1 for a queue).
absl::Status ValidateZone(const ConductZone& zone);

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_CONDUCT_ZONE_H_
