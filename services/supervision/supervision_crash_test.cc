// Crash safety of the real supervision binary: it is killed with SIGKILL while it ingests the
// intake and workflow streams and while it fires transitions, and restarted on the same data.
// Its clock runs 30 days ahead, so every clock it plans is past its yellow and red instants
// and fires at once. Afterwards every case and step clock has exactly one yellow and one red
// alert, and the alert file holds each alert exactly once.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "intake_test_fixture.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/supervision/v1/supervision.grpc.pb.h"

namespace sunlight::supervision {
namespace {

namespace iv1 = ::sunlight::intake::v1;

class Binary {
 public:
  Binary(const testing::ScratchDir& dir, const std::string& name, std::vector<std::string> args) {
    std::string port_file = dir.Sub(name + ".port");
    std::remove(port_file.c_str());
    args.push_back("--port_file=" + port_file);
    args.push_back("--metrics_listen=");
    args.push_back("--listen=127.0.0.1:0");
    args.push_back("--data_dir=" + dir.Sub(name + "-data"));
    args.push_back(std::string("--calendar=") + SUNLIGHT_CALENDAR_FILE);
    args.push_back(intake::ProvisionalYearsFlag());
    process_ = std::make_unique<testing::ChildProcess>(args);
    port_ = process_->WaitForPortFile(port_file);
    REQUIRE(port_ > 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
  }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  void Kill() { process_->Kill(SIGKILL); }

 private:
  std::unique_ptr<testing::ChildProcess> process_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

std::string SubmitAndAccept(iv1::Intake::Stub& stub, const std::string& key) {
  iv1::SubmitCaseRequest request;
  *request.mutable_actor() = intake::Clerk();
  request.set_idempotency_key(key);
  request.set_item_code("GT-001");
  request.set_channel(iv1::CHANNEL_WINDOW);
  request.mutable_applicant()->set_kind(iv1::APPLICANT_KIND_PERSON);
  request.mutable_applicant()->set_name("赵六");
  request.mutable_applicant()->set_id_number("110101199003071234");
  for (const char* code : {"id-card", "application-form"}) {
    auto* m = request.add_materials();
    m->set_code(code);
    m->set_name(code);
  }
  grpc::ClientContext submit_context;
  iv1::SubmitCaseResponse submitted;
  REQUIRE(stub.SubmitCase(&submit_context, request, &submitted).ok());
  grpc::ClientContext accept_context;
  iv1::AcceptCaseRequest accept;
  *accept.mutable_actor() = intake::Clerk();
  accept.set_case_id(submitted.case_().case_id());
  iv1::CaseResponse accepted;
  REQUIRE(stub.AcceptCase(&accept_context, accept, &accepted).ok());
  return submitted.case_().case_id();
}

TEST_CASE("SIGKILL during ingestion and firing loses and repeats no transition") {
  testing::ScratchDir dir("supervision-crash");
  std::mt19937 rng(2211);
  Binary intake(dir, "intake", {SUNLIGHT_INTAKE_BINARY});
  auto intake_stub = iv1::Intake::NewStub(intake.channel());
  {
    grpc::ClientContext c1, c2;
    iv1::UpsertDepartmentRequest department;
    *department.mutable_actor() = intake::Clerk();
    department.mutable_department()->set_department_id("market");
    department.mutable_department()->set_name("市场监督管理局");
    iv1::Department d;
    REQUIRE(intake_stub->UpsertDepartment(&c1, department, &d).ok());
    iv1::PublishItemVersionRequest publish;
    *publish.mutable_actor() = intake::Clerk();
    *publish.mutable_definition() = intake::BusinessLicence();
    iv1::ItemVersion item;
    REQUIRE(intake_stub->PublishItemVersion(&c2, publish, &item).ok());
  }
  Binary workflow(dir, "workflow", {SUNLIGHT_WORKFLOW_BINARY, "--intake=" + intake.address()});
  auto start_supervision = [&] {
    return std::make_unique<Binary>(
        dir, "supervision",
        std::vector<std::string>{SUNLIGHT_SUPERVISION_BINARY, "--intake=" + intake.address(),
                                 "--workflow=" + workflow.address(), "--clock_offset=720h",
                                 "--tick=20ms", "--alert_file=" + dir.Sub("alerts.jsonl")});
  };

  std::vector<std::string> cases;
  for (int round = 0; round < 4; ++round) {
    auto supervision = start_supervision();
    for (int i = 0; i < 15; ++i) {
      cases.push_back(SubmitAndAccept(*intake_stub, absl::StrCat("r", round, "-", i)));
      if (i == 7) std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 200));
    supervision->Kill();
  }

  auto supervision = start_supervision();
  auto stub = v1::Supervision::NewStub(supervision->channel());
  // Wait until every case and step clock has fired both transitions.
  const size_t expected = cases.size() * 4;
  std::vector<v1::Alert> alerts;
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    alerts.clear();
    std::string token;
    do {
      grpc::ClientContext context;
      v1::ListAlertsRequest request;
      request.mutable_page()->set_page_size(500);
      request.mutable_page()->set_page_token(token);
      v1::ListAlertsResponse response;
      REQUIRE(stub->ListAlerts(&context, request, &response).ok());
      for (const auto& a : response.alerts()) {
        if (a.kind() == v1::ALERT_KIND_LIGHT) alerts.push_back(a);
      }
      token = response.next_page_token();
    } while (!token.empty());
    if (alerts.size() >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::map<std::string, int> per_clock;
  std::set<std::string> ids;
  for (const auto& a : alerts) {
    ++per_clock[a.clock_id()];
    CHECK(ids.insert(a.alert_id()).second);  // no transition twice
  }
  CHECK(alerts.size() == expected);
  for (const auto& case_id : cases) {
    CHECK(per_clock["case/" + case_id] == 2);
    CHECK(per_clock["step/" + case_id + "/1"] == 2);
  }
  // The sink got each alert exactly once (give the notifier a moment to drain).
  std::map<std::string, int> in_file;
  deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    in_file.clear();
    std::ifstream in(dir.Sub("alerts.jsonl"));
    for (std::string line; std::getline(in, line);) {
      v1::Alert alert;
      REQUIRE(google::protobuf::util::JsonStringToMessage(line, &alert).ok());
      if (alert.kind() == v1::ALERT_KIND_LIGHT) ++in_file[alert.alert_id()];
    }
    if (in_file.size() >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(in_file.size() == expected);
  for (const auto& [id, count] : in_file) CHECK(count == 1);
}

}  // namespace
}  // namespace sunlight::supervision
