// The provincial exchange's allow-lists and staged pushes (issue 16, findings 4 and 9): real
// platforms over mutual TLS (certificates of a development CA) against the real exchange
// endpoint, the real gateway in front of the real backends, and its REST routes.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "exchange/endpoint.h"
#include "gateway_test_fixture.h"
#include "sunlight/exchange/v1/exchange.grpc.pb.h"
#include "sunlight/testing/suite_secrets.h"

namespace sunlight::gateway {
namespace {

namespace pb = ::google::protobuf;
namespace iv1 = ::sunlight::intake::v1;
namespace xv1 = ::sunlight::exchange::v1;

// zj-province: market's records, may push GT-001 and a new GT-NEW; hz-city: tax's records,
// may push nothing; "outsider" has a certificate of the CA but is no platform.
constexpr char kPlatforms[] =
    R"({"platform_id":"zj-province","certificate_subject":"CN=zj-province",)"
    R"("departments":["market"],"items":["GT-001","GT-NEW"]})"
    "\n"
    R"({"platform_id":"hz-city","certificate_san":"sunlight://hz-city","departments":["tax"]})"
    "\n";

struct ExchangeFixture : GatewayFixture {
  ExchangeFixture() {
    REQUIRE(secrets.status().ok());
    // Workflow's and supervision's streams, which the relay follows as in production.
    workflow_stream =
        std::make_unique<eventlog::EventStreamService>(&wf->event_log(), workflow_authorizer.get());
    supervision_stream = std::make_unique<eventlog::EventStreamService>(
        &sv->event_log(), supervision_authorizer.get());
    for (auto [service, stream_host] : {std::pair{workflow_stream.get(), &workflow_host},
                                        std::pair{supervision_stream.get(), &supervision_host}}) {
      *stream_host =
          std::make_unique<server::ServiceHost>(server::HostOptions{.service_name = "stream"});
      (*stream_host)->AddService(service);
      REQUIRE((*stream_host)->Start().ok());
    }
    const std::string platforms = dir.Sub("platforms.jsonl");
    std::ofstream(platforms) << kPlatforms;
    const std::string ca = secrets.ca_dir();
    std::vector<std::string> args = {"gateway",
                                     "--exchange_listen=127.0.0.1:0",
                                     "--exchange_cert_file=" + ca + "/exchange.crt",
                                     "--exchange_key_file=" + ca + "/exchange.key",
                                     "--exchange_ca_file=" + ca + "/ca.crt",
                                     "--platforms_file=" + platforms};
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    auto config =
        server::Config::Parse(static_cast<int>(argv.size()), argv.data(), ExchangeFlags());
    REQUIRE(config.ok());
    auto at = [](const server::ServiceHost& h) { return absl::StrCat("127.0.0.1:", h.port()); };
    auto started =
        ExchangeEndpoint::Start(*config, gateway_store.get(),
                                {at(*host), at(*workflow_host), at(*supervision_host), "", signer,
                                 nullptr, &gateway->audit(), &gateway->pushes(), &clock},
                                nullptr);
    REQUIRE(started.ok());
    endpoint = *std::move(started);
    admin = Login("admin", "admin-password");
  }
  ~ExchangeFixture() {
    endpoint->Stop();
    workflow_host->Shutdown();
    supervision_host->Shutdown();
  }

  std::unique_ptr<xv1::Exchange::Stub> Platform(const std::string& identity) {
    return xv1::Exchange::NewStub(grpc::CreateChannel(absl::StrCat("localhost:", endpoint->port()),
                                                      secrets.Credentials(identity)));
  }
  grpc::Status Push(const std::string& identity, const iv1::ItemDefinition& definition,
                    xv1::PushItemResponse* response = nullptr) {
    xv1::PushItemRequest request;
    *request.mutable_definition() = definition;
    xv1::PushItemResponse ignored;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return Platform(identity)->PushItem(&context, request,
                                        response != nullptr ? response : &ignored);
  }
  xv1::ListPushesResponse Pushes(const std::string& query = "") {
    HttpResponse r = Call("GET", "/v1/exchange/pushes" + query, admin);
    REQUIRE(r.status == 200);
    xv1::ListPushesResponse list;
    REQUIRE(pb::util::JsonStringToMessage(r.body, &list).ok());
    return list;
  }
  iv1::ItemVersion InIntake(const std::string& code) {
    iv1::GetItemRequest get;
    get.set_item_code(code);
    auto item = intake->GetItem(get);
    REQUIRE(item.ok());
    return *item;
  }
  // "user target status phase" of every audit entry with `action`.
  std::vector<std::string> AuditOf(const std::string& action) {
    v1::ListAuditEntriesRequest request;
    request.set_page_size(1000);
    auto entries = gateway->audit().List(request);
    REQUIRE(entries.ok());
    std::vector<std::string> out;
    for (const auto& e : entries->entries()) {
      if (e.action() != action) continue;
      out.push_back(absl::StrCat(e.user_id(), " ", e.target(), " ", e.http_status(),
                                 e.phase().empty() ? "" : " ", e.phase()));
    }
    return out;
  }

  testing::SuiteSecrets secrets{dir, {"exchange", "zj-province", "hz-city", "outsider"}};
  std::unique_ptr<eventlog::EventStreamService> workflow_stream, supervision_stream;
  std::unique_ptr<server::ServiceHost> workflow_host, supervision_host;
  std::unique_ptr<ExchangeEndpoint> endpoint;
  std::string admin;
};

TEST_CASE_METHOD(ExchangeFixture,
                 "a platform pushing an item not on its list is refused and nothing changes") {
  iv1::ItemDefinition other = intake::BusinessLicence();
  other.set_item_code("GT-002");
  grpc::Status s = Push("zj-province", other);
  CHECK(s.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(absl::StartsWith(s.error_message(), "definition.item_code: "));
  // hz-city may push nothing; an unregistered certificate of the same CA is nobody.
  CHECK(Push("hz-city", intake::BusinessLicence()).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  CHECK(Push("outsider", intake::BusinessLicence()).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  CHECK(Pushes().pushes_size() == 0);
  CHECK(InIntake("GT-001").version() == 1);
  iv1::GetItemRequest get;
  get.set_item_code("GT-002");
  CHECK(intake->GetItem(get).status().code() == absl::StatusCode::kNotFound);
  CHECK(AuditOf("exchange.push_item") ==
        std::vector<std::string>{"platform:zj-province GT-002 403", "platform:hz-city GT-001 403",
                                 "certificate:CN=outsider GT-001 403"});
}

TEST_CASE_METHOD(ExchangeFixture,
                 "an allowed push is staged until an administrator approves it and then it is in "
                 "force") {
  iv1::ItemDefinition pushed = intake::BusinessLicence();
  pushed.mutable_promised_limit()->set_amount(4);
  auto* material = pushed.add_required_materials();
  material->set_code("premises");
  material->set_name("经营场所证明 Premises");
  pushed.mutable_steps(0)->mutable_limit()->set_amount(2);
  xv1::PushItemResponse response;
  REQUIRE(Push("zj-province", pushed, &response).ok());
  CHECK(response.push_id() == "p1");
  CHECK(response.base_version() == 1);
  // Nothing is published yet.
  CHECK(InIntake("GT-001").version() == 1);
  CHECK(InIntake("GT-001").definition().promised_limit().amount() == 5);

  xv1::ListPushesResponse staged = Pushes();
  REQUIRE(staged.pushes_size() == 1);
  const xv1::StagedPush& push = staged.pushes(0);
  CHECK(push.platform_id() == "zj-province");
  CHECK(push.state() == xv1::PUSH_STATE_STAGED);
  std::map<std::string, std::pair<std::string, std::string>> changes;
  for (const auto& c : push.changes()) changes[c.field()] = {c.in_force(), c.pushed()};
  CHECK(changes.size() == 3);
  CHECK(changes["promised_limit"] ==
        std::pair<std::string, std::string>("5 working days", "4 working days"));
  CHECK(changes["required_materials[premises]"].first.empty());
  CHECK(absl::StrContains(changes["required_materials[premises]"].second, "optional"));
  CHECK(absl::StrContains(changes["steps[approve]"].first, "3 working days"));
  CHECK(absl::StrContains(changes["steps[approve]"].second, "2 working days"));
  // Only the system administrator reviews.
  CHECK(Call("GET", "/v1/exchange/pushes", Login("insp", "inspector-password")).status == 403);
  CHECK(Call("POST", "/v1/exchange/pushes/p1:approve", Login("clerk-1", "clerk-password"), "{}")
            .status == 403);

  HttpResponse approved = Call("POST", "/v1/exchange/pushes/p1:approve", admin, "{}");
  REQUIRE(approved.status == 200);
  xv1::StagedPush decided;
  REQUIRE(pb::util::JsonStringToMessage(approved.body, &decided).ok());
  CHECK(decided.state() == xv1::PUSH_STATE_APPROVED);
  CHECK(decided.published_version() == 2);
  CHECK(decided.decided_by().id() == "admin");
  iv1::ItemVersion in_force = InIntake("GT-001");
  CHECK(in_force.version() == 2);
  CHECK(in_force.definition().promised_limit().amount() == 4);
  CHECK(in_force.definition().required_materials_size() == 3);
  CHECK(in_force.published_by().id() == "admin");
  CHECK(Pushes().pushes_size() == 0);
  CHECK(Pushes("?state=PUSH_STATE_APPROVED").pushes_size() == 1);
  // Once only.
  CHECK(Call("POST", "/v1/exchange/pushes/p1:approve", admin, "{}").status == 409);
  CHECK(InIntake("GT-001").version() == 2);
  CHECK(AuditOf("exchange.push_item") ==
        std::vector<std::string>{"platform:zj-province GT-001 0 intent",
                                 "platform:zj-province GT-001 202"});
  CHECK(AuditOf("POST /v1/exchange/pushes/{push_id}:approve") ==
        std::vector<std::string>{"clerk-1  403", "admin p1 0 intent", "admin p1 200",
                                 "admin p1 409"});
}

TEST_CASE_METHOD(ExchangeFixture, "a rejected push is never published") {
  iv1::ItemDefinition pushed = intake::BusinessLicence();
  pushed.set_name("个体工商户设立登记 (浙江省)");
  REQUIRE(Push("zj-province", pushed).ok());
  HttpResponse no_reason = Call("POST", "/v1/exchange/pushes/p1:reject", admin, "{}");
  CHECK(no_reason.status == 400);
  CHECK(ErrorField(no_reason) == "reason");
  HttpResponse rejected = Call("POST", "/v1/exchange/pushes/p1:reject", admin,
                               R"({"reason":"名称不规范 not the name"})");
  REQUIRE(rejected.status == 200);
  xv1::StagedPush decided;
  REQUIRE(pb::util::JsonStringToMessage(rejected.body, &decided).ok());
  CHECK(decided.state() == xv1::PUSH_STATE_REJECTED);
  CHECK(decided.rejection_reason() == "名称不规范 not the name");
  CHECK(decided.decided_by().id() == "admin");
  CHECK(Call("POST", "/v1/exchange/pushes/p1:approve", admin, "{}").status == 409);
  CHECK(InIntake("GT-001").version() == 1);
  CHECK(InIntake("GT-001").definition().name() == intake::BusinessLicence().name());
  CHECK(Pushes().pushes_size() == 0);
  CHECK(Pushes("?state=PUSH_STATE_REJECTED").pushes_size() == 1);
  CHECK(Call("POST", "/v1/exchange/pushes/p9:approve", admin, "{}").status == 404);
  CHECK(Call("POST", "/v1/exchange/pushes/GT-001:reject", admin, R"({"reason":"x"})").status ==
        400);
}

TEST_CASE_METHOD(ExchangeFixture,
                 "a pushed limit beyond its statutory limit is refused naming the field") {
  auto refused = [&](iv1::ItemDefinition definition) {
    grpc::Status s = Push("zj-province", definition);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    return s.error_message().substr(0, s.error_message().find(':'));
  };
  iv1::ItemDefinition promised = intake::BusinessLicence();
  promised.mutable_promised_limit()->set_amount(11);  // statutory 10
  CHECK(refused(promised) == "definition.promised_limit");
  // The statutory limit is the law's: a platform may not lengthen the one in force.
  iv1::ItemDefinition statutory = intake::BusinessLicence();
  statutory.mutable_statutory_limit()->set_amount(20);
  CHECK(refused(statutory) == "definition.statutory_limit");
  iv1::ItemDefinition step = intake::BusinessLicence();
  step.mutable_steps(0)->mutable_limit()->set_amount(12);
  CHECK(refused(step) == "definition.steps[0].limit");
  // Working days are not certainly shorter than as many natural days.
  iv1::ItemDefinition units = intake::BusinessLicence();
  units.mutable_statutory_limit()->set_unit(common::v1::LIMIT_UNIT_NATURAL_DAYS);
  units.mutable_statutory_limit()->set_amount(7);
  units.mutable_promised_limit()->set_amount(5);
  CHECK(refused(units) == "definition.promised_limit");
  CHECK(Pushes().pushes_size() == 0);
  CHECK(AuditOf("exchange.push_item") ==
        std::vector<std::string>(4, "platform:zj-province GT-001 400"));
}

TEST_CASE_METHOD(ExchangeFixture,
                 "a push may not move an item to another department and a new item stays in "
                 "the platform's departments") {
  REQUIRE(intake
              ->UpsertDepartment([] {
                iv1::UpsertDepartmentRequest tax = intake::MarketDepartment();
                tax.mutable_department()->set_department_id("tax");
                return tax;
              }())
              .ok());
  iv1::ItemDefinition moved = intake::BusinessLicence();
  moved.set_department_id("tax");
  grpc::Status s = Push("zj-province", moved);
  CHECK(s.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(absl::StartsWith(s.error_message(), "definition.department_id: "));
  iv1::ItemDefinition fresh = intake::BusinessLicence();
  fresh.set_item_code("GT-NEW");
  fresh.set_department_id("tax");
  CHECK(Push("zj-province", fresh).error_code() == grpc::StatusCode::PERMISSION_DENIED);
  fresh.set_department_id("market");
  xv1::PushItemResponse response;
  REQUIRE(Push("zj-province", fresh, &response).ok());
  CHECK(response.base_version() == 0);
  // Approval needs the version the push was compared with still in force.
  REQUIRE(Push("zj-province", intake::BusinessLicence(), &response).ok());
  REQUIRE(intake->PublishItemVersion(intake::Publication(intake::BusinessLicence())).ok());
  HttpResponse stale =
      Call("POST", "/v1/exchange/pushes/" + response.push_id() + ":approve", admin, "{}");
  CHECK(stale.status == 409);
  CHECK(absl::StrContains(stale.body, "version 2 is in force"));
  CHECK(Call("POST", "/v1/exchange/pushes/p1:approve", admin, "{}").status == 200);
  CHECK(InIntake("GT-NEW").version() == 1);
}

TEST_CASE_METHOD(ExchangeFixture, "a platform receives only the records of its departments") {
  // A second department with its own window and item.
  iv1::UpsertDepartmentRequest tax = intake::MarketDepartment();
  tax.mutable_department()->set_department_id("tax");
  REQUIRE(intake->UpsertDepartment(tax).ok());
  iv1::UpsertWindowRequest window = intake::WindowW1();
  window.mutable_window()->set_window_id("T1");
  window.mutable_window()->set_department_id("tax");
  REQUIRE(intake->UpsertWindow(window).ok());
  iv1::ItemDefinition item = intake::BusinessLicence();
  item.set_item_code("TX-001");
  item.set_department_id("tax");
  item.mutable_steps(0)->set_department_id("tax");
  REQUIRE(intake->PublishItemVersion(intake::Publication(item)).ok());
  const std::string market_case = AcceptNew("market-1");
  iv1::SubmitCaseRequest submit = SubmitRequest("tax-1");
  submit.set_item_code("TX-001");
  *submit.mutable_actor() = intake::Person("tax-1", "window_clerk", "tax");
  auto submitted = intake->SubmitCase(submit);
  REQUIRE(submitted.ok());
  const std::string tax_case = submitted->case_().case_id();
  iv1::AcceptCaseRequest accept;
  *accept.mutable_actor() = submit.actor();
  accept.set_case_id(tax_case);
  accept.set_window_id("T1");
  REQUIRE(intake->AcceptCase(accept).ok());
  Pump();
  // Everything relayed, then a record of the center's own, the last one for everybody.
  for (int i = 0; i < 500; ++i) {
    if (*endpoint->relay().Cursor("intake") == intake->event_log().last_sequence() &&
        *endpoint->relay().Cursor("workflow") == wf->event_log().last_sequence() &&
        *endpoint->relay().Cursor("supervision") == sv->event_log().last_sequence()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(*endpoint->relay().Cursor("supervision") == sv->event_log().last_sequence());
  REQUIRE(sv->event_log().last_sequence() > 0);
  v1::AuditCheckpoint checkpoint;
  checkpoint.set_sequence(1);
  REQUIRE(endpoint->relay().PublishAuditCheckpoint(checkpoint).ok());

  auto received = [&](const std::string& identity) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto reader = Platform(identity)->Subscribe(&context, xv1::SubscribeRequest());
    std::vector<xv1::ExchangeRecord> records;
    xv1::ExchangeRecord record;
    while (reader->Read(&record)) {
      records.push_back(record);
      if (record.source_stream() == "audit") context.TryCancel();
    }
    (void)reader->Finish();  // cancelled by the test
    REQUIRE(!records.empty());
    CHECK(records.back().source_stream() == "audit");
    return records;
  };
  for (const auto& [identity, own, own_case, other_case] :
       {std::tuple{"zj-province", "market", market_case, tax_case},
        std::tuple{"hz-city", "tax", tax_case, market_case}}) {
    INFO(identity);
    std::set<std::string> streams_of_own_case;
    uint64_t previous = 0;
    for (const auto& record : received(identity)) {
      INFO(record.record_id() << " " << record.event().type());
      CHECK(record.position() > previous);
      previous = record.position();
      CHECK(record.event().case_id() != other_case);
      if (record.department_id().empty()) {
        CHECK(record.event().case_id().empty());
      } else {
        CHECK(record.department_id() == own);
      }
      if (record.event().case_id() == own_case) streams_of_own_case.insert(record.source_stream());
    }
    CHECK(streams_of_own_case == std::set<std::string>{"intake", "workflow", "supervision"});
  }
}

}  // namespace
}  // namespace sunlight::gateway
