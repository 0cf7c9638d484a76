// The conduct rules on synthetic detections: frames every 200 ms (5 frames/s) with boxes
// placed in or out of the zones.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/time/time.h"
#include "src/hit_grouping.h"
#include "sunlight/video/conduct_rules.h"
#include "sunlight/video/conduct_zone.h"

namespace sunlight::video {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1771000000);
constexpr int kFrameMs = 200;

absl::Time At(double seconds) { return kT0 + absl::Milliseconds(std::llround(seconds * 1000)); }

// A person whose feet stand at (x, y).
PersonBox PersonAt(double x, double y) {
  return {.left = x - 0.05, .top = y - 0.3, .width = 0.1, .height = 0.3, .score = 1};
}

ConductZone Desk(absl::Duration hold = absl::Seconds(60)) {
  ConductZone zone =
      ConductZone::Rectangle("window-1-staff", ZoneKind::kStaff, {0.1, 0.4}, {0.4, 0.9}).value();
  zone.hold = hold;
  return zone;
}

ConductZone Queue(int min_people, absl::Duration hold = absl::Seconds(30)) {
  ConductZone zone =
      ConductZone::Rectangle("hall-queue", ZoneKind::kQueue, {0.5, 0.5}, {1.0, 1.0}).value();
  zone.min_people = min_people;
  zone.hold = hold;
  return zone;
}

const std::vector<PersonBox> kNobody;
const std::vector<PersonBox> kAtDesk = {PersonAt(0.25, 0.8)};

std::vector<PersonBox> InQueue(int n) {
  std::vector<PersonBox> people;
  for (int i = 0; i < n; ++i) people.push_back(PersonAt(0.55 + 0.05 * i, 0.9));
  return people;
}

// Feeds frames to an engine and keeps every transition.
struct Script {
  ConductRuleEngine engine;
  std::vector<ConductTransition> transitions;

  // Frames every 200 ms from `from` to `to` seconds after kT0, both included.
  void Frames(double from, double to, const std::vector<PersonBox>& people) {
    for (int64_t ms = std::llround(from * 1000); ms <= std::llround(to * 1000); ms += kFrameMs) {
      Frame(ms / 1000.0, people);
    }
  }
  void Frame(double at, const std::vector<PersonBox>& people) {
    absl::StatusOr<std::vector<ConductTransition>> changes = engine.Observe(At(at), people);
    REQUIRE(changes.ok());
    transitions.insert(transitions.end(), changes->begin(), changes->end());
  }
};

Script Start(std::vector<ConductZone> zones, WorkingHours hours = AlwaysWorking()) {
  absl::StatusOr<ConductRuleEngine> engine =
      ConductRuleEngine::Create(std::move(zones), std::move(hours));
  REQUIRE(engine.ok());
  return Script{*std::move(engine), {}};
}

TEST_CASE("a zone holds the feet of a person inside it and on its edge", "[zone]") {
  const ConductZone desk = Desk();
  CHECK(desk.Contains({0.25, 0.8}));
  CHECK(desk.Contains({0.1, 0.9}));  // a corner
  CHECK(desk.Contains({0.4, 0.6}));  // an edge
  CHECK_FALSE(desk.Contains({0.45, 0.8}));
  CHECK_FALSE(desk.Contains({0.25, 0.3}));
  // Standing in front of the desk with the head over it: the feet decide.
  CHECK(desk.CountPeople({PersonAt(0.25, 0.95)}) == 0);
  CHECK(desk.CountPeople({PersonAt(0.25, 0.8), PersonAt(0.3, 0.85), PersonAt(0.7, 0.8)}) == 2);
}

TEST_CASE("a concave zone leaves out its notch", "[zone]") {
  ConductZone zone{.id = "l-shape",
                   .kind = ZoneKind::kQueue,
                   .polygon = {{0, 0}, {1, 0}, {1, 0.5}, {0.5, 0.5}, {0.5, 1}, {0, 1}}};
  REQUIRE(ValidateZone(zone).ok());
  CHECK(zone.Contains({0.25, 0.75}));
  CHECK(zone.Contains({0.75, 0.25}));
  CHECK_FALSE(zone.Contains({0.75, 0.75}));
}

TEST_CASE("a person cut by the bottom of the frame stands in a zone drawn to it", "[zone]") {
  ConductZone whole = ConductZone::Rectangle("all", ZoneKind::kQueue, {0, 0}, {1, 1}).value();
  CHECK(whole.CountPeople({{.left = 0.4, .top = 0.7, .width = 0.1, .height = 0.35}}) == 1);
}

TEST_CASE("invalid zones are refused with the field that is wrong", "[zone]") {
  absl::StatusOr<ConductZone> empty =
      ConductZone::Rectangle("z", ZoneKind::kStaff, {0.2, 0.2}, {0.2, 0.5});
  CHECK(empty.status().code() == absl::StatusCode::kInvalidArgument);
  absl::StatusOr<ConductZone> outside =
      ConductZone::Rectangle("z", ZoneKind::kStaff, {0.2, 0.2}, {1.2, 0.5});
  CHECK(outside.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(outside.status().message() == "zone z: polygon: vertex (1.2, 0.2) outside [0,1]");

  ConductZone zone = Desk();
  zone.id = "";
  CHECK(ValidateZone(zone).message() == "zone: id: empty");
  zone = Desk();
  zone.polygon.resize(2);
  CHECK(ValidateZone(zone).code() == absl::StatusCode::kInvalidArgument);
  zone = Queue(0);
  CHECK(ValidateZone(zone).message() == "zone hall-queue: min_people: less than 1");
  zone = Desk(absl::ZeroDuration());
  CHECK(ValidateZone(zone).message() == "zone window-1-staff: hold: not positive");
}

TEST_CASE("the engine refuses duplicate zones and a hold within the smoothing", "[rules]") {
  CHECK(ConductRuleEngine::Create({Desk(), Desk()}, AlwaysWorking()).status().message() ==
        "zone window-1-staff: id: not unique");
  CHECK(ConductRuleEngine::Create({Desk(absl::Seconds(2))}, AlwaysWorking()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ConductRuleEngine::Create({Desk()}, nullptr).status().message() == "working_hours: empty");
}

TEST_CASE("absent from post for exactly the hold opens one event", "[rules]") {
  Script s = Start({Desk()});
  s.Frames(0, 9.8, kAtDesk);
  s.Frames(10, 70, kNobody);  // nobody from 10 s, the hold is 60 s
  REQUIRE(s.transitions.size() == 1);
  const ConductTransition& opened = s.transitions[0];
  CHECK(opened.kind == ConductTransition::kOpened);
  CHECK(opened.event.zone_id == "window-1-staff");
  CHECK(opened.event.rule == ConductRule::kAbsentFromPost);
  CHECK(opened.event.start == At(10));
  CHECK(opened.event.snapshot_at == At(70));
  CHECK_FALSE(opened.event.end.has_value());
  CHECK(opened.event.peak_people == 0);
  CHECK(s.engine.OpenEvents().size() == 1);

  s.Frames(70.2, 200, kNobody);  // still absent: nothing more
  CHECK(s.transitions.size() == 1);
}

TEST_CASE("absent one second less than the hold opens nothing", "[rules]") {
  Script s = Start({Desk()});
  s.Frames(0, 9.8, kAtDesk);
  s.Frames(10, 69, kNobody);
  s.Frames(69.2, 300, kAtDesk);
  CHECK(s.transitions.empty());
}

TEST_CASE("a person returning to the post closes the absence at that frame", "[rules]") {
  Script s = Start({Desk()});
  s.Frames(0, 9.8, kAtDesk);
  s.Frames(10, 95, kNobody);
  s.Frames(95.2, 100, kAtDesk);
  REQUIRE(s.transitions.size() == 2);
  const ConductTransition& closed = s.transitions[1];
  CHECK(closed.kind == ConductTransition::kClosed);
  CHECK(closed.event.start == At(10));
  CHECK(closed.event.end == At(95.2));
  CHECK(closed.event.snapshot_at == At(70));
  CHECK(s.engine.OpenEvents().empty());
}

TEST_CASE("an empty post outside working hours is no absence", "[rules]") {
  // Working hours end 30 s in: only 20 s of the absence fall in them.
  Script s = Start({Desk()}, WorkingHoursFromIntervals({{At(0), At(30)}, {At(1000), At(2000)}}));
  s.Frames(0, 9.8, kAtDesk);
  s.Frames(10, 400, kNobody);
  CHECK(s.transitions.empty());
}

TEST_CASE("an absence counts from the start of working hours", "[rules]") {
  Script s = Start({Desk()}, WorkingHoursFromIntervals({{At(100), At(1000)}}));
  s.Frames(0, 9.8, kAtDesk);
  s.Frames(10, 160, kNobody);
  REQUIRE(s.transitions.size() == 1);
  CHECK(s.transitions[0].event.start == At(100));
  CHECK(s.transitions[0].event.snapshot_at == At(160));
}

TEST_CASE("the end of working hours closes an absence", "[rules]") {
  Script s = Start({Desk()}, WorkingHoursFromIntervals({{At(0), At(200)}}));
  s.Frames(0, 9.8, kAtDesk);
  s.Frames(10, 300, kNobody);
  REQUIRE(s.transitions.size() == 2);
  CHECK(s.transitions[0].event.start == At(10));
  CHECK(s.transitions[1].kind == ConductTransition::kClosed);
  CHECK(s.transitions[1].event.end == At(200));
}

TEST_CASE("a post never staffed is absent from the first frame", "[rules]") {
  Script s = Start({Desk()});
  s.Frames(5, 65, kNobody);
  REQUIRE(s.transitions.size() == 1);
  CHECK(s.transitions[0].event.start == At(5));
}

TEST_CASE("missed detections of a person at the post are no absence", "[rules]") {
  Script s = Start({Desk()});
  // The detector misses the person in two frames out of five, and once for 1.8 s in a row.
  for (int ms = 0; ms <= 600000; ms += kFrameMs) {
    const bool missed = (ms / kFrameMs) % 5 < 2 || (ms >= 300000 && ms < 301800);
    s.Frame(ms / 1000.0, missed ? kNobody : kAtDesk);
  }
  CHECK(s.transitions.empty());
}

TEST_CASE("an absence is timed from the first empty frame despite the smoothing", "[rules]") {
  Script s = Start({Desk()});
  s.Frames(0, 9.8, kAtDesk);
  s.Frame(10, kNobody);
  s.Frame(10.2, kAtDesk);  // a flicker back: the absence starts again after it
  s.Frames(10.4, 70.4, kNobody);
  REQUIRE(s.transitions.size() == 1);
  CHECK(s.transitions[0].event.start == At(10.4));
  CHECK(s.transitions[0].event.snapshot_at == At(70.4));
}

TEST_CASE("a pause in the frames is no absence and closes open events", "[rules]") {
  Script s = Start({Desk()});
  s.Frames(0, 9.8, kAtDesk);
  s.Frames(10, 80, kNobody);    // opened at 70
  s.Frames(680, 720, kNobody);  // ten minutes without frames, then 40 s empty
  REQUIRE(s.transitions.size() == 2);
  CHECK(s.transitions[1].kind == ConductTransition::kClosed);
  CHECK(s.transitions[1].event.end == At(80));
  s.Frames(720.2, 740.2, kNobody);  // 60 s after the first frame after the pause
  REQUIRE(s.transitions.size() == 3);
  CHECK(s.transitions[2].event.start == At(680));
}

TEST_CASE("crowding at N people for the hold opens one event", "[rules]") {
  Script s = Start({Queue(3)});
  s.Frames(0, 4.8, InQueue(1));
  s.Frames(5, 35, InQueue(3));
  REQUIRE(s.transitions.size() == 1);
  const ConductEvent& event = s.transitions[0].event;
  CHECK(s.transitions[0].kind == ConductTransition::kOpened);
  CHECK(event.rule == ConductRule::kCrowding);
  CHECK(event.zone_id == "hall-queue");
  CHECK(event.start == At(5));
  CHECK(event.snapshot_at == At(35));
  CHECK(event.peak_people == 3);

  // Fewer from 35.2 s: the end is that frame, noticed once the smoothing has passed.
  s.Frames(35.2, 36.8, InQueue(2));
  CHECK(s.transitions.size() == 1);
  s.Frame(37, InQueue(2));
  REQUIRE(s.transitions.size() == 2);
  CHECK(s.transitions[1].kind == ConductTransition::kClosed);
  CHECK(s.transitions[1].event.start == At(5));
  CHECK(s.transitions[1].event.end == At(35.2));
}

TEST_CASE("crowding at N minus one people opens nothing", "[rules]") {
  Script s = Start({Queue(3)});
  s.Frames(0, 600, InQueue(2));
  CHECK(s.transitions.empty());
}

TEST_CASE("crowding one frame short of the hold opens nothing", "[rules]") {
  Script s = Start({Queue(3)});
  s.Frames(5, 34.8, InQueue(3));
  s.Frames(35, 100, InQueue(1));
  CHECK(s.transitions.empty());
}

TEST_CASE("a missed person does not break a crowd", "[rules]") {
  Script s = Start({Queue(3)});
  s.Frames(5, 19.8, InQueue(3));
  s.Frames(20, 21.6, InQueue(2));  // 1.8 s with one missed, shorter than the smoothing
  s.Frames(21.8, 35, InQueue(3));
  REQUIRE(s.transitions.size() == 1);
  CHECK(s.transitions[0].event.start == At(5));
  CHECK(s.transitions[0].event.snapshot_at == At(35));
}

TEST_CASE("a crowd that thins for longer than the smoothing starts again", "[rules]") {
  Script s = Start({Queue(3)});
  s.Frames(5, 19.8, InQueue(3));
  s.Frames(20, 22, InQueue(2));  // 2.2 s below N
  s.Frames(22.2, 52, InQueue(3));
  CHECK(s.transitions.empty());
  s.Frame(52.2, InQueue(3));
  REQUIRE(s.transitions.size() == 1);
  CHECK(s.transitions[0].event.start == At(22.2));
}

TEST_CASE("a crowding event keeps the largest count it saw", "[rules]") {
  Script s = Start({Queue(3)});
  s.Frames(0, 30, InQueue(3));
  s.Frames(30.2, 40, InQueue(5));
  s.Frames(40.2, 50, InQueue(4));
  REQUIRE(s.engine.OpenEvents().size() == 1);
  CHECK(s.engine.OpenEvents()[0].peak_people == 5);
  const std::vector<ConductTransition> closed = s.engine.Finish();
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].kind == ConductTransition::kClosed);
  CHECK(closed[0].event.peak_people == 5);
  CHECK(closed[0].event.end == At(50));
}

TEST_CASE("zones are judged apart and closings come before openings", "[rules]") {
  Script s = Start({Queue(2), Desk()});
  s.Frames(0, 58, InQueue(2));  // crowding opens at 30; the desk is empty since 0
  REQUIRE(s.transitions.size() == 1);
  CHECK(s.transitions[0].event.zone_id == "hall-queue");
  // The crowd leaves at 58.2, which the smoothing notices at 60, as the absence reaches 60 s.
  s.Frames(58.2, 60, kNobody);
  REQUIRE(s.transitions.size() == 3);
  CHECK(s.transitions[1].kind == ConductTransition::kClosed);
  CHECK(s.transitions[1].event.zone_id == "hall-queue");
  CHECK(s.transitions[1].event.end == At(58.2));
  CHECK(s.transitions[2].kind == ConductTransition::kOpened);
  CHECK(s.transitions[2].event.zone_id == "window-1-staff");
  CHECK(s.transitions[2].event.start == At(0));
  s.Frame(60.2, kAtDesk);
  REQUIRE(s.transitions.size() == 4);
  CHECK(s.transitions[3].kind == ConductTransition::kClosed);
  CHECK(s.transitions[3].event.zone_id == "window-1-staff");
  CHECK(s.transitions[3].event.end == At(60.2));
}

TEST_CASE("a frame out of order is refused and changes nothing", "[rules]") {
  Script s = Start({Desk()});
  s.Frames(0, 9.8, kAtDesk);
  s.Frames(10, 69.8, kNobody);
  CHECK(s.engine.Observe(At(69.8), kNobody).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.engine.Observe(At(5), kAtDesk).status().code() == absl::StatusCode::kInvalidArgument);
  s.Frame(70, kNobody);
  REQUIRE(s.transitions.size() == 1);
  CHECK(s.transitions[0].event.start == At(10));
}

TEST_CASE("the same frames give the same events", "[rules]") {
  auto run = [] {
    Script s = Start({Queue(2), Desk()});
    for (int ms = 0; ms <= 400000; ms += kFrameMs) {
      const int phase = (ms / 7000) % 5;
      s.Frame(ms / 1000.0, phase < 2 ? kAtDesk : InQueue(phase));
    }
    std::vector<ConductTransition> all = s.transitions;
    for (ConductTransition& t : s.engine.Finish()) all.push_back(t);
    return all;
  };
  const std::vector<ConductTransition> a = run(), b = run();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].kind == b[i].kind);
    CHECK(a[i].event.zone_id == b[i].event.zone_id);
    CHECK(a[i].event.start == b[i].event.start);
    CHECK(a[i].event.end == b[i].event.end);
  }
}

TEST_CASE("working hours from intervals are half open", "[rules]") {
  const WorkingHours hours = WorkingHoursFromIntervals({{At(10), At(20)}, {At(15), At(30)}});
  CHECK_FALSE(hours(At(9.999)));
  CHECK(hours(At(10)));
  CHECK(hours(At(25)));
  CHECK_FALSE(hours(At(30)));
}

TEST_CASE("overlapping hits group under the surest and isolated hits stay apart", "[hits]") {
  using internal::GroupHits;
  using internal::WindowHit;
  const std::vector<WindowHit> hits = {
      {.x = 100, .y = 100, .width = 64, .height = 128, .score = 0.5},
      {.x = 104, .y = 100, .width = 64, .height = 128, .score = 1.5},
      {.x = 96, .y = 92, .width = 70, .height = 140, .score = 0.9},
      {.x = 120, .y = 130, .width = 32, .height = 64, .score = 0.2},  // inside the first
      {.x = 400, .y = 100, .width = 64, .height = 128, .score = 0.7},
  };
  const std::vector<internal::HitGroup> groups = GroupHits(hits, 0.4, 0.7);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].best.x == 104);
  CHECK(groups[0].best.score == 1.5);
  CHECK(groups[0].hits == 4);
  CHECK(groups[1].best.x == 400);
  CHECK(groups[1].hits == 1);
}

}  // namespace
}  // namespace sunlight::video
