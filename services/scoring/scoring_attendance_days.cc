// Attendance days (scoring_attendance_days.h).
#include "scoring_attendance_days.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "scoring_measures.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"

namespace sunlight::scoring {

namespace {

constexpr int kMaxPeriods = 8;
constexpr int64_t kMaxSkewSeconds = 24 * 60 * 60;

// Whole minutes of `d`, rounded up (a fault of 5 min 10 s shows as 6 min).
uint32_t CeilMinutes(absl::Duration d) {
  return static_cast<uint32_t>(absl::ToInt64Minutes(absl::Ceil(d, absl::Minutes(1))));
}

std::string Local(absl::Time t, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, zone);
}

absl::Time LocalInstant(absl::CivilDay day, int minutes, const absl::TimeZone& zone) {
  return absl::FromCivil(absl::CivilMinute(day) + minutes, zone);
}

}  // namespace

std::optional<int> ParseClockTime(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  int hours = (text[0] - '0') * 10 + (text[1] - '0');
  int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

std::optional<absl::CivilDay> ParseDayLabel(const std::string& text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || day.year() < 1970 ||
      day.year() > 9999 || DayLabel(day) != text) {
    return std::nullopt;
  }
  return day;
}

std::string DayLabel(absl::CivilDay day) { return absl::FormatCivilTime(day); }

absl::Status ValidateAssignment(const v1::StaffAssignment& a) {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(a.person_id(), "assignment.person_id", 64));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(a.department_id(), "assignment.department_id", 64));
  if (!a.window_id().empty()) {
    SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(a.window_id(), "assignment.window_id", 64));
  }
  if (!a.name().empty()) SUNLIGHT_RETURN_IF_ERROR(RequireUtf8(a.name(), "assignment.name", 200));
  if (!ParseDayLabel(a.effective_from()).has_value()) {
    return InvalidField("assignment.effective_from", "a day YYYY-MM-DD");
  }
  if (a.ended()) return absl::OkStatus();
  if (a.hours_size() == 0) return InvalidField("assignment.hours", "required unless ended");
  if (a.hours_size() > kMaxPeriods) {
    return InvalidField("assignment.hours", absl::StrCat("at most ", kMaxPeriods, " periods"));
  }
  int previous_end = -1;
  for (int i = 0; i < a.hours_size(); ++i) {
    std::string at = absl::StrCat("assignment.hours[", i, "]");
    std::optional<int> start = ParseClockTime(a.hours(i).start());
    std::optional<int> end = ParseClockTime(a.hours(i).end());
    if (!start.has_value()) return InvalidField(absl::StrCat(at, ".start"), "a local time HH:MM");
    if (!end.has_value()) return InvalidField(absl::StrCat(at, ".end"), "a local time HH:MM");
    if (*start >= *end) return InvalidField(absl::StrCat(at, ".end"), "must be after start");
    if (*start < previous_end) {
      return InvalidField(absl::StrCat(at, ".start"),
                          "periods in order and not overlapping: must not be before the end of "
                          "the period before");
    }
    previous_end = *end;
  }
  return absl::OkStatus();
}

const v1::StaffAssignment* AssignmentOn(const std::vector<v1::StaffAssignment>& assignments,
                                        absl::CivilDay day) {
  const v1::StaffAssignment* in_force = nullptr;
  for (const auto& a : assignments) {
    std::optional<absl::CivilDay> from = ParseDayLabel(a.effective_from());
    if (from.has_value() && *from <= day) in_force = &a;
  }
  return in_force != nullptr && !in_force->ended() ? in_force : nullptr;
}

bool AssignedInMonth(const std::vector<v1::StaffAssignment>& assignments, int64_t month,
                     const std::string& department_id) {
  const absl::CivilDay first(month / 100, month % 100, 1);
  const v1::StaffAssignment* at_start = AssignmentOn(assignments, first);
  for (const auto& a : assignments) {
    std::optional<absl::CivilDay> from = ParseDayLabel(a.effective_from());
    bool in_month = &a == at_start || (from.has_value() && MonthNumber(DayNumber(*from)) == month);
    if (in_month && !a.ended() && (department_id.empty() || a.department_id() == department_id))
      return true;
  }
  return false;
}

absl::StatusOr<int64_t> SkewSeconds(absl::Time now, absl::Time device_time,
                                    const absl::TimeZone& zone) {
  const int64_t ms = absl::ToInt64Milliseconds(now - device_time);
  const int64_t skew = (ms + (ms >= 0 ? 500 : -500)) / 1000;
  if (skew > kMaxSkewSeconds || skew < -kMaxSkewSeconds) {
    return absl::FailedPreconditionError(
        absl::StrCat("device_time: ", Local(device_time, zone), " is ", skew,
                     " s off the service's clock (more than a day): a replayed batch, or a "
                     "clock to set"));
  }
  return skew;
}

absl::Status ValidatePunch(const v1::Punch& p, const std::string& field) {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(p.person_id(), field + ".person_id", 64));
  if (p.device_sequence() == 0) {
    return InvalidField(field + ".device_sequence", "required: the device's number, from 1");
  }
  if (!p.has_at()) return InvalidField(field + ".at", "required");
  if (!v1::PunchKind_IsValid(p.kind())) return InvalidField(field + ".kind", "unknown kind");
  return absl::OkStatus();
}

bool SamePunch(const v1::Punch& a, const v1::Punch& b) {
  return a.person_id() == b.person_id() && a.at().seconds() == b.at().seconds() &&
         a.at().nanos() == b.at().nanos();
}

v1::AttendanceDay JudgeDay(DayFacts facts, const v1::AttendanceRules& rules,
                           const absl::TimeZone& zone) {
  auto& punches = facts.punches;
  std::sort(punches.begin(), punches.end(), [](const auto& a, const auto& b) {
    auto key = [](const v1::StoredPunch& p) {
      return std::tuple(FromProto(p.corrected_at()), p.device_id(), p.punch().device_sequence());
    };
    return key(a) < key(b);
  });
  v1::AttendanceDay day;
  day.set_person_id(facts.person_id);
  day.set_day(DayLabel(facts.day));
  day.set_closed(facts.closed);
  for (const auto& p : punches) *day.add_punches() = p;
  const v1::StaffAssignment* a = facts.assignment;
  if (a != nullptr) {
    day.set_department_id(a->department_id());
    day.set_window_id(a->window_id());
  }
  if (a == nullptr || !facts.working_day || a->hours_size() == 0) return day;
  *day.mutable_hours() = a->hours();
  std::vector<std::pair<absl::Time, absl::Time>> periods;
  for (const auto& h : a->hours()) {
    periods.emplace_back(LocalInstant(facts.day, ParseClockTime(h.start()).value_or(0), zone),
                         LocalInstant(facts.day, ParseClockTime(h.end()).value_or(0), zone));
  }
  const size_t n = punches.size();
  std::vector<bool> is_in(n);
  std::vector<absl::Time> at(n);
  for (size_t i = 0; i < n; ++i) {
    at[i] = FromProto(punches[i].corrected_at());
    switch (punches[i].punch().kind()) {
      case v1::PUNCH_KIND_IN:
        is_in[i] = true;
        break;
      case v1::PUNCH_KIND_OUT:
        is_in[i] = false;
        break;
      default:  // first in, last out, out and in in turn between
        is_in[i] = i == 0 || (i + 1 < n && i % 2 == 0);
    }
  }
  const absl::Duration grace = absl::Minutes(rules.late_grace_minutes());
  std::optional<absl::Time> arrival;
  for (size_t i = 0; i < n; ++i) {
    if (is_in[i] && !arrival.has_value()) arrival = at[i];
    if (!is_in[i]) *day.mutable_signed_out_at() = ToProto(at[i]);
  }
  if (arrival.has_value()) *day.mutable_signed_in_at() = ToProto(*arrival);
  if (n > 0) {
    absl::Duration delay = arrival.value_or(at[0]) - periods.front().first;
    if (delay > grace) day.set_late_minutes(CeilMinutes(delay));
    absl::Duration shortfall = periods.back().second - at[n - 1];
    if (facts.closed && shortfall > grace) day.set_left_early_minutes(CeilMinutes(shortfall));
  }
  day.set_absent(facts.closed && n == 0);
  uint32_t away = 0;
  for (size_t i = 0; i + 1 < n; ++i) {
    if (is_in[i] || !is_in[i + 1]) continue;
    absl::Duration inside = absl::ZeroDuration();
    for (const auto& [start, end] : periods) {
      absl::Time from = std::max(start, at[i]), to = std::min(end, at[i + 1]);
      if (from < to) inside += to - from;
    }
    if (inside > absl::Minutes(rules.away_gap_minutes())) away += CeilMinutes(inside);
  }
  day.set_away_minutes(away);

  v1::Occurrence& o = *day.mutable_counted();
  int64_t number = DayNumber(facts.day);
  o.set_source(absl::StrCat("attendance/", facts.person_id, "/", number));
  o.set_day(number);
  o.set_department_id(a->department_id());
  o.set_window_id(a->window_id());
  o.set_person_id(facts.person_id);
  *o.mutable_at() = ToProto(absl::FromCivil(facts.day, zone));
  v1::Measures& m = *o.mutable_measures();
  m.set_attendance_days(1);
  std::vector<std::string> faults;
  auto fault = [&](bool present, void (v1::Measures::*set)(uint64_t), std::string what) {
    if (!present) return;
    (m.*set)(1);
    o.add_events("attendance_fault");
    faults.push_back(std::move(what));
  };
  fault(day.late_minutes() > 0, &v1::Measures::set_days_late,
        absl::StrCat("late ", day.late_minutes(), " min"));
  fault(day.left_early_minutes() > 0, &v1::Measures::set_days_left_early,
        absl::StrCat("left early ", day.left_early_minutes(), " min"));
  fault(day.absent(), &v1::Measures::set_days_absent, "absent");
  fault(day.away_minutes() > 0, &v1::Measures::set_days_away,
        absl::StrCat("away ", day.away_minutes(), " min"));
  o.set_what(absl::StrCat("attendance:", day.day(), faults.empty() ? "" : " ",
                          absl::StrJoin(faults, ", ")));
  return day;
}

int64_t FaultCentipoints(const v1::AttendanceDay& day, const v1::AttendanceRules& rules) {
  return (day.late_minutes() > 0 ? rules.late_centipoints() : 0) +
         (day.left_early_minutes() > 0 ? rules.left_early_centipoints() : 0) +
         (day.absent() ? rules.absent_centipoints() : 0) +
         (day.away_minutes() > 0 ? rules.away_centipoints() : 0);
}

v1::AttendanceSheet SheetOfDays(int64_t month, const std::string& person,
                                std::vector<v1::AttendanceDay> days,
                                const v1::AttendanceRules& rules) {
  v1::AttendanceSheet sheet;
  sheet.set_month(MonthLabel(month));
  sheet.set_person_id(person);
  int64_t score = rules.base_centipoints();
  for (auto& day : days) {
    if (!day.department_id().empty()) {
      sheet.set_department_id(day.department_id());
      sheet.set_window_id(day.window_id());
    }
    if (day.hours_size() > 0) {
      auto count = [](bool yes) { return yes ? 1u : 0u; };
      sheet.set_days_scheduled(sheet.days_scheduled() + 1);
      sheet.set_days_present(sheet.days_present() + count(day.punches_size() > 0));
      sheet.set_days_late(sheet.days_late() + count(day.late_minutes() > 0));
      sheet.set_days_left_early(sheet.days_left_early() + count(day.left_early_minutes() > 0));
      sheet.set_days_absent(sheet.days_absent() + count(day.absent()));
      sheet.set_days_away(sheet.days_away() + count(day.away_minutes() > 0));
      score -= FaultCentipoints(day, rules);
    }
    *sheet.add_days() = std::move(day);
  }
  sheet.set_score_centipoints(std::max<int64_t>(score, 0));
  return sheet;
}

absl::Status RequireRecent(absl::Time at, absl::Time now, uint32_t window_days,
                           const std::string& field, const absl::TimeZone& zone) {
  if (at < now - absl::Hours(24 * window_days)) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": ", Local(at, zone), " is older than the upload window of ", window_days,
        " days; a missed punch is a correction (补卡) approved by the department's leader"));
  }
  if (at > now + absl::Minutes(5)) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": ", Local(at, zone), " is in the future (now ", Local(now, zone), ")"));
  }
  return absl::OkStatus();
}

}  // namespace sunlight::scoring
