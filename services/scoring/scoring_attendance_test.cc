// Attendance (考勤): device punches (idempotent, corrected by the device's clock skew), the
// days judged from them, corrections (补卡) and the monthly sheets and scores. March 2026 in
// Shanghai: Mon Mar 2 to Fri Mar 6 are working days, Sat Mar 7 a weekend, Mon Apr 6 Qingming.
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "scoring_attendance_days.h"
#include "scoring_rules.h"
#include "sunlight/scoring/scoring.h"
#include "sunlight/testing/suite_fixture.h"

namespace sunlight::scoring {
namespace {

using intake::At;
using intake::Person;

constexpr v1::PunchKind kAny = v1::PUNCH_KIND_UNSPECIFIED;

v1::Punch MakePunch(uint64_t sequence, const std::string& person, absl::Time at,
                    v1::PunchKind kind = kAny) {
  v1::Punch p;
  p.set_device_sequence(sequence);
  p.set_person_id(person);
  *p.mutable_at() = ToProto(at);
  p.set_kind(kind);
  return p;
}

v1::StaffAssignment Post(const std::string& person, const std::string& from,
                         std::vector<std::pair<std::string, std::string>> hours = {
                             {"09:00", "12:00"}, {"13:30", "17:30"}}) {
  v1::StaffAssignment a;
  a.set_person_id(person);
  a.set_department_id("market");
  a.set_window_id("W1");
  a.set_effective_from(from);
  for (const auto& [start, end] : hours) {
    auto* h = a.add_hours();
    h->set_start(start);
    h->set_end(end);
  }
  return a;
}

struct AttendanceFixture : testing::SuiteFixture {
  AttendanceFixture() {
    scoring_store = testing::OpenScratchStore(dir.path() + "/scoring", ScoringColumnFamilies());
    scoring = *Scoring::Open(scoring_store.get(), calendar, &clock);
    clock.Set(At(2026, 3, 1, 12));
    REQUIRE(Assign(Post("p1", "2026-03-01")).ok());
    REQUIRE(Assign(Post("p2", "2026-03-01")).ok());
  }

  absl::StatusOr<v1::StaffAssignment> Assign(const v1::StaffAssignment& a) {
    v1::SetStaffAssignmentRequest request;
    *request.mutable_actor() = Person("admin", "administrator", "");
    *request.mutable_assignment() = a;
    return scoring->SetStaffAssignment(request);
  }

  // A batch from `device` whose clock reads now + `device_ahead`.
  absl::StatusOr<v1::UploadPunchesResponse> Upload(
      const std::vector<v1::Punch>& punches, absl::Duration device_ahead = absl::ZeroDuration(),
      const std::string& device = "clock-1") {
    v1::UploadPunchesRequest request;
    *request.mutable_actor() = Person(device, "attendance_device", "");
    *request.mutable_device_time() = ToProto(clock.Now() + device_ahead);
    for (const auto& p : punches) *request.add_punches() = p;
    return scoring->UploadPunches(request);
  }

  v1::AttendanceSheet Sheet(const std::string& month, const std::string& person) {
    v1::GetAttendanceSheetRequest request;
    request.set_month(month);
    request.set_person_id(person);
    auto sheet = scoring->GetAttendanceSheet(request);
    REQUIRE(sheet.ok());
    return *sheet;
  }

  v1::AttendanceDay Day(const std::string& person, const std::string& day) {
    v1::AttendanceSheet sheet = Sheet(day.substr(0, 7), person);
    for (const auto& d : sheet.days()) {
      if (d.day() == day) return d;
    }
    FAIL("no day " << day);
    return {};
  }

  v1::Measures PersonMonth(const std::string& person) {
    v1::StatisticsRequest request;
    request.set_dimension(v1::DIMENSION_PERSON);
    request.set_period(v1::PERIOD_MONTH);
    request.set_from_day("2026-03-01");
    request.set_to_day("2026-03-31");
    request.add_values(person);
    auto stats = scoring->GetStatistics(request);
    REQUIRE(stats.ok());
    return stats->rows_size() == 0 ? v1::Measures() : stats->rows(0).measures();
  }

  absl::StatusOr<v1::AttendanceCorrection> Correct(const common::v1::Actor& actor,
                                                   const std::string& person, absl::Time at,
                                                   v1::PunchKind kind) {
    v1::RequestAttendanceCorrectionRequest request;
    *request.mutable_actor() = actor;
    request.set_person_id(person);
    *request.mutable_at() = ToProto(at);
    request.set_kind(kind);
    request.set_reasons("the fingerprint clock was out of order");
    return scoring->RequestAttendanceCorrection(request);
  }

  absl::StatusOr<v1::AttendanceCorrection> Decide(const common::v1::Actor& actor,
                                                  const std::string& id, bool approve = true) {
    v1::DecideAttendanceCorrectionRequest request;
    *request.mutable_actor() = actor;
    request.set_correction_id(id);
    request.set_approve(approve);
    request.set_decision(approve ? "seen at the window" : "no evidence");
    return scoring->DecideAttendanceCorrection(request);
  }

  // Tue Mar 3: in 09:12 (late 12 min), out 10:00 and back 11:00 (away 60 min), lunch 12:01 to
  // 13:29 (outside the hours: free), out 16:00 (left early 90 min once the day is closed).
  void FaultyDay() {
    clock.Set(At(2026, 3, 3, 18));
    REQUIRE(
        Upload({MakePunch(11, "p1", At(2026, 3, 3, 9, 12)), MakePunch(12, "p1", At(2026, 3, 3, 10)),
                MakePunch(13, "p1", At(2026, 3, 3, 11)), MakePunch(14, "p1", At(2026, 3, 3, 12, 1)),
                MakePunch(15, "p1", At(2026, 3, 3, 13, 29)),
                MakePunch(16, "p1", At(2026, 3, 3, 16))})
            .ok());
  }

  std::unique_ptr<storage::Store> scoring_store;
  std::unique_ptr<Scoring> scoring;
};

// The leader (分管领导) of "market".
common::v1::Actor Leader() { return Person("lead1", "leader"); }

// ---------------------------------------------------------------- the day, judged alone

v1::StoredPunch Stored(absl::Time at, v1::PunchKind kind = kAny, uint64_t sequence = 1) {
  v1::StoredPunch p;
  p.set_device_id("clock-1");
  *p.mutable_punch() = MakePunch(sequence, "p1", at, kind);
  *p.mutable_corrected_at() = ToProto(at);
  return p;
}

TEST_CASE("a day is judged against the first start and the last end with the grace") {
  v1::StaffAssignment post = Post("p1", "2026-03-01");
  v1::AttendanceRules rules = DefaultAttendanceRules();  // grace 5 min, gap 30 min
  const absl::CivilDay day(2026, 3, 2);
  DayFacts facts{"p1",
                 day,
                 &post,
                 /*working_day=*/true,
                 /*closed=*/true,
                 {Stored(At(2026, 3, 2, 17, 25), kAny, 2), Stored(At(2026, 3, 2, 9, 5), kAny, 1)}};
  v1::AttendanceDay judged = JudgeDay(facts, rules, intake::Shanghai());
  // Exactly the grace late and early is on time; punches come out sorted.
  CHECK(judged.late_minutes() == 0);
  CHECK(judged.left_early_minutes() == 0);
  CHECK(judged.punches(0).punch().device_sequence() == 1);
  CHECK(judged.signed_in_at().seconds() == absl::ToUnixSeconds(At(2026, 3, 2, 9, 5)));
  CHECK(judged.signed_out_at().seconds() == absl::ToUnixSeconds(At(2026, 3, 2, 17, 25)));
  CHECK(judged.counted().source() == "attendance/p1/20260302");
  CHECK(judged.counted().measures().attendance_days() == 1);
  CHECK(judged.counted().events_size() == 0);
  CHECK(judged.counted().what() == "attendance:2026-03-02");

  facts.punches = {Stored(At(2026, 3, 2, 9, 5) + absl::Seconds(1))};
  facts.closed = false;
  judged = JudgeDay(facts, rules, intake::Shanghai());
  CHECK(judged.late_minutes() == 6);        // rounded up
  CHECK(judged.left_early_minutes() == 0);  // not judged before the day ends
  CHECK(judged.counted().what() == "attendance:2026-03-02 late 6 min");
  CHECK(judged.counted().events_size() == 1);
}

TEST_CASE("explicit kinds decide which gap is time away") {
  v1::StaffAssignment post = Post("p1", "2026-03-01");
  v1::AttendanceRules rules = DefaultAttendanceRules();
  // In, in (a second sign-in changes nothing), out 14:00, in 14:40: 40 min away.
  DayFacts facts{"p1",
                 absl::CivilDay(2026, 3, 2),
                 &post,
                 true,
                 true,
                 {Stored(At(2026, 3, 2, 8, 50), v1::PUNCH_KIND_IN, 1),
                  Stored(At(2026, 3, 2, 9, 30), v1::PUNCH_KIND_IN, 2),
                  Stored(At(2026, 3, 2, 14), v1::PUNCH_KIND_OUT, 3),
                  Stored(At(2026, 3, 2, 14, 40), v1::PUNCH_KIND_IN, 4),
                  Stored(At(2026, 3, 2, 17, 40), v1::PUNCH_KIND_OUT, 5)}};
  v1::AttendanceDay judged = JudgeDay(facts, rules, intake::Shanghai());
  CHECK(judged.late_minutes() == 0);
  CHECK(judged.away_minutes() == 40);
  CHECK(judged.counted().measures().days_away() == 1);
  // A gap of exactly the allowance is not time away.
  facts.punches[3] = Stored(At(2026, 3, 2, 14, 30), v1::PUNCH_KIND_IN, 4);
  CHECK(JudgeDay(facts, rules, intake::Shanghai()).away_minutes() == 0);
  // Not a working day: nothing scheduled, nothing counted.
  facts.working_day = false;
  judged = JudgeDay(facts, rules, intake::Shanghai());
  CHECK(judged.hours_size() == 0);
  CHECK(judged.counted().source().empty());
  // Scheduled, closed and no punch: absent only.
  facts.working_day = true;
  facts.punches.clear();
  judged = JudgeDay(facts, rules, intake::Shanghai());
  CHECK(judged.absent());
  CHECK(judged.late_minutes() == 0);
  CHECK(judged.counted().what() == "attendance:2026-03-02 absent");
}

// ---------------------------------------------------------------- posts

TEST_CASE_METHOD(AttendanceFixture, "an assignment with bad hours is refused naming the field") {
  auto overlapping = Assign(Post("p3", "2026-03-01", {{"09:00", "12:00"}, {"11:30", "17:00"}}));
  CHECK(overlapping.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(overlapping.status().message(), "assignment.hours[1].start"));
  auto backwards = Assign(Post("p3", "2026-03-01", {{"12:00", "09:00"}}));
  CHECK(absl::StartsWith(backwards.status().message(), "assignment.hours[0].end"));
  auto malformed = Assign(Post("p3", "2026-03-01", {{"9:00", "12:00"}}));
  CHECK(absl::StartsWith(malformed.status().message(), "assignment.hours[0].start"));
  auto day = Assign(Post("p3", "2026-02-30"));
  CHECK(absl::StartsWith(day.status().message(), "assignment.effective_from"));
  v1::StaffAssignment nobody = Post("", "2026-03-01");
  CHECK(absl::StartsWith(Assign(nobody).status().message(), "assignment.person_id"));

  v1::ListStaffAssignmentsRequest list;
  list.set_department_id("market");
  auto listed = scoring->ListStaffAssignments(list);
  REQUIRE(listed.ok());
  REQUIRE(listed->assignments_size() == 2);
  CHECK(listed->assignments(0).set_by().id() == "admin");
}

TEST_CASE_METHOD(AttendanceFixture, "a changed schedule re-judges the days stored") {
  FaultyDay();
  REQUIRE(Day("p1", "2026-03-03").late_minutes() == 12);
  REQUIRE(Assign(Post("p1", "2026-03-03", {{"09:10", "12:00"}, {"13:30", "16:00"}})).ok());
  v1::AttendanceDay day = Day("p1", "2026-03-03");
  CHECK(day.late_minutes() == 0);
  CHECK(day.away_minutes() == 60);
  CHECK(PersonMonth("p1").days_late() == 0);
  CHECK(PersonMonth("p1").days_away() == 1);
}

// ---------------------------------------------------------------- uploads

TEST_CASE_METHOD(AttendanceFixture, "an attendance batch uploaded twice counts once") {
  clock.Set(At(2026, 3, 2, 18));
  std::vector<v1::Punch> batch = {MakePunch(1, "p1", At(2026, 3, 2, 9, 20)),
                                  MakePunch(2, "p1", At(2026, 3, 2, 17, 35)),
                                  MakePunch(3, "p2", At(2026, 3, 2, 8, 50))};
  auto first = Upload(batch);
  REQUIRE(first.ok());
  CHECK(first->accepted() == 3);
  CHECK(first->duplicates() == 0);
  v1::AttendanceSheet sheet = Sheet("2026-03", "p1");
  v1::Measures measures = PersonMonth("p1");
  CHECK(measures.attendance_days() == 1);
  CHECK(measures.days_late() == 1);

  clock.Advance(absl::Minutes(3));  // the device retries later, its clock on time
  auto again = Upload(batch);
  REQUIRE(again.ok());
  CHECK(again->accepted() == 0);
  CHECK(again->duplicates() == 3);
  CHECK(Sheet("2026-03", "p1").SerializeAsString() == sheet.SerializeAsString());
  CHECK(PersonMonth("p1").SerializeAsString() == measures.SerializeAsString());
}

TEST_CASE_METHOD(AttendanceFixture, "a late device clock is corrected by its skew") {
  clock.Set(At(2026, 3, 2, 18));
  // 10 minutes slow: it stamps 08:58 for a sign-in at 09:08, 3 minutes beyond the grace.
  auto slow = Upload({MakePunch(1, "p1", At(2026, 3, 2, 8, 58))}, -absl::Minutes(10), "slow");
  REQUIRE(slow.ok());
  CHECK(slow->skew_seconds() == 600);
  v1::AttendanceDay p1 = Day("p1", "2026-03-02");
  CHECK(p1.late_minutes() == 8);
  CHECK(p1.punches(0).skew_seconds() == 600);
  CHECK(p1.punches(0).corrected_at().seconds() == absl::ToUnixSeconds(At(2026, 3, 2, 9, 8)));
  // 10 minutes fast: it stamps 09:08 for a sign-in at 08:58, on time.
  auto fast = Upload({MakePunch(1, "p2", At(2026, 3, 2, 9, 8))}, absl::Minutes(10), "fast");
  REQUIRE(fast.ok());
  CHECK(fast->skew_seconds() == -600);
  CHECK(Day("p2", "2026-03-02").late_minutes() == 0);
}

TEST_CASE_METHOD(AttendanceFixture, "a replayed old batch is refused naming the punch") {
  clock.Set(At(2026, 3, 2, 18));
  std::vector<v1::Punch> batch = {MakePunch(1, "p1", At(2026, 3, 2, 9)),
                                  MakePunch(2, "p1", At(2026, 3, 2, 17, 30))};
  REQUIRE(Upload(batch).ok());
  clock.Set(At(2026, 3, 10, 18));  // 8 days later: beyond the 7-day upload window
  auto replayed = Upload(batch);
  CHECK(replayed.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StartsWith(replayed.status().message(), "punches[0].at: 2026-03-02 09:00:00"));
  CHECK(absl::StrContains(replayed.status().message(), "补卡"));
  // The same bytes again, device_time and all: the clock would be 8 days off.
  v1::UploadPunchesRequest verbatim;
  *verbatim.mutable_actor() = Person("clock-1", "attendance_device", "");
  *verbatim.mutable_device_time() = ToProto(At(2026, 3, 2, 18));
  for (const auto& p : batch) *verbatim.add_punches() = p;
  auto bytes = scoring->UploadPunches(verbatim);
  CHECK(bytes.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StartsWith(bytes.status().message(), "device_time"));
  // Nor from the future.
  auto future = Upload({MakePunch(3, "p1", At(2026, 3, 10, 18, 6))});
  CHECK(future.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StartsWith(future.status().message(), "punches[0].at"));
}

TEST_CASE_METHOD(AttendanceFixture, "a changed punch under a known sequence is refused") {
  clock.Set(At(2026, 3, 2, 18));
  REQUIRE(Upload({MakePunch(1, "p1", At(2026, 3, 2, 9))}).ok());
  // Sequence 5 is new, sequence 1 comes with another time: nothing of the batch is stored.
  auto changed = Upload(
      {MakePunch(5, "p1", At(2026, 3, 2, 17, 30)), MakePunch(1, "p1", At(2026, 3, 2, 9, 1))});
  CHECK(changed.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(absl::StartsWith(changed.status().message(), "punches[1].device_sequence"));
  CHECK(Day("p1", "2026-03-02").punches_size() == 1);
  // Another device may use the same sequence.
  CHECK(Upload({MakePunch(1, "p1", At(2026, 3, 2, 9, 1))}, absl::ZeroDuration(), "clock-2").ok());
}

TEST_CASE_METHOD(AttendanceFixture, "punches are refused for a person without a post") {
  clock.Set(At(2026, 3, 2, 18));
  auto nobody =
      Upload({MakePunch(1, "p1", At(2026, 3, 2, 9)), MakePunch(2, "ghost", At(2026, 3, 2, 9))});
  CHECK(nobody.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(nobody.status().message() == "punches[1].person_id: no post assigned");
  auto zero = Upload({MakePunch(0, "p1", At(2026, 3, 2, 9))});
  CHECK(absl::StartsWith(zero.status().message(), "punches[0].device_sequence"));
  std::vector<v1::Punch> many(10001, MakePunch(1, "p1", At(2026, 3, 2, 9)));
  CHECK(Upload(many).status().message() == "punches: at most 10000");
  CHECK(Day("p1", "2026-03-02").punches_size() == 0);
}

// ---------------------------------------------------------------- days

TEST_CASE_METHOD(AttendanceFixture, "late and away count at once and leaving early once closed") {
  FaultyDay();
  v1::AttendanceDay open = Day("p1", "2026-03-03");
  CHECK(!open.closed());
  CHECK(open.late_minutes() == 12);
  CHECK(open.away_minutes() == 60);
  CHECK(open.left_early_minutes() == 0);

  clock.Set(At(2026, 3, 4, 1));
  auto closed = scoring->CloseAttendanceDays();
  REQUIRE(closed.ok());
  CHECK(*closed == 2);                          // p1's day and p2's
  CHECK(*scoring->CloseAttendanceDays() == 0);  // idempotent
  v1::AttendanceDay day = Day("p1", "2026-03-03");
  CHECK(day.closed());
  CHECK(day.left_early_minutes() == 90);
  CHECK(day.counted().what() ==
        "attendance:2026-03-03 late 12 min, left early 90 min, away 60 min");
  v1::AttendanceDay absent = Day("p2", "2026-03-03");
  CHECK(absent.absent());
  CHECK(absent.counted().what() == "attendance:2026-03-03 absent");
  v1::Measures p1 = PersonMonth("p1");
  CHECK(p1.attendance_days() == 1);
  CHECK(p1.days_late() == 1);
  CHECK(p1.days_left_early() == 1);
  CHECK(p1.days_away() == 1);
  CHECK(p1.days_absent() == 0);
  CHECK(PersonMonth("p2").days_absent() == 1);
}

TEST_CASE_METHOD(AttendanceFixture, "weekends and holidays of the calendar are not scheduled") {
  clock.Set(At(2026, 3, 7, 18));  // Saturday
  REQUIRE(Upload({MakePunch(1, "p1", At(2026, 3, 7, 10, 30))}).ok());
  v1::AttendanceDay saturday = Day("p1", "2026-03-07");
  CHECK(saturday.hours_size() == 0);
  CHECK(saturday.late_minutes() == 0);
  CHECK(saturday.counted().source().empty());
  clock.Set(At(2026, 4, 7, 10));
  v1::AttendanceDay qingming = Day("p2", "2026-04-06");  // a Monday off
  CHECK(qingming.closed());
  CHECK(qingming.hours_size() == 0);
  CHECK(!qingming.absent());
  CHECK(Day("p2", "2026-04-03").absent());  // the Friday before was a working day
}

// ---------------------------------------------------------------- corrections

TEST_CASE_METHOD(AttendanceFixture, "corrections approved by the leader fix an absent day") {
  clock.Set(At(2026, 3, 4, 1));
  REQUIRE(scoring->CloseAttendanceDays().ok());
  REQUIRE(Day("p2", "2026-03-03").absent());

  clock.Set(At(2026, 3, 4, 9));
  auto in = Correct(Person("p2", "window_clerk"), "p2", At(2026, 3, 3, 8, 55), v1::PUNCH_KIND_IN);
  REQUIRE(in.ok());
  CHECK(in->correction_id() == "k1");
  CHECK(in->department_id() == "market");
  CHECK(in->state() == v1::CORRECTION_STATE_FILED);
  // The leader files for a person of the department.
  auto out = Correct(Leader(), "p2", At(2026, 3, 3, 17, 30), v1::PUNCH_KIND_OUT);
  REQUIRE(out.ok());
  CHECK(out->correction_id() == "k2");
  v1::ListAttendanceCorrectionsRequest pending;
  pending.set_pending(true);
  CHECK(scoring->ListAttendanceCorrections(pending)->corrections_size() == 2);

  REQUIRE(Decide(Leader(), "k1").ok());
  v1::AttendanceDay half = Day("p2", "2026-03-03");
  CHECK(!half.absent());
  CHECK(half.left_early_minutes() > 0);  // still no sign-out
  auto decided = Decide(Leader(), "k2");
  REQUIRE(decided.ok());
  CHECK(decided->state() == v1::CORRECTION_STATE_APPROVED);
  CHECK(decided->decided_by().id() == "lead1");

  v1::AttendanceDay day = Day("p2", "2026-03-03");
  CHECK(!day.absent());
  CHECK(day.left_early_minutes() == 0);
  CHECK(day.counted().events_size() == 0);
  REQUIRE(day.punches_size() == 2);
  CHECK(day.punches(0).device_id() == "correction");
  CHECK(day.punches(0).correction_id() == "k1");
  CHECK(PersonMonth("p2").days_absent() == 0);
  CHECK(scoring->ListAttendanceCorrections(pending)->corrections_size() == 0);
}

TEST_CASE_METHOD(AttendanceFixture, "a correction is decided by the department's leader only") {
  clock.Set(At(2026, 3, 4, 9));
  REQUIRE(Correct(Person("p2", "window_clerk"), "p2", At(2026, 3, 3, 9), v1::PUNCH_KIND_IN).ok());
  auto colleague = Correct(Person("p1", "window_clerk"), "p2", At(2026, 3, 3, 9), kAny);
  CHECK(colleague.status().code() == absl::StatusCode::kPermissionDenied);
  auto clerk = Decide(Person("p1", "window_clerk"), "k1");
  CHECK(clerk.status().code() == absl::StatusCode::kPermissionDenied);
  auto elsewhere = Decide(Person("lead9", "leader", "tax"), "k1");
  CHECK(elsewhere.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(Day("p2", "2026-03-03").punches_size() == 0);
  REQUIRE(Decide(Leader(), "k1", /*approve=*/false).ok());
  CHECK(Day("p2", "2026-03-03").punches_size() == 0);  // rejected: no punch
  auto again = Decide(Leader(), "k1");
  CHECK(again.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(again.status().message() == "correction k1 is decided already");
  CHECK(Decide(Leader(), "k9").status().code() == absl::StatusCode::kNotFound);
  // Older than the upload window: too late even for a correction.
  auto old = Correct(Person("p2", "window_clerk"), "p2", At(2026, 2, 20, 9), kAny);
  CHECK(old.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StartsWith(old.status().message(), "at:"));
}

// ---------------------------------------------------------------- the month

TEST_CASE_METHOD(AttendanceFixture, "the month's sheet counts the days and scores the faults") {
  clock.Set(At(2026, 3, 2, 18));
  REQUIRE(Upload({MakePunch(1, "p1", At(2026, 3, 2, 8, 55)),
                  MakePunch(2, "p1", At(2026, 3, 2, 17, 35))})
              .ok());
  FaultyDay();
  clock.Set(At(2026, 3, 4, 10));
  REQUIRE(scoring->CloseAttendanceDays().ok());

  v1::AttendanceSheet p1 = Sheet("2026-03", "p1");
  CHECK(p1.days_size() == 4);  // Mar 1 (a Sunday) to today
  CHECK(p1.department_id() == "market");
  CHECK(p1.window_id() == "W1");
  CHECK(p1.days_scheduled() == 3);
  CHECK(p1.days_present() == 2);
  CHECK(p1.days_late() == 1);
  CHECK(p1.days_left_early() == 1);
  CHECK(p1.days_away() == 1);
  CHECK(p1.days_absent() == 0);  // today is not over
  CHECK(p1.score_centipoints() == 10000 - 200 - 200 - 200);
  // p2 never punched: Mar 2 judged now as closed, Mar 3 closed by the sweep.
  v1::AttendanceSheet p2 = Sheet("2026-03", "p2");
  CHECK(p2.days_absent() == 2);
  CHECK(p2.score_centipoints() == 10000 - 2 * 1000);

  v1::ListAttendanceSheetsRequest list;
  list.set_month("2026-03");
  list.set_department_id("market");
  auto sheets = scoring->ListAttendanceSheets(list);
  REQUIRE(sheets.ok());
  REQUIRE(sheets->sheets_size() == 2);
  CHECK(sheets->sheets(0).person_id() == "p1");
  CHECK(sheets->sheets(0).score_centipoints() == p1.score_centipoints());
  list.set_department_id("tax");
  CHECK(scoring->ListAttendanceSheets(list)->sheets_size() == 0);
}

TEST_CASE_METHOD(AttendanceFixture, "the month's score sheet deducts each attendance fault") {
  FaultyDay();
  clock.Set(At(2026, 3, 4, 1));
  REQUIRE(scoring->CloseAttendanceDays().ok());
  v1::GetScoreSheetRequest request;
  request.set_month("2026-03");
  auto sheet = scoring->GetScoreSheet(request);
  REQUIRE(sheet.ok());
  auto line = [&](const std::string& person) -> v1::ScoreLine {
    for (const auto& s : sheet->scores()) {
      if (s.kind() != v1::SUBJECT_KIND_PERSON || s.subject_id() != person) continue;
      for (const auto& l : s.lines()) {
        if (absl::StartsWith(l.clause(), "2.8")) return l;
      }
    }
    return {};
  };
  v1::ScoreLine p1 = line("p1");
  CHECK(p1.count() == 3);  // late, left early, away
  CHECK(p1.centipoints() == -150);
  REQUIRE(p1.cases_size() == 3);
  CHECK(p1.cases(0).case_id() == "attendance/p1/20260303");
  CHECK(p1.cases(0).what() == "attendance:2026-03-03 late 12 min, left early 90 min, away 60 min");
  CHECK(line("p2").centipoints() == -50);  // absent
}

}  // namespace
}  // namespace sunlight::scoring
