// End to end, over real sockets (e2e_suite.h): the public's voice and the staff's presence
// through the gateway's REST API, with supervision thirty days ahead so that every limit
// opened here is already past when supervision plans it.
#include "e2e_suite.h"
#include "sunlight/calendar/working_calendar.h"

namespace sunlight {
namespace {

namespace pb = ::google::protobuf;
using e2e::Eventually;
using e2e::Field;
using e2e::ParseJson;
using e2e::Suite;

// Applies online for GT-001 and has the market clerk refuse it at the window (不予受理: a
// service that ended, which the applicant may rate); returns (case id, number, query code).
std::tuple<std::string, std::string, std::string> RefusedCase(Suite& suite, const std::string& key,
                                                              const std::string& clerk) {
  pb::Struct submitted = suite.Expect(
      200, "POST", "/v1/public/applications",
      absl::StrCat(R"({"idempotency_key":")", key, R"(","item_code":"GT-001","subject":"面馆",)",
                   R"("applicant":{"kind":"APPLICANT_KIND_PERSON","name":"李明",)",
                   R"("id_number":"110101199003071234","phone":"13812345678"},)",
                   R"("materials":[{"code":"id-card","name":"身份证"}]})"));
  const pb::Struct& record = Field(submitted, "case").struct_value();
  std::string id = Field(record, "case_id").string_value();
  suite.Expect(200, "POST", absl::StrCat("/v1/cases/", id, ":refuse"),
               R"({"reason":"材料不齐且不属于即办范围"})", clerk);
  return {id, Field(record, "case_number").string_value(),
          Field(record, "query_code").string_value()};
}

// Rates a case as its applicant, once scoring has read that the service ended.
pb::Struct Rate(Suite& suite, const std::string& number, const std::string& code, bool real_name) {
  std::string body =
      absl::StrCat(R"({"case_number":")", number, R"(","query_code":")", code,
                   R"(","level":"VERY_DISSATISFIED","real_name":)", real_name ? "true" : "false",
                   R"(,"comment":"等了一上午，最后被告知材料不全"})");
  std::string reply_body;
  REQUIRE(Eventually([&] {
    auto reply = suite.client().Send("POST", "/v1/public/evaluations", body);
    if (reply.ok()) reply_body = reply->body;
    return reply.ok() && reply->status == 201;
  }));
  return ParseJson(reply_body);
}

// Market's row of the board: its counts of `what` ("rectifications", "complaints") at `light`
// ("red", ...), 0 when absent.
int64_t MarketCount(Suite& suite, const std::string& token, const std::string& what,
                    const std::string& light) {
  pb::Struct board = suite.Expect(200, "GET", "/v1/board", "", token);
  for (const auto& row : Field(board, "departments").list_value().values()) {
    const auto& fields = row.struct_value().fields();
    if (fields.at("department_id").string_value() != "market" || !fields.contains(what)) continue;
    const auto& counts = fields.at(what).struct_value().fields();
    if (!counts.contains(light)) return 0;
    return std::stoll(counts.at(light).string_value());
  }
  return 0;
}

// Market's points under the clause starting with `clause` in the open month, and how many.
std::pair<int64_t, int64_t> MarketLine(Suite& suite, const std::string& token,
                                       const std::string& clause) {
  const std::string month = absl::FormatTime("%Y-%m", absl::Now(), absl::FixedTimeZone(8 * 3600));
  pb::Struct sheet = suite.Expect(
      200, "GET", absl::StrCat("/v1/scores/", month, "?kind=SUBJECT_KIND_DEPARTMENT"), "", token);
  if (!sheet.fields().contains("scores")) return {0, 0};
  for (const auto& score : Field(sheet, "scores").list_value().values()) {
    const auto& fields = score.struct_value().fields();
    if (fields.at("subject_id").string_value() != "market" || !fields.contains("lines")) continue;
    for (const auto& line : fields.at("lines").list_value().values()) {
      const auto& l = line.struct_value().fields();
      if (l.at("clause").string_value().rfind(clause, 0) != 0) continue;
      return {std::stoll(l.at("centipoints").string_value()),
              l.contains("count") ? std::stoll(l.at("count").string_value()) : 0};
    }
  }
  return {0, 0};
}

TEST_CASE(
    "end to end: a bad rating's rectification red on the board and answered, a complaint "
    "handled late and concluded, a malicious rating excluded, each in the score") {
  Suite suite;
  const std::string admin = suite.Login("admin", "system-e2e-pass");
  suite.LoadDemoCatalogue(admin);
  const std::string clerk = suite.Login("clerk", "window-e2e-pass");
  const std::string inspector = suite.Login("insp", "watchful-e2e-pass");

  // Rated 非常不满意 under a real name: a rectification is due from market. Supervision, a
  // month ahead, already sees it late: red on the board.
  auto [rated, rated_number, rated_code] = RefusedCase(suite, "voice-1", clerk);
  pb::Struct evaluation = Rate(suite, rated_number, rated_code, true);
  CHECK(Field(Field(evaluation, "rectification").struct_value(), "state").string_value() ==
        "RECTIFICATION_STATE_OPEN");
  CHECK(Eventually([&] { return MarketCount(suite, inspector, "rectifications", "red") == 1; }));
  suite.Expect(409, "POST", "/v1/public/evaluations",
               absl::StrCat(R"({"case_number":")", rated_number, R"(","query_code":")", rated_code,
                            R"(","level":"SATISFIED"})"));

  // The department visits the applicant and answers: the clock finishes, the board empties.
  suite.Expect(200, "POST", absl::StrCat("/v1/evaluations/", rated, ":answer-rectification"),
               R"({"return_visit":"电话回访，申请人认可","measures_taken":"一次性告知材料清单"})",
               clerk);
  CHECK(Eventually([&] { return MarketCount(suite, inspector, "rectifications", "red") == 0; }));
  CHECK(MarketLine(suite, inspector, "2.6") == std::pair<int64_t, int64_t>{-200, 1});

  // A malicious rating: the department asks for a review, the inspector upholds it, and it is
  // excluded from the score.
  auto [malicious, malicious_number, malicious_code] = RefusedCase(suite, "voice-2", clerk);
  Rate(suite, malicious_number, malicious_code, false);
  CHECK(Eventually([&] { return MarketLine(suite, inspector, "2.6").second == 2; }));
  suite.Expect(200, "POST", absl::StrCat("/v1/evaluations/", malicious, ":request-review"),
               R"({"reasons":"申请人当场表示系误触"})", clerk);
  suite.Expect(200, "POST", absl::StrCat("/v1/evaluations/", malicious, ":decide-review"),
               R"({"uphold":true,"decision":"经核实属误评"})", inspector);
  pb::Struct excluded =
      suite.Expect(200, "GET", absl::StrCat("/v1/evaluations/", malicious), "", inspector);
  CHECK(Field(excluded, "state").string_value() == "EVALUATION_STATE_EXCLUDED");
  CHECK(MarketLine(suite, inspector, "2.6") == std::pair<int64_t, int64_t>{-200, 1});

  // A complaint online against market, accepted: its handling limit is past for supervision,
  // red on the board; the department responds, the inspector concludes it valid, and the
  // complainant reads the outcome with the complaint's number and code.
  pb::Struct filed = suite.Expect(
      201, "POST", "/v1/public/complaints",
      R"({"category":"COMPLAINT_CATEGORY_ATTITUDE","department_id":"market","window_id":"W01",)"
      R"("description":"窗口人员态度生硬","complainant_name":"刘洋","complainant_phone":"13912345678"})");
  const pb::Struct& complaint = Field(filed, "complaint").struct_value();
  const std::string complaint_id = Field(complaint, "complaint_id").string_value();
  const std::string complaint_number = Field(complaint, "complaint_number").string_value();
  const std::string complaint_code = Field(filed, "query_code").string_value();
  CHECK(Field(complaint, "complainant_phone").string_value() == "139****5678");
  suite.Expect(200, "POST", absl::StrCat("/v1/complaints/", complaint_id, ":decide-acceptance"),
               R"({"accept":true,"reasons":"属于受理范围"})", inspector);
  CHECK(Eventually([&] { return MarketCount(suite, inspector, "complaints", "red") == 1; }));
  // The inspector issues a supervision notice (监察建议书) on the complaint.
  std::string notice_body;
  CHECK(Eventually([&] {
    auto reply = suite.client().Send(
        "POST", "/v1/notices",
        absl::StrCat(R"({"complaint_id":")", complaint_id,
                     R"(","reason":"请说明窗口服务态度问题","response_limit":{"amount":3,)"
                     R"("unit":"LIMIT_UNIT_WORKING_DAYS"}})"),
        inspector);
    if (reply.ok()) notice_body = reply->body;
    return reply.ok() && reply->status == 200;
  }));
  const pb::Struct issued = ParseJson(notice_body);
  const pb::Struct& notice = Field(issued, "notice").struct_value();
  CHECK(Field(notice, "department_id").string_value() == "market");
  CHECK(Field(notice, "subject_ref").string_value() == "complaint " + complaint_number);
  suite.Expect(200, "POST", absl::StrCat("/v1/complaints/", complaint_id, ":respond"),
               R"({"response":"已对窗口人员批评教育"})", clerk);
  suite.Expect(200, "POST", absl::StrCat("/v1/complaints/", complaint_id, ":conclude"),
               R"({"outcome":"COMPLAINT_OUTCOME_VALID","reasons":"经调阅录像属实"})", inspector);
  CHECK(Eventually([&] { return MarketCount(suite, inspector, "complaints", "red") == 0; }));
  pb::Struct seen = suite.Expect(200, "POST", "/v1/public/complaints:query",
                                 absl::StrCat(R"({"complaint_number":")", complaint_number,
                                              R"(","query_code":")", complaint_code, R"("})"));
  CHECK(Field(seen, "outcome").string_value() == "COMPLAINT_OUTCOME_VALID");
  CHECK(MarketLine(suite, inspector, "2.5") == std::pair<int64_t, int64_t>{-500, 1});
}

TEST_CASE(
    "end to end: an attendance batch uploaded twice counts once and a slow device clock is "
    "corrected") {
  Suite suite;
  const std::string admin = suite.Login("admin", "system-e2e-pass");
  suite.Expect(200, "PUT", "/v1/staff-assignments/clerk",
               R"({"assignment":{"person_id":"clerk","department_id":"market",)"
               R"("window_id":"W01","effective_from":"2026-01-01","hours":)"
               R"([{"start":"09:00","end":"12:00"},{"start":"13:30","end":"17:30"}]}})",
               admin);
  // The last working day before today, by the calendar the services use.
  auto calendar = calendar::WorkingCalendar::LoadFile(SUNLIGHT_CALENDAR_FILE);
  REQUIRE(calendar.ok());
  const absl::TimeZone zone = (*calendar)->time_zone();
  absl::CivilDay day = absl::ToCivilDay(absl::Now(), zone) - 1;
  for (;; --day) {
    auto kind = (*calendar)->Classify(day);
    REQUIRE(kind.ok());
    if (*kind == calendar::DayKind::kWorkingDay || *kind == calendar::DayKind::kMakeUpWorkingDay)
      break;
  }
  // The device's clock is ten minutes slow: what it stamps 09:00 happened at 09:10, late
  // beyond the five minutes' grace.
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  auto stamp = [&](int hour, int minute) {
    return absl::FormatTime(
        absl::RFC3339_sec,
        absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day(), hour, minute), zone),
        zone);
  };
  const std::string batch = absl::StrCat(
      R"({"device_time":")", absl::FormatTime(absl::RFC3339_sec, now - absl::Minutes(10), zone),
      R"(","punches":[{"device_sequence":1,"person_id":"clerk","at":")", stamp(9, 0), R"("},)",
      R"({"device_sequence":2,"person_id":"clerk","at":")", stamp(17, 31), R"("}]})");
  const std::string device = suite.Login("clock-1", "punching-e2e-pass");
  pb::Struct first = suite.Expect(200, "POST", "/v1/device/punches", batch, device);
  CHECK(Field(first, "accepted").number_value() == 2);
  int64_t skew = std::stoll(Field(first, "skew_seconds").string_value());
  CHECK(skew >= 599);
  CHECK(skew <= 605);
  pb::Struct again = suite.Expect(200, "POST", "/v1/device/punches", batch, device);
  CHECK_FALSE(again.fields().contains("accepted"));  // 0, left out of the JSON
  CHECK(Field(again, "duplicates").number_value() == 2);

  const std::string inspector = suite.Login("insp", "watchful-e2e-pass");
  pb::Struct sheet = suite.Expect(
      200, "GET",
      absl::StrCat("/v1/attendance/", absl::FormatCivilTime(absl::CivilMonth(day)), "/clerk"), "",
      inspector);
  const std::string label = absl::FormatCivilTime(day);
  bool found = false;
  for (const auto& d : Field(sheet, "days").list_value().values()) {
    const auto& fields = d.struct_value().fields();
    if (fields.at("day").string_value() != label) continue;
    found = true;
    // 10 minutes, 11 if the upload took long enough to add a second to the skew (minutes
    // round up); uncorrected, the sign-in would have been on time.
    CHECK(fields.at("late_minutes").number_value() >= 10);
    CHECK(fields.at("late_minutes").number_value() <= 11);
    CHECK(fields.at("punches").list_value().values_size() == 2);
  }
  CHECK(found);
  CHECK(Field(sheet, "days_late").number_value() == 1);
}

}  // namespace
}  // namespace sunlight
