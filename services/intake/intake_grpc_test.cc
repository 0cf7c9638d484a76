// The intake service through a real gRPC server on port 0, in process.
#include <catch2/catch.hpp>

#include "sunlight/eventlog/event_stream_service.h"
#include "sunlight/intake/intake_grpc_service.h"
#include "sunlight/server/service_host.h"
#include "sunlight/testing/intake_fixture.h"

namespace sunlight::intake {
namespace {

struct GrpcFixture : IntakeFixture {
  GrpcFixture()
      : intake_service(intake.get()),
        stream_service(&intake->event_log()),
        host({.service_name = "intake-test", .listen_address = "127.0.0.1:0"}) {
    host.AddService(&intake_service);
    host.AddService(&stream_service);
    host.OnShutdown([this] { stream_service.Shutdown(); });
    REQUIRE(host.Start().ok());
    channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host.port()),
                                  grpc::InsecureChannelCredentials());
    stub = v1::Intake::NewStub(channel);
  }

  IntakeGrpcService intake_service;
  eventlog::EventStreamService stream_service;
  server::ServiceHost host;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Intake::Stub> stub;
};

TEST_CASE_METHOD(GrpcFixture, "submit and accept over gRPC, and errors keep their codes") {
  grpc::ClientContext submit_context;
  v1::SubmitCaseResponse submitted;
  REQUIRE(stub->SubmitCase(&submit_context, SubmitRequest("grpc-1"), &submitted).ok());

  grpc::ClientContext accept_context;
  v1::AcceptCaseRequest accept;
  *accept.mutable_actor() = Clerk();
  accept.set_case_id(submitted.case_().case_id());
  v1::CaseResponse accepted;
  REQUIRE(stub->AcceptCase(&accept_context, accept, &accepted).ok());
  CHECK(accepted.case_().state() == v1::CASE_STATE_ACCEPTED);

  grpc::ClientContext bad_context;
  v1::AcceptCaseRequest bad;
  bad.set_case_id(submitted.case_().case_id());
  grpc::Status status = stub->AcceptCase(&bad_context, bad, &accepted);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message().find("actor.id") != std::string::npos);

  grpc::ClientContext again_context;
  status = stub->AcceptCase(&again_context, accept, &accepted);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_CASE_METHOD(GrpcFixture, "a direct gRPC call with bad bytes or huge text stores nothing") {
  v1::Case first = Submit("text-1");
  // Not UTF-8 in a string field: the generated parser refuses the request before any handler.
  for (const char* bad : {"\xFF\xFE", "\xED\xA0\x80", "\xC0\xAF"}) {
    grpc::ClientContext context;
    v1::SubmitCaseRequest request = SubmitRequest(absl::StrCat("text-bad-", bad));
    request.mutable_applicant()->set_name(bad);
    v1::SubmitCaseResponse response;
    CHECK_FALSE(stub->SubmitCase(&context, request, &response).ok());
  }
  // Well-formed but huge: INVALID_ARGUMENT naming the field.
  grpc::ClientContext context;
  v1::SubmitCaseRequest request = SubmitRequest("text-huge");
  request.mutable_applicant()->set_name(std::string(70 * 1024, 'n'));
  v1::SubmitCaseResponse response;
  grpc::Status status = stub->SubmitCase(&context, request, &response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == "applicant.name: too long (at most 65536 bytes)");
  // Only the first case was stored, and everything stored reads back.
  v1::ListCasesRequest list;
  list.set_department_id(first.department_id());
  auto cases = intake->ListCases(list);
  REQUIRE(cases.ok());
  CHECK(cases->cases_size() == 1);
  std::vector<events::v1::CaseEvent> events;
  REQUIRE(intake->event_log().Read(1, 1000, &events).ok());
  for (const auto& event : events) {
    if (!event.case_id().empty()) CHECK(event.case_id() == first.case_id());  // (catalogue)
  }
}

TEST_CASE_METHOD(GrpcFixture, "the intake event stream replays history and follows new cases") {
  v1::Case first = Submit("s1");
  auto events_stub = events::v1::EventStream::NewStub(channel);
  grpc::ClientContext context;
  events::v1::SubscribeRequest request;
  request.set_from_sequence(1);
  auto reader = events_stub->Subscribe(&context, request);
  std::vector<events::v1::CaseEvent> seen;
  events::v1::CaseEvent event;
  while (seen.size() < 4 && reader->Read(&event)) seen.push_back(event);
  REQUIRE(seen.size() == 4);
  CHECK(seen[3].type() == "intake.case.submitted");
  CHECK(seen[3].case_id() == first.case_id());

  REQUIRE(Accept(first.case_id()).ok());  // a live event after the hand-over
  REQUIRE(reader->Read(&event));
  CHECK(event.sequence() == 5);
  CHECK(event.type() == "intake.case.accepted");
  CHECK(event.stream() == "intake");
  context.TryCancel();
  (void)reader->Finish();
}

}  // namespace
}  // namespace sunlight::intake
