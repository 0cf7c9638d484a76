// The conduct rules of one camera, as pure logic over the sampled frames' detections: the
// caller passes each frame's timestamp and person boxes, the engine answers with the events
// that opened or closed at that frame. No clock is read; the same sequence of frames always
// gives the same events.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(ConductRuleEngine engine,
//       ConductRuleEngine::Create({desk, queue}, calendar_predicate, {}));
//   for (each sampled frame) {
//     SUNLIGHT_ASSIGN_OR_RETURN(std::vector<ConductTransition> changes,
//                               engine.Observe(frame_time, people));
//     for (const ConductTransition& change : changes) {
//       if (change.kind == ConductTransition::kOpened) encode this frame as the snapshot;
//       publish change.event;
//     }
//   }
//
// Rules, per zone:
//  - absent from post (staff zone): nobody in the zone during working hours. The absence starts
//    at the first frame after the last one with someone in the zone (or at the first frame in
//    working hours, whichever is later) and ends at the first frame with someone in it again
//    or outside working hours.
//  - crowding (queue zone): at least min_people in the zone. It starts at the first frame with
//    that many and ends at the first frame after the last one with that many.
// An event is opened, once, at the first frame at which its condition has held for the zone's
// hold T (start + T <= frame time), and closed when the condition ends; its snapshot is that
// opening frame.
//
// Smoothing: a detector misses people now and then. A count seen in a zone still counts for
// `smoothing` after the frame that saw it, so one or a few missed detections neither end a
// presence (no absence starts) nor end a crowd; the times above are then set back to the
// frames where things really changed, so smoothing delays an answer but never moves a start
// or an end.
//
// Gaps: when no frame arrives for longer than max_frame_gap (the camera was offline), nothing
// is concluded about the gap: open events are closed at the last frame before it and every
// zone starts afresh.
#ifndef SUNLIGHT_VIDEO_CONDUCT_RULES_H_
#define SUNLIGHT_VIDEO_CONDUCT_RULES_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/video/conduct_zone.h"

namespace sunlight::video {

// Whether `at` falls in the center's working hours. The service plugs in its calendar.
using WorkingHours = std::function<bool(absl::Time at)>;

// A half-open interval [start, end).
struct WorkingInterval {
  absl::Time start;
  absl::Time end;
};

// Working hours given as a list of intervals (in any order, may overlap).
WorkingHours WorkingHoursFromIntervals(std::vector<WorkingInterval> intervals);
// Working hours that never end, for a camera whose post is always staffed.
WorkingHours AlwaysWorking();

enum class ConductRule {
  kAbsentFromPost,
  kCrowding,
};

// "absent_from_post" or "crowding".
const char* ConductRuleName(ConductRule rule);

struct ConductEvent {
  std::string zone_id;
  ConductRule rule = ConductRule::kAbsentFromPost;
  absl::Time start;
  // Unset while the event is open.
  std::optional<absl::Time> end;
  // Crowding: the most people counted in the zone in one frame so far. Absence: 0.
  int peak_people = 0;
  // The frame at which the event was opened: the one to keep as its snapshot.
  absl::Time snapshot_at;
};

struct ConductTransition {
  enum Kind { kOpened, kClosed };
  Kind kind = kOpened;
  ConductEvent event;
};

struct ConductRuleOptions {
  // How long a count seen in a zone still counts (see Smoothing above). Shorter than any hold.
  absl::Duration smoothing = absl::Seconds(2);
  // A longer pause between two frames is a gap (see Gaps above).
  absl::Duration max_frame_gap = absl::Seconds(15);
};

class ConductRuleEngine {
 public:
  // INVALID_ARGUMENT when a zone is invalid (ValidateZone), two zones share an id, the working
  // hours are empty, or the options are not positive or smoothing is not shorter than every
  // zone's hold.
  static absl::StatusOr<ConductRuleEngine> Create(std::vector<ConductZone> zones,
                                                  WorkingHours working_hours,
                                                  ConductRuleOptions options = {});

  // One sampled frame: its time and the people detected in it. Returns the events opened or
  // closed at this frame (closings first, then openings, each in zone order). A frame not
  // later than the previous one is INVALID_ARGUMENT and changes nothing.
  absl::StatusOr<std::vector<ConductTransition>> Observe(absl::Time at,
                                                         const std::vector<PersonBox>& people);

  // The stream ended: closes every open event at the last frame seen and starts afresh.
  std::vector<ConductTransition> Finish();

  // The events open now, in zone order.
  std::vector<ConductEvent> OpenEvents() const;

  const std::vector<ConductZone>& zones() const { return zones_; }

 private:
  // What one zone remembers between frames.
  struct ZoneState {
    // The last frame whose raw count satisfied the zone's "someone there" test (staff: at
    // least one person; queue: at least min_people), and the first frame after it.
    std::optional<absl::Time> last_seen;
    std::optional<absl::Time> first_after_seen;
    // The current run of the rule's condition, and its event once opened.
    std::optional<absl::Time> condition_since;
    std::optional<ConductEvent> event;
    int run_peak = 0;
  };

  ConductRuleEngine(std::vector<ConductZone> zones, WorkingHours working_hours,
                    ConductRuleOptions options);

  void ObserveZone(size_t index, absl::Time at, bool working, int count,
                   std::vector<ConductTransition>& closed, std::vector<ConductTransition>& opened);
  void ResetAll(absl::Time close_at, std::vector<ConductTransition>& closed);

  std::vector<ConductZone> zones_;
  WorkingHours working_hours_;
  ConductRuleOptions options_;
  std::vector<ZoneState> states_;
  std::optional<absl::Time> last_frame_;
  // The first frame of the current stretch of working hours.
  std::optional<absl::Time> working_since_;
};

}  // namespace sunlight::video

#endif  // SUNLIGHT_VIDEO_CONDUCT_RULES_H_
