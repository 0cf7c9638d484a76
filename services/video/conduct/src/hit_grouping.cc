#include "src/hit_grouping.h"

#include <algorithm>

namespace sunlight::video::internal {
namespace {

double Intersection(const WindowHit& a, const WindowHit& b) {
  const double w = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  const double h = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

}  // namespace

std::vector<HitGroup> GroupHits(std::vector<WindowHit> hits, double overlap, double containment) {
  std::stable_sort(hits.begin(), hits.end(),
                   [](const WindowHit& a, const WindowHit& b) { return a.score > b.score; });
  std::vector<bool> grouped(hits.size(), false);
  std::vector<HitGroup> groups;
  for (size_t i = 0; i < hits.size(); ++i) {
    if (grouped[i]) continue;
    HitGroup group{.best = hits[i], .hits = 1};
    const double area_i = hits[i].width * hits[i].height;
    for (size_t j = i + 1; j < hits.size(); ++j) {
      if (grouped[j]) continue;
      const double inter = Intersection(hits[i], hits[j]);
      if (inter <= 0) continue;
      const double area_j = hits[j].width * hits[j].height;
      if (inter / (area_i + area_j - inter) >= overlap ||
          inter / std::min(area_i, area_j) >= containment) {
        grouped[j] = true;
        ++group.hits;
      }
    }
    groups.push_back(group);
  }
  return groups;
}

}  // namespace sunlight::video::internal
