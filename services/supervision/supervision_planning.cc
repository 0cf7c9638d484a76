// Planning: a clock's yellow and red instants from its facts, rules and calendar; light alerts.
#include "supervision_anomaly_rules.h"
#include "supervision_internal.h"

#include "sunlight/calendar/deadline.h"

namespace sunlight::supervision {

absl::StatusOr<Supervision::Thresholds> Supervision::ComputeThresholds(
    const v1::Clock& clock, absl::Time as_of, const calendar::WorkingCalendar& cal,
    const v1::RuleSet& rule) {
  std::vector<calendar::PauseInterval> pauses = calendar::PausesFromProto((clock).pauses());
  common::v1::TimeLimit limit = clock.limit();
  common::v1::TimeLimit statutory =
      clock.kind() == v1::CLOCK_KIND_CASE ? clock.statutory_limit() : clock.limit();
  if (limit.unit() != common::v1::LIMIT_UNIT_SAME_DAY) {
    limit.set_amount(limit.amount() + clock.extension_working_days());
  }
  if (statutory.unit() != common::v1::LIMIT_UNIT_SAME_DAY) {
    statutory.set_amount(statutory.amount() + clock.extension_working_days());
  }
  absl::Time start = FromProto(clock.started_at());
  calendar::DeadlineRequest request{
      .accepted_at = start, .limit = limit, .pauses = pauses, .as_of = as_of};
  SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline due, calendar::ComputeDeadline(cal, request));
  Thresholds th;
  th.due = due.due;
  th.paused = due.paused;
  auto at_offset = [&](v1::Reference reference, int64_t offset) -> absl::StatusOr<absl::Time> {
    const common::v1::TimeLimit& base = reference == v1::REFERENCE_STATUTORY ? statutory : limit;
    if (base.unit() == common::v1::LIMIT_UNIT_SAME_DAY) return due.due;
    int64_t amount = static_cast<int64_t>(base.amount()) + offset;
    if (amount <= 0) return start;
    calendar::DeadlineRequest shifted = request;
    shifted.limit = base;
    shifted.limit.set_amount(static_cast<uint32_t>(amount));
    SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline d, calendar::ComputeDeadline(cal, shifted));
    return d.due;
  };
  int64_t yellow_offset = rule.yellow().offset_working_days();
  if (rule.use_item_margin()) {
    yellow_offset = -static_cast<int64_t>(
        clock.warning_margin_working_days() == 0 ? 1 : clock.warning_margin_working_days());
  }
  SUNLIGHT_ASSIGN_OR_RETURN(th.yellow_at, at_offset(rule.yellow().reference(), yellow_offset));
  SUNLIGHT_ASSIGN_OR_RETURN(th.red_at,
                            at_offset(rule.red().reference(), rule.red().offset_working_days()));
  th.yellow_at = std::min(th.yellow_at, th.red_at);
  return th;
}

void Supervision::RaiseLightAlert(Mutation& m, v1::Clock& clock, v1::Light light, absl::Time at) {
  std::string id = LightAlertId(clock, light, at);
  if (Alerted(clock, id)) return;
  clock.add_alert_ids(id);
  if (!m.raised.insert(id).second) return;
  v1::Alert alert;
  alert.set_alert_id(id);
  alert.set_kind(v1::ALERT_KIND_LIGHT);
  alert.set_case_id(clock.case_id());
  alert.set_case_number(clock.case_number());
  alert.set_subject_ref(clock.subject_ref());
  alert.set_clock_id(clock.clock_id());
  alert.set_light(light);
  alert.set_department_id(clock.department_id());
  alert.set_responsible_person(clock.responsible_person());
  *alert.mutable_occurred_at() = ToProto(at);
  alert.set_calendar_version(clock.calendar_version());
  alert.set_rule_version(clock.rule_version());
  alert.set_message(
      absl::StrCat(v1::ClockKind_Name(clock.kind()), " ", clock.clock_id(),
                   clock.subject_ref().empty() ? "" : absl::StrCat(" (", clock.subject_ref(), ")"),
                   light == v1::LIGHT_RED ? " is overdue (red)" : " is near its limit (yellow)",
                   "; due ", absl::FormatTime(FromProto(clock.due()))));
  m.alerts.push_back(std::move(alert));
}

void Supervision::RaiseAnomaly(Mutation& m, const v1::CaseFacts& facts, const Anomaly& anomaly,
                               absl::Time at) {
  std::string id = absl::StrCat("anomaly/", facts.case_id(), "/", anomaly.rule,
                                anomaly.discriminator.empty() ? "" : "/", anomaly.discriminator);
  if (!m.raised.insert(id).second) return;
  v1::Alert alert;
  alert.set_alert_id(id);
  alert.set_kind(v1::ALERT_KIND_ANOMALY);
  alert.set_case_id(facts.case_id());
  alert.set_case_number(facts.case_number());
  alert.set_anomaly(anomaly.rule);
  alert.set_department_id(facts.department_id());
  *alert.mutable_occurred_at() = ToProto(at);
  alert.set_rule_version(m.rules.version());
  alert.set_message(anomaly.text);
  m.alerts.push_back(std::move(alert));
}

absl::Status Supervision::Plan(Mutation& m, v1::Clock& clock) {
  absl::Time as_of = Finished(clock) ? FromProto(clock.finished_at()) : m.now;
  auto th = ComputeThresholds(clock, as_of, *m.calendar, m.rules);
  clock.set_calendar_version(m.calendar->versioned_name());
  clock.set_rule_version(m.rules.version());
  if (!th.ok()) {
    // Not a guess: the clock says why it has no instants, and it is re-planned when the
    // calendar changes.
    clock.set_plan_error(std::string(th.status().message()));
    clock.clear_due();
    clock.clear_yellow_at();
    clock.clear_red_at();
    return absl::OkStatus();
  }
  clock.clear_plan_error();
  *clock.mutable_due() = ToProto(th->due);
  *clock.mutable_yellow_at() = ToProto(th->yellow_at);
  *clock.mutable_red_at() = ToProto(th->red_at);
  clock.set_paused(th->paused);
  if (Finished(clock)) {
    // A finished clock keeps the colour it had when it finished; transitions it passed
    // before finishing that were not alerted are left to FireDue (see ScheduleEntries).
    v1::Light final_light = LightAt(as_of, th->yellow_at, th->red_at);
    if (final_light != clock.light()) *clock.mutable_light_changed_at() = ToProto(as_of);
    clock.set_light(final_light);
    return absl::OkStatus();
  }
  // Lights go up only in FireDue, at their instants; a re-plan (extension, pause, calendar)
  // can bring one down at once.
  v1::Light now_light = th->paused ? clock.light() : LightAt(m.now, th->yellow_at, th->red_at);
  if (clock.light() == v1::LIGHT_UNSPECIFIED) {
    clock.set_light(v1::LIGHT_GREEN);
    *clock.mutable_light_changed_at() = ToProto(m.now);
  } else if (now_light < clock.light()) {
    clock.set_light(now_light);
    *clock.mutable_light_changed_at() = ToProto(m.now);
  }
  return absl::OkStatus();
}

absl::Status Supervision::ReplanCase(Mutation& m, const std::string& case_id) {
  if (case_id.empty()) return absl::OkStatus();  // a clock of no case is of no case's facts
  SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseFacts * facts, m.Facts(case_id));
  SUNLIGHT_ASSIGN_OR_RETURN(auto ids, m.CaseClockIds(case_id));
  for (const std::string& id : ids) {
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(id));
    if (clock == nullptr || !FollowsCaseFacts(clock->kind())) continue;
    if (clock->kind() == v1::CLOCK_KIND_CASE || clock->kind() == v1::CLOCK_KIND_STEP) {
      clock->clear_pauses();
      std::map<uint64_t, calendar::v1::Pause> supplements(facts->supplement_pauses().begin(),
                                                          facts->supplement_pauses().end());
      for (const auto& [key, pause] : supplements) *clock->add_pauses() = pause;
      std::map<std::string, calendar::v1::Pause> procedures(facts->procedure_pauses().begin(),
                                                            facts->procedure_pauses().end());
      for (const auto& [key, pause] : procedures) *clock->add_pauses() = pause;
    }
    if (clock->kind() == v1::CLOCK_KIND_CASE) {
      uint32_t extension = 0;
      for (const auto& [key, days] : facts->extensions()) extension += days;
      clock->set_extension_working_days(extension);
      if (facts->has_finished_at() && !Finished(*clock)) {
        *clock->mutable_finished_at() = facts->finished_at();
      }
    }
    // A notice or an appeal runs on after the case is withdrawn.
    if (facts->has_withdrawn_at() && clock->kind() != v1::CLOCK_KIND_NOTICE &&
        clock->kind() != v1::CLOCK_KIND_APPEAL &&
        (!Finished(*clock) || FromProto(clock->finished_at()) > FromProto(facts->withdrawn_at()))) {
      *clock->mutable_finished_at() = facts->withdrawn_at();
    }
    SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
  }
  return absl::OkStatus();
}

}  // namespace sunlight::supervision
