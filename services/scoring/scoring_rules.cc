// Rule sets and the scoring run (scoring_rules.h).
#include "scoring_rules.h"

#include <openssl/sha.h>

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "scoring_measures.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"

namespace sunlight::scoring {

namespace pb = ::google::protobuf;

v1::AttendanceRules DefaultAttendanceRules() {
  v1::AttendanceRules a;
  a.set_late_grace_minutes(5);
  a.set_away_gap_minutes(30);
  a.set_upload_window_days(7);
  a.set_base_centipoints(10000);
  a.set_late_centipoints(200);
  a.set_left_early_centipoints(200);
  a.set_absent_centipoints(1000);
  a.set_away_centipoints(200);
  return a;
}

VoiceLimits LimitsOf(const v1::RuleSet& rules) {
  auto or_default = [](uint32_t v, uint32_t d) { return v == 0 ? d : v; };
  VoiceLimits l;
  l.evaluation_window_days = or_default(rules.evaluation_window_days(), 30);
  l.rectification_working_days = or_default(rules.rectification_limit_working_days(), 10);
  l.complaint_acceptance_working_days = or_default(rules.complaint_acceptance_working_days(), 5);
  l.complaint_handling_working_days = or_default(rules.complaint_handling_working_days(), 15);
  l.attendance = rules.has_attendance() ? rules.attendance() : DefaultAttendanceRules();
  return l;
}

v1::RuleSet DefaultRuleSet() {
  v1::RuleSet r;
  r.set_jurisdiction("center");
  r.set_version("default");
  r.set_effective_from("1970-01");
  r.set_base_centipoints(10000);
  auto* on_time = r.add_indicators();
  on_time->set_clause("1 按期办结率 on-time completion rate");
  on_time->set_measure("on_time_rate");
  on_time->set_weight_centipoints(2000);
  auto deduct = [&](const char* clause, const char* event, int64_t points) {
    auto* d = r.add_deductions();
    d->set_clause(clause);
    d->set_event(event);
    d->set_centipoints(points);
  };
  deduct("2.1 黄灯 yellow light", "yellow", 500);
  deduct("2.2 红灯 red light", "red", 1000);
  deduct("2.3 异常 anomaly", "anomaly", 200);
  deduct("2.4 督办升级 escalated notice", "notice_escalated", 500);
  deduct("2.5 有效投诉 valid complaint", "valid_complaint", 500);
  deduct("2.9 环节黄灯 step yellow light", "step_yellow", 200);
  deduct("2.10 环节红灯 step red light", "step_red", 500);
  deduct("2.6 差评 bad evaluation", "bad_evaluation", 200);
  deduct("2.7 整改超期 late rectification", "rectification_late", 300);
  deduct("2.8 考勤 attendance fault", "attendance_fault", 50);
  deduct("2.11 视频监察违规(经核实) confirmed conduct event", "conduct_confirmed", 200);
  auto* bonus = r.add_bonuses();
  bonus->set_clause("3 提前办结 working days saved");
  bonus->set_measure("working_days_saved");
  bonus->set_centipoints_per_unit(100);
  bonus->set_max_centipoints(500);
  r.set_min_centipoints(0);
  r.set_max_centipoints(12000);
  r.set_appeal_limit_working_days(5);
  r.set_evaluation_window_days(30);
  r.set_rectification_limit_working_days(10);
  r.set_complaint_acceptance_working_days(5);
  r.set_complaint_handling_working_days(15);
  *r.mutable_attendance() = DefaultAttendanceRules();
  r.set_content_hash(RuleSetHash(r));
  return r;
}

namespace {

const std::set<std::string>& KnownEvents() {
  static const auto* events = new std::set<std::string>{"yellow",
                                                        "red",
                                                        "step_yellow",
                                                        "step_red",
                                                        "anomaly",
                                                        "notice_escalated",
                                                        "supplement_request",
                                                        "valid_complaint",
                                                        "bad_evaluation",
                                                        "rectification_late",
                                                        "attendance_fault",
                                                        "conduct_confirmed"};
  return *events;
}

}  // namespace

absl::Status ValidateRuleSet(const v1::RuleSet& r) {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(r.jurisdiction(), "rule_set.jurisdiction", 64));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(r.version(), "rule_set.version", 64));
  SUNLIGHT_RETURN_IF_ERROR(RequireMonth(r.effective_from(), "rule_set.effective_from").status());
  if (r.base_centipoints() < 0 || r.base_centipoints() > 100000) {
    return InvalidField("rule_set.base_centipoints", "0 to 100000 (1000 points)");
  }
  if (r.min_centipoints() > r.max_centipoints()) {
    return InvalidField("rule_set.min_centipoints", "must not exceed max_centipoints");
  }
  if (r.appeal_limit_working_days() < 1 || r.appeal_limit_working_days() > 60) {
    return InvalidField("rule_set.appeal_limit_working_days", "1 to 60");
  }
  if (r.evaluation_window_days() > 365) {
    return InvalidField("rule_set.evaluation_window_days", "0 (default 30) to 365");
  }
  if (r.rectification_limit_working_days() != 0 &&
      (r.rectification_limit_working_days() < 5 || r.rectification_limit_working_days() > 15)) {
    return InvalidField("rule_set.rectification_limit_working_days", "0 (default 10) or 5 to 15");
  }
  if (r.complaint_acceptance_working_days() > 60) {
    return InvalidField("rule_set.complaint_acceptance_working_days", "0 (default 5) to 60");
  }
  if (r.complaint_handling_working_days() > 120) {
    return InvalidField("rule_set.complaint_handling_working_days", "0 (default 15) to 120");
  }
  if (r.has_attendance()) {
    const auto& a = r.attendance();
    if (a.late_grace_minutes() > 240) {
      return InvalidField("rule_set.attendance.late_grace_minutes", "0 to 240");
    }
    if (a.away_gap_minutes() < 1 || a.away_gap_minutes() > 480) {
      return InvalidField("rule_set.attendance.away_gap_minutes", "1 to 480");
    }
    if (a.upload_window_days() < 1 || a.upload_window_days() > 62) {
      return InvalidField("rule_set.attendance.upload_window_days", "1 to 62");
    }
    for (auto [v, field] : {std::pair{a.base_centipoints(), "base_centipoints"},
                            std::pair{a.late_centipoints(), "late_centipoints"},
                            std::pair{a.left_early_centipoints(), "left_early_centipoints"},
                            std::pair{a.absent_centipoints(), "absent_centipoints"},
                            std::pair{a.away_centipoints(), "away_centipoints"}}) {
      if (v < 0 || v > 100000) {
        return InvalidField(absl::StrCat("rule_set.attendance.", field), "0 to 100000");
      }
    }
  }
  for (int i = 0; i < r.indicators_size(); ++i) {
    const auto& x = r.indicators(i);
    std::string at = absl::StrCat("rule_set.indicators[", i, "]");
    SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(x.clause(), absl::StrCat(at, ".clause"), 200));
    if (x.measure() != "on_time_rate" && x.measure() != "same_day_rate" &&
        x.measure() != "satisfaction_rate" && x.measure() != "rectification_on_time_rate") {
      return InvalidField(absl::StrCat(at, ".measure"),
                          "on_time_rate, same_day_rate, satisfaction_rate or "
                          "rectification_on_time_rate");
    }
    if (x.weight_centipoints() < 0 || x.weight_centipoints() > 100000) {
      return InvalidField(absl::StrCat(at, ".weight_centipoints"), "0 to 100000");
    }
  }
  for (int i = 0; i < r.deductions_size(); ++i) {
    const auto& x = r.deductions(i);
    std::string at = absl::StrCat("rule_set.deductions[", i, "]");
    SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(x.clause(), absl::StrCat(at, ".clause"), 200));
    if (KnownEvents().count(x.event()) == 0) {
      return InvalidField(absl::StrCat(at, ".event"), "an event the rules know");
    }
    if (x.centipoints() < 0 || x.centipoints() > 100000) {
      return InvalidField(absl::StrCat(at, ".centipoints"), "0 to 100000 (points lost)");
    }
  }
  for (int i = 0; i < r.bonuses_size(); ++i) {
    const auto& x = r.bonuses(i);
    std::string at = absl::StrCat("rule_set.bonuses[", i, "]");
    SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(x.clause(), absl::StrCat(at, ".clause"), 200));
    if (x.measure() != "working_days_saved") {
      return InvalidField(absl::StrCat(at, ".measure"), "working_days_saved");
    }
    if (x.centipoints_per_unit() < 0 || x.max_centipoints() < 0) {
      return InvalidField(absl::StrCat(at, ".centipoints_per_unit"), "not negative");
    }
  }
  return absl::OkStatus();
}

std::string DigestOf(const pb::Message& message) {
  std::string bytes;
  {
    pb::io::StringOutputStream out(&bytes);
    pb::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string RuleSetHash(v1::RuleSet rules) {
  rules.clear_content_hash();
  return DigestOf(rules);
}

namespace {

struct Subject {
  std::string department_id;
  v1::Measures measures;
  std::map<std::string, v1::ScoreLine> lines;  // by clause
  std::vector<v1::CaseRef> late;               // completed late this month
};

using SubjectKey = std::pair<int, std::string>;  // (kind, id)

v1::CaseRef Ref(const v1::CaseRecord& r, std::string what, const pb::Timestamp& at) {
  v1::CaseRef ref;
  ref.set_case_id(r.case_id());
  ref.set_case_number(r.case_number());
  ref.set_what(std::move(what));
  *ref.mutable_at() = at;
  return ref;
}

// Every deduction of `rules` for `event` on the subject (kind, id): the case is listed under
// its clause, with its points unless an upheld appeal exempted it.
void Deduct(Subject& s, int kind, const std::string& id, const v1::RuleSet& rules,
            const std::string& event, const v1::CaseRef& ref, const std::set<Exemption>& exempt) {
  for (const auto& d : rules.deductions()) {
    if (event != d.event()) continue;
    v1::ScoreLine& line = s.lines[d.clause()];
    line.set_clause(d.clause());
    v1::CaseRef* listed = line.add_cases();
    *listed = ref;
    if (exempt.count({kind, id, d.clause(), ref.case_id()}) > 0) {
      listed->set_appealed_away(true);
      continue;
    }
    line.set_count(line.count() + 1);
    line.set_centipoints(line.centipoints() - d.centipoints());
  }
}

// (good, all) of an indicator's rate.
std::pair<int64_t, int64_t> RateParts(const std::string& measure, const v1::Measures& m) {
  auto n = [](uint64_t v) { return static_cast<int64_t>(v); };
  if (measure == "on_time_rate") return {n(m.completed_on_time()), n(m.completed())};
  if (measure == "same_day_rate") return {n(m.completed_same_day()), n(m.completed())};
  if (measure == "satisfaction_rate") {
    return {n(m.very_satisfied() + m.satisfied() + m.basically_satisfied()), n(m.evaluations())};
  }
  if (measure == "rectification_on_time_rate") {
    return {n(m.rectifications_on_time()), n(m.rectifications_on_time() + m.rectifications_late())};
  }
  return {0, 0};
}

}  // namespace

v1::ScoreSheet ComputeSheet(int64_t month, const v1::RuleSet& rules,
                            const std::vector<v1::CaseRecord>& records,
                            const std::vector<v1::Occurrence>& occurred,
                            const calendar::WorkingCalendar& calendar,
                            const std::set<Exemption>& exempt) {
  const absl::TimeZone zone = calendar.time_zone();
  auto in_month = [&](const pb::Timestamp& at) {
    return MonthNumber(DayNumber(absl::ToCivilDay(FromProto(at), zone))) == month;
  };
  std::map<SubjectKey, Subject> subjects;
  for (const v1::CaseRecord& r : records) {
    // Each occurrence this month, with the deduction event it falls under.
    std::vector<std::pair<std::string, v1::CaseRef>> occurrences;
    if (r.has_yellow_at() && in_month(r.yellow_at()))
      occurrences.emplace_back("yellow", Ref(r, "yellow", r.yellow_at()));
    if (r.has_red_at() && in_month(r.red_at()))
      occurrences.emplace_back("red", Ref(r, "red", r.red_at()));
    for (const auto& [id, a] : r.anomalies()) {
      if (in_month(a.raised_at()))
        occurrences.emplace_back("anomaly", Ref(r, "anomaly:" + a.rule(), a.raised_at()));
    }
    for (const auto& [id, n] : r.notices()) {
      if (n.outcome() == "escalated" && n.has_decided_at() && in_month(n.decided_at()))
        occurrences.emplace_back("notice_escalated", Ref(r, "notice:" + id, n.decided_at()));
    }
    for (int64_t at : r.supplement_requests()) {
      pb::Timestamp ts = ToProto(absl::FromUnixMicros(at));
      if (in_month(ts)) occurrences.emplace_back("supplement_request", Ref(r, "supplement", ts));
    }
    v1::Measures month_measures;
    const v1::Contribution contribution = Contribute(r, calendar);
    for (const auto& day : contribution.days()) {
      if (MonthNumber(day.day()) == month) AddMeasures(month_measures, day.measures());
    }
    bool late = month_measures.overdue() > 0;
    const std::pair<int, const std::string*> owners[] = {
        {v1::SUBJECT_KIND_DEPARTMENT, &r.department_id()},
        {v1::SUBJECT_KIND_WINDOW, &r.window_id()},
        {v1::SUBJECT_KIND_PERSON, &r.accepted_by()}};
    for (const auto& [kind, id] : owners) {
      if (id->empty() || (IsZero(month_measures) && occurrences.empty())) continue;
      Subject& s = subjects[{kind, *id}];
      s.department_id = r.department_id();
      AddMeasures(s.measures, month_measures);
      if (late) s.late.push_back(Ref(r, "overdue", r.completed_at()));
      for (const auto& [event, ref] : occurrences) Deduct(s, kind, *id, rules, event, ref, exempt);
    }
  }
  // Each step's handler answers for the step's own lights.
  for (const v1::CaseRecord& r : records) {
    for (const auto& [step_id, step] : r.steps()) {
      if (step.person_id().empty()) continue;
      std::vector<std::pair<std::string, v1::CaseRef>> lights;
      if (step.has_yellow_at() && in_month(step.yellow_at()))
        lights.emplace_back("step_yellow", Ref(r, "step yellow:" + step_id, step.yellow_at()));
      if (step.has_red_at() && in_month(step.red_at()))
        lights.emplace_back("step_red", Ref(r, "step red:" + step_id, step.red_at()));
      if (lights.empty()) continue;
      Subject& s = subjects[{v1::SUBJECT_KIND_PERSON, step.person_id()}];
      if (s.department_id.empty())
        s.department_id = step.department_id().empty() ? r.department_id() : step.department_id();
      for (const auto& [event, ref] : lights) {
        Deduct(s, v1::SUBJECT_KIND_PERSON, step.person_id(), rules, event, ref, exempt);
      }
    }
  }
  // Evaluations, complaints and attendance days: their measures, and a deduction per event.
  for (const v1::Occurrence& o : occurred) {
    if (MonthNumber(o.day()) != month) continue;
    const std::string& ref_id = o.case_id().empty() ? o.source() : o.case_id();
    const std::pair<int, const std::string*> owners[] = {
        {v1::SUBJECT_KIND_DEPARTMENT, &o.department_id()},
        {v1::SUBJECT_KIND_WINDOW, &o.window_id()},
        {v1::SUBJECT_KIND_PERSON, &o.person_id()}};
    for (const auto& [kind, id] : owners) {
      if (id->empty()) continue;
      Subject& s = subjects[{kind, *id}];
      if (s.department_id.empty()) s.department_id = o.department_id();
      AddMeasures(s.measures, o.measures());
      v1::CaseRef ref;
      ref.set_case_id(ref_id);
      ref.set_case_number(o.case_number());
      ref.set_what(o.what());
      *ref.mutable_at() = o.at();
      for (const std::string& event : o.events()) Deduct(s, kind, *id, rules, event, ref, exempt);
    }
  }
  v1::ScoreSheet sheet;
  std::map<int, std::vector<v1::SubjectScore>> by_kind;
  for (auto& [key, s] : subjects) {
    v1::SubjectScore score;
    score.set_kind(static_cast<v1::SubjectKind>(key.first));
    score.set_subject_id(key.second);
    score.set_department_id(s.department_id);
    int64_t total = rules.base_centipoints();
    for (const auto& x : rules.indicators()) {
      auto [good, c] = RateParts(x.measure(), s.measures);
      if (c == 0) continue;
      v1::ScoreLine line;
      line.set_clause(x.clause());
      line.set_count((good * 10000 + c / 2) / c);
      line.set_centipoints(-((x.weight_centipoints() * (c - good) * 2 + c) / (2 * c)));
      if (x.measure() == "on_time_rate") {
        for (const auto& ref : s.late) *line.add_cases() = ref;
      }
      total += line.centipoints();
      *score.add_lines() = std::move(line);
    }
    for (const auto& d : rules.deductions()) {
      auto it = s.lines.find(d.clause());
      if (it == s.lines.end()) continue;
      total += it->second.centipoints();
      *score.add_lines() = std::move(it->second);
      s.lines.erase(it);
    }
    for (const auto& b : rules.bonuses()) {
      int64_t units = s.measures.working_seconds_saved() / 86400;
      if (units <= 0 || b.centipoints_per_unit() == 0) continue;
      v1::ScoreLine line;
      line.set_clause(b.clause());
      line.set_count(units);
      line.set_centipoints(std::min(units * b.centipoints_per_unit(), b.max_centipoints()));
      total += line.centipoints();
      *score.add_lines() = std::move(line);
    }
    score.set_total_centipoints(
        std::clamp(total, rules.min_centipoints(), rules.max_centipoints()));
    *score.mutable_measures() = std::move(s.measures);
    by_kind[key.first].push_back(std::move(score));
  }
  for (auto& [kind, scores] : by_kind) {
    std::sort(scores.begin(), scores.end(), [](const auto& a, const auto& b) {
      if (a.total_centipoints() != b.total_centipoints())
        return a.total_centipoints() > b.total_centipoints();
      return a.subject_id() < b.subject_id();
    });
    uint32_t rank = 0;
    for (size_t i = 0; i < scores.size(); ++i) {
      if (i == 0 || scores[i].total_centipoints() != scores[i - 1].total_centipoints())
        rank = static_cast<uint32_t>(i + 1);
      scores[i].set_rank(rank);
      *sheet.add_scores() = std::move(scores[i]);
    }
  }
  v1::ScoreSheet only_scores;
  *only_scores.mutable_scores() = sheet.scores();
  sheet.set_scores_digest(DigestOf(only_scores));
  return sheet;
}

}  // namespace sunlight::scoring
