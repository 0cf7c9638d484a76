// Case clips held from intake's stream, and conduct events: found in recorded segments by the
// rules (with a scripted detector), stored with a snapshot and a hold, decided by an inspector.
#include <catch2/catch.hpp>

#include "sunlight/eventlog/case_event.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "video_test_fixture.h"

namespace sunlight::video {
namespace {

namespace iv1 = ::sunlight::intake::v1;

events::v1::CaseEvent IntakeEvent(uint64_t sequence, const std::string& type,
                                  const std::string& case_id,
                                  const google::protobuf::Message& payload, absl::Time at) {
  events::v1::CaseEvent event = eventlog::NewEvent(type, case_id, intake::Clerk(), at, payload);
  event.set_stream(kIntakeStream);
  event.set_sequence(sequence);
  return event;
}

events::v1::CaseEvent WindowW1(uint64_t sequence) {
  iv1::WindowUpserted window;
  window.mutable_window()->set_window_id("W1");
  window.mutable_window()->set_department_id("market");
  return IntakeEvent(sequence, "intake.window.upserted", "", window, VideoFixture::Start());
}

v1::Zone WholePicture(v1::ZoneKind kind, uint32_t min_people = 0) {
  v1::Zone zone;
  zone.set_zone_id(kind == v1::ZONE_KIND_STAFF ? "w1-staff" : "w1-queue");
  zone.set_kind(kind);
  for (auto [x, y] : {std::pair{0.0, 0.0}, {1.0, 0.0}, {1.0, 1.0}, {0.0, 1.0}}) {
    v1::Point* p = zone.add_polygon();
    p->set_x(x);
    p->set_y(y);
  }
  zone.set_hold_seconds(10);
  zone.set_min_people(min_people);
  return zone;
}

PersonBox Someone(double left) {
  return {.left = left, .top = 0.2, .width = 0.1, .height = 0.5, .score = 1};
}

std::vector<v1::ConductEvent> Events(Video& video) {
  auto listed = video.ListConductEvents({});
  REQUIRE(listed.ok());
  return {listed->events().begin(), listed->events().end()};
}

TEST_CASE_METHOD(VideoFixture, "a case accepted or refused at a window holds that camera's clip") {
  Register("hall-w1", "W1");
  Register("hall-lobby");
  const absl::Time accepted_at = Start() + absl::Minutes(3);
  iv1::CaseAccepted accepted;
  accepted.mutable_receipt()->set_window_id("W1");
  *accepted.mutable_receipt()->mutable_accepted_at() = ToProto(accepted_at);
  accepted.set_case_number("SL-2026-000042");
  iv1::CaseAccepted online;  // no window: no clip
  online.set_case_number("SL-2026-000043");
  iv1::CaseRefused refused;
  refused.set_window_id("W1");
  refused.set_case_number("SL-2026-000044");
  refused.set_reason("不属于本机关职权范围");
  const std::vector<events::v1::CaseEvent> batch = {
      WindowW1(1), IntakeEvent(2, "intake.case.accepted", "c42", accepted, accepted_at),
      IntakeEvent(3, "intake.case.accepted", "c43", online, accepted_at),
      IntakeEvent(4, "intake.case.refused", "c44", refused, Start() + absl::Minutes(9))};
  REQUIRE(video->ApplyEvents(kIntakeStream, batch).ok());
  REQUIRE(video->ApplyEvents(kIntakeStream, batch).ok());  // redelivered: nothing twice
  CHECK(*video->Cursor(kIntakeStream) == 4);

  auto holds = video->ListHolds({});
  REQUIRE(holds.ok());
  REQUIRE(holds->holds_size() == 2);
  const v1::Hold& first = holds->holds(0);
  CHECK(first.camera_id() == "hall-w1");
  CHECK(first.kind() == "case");
  CHECK(first.case_id() == "c42");
  CHECK(first.case_number() == "SL-2026-000042");
  CHECK(FromProto(first.start()) == accepted_at - absl::Minutes(1));
  CHECK(FromProto(first.end()) == accepted_at + absl::Minutes(2));
  CHECK(holds->holds(1).case_id() == "c44");
  CHECK(FromProto(holds->holds(1).start()) == Start() + absl::Minutes(8));
  v1::ListHoldsRequest by_case;
  by_case.set_case_id("c44");
  CHECK(video->ListHolds(by_case)->holds_size() == 1);

  v1::GetCameraRequest get;
  get.set_camera_id("hall-w1");
  CHECK(video->GetCamera(get)->department_id() == "market");
  CHECK(absl::IsInvalidArgument(video->ApplyEvents("workflow", batch)));
}

TEST_CASE_METHOD(VideoFixture, "an empty post is an event that counts only once confirmed") {
  REQUIRE(video->ApplyEvents(kIntakeStream, {WindowW1(1)}).ok());
  Register("hall-w1", "W1", {WholePicture(v1::ZONE_KIND_STAFF)});
  Record("hall-w1", Start(), absl::Seconds(60));
  std::vector<v1::Segment> segments = Segments("hall-w1");
  REQUIRE(segments.size() == 6);
  for (size_t i = 0; i < segments.size(); ++i) {
    people = i < 3 ? std::vector<PersonBox>{} : std::vector<PersonBox>{Someone(0.4)};
    REQUIRE(video->DetectConduct(segments[i]).ok());
    if (i == 1) {
      // Nobody from 10:00:00; after the zone's 10 s an event is open, waiting for an inspector.
      std::vector<v1::ConductEvent> open = Events(*video);
      REQUIRE(open.size() == 1);
      CHECK_FALSE(open[0].has_end());
    }
  }
  std::vector<v1::ConductEvent> found = Events(*video);
  REQUIRE(found.size() == 1);
  const v1::ConductEvent& e = found[0];
  CHECK(e.rule() == v1::CONDUCT_RULE_ABSENT_FROM_POST);
  CHECK(e.zone_id() == "w1-staff");
  CHECK(e.window_id() == "W1");
  CHECK(e.department_id() == "market");
  CHECK(e.decision() == v1::CONDUCT_DECISION_PENDING);
  CHECK(FromProto(e.start()) == Start());
  CHECK(absl::AbsDuration(FromProto(e.end()) - (Start() + absl::Seconds(30))) <= absl::Seconds(1));
  REQUIRE(e.snapshot_bytes() > 0);
  v1::GetConductSnapshotRequest snapshot_request;
  snapshot_request.set_event_id(e.event_id());
  auto snapshot = video->GetConductSnapshot(snapshot_request);
  REQUIRE(snapshot.ok());
  CHECK(snapshot->jpeg().substr(0, 2) == "\xFF\xD8");
  CHECK(static_cast<int64_t>(snapshot->jpeg().size()) == e.snapshot_bytes());
  // Its clip is held from a minute before it to a minute after it.
  REQUIRE_FALSE(e.hold_id().empty());
  v1::ListHoldsRequest holds_request;
  auto holds = video->ListHolds(holds_request);
  REQUIRE(holds->holds_size() == 1);
  CHECK(holds->holds(0).kind() == "conduct");
  CHECK(holds->holds(0).conduct_event_id() == e.event_id());
  CHECK(FromProto(holds->holds(0).start()) == Start() - absl::Minutes(1));
  CHECK(FromProto(holds->holds(0).end()) >= FromProto(e.end()) + absl::Minutes(1));

  v1::DecideConductEventRequest decide;
  *decide.mutable_actor() = Inspector();
  decide.set_event_id(e.event_id());
  decide.set_reason("窗口无人 20 秒，核实属实");
  auto unspecified = video->DecideConductEvent(decide);
  CHECK(absl::IsInvalidArgument(unspecified.status()));
  CHECK(unspecified.status().message().find("decision") != std::string::npos);
  decide.set_decision(v1::CONDUCT_DECISION_CONFIRMED);
  auto confirmed = video->DecideConductEvent(decide);
  REQUIRE(confirmed.ok());
  CHECK(confirmed->decision() == v1::CONDUCT_DECISION_CONFIRMED);
  CHECK(confirmed->decided_by().id() == "insp-1");
  CHECK(absl::IsFailedPrecondition(video->DecideConductEvent(decide).status()));

  // What scoring reads: detected, ended, confirmed, in that order.
  std::vector<std::string> types;
  for (const auto& event : sunlight::testing::EventsAfter(video->event_log(), 0)) {
    if (event.type().rfind("video.conduct.", 0) == 0) types.push_back(event.type());
  }
  CHECK(types == std::vector<std::string>{"video.conduct.detected", "video.conduct.ended",
                                          "video.conduct.confirmed"});
}

TEST_CASE_METHOD(VideoFixture,
                 "crowding is found, a dismissal releases its clip, lunch is no absence") {
  Register("hall-q", "", {WholePicture(v1::ZONE_KIND_QUEUE, 3)});
  Register("hall-w1", "W1", {WholePicture(v1::ZONE_KIND_STAFF)});
  const absl::Time lunch = intake::At(2026, 12, 3, 12, 5);
  Record("hall-q", Start(), absl::Seconds(30));
  Record("hall-w1", lunch, absl::Seconds(30));
  people = {Someone(0.1), Someone(0.3), Someone(0.5), Someone(0.7)};
  for (const v1::Segment& segment : Segments("hall-q")) {
    REQUIRE(video->DetectConduct(segment).ok());
  }
  people = {};
  for (const v1::Segment& segment : Segments("hall-w1")) {
    REQUIRE(video->DetectConduct(segment).ok());
  }
  std::vector<v1::ConductEvent> found = Events(*video);
  REQUIRE(found.size() == 1);  // nobody at the post over lunch is no event
  CHECK(found[0].rule() == v1::CONDUCT_RULE_CROWDING);
  CHECK(found[0].peak_people() == 4);
  CHECK(found[0].camera_id() == "hall-q");

  v1::DecideConductEventRequest dismiss;
  *dismiss.mutable_actor() = Inspector();
  dismiss.set_event_id(found[0].event_id());
  dismiss.set_decision(v1::CONDUCT_DECISION_DISMISSED);
  CHECK(absl::IsInvalidArgument(video->DecideConductEvent(dismiss).status()));  // no reason
  dismiss.set_reason("排队属于正常高峰");
  REQUIRE(video->DecideConductEvent(dismiss).ok());
  CHECK(video->ListHolds({})->holds_size() == 0);
  v1::ListConductEventsRequest pending;
  pending.set_decision(v1::CONDUCT_DECISION_PENDING);
  CHECK(video->ListConductEvents(pending)->events_size() == 0);
  pending.set_decision(static_cast<v1::ConductDecision>(42));
  CHECK(absl::IsInvalidArgument(video->ListConductEvents(pending).status()));
}

}  // namespace
}  // namespace sunlight::video
