// Ingestion: the intake, workflow and supervision streams merged into case records. Every
// merge is order-independent (first instants kept, keyed lists, outcomes by precedence), so
// the streams may arrive in any interleaving.
#include "scoring_internal.h"

#include "absl/strings/match.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::scoring {

namespace iv1 = ::sunlight::intake::v1;
namespace wv1 = ::sunlight::workflow::v1;
namespace sv1 = ::sunlight::supervision::v1;
namespace pb = ::google::protobuf;

namespace {

template <typename T>
absl::Status Unpack(const CaseEvent& event, T* payload) {
  if (!event.payload().UnpackTo(payload)) {
    return absl::DataLossError(absl::StrCat(event.stream(), " event ", event.sequence(), " (",
                                            event.type(), "): unreadable payload"));
  }
  return absl::OkStatus();
}

// Keeps the earlier of two instants (an unset one is later than any).
// `had`: whether the field was set before `field` was obtained with mutable_...(), which sets
// it. Read it in a statement of its own: within one call the order in which arguments are
// evaluated is unspecified (GCC took has_ first, clang takes mutable_ first, so under clang
// every instant stayed at 1970; found by the sanitizer build, tools/sanitize).
void KeepFirst(pb::Timestamp* field, bool had, const pb::Timestamp& at) {
  if (!had || FromProto(at) < FromProto(*field)) *field = at;
}

void SetIfEmpty(std::string* field, const std::string& value) {
  if (field->empty()) *field = value;
}

std::string CategoryName(iv1::ItemType type) {
  switch (type) {
    case iv1::ITEM_TYPE_ADMINISTRATIVE_LICENCE:
      return "administrative_licence";
    case iv1::ITEM_TYPE_OTHER_APPROVAL:
      return "other_approval";
    case iv1::ITEM_TYPE_PUBLIC_SERVICE:
      return "public_service";
    default:
      return "";
  }
}

int OutcomeRank(const std::string& outcome) {
  if (outcome == "accepted" || outcome == "escalated") return 3;
  if (outcome == "answered") return 2;
  return outcome == "issued" ? 1 : 0;
}

// The instant a light was due to change (the clock's threshold, to the second), not when the
// scheduler got to it.
const pb::Timestamp& LightInstant(const sv1::LightChanged& changed, const CaseEvent& event) {
  const sv1::Clock& clock = changed.clock();
  const bool yellow = changed.to() == sv1::LIGHT_YELLOW;
  const bool planned = yellow ? clock.has_yellow_at() : clock.has_red_at();
  return planned                        ? (yellow ? clock.yellow_at() : clock.red_at())
         : clock.has_light_changed_at() ? clock.light_changed_at()
                                        : event.occurred_at();
}

// Keeps the first yellow and red instants of a clock that turned `changed.to()` in the
// record's yellow_at and red_at (a CaseRecord or a StepRecord): a clock that turned red passed
// its yellow instant too, whether or not supervision was running to announce it then (after a
// pause it fires only the later light).
template <typename Record>
void KeepLight(const sv1::LightChanged& changed, const CaseEvent& event, Record& record) {
  auto keep_yellow = [&](const pb::Timestamp& at) {
    if (!record.has_yellow_at() || FromProto(at) < FromProto(record.yellow_at()))
      *record.mutable_yellow_at() = at;
  };
  const pb::Timestamp& at = LightInstant(changed, event);
  if (changed.to() == sv1::LIGHT_YELLOW) {
    keep_yellow(at);
    return;
  }
  if (!record.has_red_at() || FromProto(at) < FromProto(record.red_at())) {
    *record.mutable_red_at() = at;
  }
  const sv1::Clock& clock = changed.clock();
  if (clock.has_yellow_at() && clock.has_red_at() &&
      FromProto(clock.yellow_at()) < FromProto(clock.red_at())) {
    keep_yellow(clock.yellow_at());
  }
}

}  // namespace

absl::Status Scoring::ApplyIntake(Mutation& m, const CaseEvent& event) {
  const std::string& type = event.type();
  SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseRecord * r, m.Record(event.case_id()));
  if (type == "intake.case.submitted") {
    iv1::CaseSubmitted submitted;
    SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &submitted));
    const iv1::Case& c = submitted.case_();
    SetIfEmpty(r->mutable_case_number(), c.case_number());
    SetIfEmpty(r->mutable_item_code(), c.item_code());
    SetIfEmpty(r->mutable_department_id(), c.department_id());
    r->set_channel(c.channel() == iv1::CHANNEL_ONLINE ? "online" : "window");
    const bool had = r->has_submitted_at();
    KeepFirst(r->mutable_submitted_at(), had, c.submitted_at());
  } else if (type == "intake.case.accepted") {
    iv1::CaseAccepted accepted;
    SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &accepted));
    const auto& item = accepted.item().definition();
    r->set_case_number(accepted.case_number());
    r->set_department_id(accepted.department_id());
    r->set_item_code(item.item_code());
    r->set_item_category(CategoryName(item.type()));
    r->set_on_the_spot_item(item.kind() == iv1::ITEM_KIND_ON_THE_SPOT);
    r->set_window_id(accepted.receipt().window_id());
    r->set_accepted_by(accepted.receipt().accepted_by().id());
    *r->mutable_accepted_at() = accepted.receipt().accepted_at();
    *r->mutable_promised_limit() = item.promised_limit();
    int64_t fees = 0;
    for (const auto& fee : item.fees()) fees += fee.amount_fen();
    r->set_fees_fen(fees);
  } else if (type == "intake.case.refused") {
    const bool had = r->has_refused_at();
    KeepFirst(r->mutable_refused_at(), had, event.occurred_at());
  } else if (type == "intake.case.withdrawn") {
    const bool had = r->has_withdrawn_at();
    KeepFirst(r->mutable_withdrawn_at(), had, event.occurred_at());
  } else if (type == "intake.case.supplement_requested") {
    int64_t at = absl::ToUnixMicros(FromProto(event.occurred_at()));
    auto* list = r->mutable_supplement_requests();
    if (std::find(list->begin(), list->end(), at) == list->end()) {
      list->Add(at);
      std::sort(list->begin(), list->end());
    }
  }
  return absl::OkStatus();
}

absl::Status Scoring::ApplyWorkflow(Mutation& m, const CaseEvent& event) {
  const std::string& type = event.type();
  SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseRecord * r, m.Record(event.case_id()));
  if (type == "workflow.case.completed") {
    wv1::CaseCompleted completed;
    SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &completed));
    const bool had = r->has_completed_at();
    KeepFirst(r->mutable_completed_at(), had, event.occurred_at());
    if (completed.has_due()) *r->mutable_due_at_completion() = completed.due();
  } else if (type == "workflow.procedure.started" || type == "workflow.procedure.ended") {
    wv1::SpecialProcedure procedure;
    if (type == "workflow.procedure.started") {
      wv1::ProcedureStarted started;
      SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &started));
      procedure = started.procedure();
    } else {
      wv1::ProcedureEnded ended;
      SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &ended));
      procedure = ended.procedure();
    }
    v1::CasePause& pause = (*r->mutable_pauses())[procedure.procedure_id()];
    pause.set_special_procedure(true);
    pause.set_reason(wv1::ProcedureType_Name(procedure.type()));
    *pause.mutable_start() = procedure.started_at();
    if (procedure.has_ended_at()) *pause.mutable_end() = procedure.ended_at();
  } else if (type == "workflow.clock.paused" || type == "workflow.clock.resumed") {
    calendar::v1::Pause p;
    if (type == "workflow.clock.paused") {
      wv1::ClockPaused paused;
      SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &paused));
      p = paused.pause();
    } else {
      wv1::ClockResumed resumed;
      SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &resumed));
      p = resumed.pause();
    }
    std::string id = absl::StrCat("supplement/", absl::ToUnixMicros(FromProto(p.start())));
    v1::CasePause& pause = (*r->mutable_pauses())[id];
    pause.set_reason(p.reason());
    *pause.mutable_start() = p.start();
    if (p.has_end()) *pause.mutable_end() = p.end();
  } else if (type == "workflow.step.completed" || type == "workflow.step.claimed" ||
             type == "workflow.step.activated" || type == "workflow.step.transferred") {
    // The person a step's clock answers to: its assignee while open, who completed it after.
    std::string step_id, person, department;
    const pb::Timestamp* completed_at = nullptr;
    wv1::StepCompleted completed;
    if (type == "workflow.step.claimed") {
      wv1::StepClaimed claimed;
      SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &claimed));
      step_id = claimed.step_id();
      person = claimed.assignee();
    } else if (type == "workflow.step.transferred") {
      wv1::StepTransferred transferred;
      SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &transferred));
      step_id = transferred.step_id();
      person = transferred.transfer().to_assignee();
      department = transferred.transfer().to_department_id();
    } else {
      wv1::StepActivated activated;  // the same shape as StepCompleted
      SUNLIGHT_RETURN_IF_ERROR(Unpack(event, type == "workflow.step.completed"
                                                 ? static_cast<pb::Message*>(&completed)
                                                 : static_cast<pb::Message*>(&activated)));
      const wv1::Step& step =
          type == "workflow.step.completed" ? completed.step() : activated.step();
      step_id = step.step_id();
      department = step.department_id();
      person = step.assignee();
      if (type == "workflow.step.completed") {
        if (!step.completed_by().id().empty()) person = step.completed_by().id();
        completed_at = &step.completed_at();
      }
    }
    if (step_id.empty()) return absl::OkStatus();
    v1::StepRecord& s = (*r->mutable_steps())[step_id];
    if (completed_at != nullptr) {
      // Who completed it answers for it, whatever came before.
      if (!person.empty()) s.set_person_id(person);
      *s.mutable_completed_at() = *completed_at;
    } else if (!s.has_completed_at() && !person.empty()) {
      s.set_person_id(person);
    }
    if (!department.empty()) s.set_department_id(department);
  } else if (type == "workflow.extension.approved") {
    wv1::ExtensionApproved approved;
    SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &approved));
    int64_t at = absl::ToUnixMicros(FromProto(approved.extension().approved_at()));
    (*r->mutable_extensions())[at] = approved.extension().working_days();
    uint32_t days = 0;
    for (const auto& [when, d] : r->extensions()) days += d;
    r->set_extension_working_days(days);
  }
  return absl::OkStatus();
}

absl::Status Scoring::ApplySupervision(Mutation& m, const CaseEvent& event) {
  const std::string& type = event.type();
  if (type == "supervision.light.changed") {
    sv1::LightChanged changed;
    SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &changed));
    const sv1::Clock& clock = changed.clock();
    if (clock.kind() != sv1::CLOCK_KIND_CASE && clock.kind() != sv1::CLOCK_KIND_STEP)
      return absl::OkStatus();
    if (changed.to() != sv1::LIGHT_YELLOW && changed.to() != sv1::LIGHT_RED)
      return absl::OkStatus();
    SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseRecord * r, m.Record(event.case_id()));
    if (clock.kind() == sv1::CLOCK_KIND_STEP) {
      // "step/<step id>": the step's handler answers for its lights.
      if (!absl::StartsWith(clock.clock_id(), "step/")) return absl::OkStatus();
      v1::StepRecord& step = (*r->mutable_steps())[clock.clock_id().substr(5)];
      if (step.person_id().empty()) step.set_person_id(clock.responsible_person());
      if (step.department_id().empty()) step.set_department_id(clock.department_id());
      KeepLight(changed, event, step);
      return absl::OkStatus();
    }
    SetIfEmpty(r->mutable_case_number(), clock.case_number());
    SetIfEmpty(r->mutable_department_id(), clock.department_id());
    KeepLight(changed, event, *r);
  } else if (type == "supervision.alert.raised") {
    sv1::AlertRaised raised;
    SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &raised));
    if (raised.alert().kind() != sv1::ALERT_KIND_ANOMALY) return absl::OkStatus();
    SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseRecord * r, m.Record(event.case_id()));
    SetIfEmpty(r->mutable_department_id(), raised.alert().department_id());
    v1::AnomalyRecord& anomaly = (*r->mutable_anomalies())[raised.alert().alert_id()];
    anomaly.set_rule(raised.alert().anomaly());
    *anomaly.mutable_raised_at() = raised.alert().occurred_at();
  } else if (absl::StartsWith(type, "supervision.notice.")) {
    sv1::NoticeChanged changed;
    SUNLIGHT_RETURN_IF_ERROR(Unpack(event, &changed));
    const sv1::Notice& notice = changed.notice();
    SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseRecord * r, m.Record(event.case_id()));
    SetIfEmpty(r->mutable_department_id(), notice.department_id());
    v1::NoticeRecord& record = (*r->mutable_notices())[notice.notice_id()];
    *record.mutable_issued_at() = notice.issued_at();
    std::string outcome = type.substr(std::string_view("supervision.notice.").size());
    if (OutcomeRank(outcome) > OutcomeRank(record.outcome())) {
      record.set_outcome(outcome);
      if (notice.has_decided_at()) *record.mutable_decided_at() = notice.decided_at();
    }
  }
  return absl::OkStatus();
}

}  // namespace sunlight::scoring
