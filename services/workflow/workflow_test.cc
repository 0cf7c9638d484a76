#include "sunlight/workflow/workflow.h"

#include <catch2/catch.hpp>
#include <random>

#include "sunlight/eventlog/event_log.h"
#include "sunlight/testing/intake_fixture.h"

namespace sunlight::workflow {
namespace {

namespace iv1 = ::sunlight::intake::v1;
using intake::At;
using intake::Person;
using intake::WorkingDays;

iv1::StepDefinition StepDef(const std::string& code, iv1::StepKind kind, const std::string& role,
                            uint32_t days) {
  iv1::StepDefinition step;
  step.set_code(code);
  step.set_kind(kind);
  step.set_name(code);
  step.set_department_id("market");
  step.set_role(role);
  *step.mutable_limit() = WorkingDays(days);
  return step;
}

// A sequential item (handle, review, approve, complete, certificate) and a joint item whose
// parallel step needs `required` of three branches (0: all).
iv1::ItemDefinition SequentialItem() {
  iv1::ItemDefinition item = intake::BusinessLicence();
  item.clear_steps();
  *item.add_steps() = StepDef("handle", iv1::STEP_KIND_HANDLE, "handler", 2);
  *item.add_steps() = StepDef("review", iv1::STEP_KIND_REVIEW, "reviewer", 1);
  *item.add_steps() = StepDef("approve", iv1::STEP_KIND_APPROVE, "approver", 1);
  *item.add_steps() = StepDef("complete", iv1::STEP_KIND_COMPLETE, "handler", 1);
  *item.add_steps() = StepDef("certificate", iv1::STEP_KIND_ISSUE_CERTIFICATE, "window_clerk", 1);
  return item;
}

iv1::ItemDefinition JointItem(uint32_t required) {
  iv1::ItemDefinition item = intake::BusinessLicence();
  item.set_item_code(absl::StrCat("JOINT-", required));
  item.set_kind(iv1::ITEM_KIND_JOINT);
  *item.mutable_statutory_limit() = WorkingDays(45);
  *item.mutable_promised_limit() = WorkingDays(15);
  item.clear_steps();
  iv1::StepDefinition joint = StepDef("joint-review", iv1::STEP_KIND_REVIEW, "reviewer", 5);
  for (const char* dept : {"market", "health", "fire"}) {
    auto* branch = joint.add_branches();
    branch->set_department_id(dept);
    branch->set_role("reviewer");
    branch->set_lead(std::string(dept) == "market");
    branch->set_required(std::string(dept) != "fire");
    *branch->mutable_limit() = WorkingDays(5);
  }
  joint.set_branches_required(required);
  *item.add_steps() = joint;
  *item.add_steps() = StepDef("approve", iv1::STEP_KIND_APPROVE, "approver", 2);
  return item;
}

struct WorkflowFixture : intake::IntakeFixture {
  WorkflowFixture() {
    Publish(SequentialItem());
    Publish(JointItem(0));
    Publish(JointItem(2));
    OpenWorkflow();
  }

  void Publish(const iv1::ItemDefinition& definition) {
    REQUIRE(intake->PublishItemVersion(intake::Publication(definition)).ok());
  }

  void OpenWorkflow() {
    workflow.reset();
    workflow_store.reset();
    workflow_store = testing::OpenScratchStore(dir.Sub("workflow"), WorkflowColumnFamilies());
    auto w = Workflow::Open(workflow_store.get(), calendar, &clock);
    REQUIRE(w.ok());
    workflow = *std::move(w);
  }

  // Delivers every intake event after the workflow's cursor, in order.
  void Pump() {
    auto cursor = workflow->IntakeCursor();
    REQUIRE(cursor.ok());
    for (const auto& e : testing::EventsAfter(intake->event_log(), *cursor)) {
      REQUIRE(workflow->ApplyIntakeEvent(e).ok());
    }
  }

  std::string AcceptCase(const std::string& item_code, const std::string& key) {
    std::string case_id = AcceptNew(key, item_code);
    Pump();
    return case_id;
  }

  v1::Process Process(const std::string& case_id) {
    v1::GetProcessRequest get;
    get.set_case_id(case_id);
    auto response = workflow->GetProcess(get);
    REQUIRE(response.ok());
    return response->process();
  }

  // The id of the active step with this code (and department, for joint branches).
  std::string ActiveStep(const std::string& case_id, const std::string& code,
                         const std::string& department = "market") {
    const v1::Process process = Process(case_id);
    for (const auto& step : process.steps()) {
      if (step.code() == code && step.department_id() == department &&
          (step.state() == v1::STEP_STATE_OPEN || step.state() == v1::STEP_STATE_CLAIMED)) {
        return step.step_id();
      }
    }
    FAIL("no active step " << code << " of " << department);
    return "";
  }

  absl::StatusOr<v1::Process> Complete(const std::string& step_id, const common::v1::Actor& actor,
                                       v1::Opinion opinion = v1::OPINION_PASS,
                                       const std::string& comment = "",
                                       const std::string& certificate = "") {
    v1::CompleteStepRequest request;
    *request.mutable_actor() = actor;
    request.set_step_id(step_id);
    request.set_opinion(opinion);
    request.set_comment(comment);
    request.set_certificate_number(certificate);
    return workflow->CompleteStep(request);
  }

  std::unique_ptr<storage::Store> workflow_store;
  std::unique_ptr<Workflow> workflow;
};

TEST_CASE_METHOD(WorkflowFixture, "a sequential item is routed step by step to its certificate") {
  std::string case_id = AcceptCase("GT-001", "seq");
  v1::Process process = Process(case_id);
  CHECK(process.state() == v1::PROCESS_STATE_IN_PROGRESS);
  CHECK(process.item_version() == 2);
  CHECK(FromProto(process.due()) == At(2026, 2, 28, 0));
  REQUIRE(process.steps_size() == 1);
  CHECK(process.steps(0).code() == "handle");
  // 2 working days from Fri 2026-02-13 15:00: Feb 14 (make-up) and Feb 24.
  CHECK(FromProto(process.steps(0).due()) == At(2026, 2, 25, 0));

  v1::ClaimStepRequest claim;
  *claim.mutable_actor() = Person("h1", "handler");
  claim.set_step_id(ActiveStep(case_id, "handle"));
  REQUIRE(workflow->ClaimStep(claim).ok());
  CHECK(Complete(ActiveStep(case_id, "handle"), Person("h2", "handler")).status().code() ==
        absl::StatusCode::kFailedPrecondition);  // claimed by h1
  REQUIRE(Complete(ActiveStep(case_id, "handle"), Person("h1", "handler")).ok());
  REQUIRE(Complete(ActiveStep(case_id, "review"), Person("r1", "reviewer")).ok());
  auto approved = Complete(ActiveStep(case_id, "approve"), Person("a1", "approver"));
  REQUIRE(approved.ok());
  CHECK(approved->decision() == v1::DECISION_APPROVED);
  auto completed = Complete(ActiveStep(case_id, "complete"), Person("h1", "handler"));
  REQUIRE(completed.ok());
  CHECK(completed->state() == v1::PROCESS_STATE_COMPLETED);
  std::string certificate_step = ActiveStep(case_id, "certificate");
  CHECK(Complete(certificate_step, Person("w1", "window_clerk")).status().code() ==
        absl::StatusCode::kInvalidArgument);  // no certificate number
  auto issued = Complete(certificate_step, Person("w1", "window_clerk"), v1::OPINION_PASS, "",
                         "GT-2026-000001");
  REQUIRE(issued.ok());
  CHECK(issued->state() == v1::PROCESS_STATE_CERTIFICATE_ISSUED);
  CHECK(issued->certificate_number() == "GT-2026-000001");

  v1::GetProcessRequest get;
  get.set_case_id(case_id);
  get.set_include_history(true);
  auto history = workflow->GetProcess(get);
  REQUIRE(history.ok());
  std::vector<std::string> types;
  for (const auto& e : history->history()) types.push_back(e.type());
  CHECK(types.front() == "workflow.process.started");
  CHECK(types.back() == "workflow.certificate.issued");
  CHECK(std::count(types.begin(), types.end(), "workflow.step.completed") == 5);
  CHECK(std::count(types.begin(), types.end(), "workflow.case.decided") == 1);
  for (size_t i = 0; i < types.size(); ++i) {
    CHECK(history->history(static_cast<int>(i)).case_version() == i + 1);
  }
}

TEST_CASE_METHOD(WorkflowFixture, "a step can only be taken by its role in its department") {
  std::string case_id = AcceptCase("GT-001", "roles");
  v1::ClaimStepRequest claim;
  *claim.mutable_actor() = Person("r1", "reviewer");
  claim.set_step_id(ActiveStep(case_id, "handle"));
  CHECK(workflow->ClaimStep(claim).status().code() == absl::StatusCode::kPermissionDenied);
  *claim.mutable_actor() = Person("h9", "handler", "health");
  CHECK(workflow->ClaimStep(claim).status().code() == absl::StatusCode::kPermissionDenied);
  claim.clear_actor();
  CHECK(workflow->ClaimStep(claim).status().code() == absl::StatusCode::kInvalidArgument);
  claim.set_step_id("c999999999999/1");
  *claim.mutable_actor() = Person("h1", "handler");
  CHECK(workflow->ClaimStep(claim).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE_METHOD(WorkflowFixture, "a joint item moves on only when all branches pass") {
  std::string case_id = AcceptCase("JOINT-0", "joint-all");
  CHECK(Process(case_id).steps_size() == 3);
  REQUIRE(Complete(ActiveStep(case_id, "joint-review", "market"), Person("m", "reviewer", "market"))
              .ok());
  REQUIRE(Complete(ActiveStep(case_id, "joint-review", "health"), Person("h", "reviewer", "health"))
              .ok());
  CHECK(Process(case_id).steps_size() == 3);  // fire has not passed yet
  REQUIRE(
      Complete(ActiveStep(case_id, "joint-review", "fire"), Person("f", "reviewer", "fire")).ok());
  v1::Process process = Process(case_id);
  REQUIRE(process.steps_size() == 4);
  CHECK(process.steps(3).code() == "approve");
}

TEST_CASE_METHOD(WorkflowFixture, "a joint item with an N-of condition moves on at N passes") {
  std::string case_id = AcceptCase("JOINT-2", "joint-two");
  // The fire branch is not required: its denial leaves 2 of 3 still reachable.
  REQUIRE(Complete(ActiveStep(case_id, "joint-review", "fire"), Person("f", "reviewer", "fire"),
                   v1::OPINION_DENY, "exits too narrow")
              .ok());
  CHECK(Process(case_id).decision() == v1::DECISION_UNSPECIFIED);
  REQUIRE(Complete(ActiveStep(case_id, "joint-review", "market"), Person("m", "reviewer", "market"))
              .ok());
  REQUIRE(Complete(ActiveStep(case_id, "joint-review", "health"), Person("h", "reviewer", "health"))
              .ok());
  v1::Process process = Process(case_id);
  CHECK(process.steps(process.steps_size() - 1).code() == "approve");
  CHECK(process.state() == v1::PROCESS_STATE_IN_PROGRESS);
}

TEST_CASE_METHOD(WorkflowFixture, "a denial in a required branch denies the case") {
  std::string case_id = AcceptCase("JOINT-2", "joint-deny");
  REQUIRE(Complete(ActiveStep(case_id, "joint-review", "health"), Person("h", "reviewer", "health"),
                   v1::OPINION_DENY, "no ventilation")
              .ok());
  v1::Process process = Process(case_id);
  CHECK(process.decision() == v1::DECISION_DENIED);
  CHECK(process.decision_reasons() == "no ventilation");
  CHECK(process.state() == v1::PROCESS_STATE_COMPLETED);
  for (const auto& step : process.steps()) {
    CHECK(step.state() != v1::STEP_STATE_OPEN);
    CHECK(step.state() != v1::STEP_STATE_CLAIMED);
  }
  v1::ListWorkQueueRequest queue;
  queue.mutable_role()->set_department_id("market");
  queue.mutable_role()->set_role("reviewer");
  CHECK(workflow->ListWorkQueue(queue)->items_size() == 0);
}

TEST_CASE_METHOD(WorkflowFixture, "a return sends the case back and a transfer reassigns") {
  std::string case_id = AcceptCase("GT-001", "return");
  REQUIRE(Complete(ActiveStep(case_id, "handle"), Person("h1", "handler")).ok());
  v1::CompleteStepRequest back;
  *back.mutable_actor() = Person("r1", "reviewer");
  back.set_step_id(ActiveStep(case_id, "review"));
  back.set_opinion(v1::OPINION_RETURN);
  back.set_comment("site plan missing dimensions");
  back.set_return_to_step_code("approve");
  CHECK(workflow->CompleteStep(back).status().code() == absl::StatusCode::kInvalidArgument);
  back.set_return_to_step_code("handle");
  auto returned = workflow->CompleteStep(back);
  REQUIRE(returned.ok());
  const auto& again = returned->steps(returned->steps_size() - 1);
  CHECK(again.code() == "handle");
  CHECK(again.attempt() == 2);
  CHECK(again.state() == v1::STEP_STATE_OPEN);

  v1::TransferStepRequest transfer;
  *transfer.mutable_actor() = Person("h1", "handler");
  transfer.set_step_id(again.step_id());
  transfer.set_to_assignee("h2");
  transfer.set_reason("h1 on leave");
  auto transferred = workflow->TransferStep(transfer);
  REQUIRE(transferred.ok());
  CHECK(transferred->steps(transferred->steps_size() - 1).assignee() == "h2");
  v1::ListWorkQueueRequest queue;
  queue.set_person_id("h2");
  auto mine = workflow->ListWorkQueue(queue);
  REQUIRE(mine.ok());
  REQUIRE(mine->items_size() == 1);
  CHECK(mine->items(0).step_id() == again.step_id());
  queue.set_person_id("h1");
  CHECK(workflow->ListWorkQueue(queue)->items_size() == 0);
}

TEST_CASE_METHOD(WorkflowFixture, "a special procedure pauses the case clock") {
  std::string case_id = AcceptCase("GT-001", "procedure");
  clock.Set(At(2026, 2, 24, 10));
  v1::StartSpecialProcedureRequest start;
  *start.mutable_actor() = Person("a1", "approver");
  start.set_case_id(case_id);
  start.set_type(v1::PROCEDURE_TYPE_EXPERT_REVIEW);
  start.set_reason("structural safety needs an expert opinion");
  *start.mutable_limit() = WorkingDays(10);
  auto started = workflow->StartSpecialProcedure(start);
  REQUIRE(started.ok());
  REQUIRE(started->procedures_size() == 1);
  clock.Set(At(2026, 2, 25, 10));
  v1::EndSpecialProcedureRequest end;
  *end.mutable_actor() = Person("a1", "approver");
  end.set_procedure_id(started->procedures(0).procedure_id());
  end.set_outcome("safe");
  auto ended = workflow->EndSpecialProcedure(end);
  REQUIRE(ended.ok());
  // 24 h of working time paused: Feb 28 (a make-up working day) finishes the budget.
  CHECK(FromProto(ended->due()) == At(2026, 3, 1, 0));
  CHECK(workflow->EndSpecialProcedure(end).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE_METHOD(WorkflowFixture, "an approved extension extends the limit, within the law's cap") {
  std::string case_id = AcceptCase("GT-001", "extension");
  v1::ApproveExtensionRequest extend;
  extend.set_case_id(case_id);
  extend.set_working_days(3);
  extend.set_reason("hearing requested by a neighbour");
  // Only the lead department's approver or leader: not a handler, not another department.
  *extend.mutable_actor() = Person("h1", "handler");
  CHECK(workflow->ApproveExtension(extend).status().code() == absl::StatusCode::kPermissionDenied);
  *extend.mutable_actor() = Person("t1", "approver", "tax");
  CHECK(workflow->ApproveExtension(extend).status().code() == absl::StatusCode::kPermissionDenied);
  *extend.mutable_actor() = Person("director", "approver");
  auto extended = workflow->ApproveExtension(extend);
  REQUIRE(extended.ok());
  // 8 working days: Feb 14, 24, 25, 26, 27, 28 (make-up), Mar 2, Mar 3.
  CHECK(FromProto(extended->due()) == At(2026, 3, 4, 0));
  CHECK(extended->extensions(0).approved_by().id() == "director");
  extend.set_working_days(8);
  CHECK(workflow->ApproveExtension(extend).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE_METHOD(WorkflowFixture, "supplement waits reported by intake pause the case clock") {
  std::string case_id = AcceptCase("GT-001", "supplement");
  clock.Set(At(2026, 2, 24, 10));
  iv1::RequestSupplementRequest request;
  *request.mutable_actor() = intake::Clerk();
  request.set_case_id(case_id);
  auto* missing = request.add_missing_materials();
  missing->set_name("lease");
  missing->set_reason("expired");
  REQUIRE(intake->RequestSupplement(request).ok());
  clock.Set(At(2026, 2, 25, 10));
  iv1::ReceiveSupplementRequest receive;
  *receive.mutable_actor() = intake::Clerk();
  receive.set_case_id(case_id);
  receive.add_materials()->set_name("new lease");
  REQUIRE(intake->ReceiveSupplement(receive).ok());
  Pump();
  v1::Process process = Process(case_id);
  REQUIRE(process.supplement_pauses_size() == 1);
  CHECK(FromProto(process.due()) == At(2026, 3, 1, 0));
}

TEST_CASE_METHOD(WorkflowFixture, "out-of-order and repeated intake events give the same state") {
  // Two cases with eventful histories, captured from the real intake.
  std::string a = AcceptCase("GT-001", "ooo-a");
  iv1::RequestSupplementRequest request;
  *request.mutable_actor() = intake::Clerk();
  request.set_case_id(a);
  request.add_missing_materials()->set_name("lease");
  request.mutable_missing_materials(0)->set_reason("expired");
  REQUIRE(intake->RequestSupplement(request).ok());
  clock.Advance(absl::Hours(30));
  iv1::ReceiveSupplementRequest receive;
  *receive.mutable_actor() = intake::Clerk();
  receive.set_case_id(a);
  receive.add_materials()->set_name("new lease");
  REQUIRE(intake->ReceiveSupplement(receive).ok());
  std::string b = AcceptCase("JOINT-2", "ooo-b");
  iv1::WithdrawCaseRequest withdraw;
  *withdraw.mutable_actor() = intake::Clerk();
  withdraw.set_case_id(b);
  withdraw.set_reason("moved");
  withdraw.set_applicant_request("doc:withdrawal-request");
  REQUIRE(intake->WithdrawCase(withdraw).ok());
  Pump();
  v1::Process in_order_a = Process(a);
  v1::Process in_order_b = Process(b);

  std::vector<events::v1::CaseEvent> events;
  REQUIRE(intake->event_log().Read(1, 1000, &events).ok());
  std::mt19937 rng(7);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<events::v1::CaseEvent> shuffled = events;
    for (int i = 0; i < 6; ++i) shuffled.push_back(events[rng() % events.size()]);  // repeats
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    testing::ScratchDir other("workflow-ooo");
    auto store = testing::OpenScratchStore(other.Sub("db"), WorkflowColumnFamilies());
    auto replay = Workflow::Open(store.get(), calendar, &clock);
    REQUIRE(replay.ok());
    for (const auto& e : shuffled) REQUIRE((*replay)->ApplyIntakeEvent(e).ok());
    for (const auto& [id, expected] : {std::pair{a, in_order_a}, std::pair{b, in_order_b}}) {
      v1::GetProcessRequest get;
      get.set_case_id(id);
      auto got = (*replay)->GetProcess(get);
      REQUIRE(got.ok());
      CHECK(got->process().state() == expected.state());
      CHECK(got->process().steps_size() == expected.steps_size());
      CHECK(got->process().supplement_pauses_size() == expected.supplement_pauses_size());
      CHECK(got->process().due().seconds() == expected.due().seconds());
      CHECK(got->process().intake_version() == expected.intake_version());
    }
    CHECK(*(*replay)->IntakeCursor() == events.back().sequence());
  }
}

TEST_CASE_METHOD(WorkflowFixture,
                 "a re-sent external step report replaces rather than "
                 "duplicates") {
  std::string case_id = AcceptCase("GT-001", "external");
  v1::ReportExternalStepRequest report;
  report.mutable_actor()->set_id("market-vertical-system");
  report.set_case_id(case_id);
  report.set_step_code("handle");
  report.set_message_version(1);
  *report.mutable_started_at() = ToProto(At(2026, 2, 14, 9));
  *report.mutable_completed_at() = ToProto(At(2026, 2, 14, 11));
  report.set_opinion(v1::OPINION_PASS);
  *report.mutable_handled_by() = Person("h7", "handler");
  auto first = workflow->ReportExternalStep(report);
  REQUIRE(first.ok());
  CHECK_FALSE(first->replaced());
  CHECK(first->process().steps_size() == 2);
  auto again = workflow->ReportExternalStep(report);
  REQUIRE(again.ok());
  CHECK(again->replaced());
  CHECK(again->process().steps_size() == 2);
  report.set_message_version(2);
  *report.mutable_completed_at() = ToProto(At(2026, 2, 14, 12));
  auto newer = workflow->ReportExternalStep(report);
  REQUIRE(newer.ok());
  CHECK(newer->replaced());
  CHECK(newer->process().steps_size() == 2);
  CHECK(FromProto(newer->process().steps(0).external_report().completed_at()) ==
        At(2026, 2, 14, 12));
  *report.mutable_completed_at() = report.started_at();
  report.mutable_completed_at()->set_seconds(report.started_at().seconds() - 1);
  CHECK(workflow->ReportExternalStep(report).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE_METHOD(WorkflowFixture, "work queues list the most urgent steps first, with paging") {
  std::vector<std::string> cases;
  for (int i = 0; i < 5; ++i) {
    cases.push_back(AcceptCase("GT-001", absl::StrCat("queue-", i)));
    clock.Advance(absl::Hours(24));
  }
  v1::ListWorkQueueRequest queue;
  queue.mutable_role()->set_department_id("market");
  queue.mutable_role()->set_role("handler");
  queue.mutable_page()->set_page_size(2);
  std::vector<int64_t> dues;
  for (int page = 0; page < 4; ++page) {
    auto response = workflow->ListWorkQueue(queue);
    REQUIRE(response.ok());
    for (const auto& item : response->items()) dues.push_back(item.due().seconds());
    if (response->next_page_token().empty()) break;
    queue.mutable_page()->set_page_token(response->next_page_token());
  }
  CHECK(dues.size() == 5);
  CHECK(std::is_sorted(dues.begin(), dues.end()));
  v1::ListWorkQueueRequest none;
  CHECK(workflow->ListWorkQueue(none).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE_METHOD(WorkflowFixture, "the intake cursor and processes survive a restart") {
  std::string case_id = AcceptCase("GT-001", "restart");
  uint64_t cursor = *workflow->IntakeCursor();
  OpenWorkflow();
  CHECK(*workflow->IntakeCursor() == cursor);
  Pump();  // nothing new: no second process start
  v1::GetProcessRequest get;
  get.set_case_id(case_id);
  get.set_include_history(true);
  auto response = workflow->GetProcess(get);
  REQUIRE(response.ok());
  int started = 0;
  for (const auto& e : response->history()) started += e.type() == "workflow.process.started";
  CHECK(started == 1);
}

}  // namespace
}  // namespace sunlight::workflow
