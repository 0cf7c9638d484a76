// Routes of supervision: the live event stream, the board, clocks, alerts, notices, rules and
// calendar.
#include "gateway_routes.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

void Gateway::AddSupervisionRoutes() {
  // ---- supervision
  {
    Route& r =
        AddRoute("GET", "/v1/events:stream", kSignedIn,
                 "Server-sent events (text/event-stream) for the console: `board` (the light "
                 "board as GET /v1/board returns it, on connecting and whenever it changes), "
                 "`alert` (each alert raised, staff: of their department) and `end` (the "
                 "session ended); a comment every 15 s keeps the connection open.",
                 nullptr);
    r.input = sv1::GetLightBoardRequest::descriptor();
    r.output = sv1::GetLightBoardResponse::descriptor();
    r.stream = [this](Call& call) { return StreamEvents(call); };
  }
  AddRoute("GET", "/v1/board", kSignedIn,
           "The light board: counts by department and light, worst first (staff: their own "
           "department).",
           SupervisionMethod("GetLightBoard"))
      .finish = [](Call& call, pb::Message& message) {
    if (!IsStaff(call.principal)) return;
    auto& board = static_cast<sv1::GetLightBoardResponse&>(message);
    auto* rows = board.mutable_departments();
    rows->erase(std::remove_if(rows->begin(), rows->end(),
                               [&](const sv1::DepartmentLights& row) {
                                 return row.department_id() != call.principal.department_id();
                               }),
                rows->end());
  };
  AddRoute("GET", "/v1/clocks", kSignedIn, "Clocks of one light, by department.",
           SupervisionMethod("ListClocks"))
      .prepare = OwnDepartmentField("department_id");
  AddRoute("GET", "/v1/cases/{case_id}/clocks", kSignedIn,
           "A case's clocks, each with an explanation to check by hand.",
           SupervisionMethod("GetCaseClocks"))
      .prepare = CaseInPath(false);
  AddRoute("GET", "/v1/alerts", kSignedIn, "Alerts, in the order raised (staff: of one case).",
           SupervisionMethod("ListAlerts"))
      .prepare = [this](Call& call, pb::Message& message) -> absl::Status {
    auto& request = static_cast<sv1::ListAlertsRequest&>(message);
    if (!IsStaff(call.principal)) return absl::OkStatus();
    if (request.case_id().empty()) {
      return absl::PermissionDeniedError("case_id: staff see the alerts of a case");
    }
    return RequireCaseVisible(call, request.case_id(), false);
  };
  AddRoute("POST", "/v1/notices", auth::kInspectors,
           "Issue a supervision notice (督办, 监察建议书) on a red or abnormal case, or on an "
           "accepted complaint (`complaint_id` instead of `case_id`).",
           SupervisionMethod("IssueNotice"))
      .prepare = [this](Call& call, pb::Message& message) -> absl::Status {
    auto& request = static_cast<sv1::IssueNoticeRequest&>(message);
    if (!request.complaint_id().empty() && request.case_id().empty()) {
      call.target = request.complaint_id();
      return absl::OkStatus();
    }
    call.target = request.case_id();
    if (request.case_id().empty()) return absl::InvalidArgumentError("case_id: required");
    return RequireCaseVisible(call, request.case_id(), false);
  };
  AddRoute("GET", "/v1/notices/{notice_id}", kSignedIn, "One supervision notice.",
           SupervisionMethod("GetNotice"))
      .prepare = [this](Call& call, pb::Message&) {
    return RequireNoticeVisible(call, call.path_params["notice_id"]);
  };
  AddRoute("POST", "/v1/notices/{notice_id}:respond", auth::kStaff,
           "The department's answer to a notice.", SupervisionMethod("RespondToNotice"))
      .prepare = [this](Call& call, pb::Message&) {
    call.target = call.path_params["notice_id"];
    return RequireNoticeVisible(call, call.target);
  };
  AddRoute("POST", "/v1/notices/{notice_id}:decide", auth::kInspectors,
           "Accept the answer or escalate to a supervision recommendation (监察建议书).",
           SupervisionMethod("DecideNotice"))
      .prepare = [](Call& call, pb::Message&) {
    call.target = call.path_params["notice_id"];
    return absl::OkStatus();
  };
  AddRoute("GET", "/v1/rule-set", kSignedIn, "The rule set in force.",
           SupervisionMethod("GetRuleSet"));
  AddRoute("PUT", "/v1/rule-set", auth::kAdministrators, "Replace the rule set; re-plans clocks.",
           SupervisionMethod("SetRuleSet"));
  AddRoute("PUT", "/v1/calendar", auth::kAdministrators,
           "Replace the working calendar; re-plans clocks.", SupervisionMethod("SetCalendar"));
}

}  // namespace sunlight::gateway
