// The synthetic month of scoring_history.h as the intake, workflow and supervision streams
// deliver it: shared by the in-process scoring benchmark and the one through the binary.
#ifndef SUNLIGHT_TOOLS_LOADGEN_SCORING_HISTORY_EVENTS_H_
#define SUNLIGHT_TOOLS_LOADGEN_SCORING_HISTORY_EVENTS_H_

#include <vector>

#include "absl/strings/str_format.h"
#include "scoring_history.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/events/v1/events.pb.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::bench {

struct HistoryStreams {
  std::vector<events::v1::CaseEvent> intake, workflow, supervision;
};

// Case i's number, of the form applicants type ("20260301-000042").
inline std::string HistoryCaseNumber(int64_t i) { return absl::StrFormat("20260301-%06d", i); }

inline events::v1::CaseEvent HistoryEvent(uint64_t sequence, const std::string& stream,
                                          const std::string& case_id, const char* type,
                                          absl::Time at, const google::protobuf::Message& payload) {
  events::v1::CaseEvent e;
  e.set_sequence(sequence);
  e.set_stream(stream);
  e.set_case_id(case_id);
  e.set_type(type);
  *e.mutable_occurred_at() = ToProto(at);
  e.mutable_payload()->PackFrom(payload);
  return e;
}

inline HistoryStreams HistoryEvents(const std::vector<HistoryCase>& history, int64_t departments) {
  namespace iv1 = ::sunlight::intake::v1;
  namespace wv1 = ::sunlight::workflow::v1;
  namespace sv1 = ::sunlight::supervision::v1;
  HistoryStreams s;
  auto& intake = s.intake;
  auto& workflow = s.workflow;
  auto& supervision = s.supervision;
  auto Event = [](uint64_t sequence, const std::string& case_id, const char* type, absl::Time at,
                  const google::protobuf::Message& payload) {
    std::string type_name(type);
    return HistoryEvent(sequence, type_name.substr(0, type_name.find('.')), case_id, type, at,
                        payload);
  };
  for (const HistoryCase& c : history) {
    const int64_t i = c.index;
    const std::string& case_id = c.case_id;
    const std::string& department = c.department_id;
    const absl::Time accepted = c.accepted;
    iv1::CaseSubmitted submitted;
    submitted.mutable_case_()->set_case_id(case_id);
    submitted.mutable_case_()->set_case_number(HistoryCaseNumber(i));
    submitted.mutable_case_()->set_item_code(c.item_code);
    submitted.mutable_case_()->set_department_id(department);
    submitted.mutable_case_()->set_channel(c.online ? iv1::CHANNEL_ONLINE : iv1::CHANNEL_WINDOW);
    *submitted.mutable_case_()->mutable_submitted_at() = ToProto(accepted - absl::Minutes(20));
    intake.push_back(Event(intake.size() + 1, case_id, "intake.case.submitted",
                           accepted - absl::Minutes(20), submitted));
    iv1::CaseAccepted a;
    a.set_case_number(HistoryCaseNumber(i));
    a.set_department_id(department);
    *a.mutable_receipt()->mutable_accepted_at() = ToProto(accepted);
    a.mutable_receipt()->mutable_accepted_by()->set_id(
        absl::StrCat("clerk-", i % (departments * 4)));
    a.mutable_receipt()->set_window_id(absl::StrCat("W", i % (departments * 2)));
    auto* item = a.mutable_item()->mutable_definition();
    item->set_item_code(c.item_code);
    item->set_type(iv1::ITEM_TYPE_ADMINISTRATIVE_LICENCE);
    item->mutable_promised_limit()->set_amount(5);
    item->mutable_promised_limit()->set_unit(common::v1::LIMIT_UNIT_WORKING_DAYS);
    item->add_fees()->set_amount_fen(i % 5 == 0 ? 5000 : 0);
    intake.push_back(Event(intake.size() + 1, case_id, "intake.case.accepted", accepted, a));
    wv1::CaseCompleted done;
    *done.mutable_due() = ToProto(c.due);
    workflow.push_back(
        Event(workflow.size() + 1, case_id, "workflow.case.completed", c.completed, done));
    for (auto [at, light] :
         {std::pair{c.yellow_at, sv1::LIGHT_YELLOW}, std::pair{c.red_at, sv1::LIGHT_RED}}) {
      if (!at.has_value()) continue;
      sv1::LightChanged changed;
      changed.mutable_clock()->set_kind(sv1::CLOCK_KIND_CASE);
      changed.mutable_clock()->set_department_id(department);
      *changed.mutable_clock()->mutable_light_changed_at() = ToProto(*at);
      changed.set_to(light);
      supervision.push_back(
          Event(supervision.size() + 1, case_id, "supervision.light.changed", *at, changed));
    }
  }
  return s;
}

}  // namespace sunlight::bench

#endif  // SUNLIGHT_TOOLS_LOADGEN_SCORING_HISTORY_EVENTS_H_
