// End to end, over real sockets, the whole suite with the notify service and a real Kannel
// (e2e_suite.h, kannel_harness.h): an applicant who asked for text messages is told of the
// submission (with the query code), acceptance, decision, completion, the certificate and
// invited to rate the service, once each; a complainant of acceptance and the answer; the
// market's head is told of the case's red light (supervision runs a month ahead) once per
// clock.
#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "e2e_suite.h"
#include "sunlight/testing/kannel_harness.h"
#include "sunlight/testing/loopback_port.h"

namespace sunlight {
namespace {

namespace pb = ::google::protobuf;
using e2e::Eventually;
using e2e::Field;
using e2e::ParseJson;
using e2e::Suite;

// The notify flags for `kannel`; its clock moved into the day (10:00 Beijing time) when the
// test runs in the applicants' quiet hours.
std::vector<std::string> NotifyFlags(const testing::KannelHarness& kannel,
                                     const std::string& password_file) {
  const absl::TimeZone beijing = absl::FixedTimeZone(8 * 3600);
  const absl::Time now = absl::Now();
  absl::CivilSecond local = absl::ToCivilSecond(now, beijing);
  absl::Duration offset = absl::ZeroDuration();
  if (local.hour() < 8 || local.hour() >= 20) {
    absl::CivilDay day = absl::CivilDay(local) + (local.hour() >= 20 ? 1 : 0);
    offset =
        absl::FromCivil(absl::CivilHour(day.year(), day.month(), day.day(), 10), beijing) - now;
  }
  return {"--kannel_sendsms_url=" + kannel.sendsms_url(),
          "--kannel_username=" + kannel.username(),
          "--kannel_password_file=" + password_file,
          absl::StrCat("--dlr_listen=127.0.0.1:", testing::UnusedLoopbackPort()),
          "--deliver_every=50ms",
          absl::StrCat("--clock_offset=", absl::ToInt64Seconds(offset), "s")};
}

// Claims and passes the open step `code` of the case as `token`'s user.
void PassStep(Suite& suite, const std::string& case_id, const std::string& code,
              const std::string& token, const std::string& extra = "") {
  std::string step_id;
  REQUIRE(Eventually([&] {
    auto reply =
        suite.client().Send("GET", absl::StrCat("/v1/cases/", case_id, "/process"), "", token);
    if (!reply.ok() || reply->status != 200) return false;
    pb::Struct process = ParseJson(reply->body);
    for (const auto& step :
         Field(Field(process, "process").struct_value(), "steps").list_value().values()) {
      const auto& f = step.struct_value().fields();
      if (f.at("code").string_value() == code &&
          (f.at("state").string_value() == "STEP_STATE_OPEN" ||
           f.at("state").string_value() == "STEP_STATE_CLAIMED")) {
        step_id = f.at("step_id").string_value();
      }
    }
    return !step_id.empty();
  }));
  suite.Expect(200, "POST", absl::StrCat("/v1/cases/", case_id, "/steps:claim"),
               absl::StrCat(R"({"step_id":")", step_id, R"("})"), token);
  suite.Expect(
      200, "POST", absl::StrCat("/v1/cases/", case_id, "/steps:complete"),
      absl::StrCat(R"({"step_id":")", step_id, R"(","opinion":"OPINION_PASS")", extra, "}"), token);
}

TEST_CASE(
    "end to end: the applicant is told of each step of the case and the head of the red "
    "light, once each, through Kannel") {
  testing::KannelHarness kannel;
  absl::Status kannel_started = kannel.Start();
  INFO(kannel_started.ToString());
  REQUIRE(kannel_started.ok());
  testing::ScratchDir secrets_dir("notify-suite");
  const std::string password_file = secrets_dir.Sub("kannel.password");
  {
    std::ofstream f(password_file);
    f << kannel.password();
  }
  chmod(password_file.c_str(), 0600);
  Suite suite(NotifyFlags(kannel, password_file));
  const std::string admin = suite.Login("admin", "system-e2e-pass");
  suite.LoadDemoCatalogue(admin);
  suite.Expect(200, "PUT", "/v1/contacts/lead",
               R"({"contact":{"person_id":"lead","name":"赵主任","department_id":"market",)"
               R"("head":true,"phone":"13700000001"}})",
               admin);

  // Applied online, asking for text messages; accepted at the window.
  pb::Struct submitted = suite.Expect(
      200, "POST", "/v1/public/applications",
      R"({"idempotency_key":"notify-1","item_code":"GT-001","subject":"李明面馆",)"
      R"("applicant":{"kind":"APPLICANT_KIND_PERSON","name":"李明",)"
      R"("id_number":"110101199003071234","phone":"13812345678","notify_by_sms":true},)"
      R"("materials":[{"code":"id-card","name":"身份证"},)"
      R"({"code":"application-form","name":"申请书"},{"code":"premises","name":"租赁合同"}]})");
  const pb::Struct& record = Field(submitted, "case").struct_value();
  const std::string case_id = Field(record, "case_id").string_value();
  const std::string number = Field(record, "case_number").string_value();
  const std::string query_code = Field(record, "query_code").string_value();
  REQUIRE(!query_code.empty());
  const std::string clerk = suite.Login("clerk", "window-e2e-pass");
  suite.Expect(200, "POST", absl::StrCat("/v1/cases/", case_id, ":accept"),
               R"({"window_id":"W01"})", clerk);

  // Handled, reviewed, approved, completed, the certificate issued.
  const std::string handler = suite.Login("handler", "handling-e2e-pass");
  PassStep(suite, case_id, "handle", handler);
  PassStep(suite, case_id, "review", suite.Login("reviewer", "checking-e2e-pass"));
  PassStep(suite, case_id, "approve", suite.Login("approver", "signing-e2e-pass"));
  PassStep(suite, case_id, "complete", handler);
  PassStep(suite, case_id, "certificate", clerk, R"(,"certificate_number":"GT-2026-000001")");

  // The applicant's six messages, each once, in order.
  auto to_applicant = [&] {
    std::vector<std::string> texts;
    for (const auto& m : kannel.Received()) {
      if (m.to == "13812345678") texts.push_back(m.text);
    }
    return texts;
  };
  REQUIRE(Eventually([&] { return to_applicant().size() >= 6; }));
  absl::SleepFor(absl::Seconds(1));
  std::vector<std::string> texts = to_applicant();
  INFO(absl::StrJoin(texts, " | "));
  REQUIRE(texts.size() == 6);
  CHECK(absl::StrContains(texts[0], number));
  CHECK(absl::StrContains(texts[0], "查询码" + query_code));
  CHECK(absl::StrContains(texts[1], "已受理"));
  int decided = 0, completed = 0, certificate = 0, invited = 0;
  for (const auto& t : texts) {
    decided += absl::StrContains(t, "准予许可") ? 1 : 0;
    completed += absl::StrContains(t, "已办结") ? 1 : 0;
    certificate += absl::StrContains(t, "GT-2026-000001") ? 1 : 0;
    invited += absl::StrContains(t, "评价") ? 1 : 0;
  }
  CHECK(decided == 1);
  CHECK(completed == 1);
  CHECK(certificate == 1);
  CHECK(invited == 1);

  // A complaint with a phone: the complainant is told it was accepted, then the outcome.
  pb::Struct filed = suite.Expect(
      201, "POST", "/v1/public/complaints",
      R"({"category":"COMPLAINT_CATEGORY_ATTITUDE","department_id":"market","window_id":"W01",)"
      R"("description":"窗口人员态度生硬","complainant_name":"刘洋","complainant_phone":"13912340000"})");
  const std::string complaint_id =
      Field(Field(filed, "complaint").struct_value(), "complaint_id").string_value();
  const std::string complaint_number =
      Field(Field(filed, "complaint").struct_value(), "complaint_number").string_value();
  const std::string inspector = suite.Login("insp", "watchful-e2e-pass");
  suite.Expect(200, "POST", absl::StrCat("/v1/complaints/", complaint_id, ":decide-acceptance"),
               R"({"accept":true,"reasons":"属于受理范围"})", inspector);
  suite.Expect(200, "POST", absl::StrCat("/v1/complaints/", complaint_id, ":conclude"),
               R"({"outcome":"COMPLAINT_OUTCOME_VALID","reasons":"经调阅录像属实"})", inspector);
  auto to_complainant = [&] {
    std::vector<std::string> texts;
    for (const auto& m : kannel.Received()) {
      if (m.to == "13912340000") texts.push_back(m.text);
    }
    return texts;
  };
  REQUIRE(Eventually([&] { return to_complainant().size() >= 2; }));
  std::vector<std::string> answers = to_complainant();
  INFO(absl::StrJoin(answers, " | "));
  REQUIRE(answers.size() == 2);
  CHECK(absl::StrContains(answers[0], complaint_number + "已受理"));
  CHECK(absl::StrContains(answers[1], "投诉属实"));
  CHECK(absl::StrContains(answers[1], "经调阅录像属实"));

  // The head was told of the red lights (the case's, and its steps'), once per clock.
  REQUIRE(Eventually([&] {
    for (const auto& m : kannel.Received()) {
      if (m.to == "13700000001" && absl::StrContains(m.text, "红灯")) return true;
    }
    return false;
  }));
  // Once per (clock, light): as many messages reached the head as the notify store holds
  // for them, and every one of those delivered.
  size_t for_head = 0;
  REQUIRE(Eventually([&] {
    pb::Struct all = suite.Expect(200, "GET", "/v1/notifications?limit=500", "", inspector);
    if (all.fields().contains("backlog") && Field(all, "backlog").string_value() != "0") {
      return false;
    }
    for_head = 0;
    for (const auto& n : Field(all, "notifications").list_value().values()) {
      for_head += n.struct_value().fields().at("recipient").string_value() == "lead" ? 1 : 0;
    }
    return true;
  }));
  absl::SleepFor(absl::Seconds(1));
  size_t received = 0;
  for (const auto& m : kannel.Received()) received += m.to == "13700000001" ? 1 : 0;
  CHECK(for_head >= 2);  // the case's clock and at least one step's
  CHECK(received == for_head);
  // The delivery records through the gateway: delivered, the number masked.
  pb::Struct listed =
      suite.Expect(200, "GET", "/v1/notifications?state=STATE_DELIVERED&limit=500", "", inspector);
  REQUIRE(listed.fields().contains("notifications"));
  bool masked = false;
  for (const auto& n : Field(listed, "notifications").list_value().values()) {
    const auto& f = n.struct_value().fields();
    if (f.at("recipient").string_value() == "applicant:" + number) {
      masked |= f.at("to").string_value() == "138****5678";
    }
  }
  CHECK(masked);
}

}  // namespace
}  // namespace sunlight
