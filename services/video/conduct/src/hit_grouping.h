// Non-maximum suppression of a sliding-window detector's raw hits, kept apart from OpenCV's
// types so that it can be tested on its own.
#ifndef SUNLIGHT_VIDEO_CONDUCT_SRC_HIT_GROUPING_H_
#define SUNLIGHT_VIDEO_CONDUCT_SRC_HIT_GROUPING_H_

#include <vector>

namespace sunlight::video::internal {

struct WindowHit {
  double x = 0, y = 0, width = 0, height = 0;
  double score = 0;
};

struct HitGroup {
  WindowHit best;  // the surest hit of the group, which is its box
  int hits = 0;    // raw hits in the group, the best one included
};

// Greedy: the surest ungrouped hit starts a group and absorbs every ungrouped hit that
// overlaps it (intersection over union >= overlap, or intersection >= containment of the
// smaller box). Groups come surest first; equal scores keep the input order.
std::vector<HitGroup> GroupHits(std::vector<WindowHit> hits, double overlap, double containment);

}  // namespace sunlight::video::internal

#endif  // SUNLIGHT_VIDEO_CONDUCT_SRC_HIT_GROUPING_H_
