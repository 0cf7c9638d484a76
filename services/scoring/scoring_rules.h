// Rule sets and the scoring run: a month's scores as a pure function of the rule set, the
// calendar and the case records the run read (so the same inputs give the same bytes).
//
// A subject's total is base + the lines, clamped to [min, max]:
//  - an indicator loses weight x (1 - rate) of the subject's completed cases that month;
//  - a deduction costs its points once per occurrence that month: a case whose clock first
//    turned yellow / red that month, an anomaly raised, a notice escalated, a supplement
//    requested; and, from the occurrences of evaluations, complaints, attendance days and
//    conduct events (each names the subjects it counts for), a bad evaluation, a late
//    rectification, a valid complaint, an attendance fault, a conduct event an inspector
//    confirmed;
//  - a bonus gives its points per whole working day saved against the limits, up to its cap.
// Departments are scored by the cases they own, windows and persons by the cases they
// accepted; a person also by the steps they handled (step_yellow, step_red: the step's own
// clock). An upheld appeal exempts one (subject, clause, case): the case stays listed with
// no points.
#ifndef SUNLIGHT_SERVICES_SCORING_SCORING_RULES_H_
#define SUNLIGHT_SERVICES_SCORING_SCORING_RULES_H_

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/scoring/v1/scoring.pb.h"

namespace sunlight::scoring {

// The rule set used until an administrator sets one: 100 points, on-time rate weighted 20,
// yellow -5 and red -10 per case, anomaly -2, escalated notice -5, confirmed conduct event -2,
// +1 per working day saved up to +5, clamped to [0, 120], appeals within 5 working days.
v1::RuleSet DefaultRuleSet();
v1::AttendanceRules DefaultAttendanceRules();

// The limits of evaluations, complaints and attendance of a rule set, with the defaults for
// what a rule set stored before them leaves at 0.
struct VoiceLimits {
  uint32_t evaluation_window_days = 0;
  uint32_t rectification_working_days = 0;
  uint32_t complaint_acceptance_working_days = 0;
  uint32_t complaint_handling_working_days = 0;
  v1::AttendanceRules attendance;
};
VoiceLimits LimitsOf(const v1::RuleSet& rules);

// INVALID_ARGUMENT naming the field ("rule_set.deductions[2].event", ...).
absl::Status ValidateRuleSet(const v1::RuleSet& rules);
// Hex SHA-256 of the deterministic bytes of `rules` without its content_hash.
std::string RuleSetHash(v1::RuleSet rules);
// Hex SHA-256 of deterministic bytes.
std::string DigestOf(const google::protobuf::Message& message);

// (kind, subject id, clause, case id) of an upheld appeal.
using Exemption = std::tuple<int, std::string, std::string, std::string>;

// The scores of `month` (yyyymm) over `records` (every case with a fact in that month, in
// any order): departments, then windows, then persons, each by rank then id. Measures are
// each subject's for the month. Sets scores and scores_digest only.
v1::ScoreSheet ComputeSheet(int64_t month, const v1::RuleSet& rules,
                            const std::vector<v1::CaseRecord>& records,
                            const std::vector<v1::Occurrence>& occurred,
                            const calendar::WorkingCalendar& calendar,
                            const std::set<Exemption>& exempt);

}  // namespace sunlight::scoring

#endif  // SUNLIGHT_SERVICES_SCORING_SCORING_RULES_H_
