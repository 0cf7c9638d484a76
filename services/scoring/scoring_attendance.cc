// Attendance (考勤): posts and hours, device punches, the days derived from them (judged in
// scoring_attendance_days.h), corrections (补卡) and monthly sheets. Every stored day keeps
// the occurrence it counted, swapped in the aggregates whenever the day is re-derived.
#include <functional>

#include "scoring_attendance_days.h"
#include "scoring_internal.h"
#include "sunlight/auth/principal.h"
#include "sunlight/eventlog/case_event.h"

namespace sunlight::scoring {

namespace {

// The device id of the punches approved corrections add (their sequence is the number).
constexpr char kCorrectionDevice[] = "correction";
constexpr int kMaxPunches = 10000;
using Assignments = std::vector<v1::StaffAssignment>;
using RuleSetOf = std::function<absl::StatusOr<v1::RuleSet>(int64_t month)>;
using StageFn = std::function<absl::Status(const v1::Occurrence&, const v1::Occurrence&)>;

template <typename T>
absl::Status ScanProtos(const storage::Store& store, const char* family, const std::string& lower,
                        const std::string& upper,
                        const std::function<void(std::string_view, T)>& visit) {
  absl::Status failed;
  SUNLIGHT_RETURN_IF_ERROR(
      store.Scan(family, lower, upper, [&](std::string_view key, std::string_view bytes) {
        auto parsed = storage::ParseProto<T>(bytes, family, key);
        if (!parsed.ok()) failed = parsed.status();
        if (parsed.ok()) visit(key, *std::move(parsed));
        return parsed.ok();
      }));
  return failed;
}

// Every person's assignments, in ascending effective_from (the key order).
absl::StatusOr<std::map<std::string, Assignments>> LoadAssignments(const storage::Store& store,
                                                                   const std::string& person = "") {
  std::string lower = person.empty() ? "" : store::AssignmentPrefix(person);
  std::map<std::string, Assignments> all;
  SUNLIGHT_RETURN_IF_ERROR(ScanProtos<v1::StaffAssignment>(
      store, store::kAssignments, lower, person.empty() ? "" : storage::PrefixSuccessor(lower),
      [&](std::string_view, v1::StaffAssignment a) {
        all[a.person_id()].push_back(std::move(a));
      }));
  return all;
}

absl::StatusOr<std::optional<v1::AttendanceDay>> LoadDay(const storage::Store& store,
                                                         const std::string& person, int64_t day) {
  return storage::LoadProto<v1::AttendanceDay>(store, store::kAttendanceDays,
                                               store::PersonDayKey(person, day));
}

// Judges days as of `now` over the punches stored, plus those of the write being prepared,
// with the attendance rules of each day's month.
struct DayJudge {
  const storage::Store& store;
  const calendar::WorkingCalendar& calendar;
  absl::Time now;
  RuleSetOf rule_set_for;                                     // Scoring::RuleSetFor
  mutable std::map<int64_t, v1::AttendanceRules> rules = {};  // by month, looked up once

  absl::StatusOr<v1::AttendanceDay> Judge(const std::string& person, const Assignments& list,
                                          absl::CivilDay day,
                                          std::vector<v1::StoredPunch> fresh = {}) const {
    DayFacts facts{person, day, AssignmentOn(list, day)};
    SUNLIGHT_ASSIGN_OR_RETURN(calendar::DayKind kind, calendar.Classify(day));
    facts.working_day = calendar::IsWorkingDay(kind);
    facts.closed = absl::FromCivil(day + 1, calendar.time_zone()) <= now;
    std::string prefix = store::PersonPunchPrefix(person, DayNumber(day));
    std::vector<std::string> keys;
    SUNLIGHT_RETURN_IF_ERROR(store.Scan(store::kPersonPunches, prefix,
                                        storage::PrefixSuccessor(prefix),
                                        [&](std::string_view key, std::string_view) {
                                          if (auto k = store::DecodePersonPunchKey(key)) {
                                            auto& [p, d, micros, device, sequence] = *k;
                                            keys.push_back(store::PunchKey(device, sequence));
                                          }
                                          return true;
                                        }));
    for (const std::string& key : keys) {
      SUNLIGHT_ASSIGN_OR_RETURN(auto punch,
                                storage::LoadProto<v1::StoredPunch>(store, store::kPunches, key));
      if (punch.has_value()) facts.punches.push_back(*std::move(punch));
    }
    for (auto& p : fresh) facts.punches.push_back(std::move(p));
    int64_t month = MonthNumber(DayNumber(day));
    if (!rules.count(month)) {
      SUNLIGHT_ASSIGN_OR_RETURN(v1::RuleSet set, rule_set_for(month));
      rules[month] = LimitsOf(set).attendance;
    }
    return JudgeDay(std::move(facts), rules[month], calendar.time_zone());
  }
};

// Stores `day` in place of the one stored, swapping what they count with `stage`.
absl::Status StageDay(const storage::Store& store, storage::WriteBatch& batch,
                      const v1::AttendanceDay& day, const StageFn& stage) {
  int64_t number = DayNumber(*ParseDayLabel(day.day()));
  SUNLIGHT_ASSIGN_OR_RETURN(auto stored, LoadDay(store, day.person_id(), number));
  SUNLIGHT_RETURN_IF_ERROR(
      stage(stored.has_value() ? stored->counted() : v1::Occurrence(), day.counted()));
  batch.Put(store::kAttendanceDays, store::PersonDayKey(day.person_id(), number),
            day.SerializeAsString());
  return absl::OkStatus();
}

// A punch as stored (with its skew, arrival and correction when it comes from one), written
// with its place in the person's days.
v1::StoredPunch PutPunch(storage::WriteBatch& batch, const std::string& device,
                         const v1::Punch& punch, int64_t skew_seconds, absl::Time now,
                         const absl::TimeZone& zone, const std::string& correction_id = "") {
  v1::StoredPunch p;
  p.set_device_id(device);
  p.set_correction_id(correction_id);
  *p.mutable_punch() = punch;
  const absl::Time at = FromProto(punch.at()) + absl::Seconds(skew_seconds);
  *p.mutable_corrected_at() = ToProto(at);
  p.set_skew_seconds(skew_seconds);
  *p.mutable_received_at() = ToProto(now);
  batch.Put(store::kPunches, store::PunchKey(p.device_id(), p.punch().device_sequence()),
            p.SerializeAsString());
  batch.Put(
      store::kPersonPunches,
      store::PersonPunchKey(p.punch().person_id(), DayNumber(absl::ToCivilDay(at, zone)),
                            absl::ToUnixMicros(at), p.device_id(), p.punch().device_sequence()),
      "");
  return p;
}

events::v1::CaseEvent CorrectionEvent(const std::string& type, const common::v1::Actor& actor,
                                      absl::Time now, const v1::AttendanceCorrection& c) {
  v1::CorrectionChanged payload;
  *payload.mutable_correction() = c;
  return eventlog::NewEvent(type, "", actor, now, payload);
}

// The person's days of `month` up to today: stored days, or days judged now when none is
// stored or the stored one has ended since without being closed.
absl::StatusOr<std::vector<v1::AttendanceDay>> DaysOf(const DayJudge& judge, int64_t month,
                                                      const std::string& person,
                                                      const Assignments& list) {
  std::vector<v1::AttendanceDay> days;
  const absl::CivilDay first(month / 100, month % 100, 1);
  const absl::CivilDay today = absl::ToCivilDay(judge.now, judge.calendar.time_zone());
  for (absl::CivilDay d = first; d.month() == first.month() && d <= today; ++d) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto stored, LoadDay(judge.store, person, DayNumber(d)));
    if (stored.has_value() && (stored->closed() || d == today)) {
      days.push_back(*std::move(stored));
    } else {
      SUNLIGHT_ASSIGN_OR_RETURN(v1::AttendanceDay day, judge.Judge(person, list, d));
      days.push_back(std::move(day));
    }
  }
  return days;
}

}  // namespace

absl::StatusOr<v1::StaffAssignment> Scoring::SetStaffAssignment(
    const v1::SetStaffAssignmentRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(ValidateAssignment(request.assignment()));
  v1::StaffAssignment a = request.assignment();
  if (a.ended()) a.clear_hours();
  const absl::CivilDay from = *ParseDayLabel(a.effective_from());
  const std::string person = a.person_id();
  std::lock_guard lock(write_mu_);
  Mutation m(store_, clock_->Now());
  *a.mutable_set_by() = request.actor();
  *a.mutable_set_at() = ToProto(m.now);
  m.batch.Put(store::kAssignments, store::AssignmentKey(person, DayNumber(from)),
              a.SerializeAsString());
  SUNLIGHT_ASSIGN_OR_RETURN(auto loaded, LoadAssignments(*store_, person));
  Assignments list;
  for (auto& x : loaded[person]) {
    if (x.effective_from() != a.effective_from()) list.push_back(std::move(x));
  }
  list.push_back(a);
  std::sort(list.begin(), list.end(),
            [](const auto& x, const auto& y) { return x.effective_from() < y.effective_from(); });
  // The days stored from `from` on are judged again under the new hours.
  std::vector<absl::CivilDay> days;
  std::string prefix = store::PersonDayPrefix(person);
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kAttendanceDays, store::PersonDayKey(person, DayNumber(from)),
                   storage::PrefixSuccessor(prefix), [&](std::string_view key, std::string_view) {
                     if (auto k = store::DecodePersonDayKey(key))
                       days.push_back(DayOf(std::get<1>(*k)));
                     return true;
                   }));
  DayJudge judge{*store_, *calendar_, m.now, [this](int64_t month) { return RuleSetFor(month); }};
  auto stage = [&](const v1::Occurrence& b, const v1::Occurrence& c) {
    return StageOccurrence(m, b, c);
  };
  for (absl::CivilDay d : days) {
    SUNLIGHT_ASSIGN_OR_RETURN(v1::AttendanceDay day, judge.Judge(person, list, d));
    SUNLIGHT_RETURN_IF_ERROR(StageDay(*store_, m.batch, day, stage));
  }
  v1::StaffAssignmentChanged payload;
  *payload.mutable_assignment() = a;
  m.events.push_back(
      eventlog::NewEvent("scoring.attendance.assignment_set", "", request.actor(), m.now, payload));
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  return a;
}

absl::StatusOr<v1::ListStaffAssignmentsResponse> Scoring::ListStaffAssignments(
    const v1::ListStaffAssignmentsRequest& request) const {
  SUNLIGHT_ASSIGN_OR_RETURN(auto all, LoadAssignments(*store_));
  absl::CivilDay today = absl::ToCivilDay(clock_->Now(), calendar_->time_zone());
  v1::ListStaffAssignmentsResponse response;
  for (const auto& [person, list] : all) {
    const v1::StaffAssignment* a = AssignmentOn(list, today);
    if (a == nullptr) continue;
    if (!request.department_id().empty() && a->department_id() != request.department_id()) continue;
    *response.add_assignments() = *a;
  }
  return response;
}

absl::StatusOr<v1::UploadPunchesResponse> Scoring::UploadPunches(
    const v1::UploadPunchesRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  const std::string& device = request.actor().id();
  if (device == kCorrectionDevice) return InvalidField("actor.id", "reserved for corrections");
  if (request.punches_size() > kMaxPunches) return InvalidField("punches", "at most 10000");
  if (!request.has_device_time()) {
    return InvalidField("device_time", "required: the device's clock when it sent the batch");
  }
  const absl::TimeZone& zone = calendar_->time_zone();
  std::lock_guard lock(write_mu_);
  Mutation m(store_, clock_->Now());
  SUNLIGHT_ASSIGN_OR_RETURN(const int64_t skew,
                            SkewSeconds(m.now, FromProto(request.device_time()), zone));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::RuleSet current, RuleSetFor(CurrentMonth()));
  const uint32_t window = LimitsOf(current).attendance.upload_window_days();
  std::map<std::string, Assignments> assignments;
  std::map<uint64_t, const v1::Punch*> in_batch;
  std::map<std::pair<std::string, absl::CivilDay>, std::vector<v1::StoredPunch>> fresh;
  v1::UploadPunchesResponse response;
  response.set_skew_seconds(skew);
  for (int i = 0; i < request.punches_size(); ++i) {
    const v1::Punch& p = request.punches(i);
    const std::string at = absl::StrCat("punches[", i, "]");
    SUNLIGHT_RETURN_IF_ERROR(ValidatePunch(p, at));
    if (!assignments.count(p.person_id())) {
      SUNLIGHT_ASSIGN_OR_RETURN(auto loaded, LoadAssignments(*store_, p.person_id()));
      assignments[p.person_id()] = std::move(loaded[p.person_id()]);
    }
    if (assignments[p.person_id()].empty())
      return InvalidField(at + ".person_id", "no post assigned");
    const absl::Time corrected = FromProto(p.at()) + absl::Seconds(skew);  // as PutPunch
    SUNLIGHT_RETURN_IF_ERROR(RequireRecent(corrected, m.now, window, at + ".at", zone));
    const v1::Punch* known = nullptr;
    if (auto it = in_batch.find(p.device_sequence()); it != in_batch.end()) known = it->second;
    SUNLIGHT_ASSIGN_OR_RETURN(
        auto stored, storage::LoadProto<v1::StoredPunch>(
                         *store_, store::kPunches, store::PunchKey(device, p.device_sequence())));
    if (stored.has_value()) known = &stored->punch();
    if (known != nullptr) {
      if (!SamePunch(*known, p)) {
        return absl::AlreadyExistsError(
            absl::StrCat(at, ".device_sequence: punch ", p.device_sequence(), " of device ", device,
                         " is stored already with another person or time"));
      }
      response.set_duplicates(response.duplicates() + 1);
      continue;
    }
    in_batch[p.device_sequence()] = &p;
    fresh[{p.person_id(), absl::ToCivilDay(corrected, zone)}].push_back(
        PutPunch(m.batch, device, p, skew, m.now, zone));
    response.set_accepted(response.accepted() + 1);
  }
  metrics_.punches_duplicate.Increment(response.duplicates());
  if (fresh.empty()) return response;
  DayJudge judge{*store_, *calendar_, m.now, [this](int64_t month) { return RuleSetFor(month); }};
  auto stage = [&](const v1::Occurrence& b, const v1::Occurrence& c) {
    return StageOccurrence(m, b, c);
  };
  for (auto& [person_day, punches] : fresh) {
    const auto& [person, d] = person_day;
    SUNLIGHT_ASSIGN_OR_RETURN(auto day, judge.Judge(person, assignments[person], d, punches));
    SUNLIGHT_RETURN_IF_ERROR(StageDay(*store_, m.batch, day, stage));
  }
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  metrics_.punches_accepted.Increment(response.accepted());
  return response;
}

absl::StatusOr<v1::AttendanceCorrection> Scoring::RequestAttendanceCorrection(
    const v1::RequestAttendanceCorrectionRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.person_id(), "person_id", 64));
  if (!request.has_at()) return InvalidField("at", "required: the punch that was missed");
  if (!v1::PunchKind_IsValid(request.kind())) return InvalidField("kind", "unknown kind");
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.reasons(), "reasons", 2000));
  const absl::TimeZone& zone = calendar_->time_zone();
  std::lock_guard lock(write_mu_);
  const absl::Time now = clock_->Now(), at = FromProto(request.at());
  SUNLIGHT_ASSIGN_OR_RETURN(v1::RuleSet current, RuleSetFor(CurrentMonth()));
  SUNLIGHT_RETURN_IF_ERROR(
      RequireRecent(at, now, LimitsOf(current).attendance.upload_window_days(), "at", zone));
  SUNLIGHT_ASSIGN_OR_RETURN(auto loaded, LoadAssignments(*store_, request.person_id()));
  const absl::CivilDay day = absl::ToCivilDay(at, zone);
  const v1::StaffAssignment* post = AssignmentOn(loaded[request.person_id()], day);
  if (post == nullptr) {
    return InvalidField("person_id", absl::StrCat("no post assigned on ", DayLabel(day)));
  }
  const auto& actor = request.actor();
  if (actor.id() != request.person_id() &&
      (actor.role() != auth::kLeader || actor.department_id() != post->department_id())) {
    return absl::PermissionDeniedError(
        "a correction (补卡) is asked for by the person or by the leader of their department");
  }
  v1::AttendanceCorrection c;
  c.set_correction_id(absl::StrCat("k", last_correction_ + 1));
  c.set_person_id(request.person_id());
  c.set_department_id(post->department_id());
  *c.mutable_at() = request.at();
  c.set_kind(request.kind());
  c.set_reasons(request.reasons());
  c.set_state(v1::CORRECTION_STATE_FILED);
  *c.mutable_filed_by() = actor;
  *c.mutable_filed_at() = ToProto(now);
  storage::WriteBatch batch;
  batch.Put(store::kCorrections, store::NumberKey(last_correction_ + 1), c.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(
      log_->Commit(std::move(batch),
                   {CorrectionEvent("scoring.attendance.correction_filed", actor, now, c)})
          .status());
  ++last_correction_;
  return c;
}

absl::StatusOr<v1::AttendanceCorrection> Scoring::DecideAttendanceCorrection(
    const v1::DecideAttendanceCorrectionRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  const std::string key = store::CorrectionKey(request.correction_id());
  if (key.empty()) return InvalidField("correction_id", "a correction id k<number>");
  if (!request.decision().empty()) {
    SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(request.decision(), "decision", 2000));
  }
  const absl::TimeZone& zone = calendar_->time_zone();
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(
      auto stored, storage::LoadProto<v1::AttendanceCorrection>(*store_, store::kCorrections, key));
  if (!stored.has_value()) {
    return absl::NotFoundError(absl::StrCat("no correction ", request.correction_id()));
  }
  v1::AttendanceCorrection c = *std::move(stored);
  const auto& actor = request.actor();
  if (actor.role() != auth::kLeader || actor.department_id() != c.department_id()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "only the leader of department ", c.department_id(), " decides its corrections (补卡)"));
  }
  if (actor.id() == c.person_id()) {
    return absl::PermissionDeniedError("a leader's own correction is decided by someone else");
  }
  if (c.state() != v1::CORRECTION_STATE_FILED) {
    return absl::FailedPreconditionError(
        absl::StrCat("correction ", c.correction_id(), " is decided already"));
  }
  Mutation m(store_, clock_->Now());
  c.set_state(request.approve() ? v1::CORRECTION_STATE_APPROVED : v1::CORRECTION_STATE_REJECTED);
  c.set_decision(request.decision());
  *c.mutable_decided_by() = actor;
  *c.mutable_decided_at() = ToProto(m.now);
  if (request.approve()) {
    v1::Punch punch;
    punch.set_device_sequence(store::DecodeNumberKey(key));
    punch.set_person_id(c.person_id());
    *punch.mutable_at() = c.at();
    punch.set_kind(c.kind());
    v1::StoredPunch p =
        PutPunch(m.batch, kCorrectionDevice, punch, 0, m.now, zone, c.correction_id());
    SUNLIGHT_ASSIGN_OR_RETURN(auto loaded, LoadAssignments(*store_, c.person_id()));
    DayJudge judge{*store_, *calendar_, m.now, [this](int64_t month) { return RuleSetFor(month); }};
    SUNLIGHT_ASSIGN_OR_RETURN(auto day,
                              judge.Judge(c.person_id(), loaded[c.person_id()],
                                          absl::ToCivilDay(FromProto(c.at()), zone), {p}));
    SUNLIGHT_RETURN_IF_ERROR(StageDay(*store_, m.batch, day, [&](const auto& b, const auto& a) {
      return StageOccurrence(m, b, a);
    }));
  }
  m.batch.Put(store::kCorrections, key, c.SerializeAsString());
  m.events.push_back(CorrectionEvent("scoring.attendance.correction_decided", actor, m.now, c));
  SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  return c;
}

absl::StatusOr<v1::ListAttendanceCorrectionsResponse> Scoring::ListAttendanceCorrections(
    const v1::ListAttendanceCorrectionsRequest& request) const {
  v1::ListAttendanceCorrectionsResponse response;
  SUNLIGHT_RETURN_IF_ERROR(ScanProtos<v1::AttendanceCorrection>(
      *store_, store::kCorrections, "", "", [&](std::string_view, v1::AttendanceCorrection c) {
        if (!request.department_id().empty() && c.department_id() != request.department_id())
          return;
        if (request.pending() && c.state() != v1::CORRECTION_STATE_FILED) return;
        *response.add_corrections() = std::move(c);
      }));
  return response;
}

absl::StatusOr<v1::AttendanceSheet> Scoring::GetAttendanceSheet(
    const v1::GetAttendanceSheetRequest& request) const {
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t month, RequireMonth(request.month()));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.person_id(), "person_id", 64));
  std::lock_guard lock(write_mu_);  // the days and the punches of one moment
  SUNLIGHT_ASSIGN_OR_RETURN(auto loaded, LoadAssignments(*store_, request.person_id()));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::RuleSet rules, RuleSetFor(month));
  DayJudge judge{*store_, *calendar_, clock_->Now(),
                 [this](int64_t month) { return RuleSetFor(month); }};
  SUNLIGHT_ASSIGN_OR_RETURN(auto days,
                            DaysOf(judge, month, request.person_id(), loaded[request.person_id()]));
  return SheetOfDays(month, request.person_id(), std::move(days), LimitsOf(rules).attendance);
}

absl::StatusOr<v1::ListAttendanceSheetsResponse> Scoring::ListAttendanceSheets(
    const v1::ListAttendanceSheetsRequest& request) const {
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t month, RequireMonth(request.month()));
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(auto all, LoadAssignments(*store_));
  SUNLIGHT_ASSIGN_OR_RETURN(v1::RuleSet rules, RuleSetFor(month));
  DayJudge judge{*store_, *calendar_, clock_->Now(),
                 [this](int64_t month) { return RuleSetFor(month); }};
  v1::ListAttendanceSheetsResponse response;
  for (const auto& [person, list] : all) {
    if (!AssignedInMonth(list, month, request.department_id())) continue;
    SUNLIGHT_ASSIGN_OR_RETURN(auto days, DaysOf(judge, month, person, list));
    *response.add_sheets() =
        SheetOfDays(month, person, std::move(days), LimitsOf(rules).attendance);
  }
  return response;
}

absl::StatusOr<size_t> Scoring::CloseAttendanceDays() {
  std::lock_guard lock(write_mu_);
  const absl::Time now = clock_->Now();
  const absl::CivilDay yesterday = absl::ToCivilDay(now, calendar_->time_zone()) - 1;
  SUNLIGHT_ASSIGN_OR_RETURN(auto marker,
                            store_->Get(store::kScoringMeta, store::kAttendanceClosedThrough));
  if (marker.has_value() && marker->size() != 8) {
    return absl::DataLossError("unreadable scoring_meta attendance_closed_through");
  }
  absl::CivilDay from =
      marker.has_value() ? DayOf(static_cast<int64_t>(storage::DecodeU64(*marker))) + 1 : yesterday;
  if (from > yesterday) return 0;
  SUNLIGHT_ASSIGN_OR_RETURN(auto all, LoadAssignments(*store_));
  DayJudge judge{*store_, *calendar_, now, [this](int64_t month) { return RuleSetFor(month); }};
  size_t closed = 0;
  for (absl::CivilDay d = from; d <= yesterday; ++d) {
    Mutation m(store_, now);
    auto stage = [&](const v1::Occurrence& b, const v1::Occurrence& c) {
      return StageOccurrence(m, b, c);
    };
    for (const auto& [person, list] : all) {
      SUNLIGHT_ASSIGN_OR_RETURN(auto stored, LoadDay(*store_, person, DayNumber(d)));
      if (stored.has_value() && stored->closed()) continue;
      SUNLIGHT_ASSIGN_OR_RETURN(v1::AttendanceDay day, judge.Judge(person, list, d));
      if (!stored.has_value() && day.hours_size() == 0) continue;  // nothing to keep
      SUNLIGHT_RETURN_IF_ERROR(StageDay(*store_, m.batch, day, stage));
      closed += day.hours_size() > 0 ? 1 : 0;
    }
    m.batch.Put(store::kScoringMeta, store::kAttendanceClosedThrough,
                storage::EncodeU64(static_cast<uint64_t>(DayNumber(d))));
    SUNLIGHT_RETURN_IF_ERROR(CommitMutation(m));
  }
  return closed;
}

}  // namespace sunlight::scoring
