// Routes and access rules against a fake backend: no intake, workflow or supervision is
// started. One group of tests per route group (public, catalogue, cases, supervision,
// accounts); the whole suite behind real sockets is tested in gateway_test and tests/e2e.
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "backend.h"
#include "gateway.h"
#include "gateway_test_http.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::gateway {
namespace {

namespace pb = ::google::protobuf;
namespace iv1 = ::sunlight::intake::v1;
namespace wv1 = ::sunlight::workflow::v1;
namespace sv1 = ::sunlight::supervision::v1;

// Answers each method with a handler the test gives; remembers every call.
class FakeBackend final : public Backend {
 public:
  using Handler =
      std::function<absl::StatusOr<std::unique_ptr<pb::Message>>(const pb::Message& request)>;

  void On(const pb::MethodDescriptor* method, Handler handler) {
    handlers_[method->full_name()] = std::move(handler);
  }
  template <typename Response>
  void Answer(const pb::MethodDescriptor* method, Response response) {
    On(method, [response](const pb::Message&) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      return std::make_unique<Response>(response);
    });
  }

  absl::StatusOr<std::unique_ptr<pb::Message>> Call(const pb::MethodDescriptor* method,
                                                    const pb::Message& request,
                                                    const auth::v1::Principal&) override {
    calls.push_back({method->full_name(), std::unique_ptr<pb::Message>(request.New())});
    calls.back().second->CopyFrom(request);
    auto it = handlers_.find(method->full_name());
    if (it == handlers_.end()) return absl::UnavailableError("fake: no answer for the method");
    return it->second(request);
  }

  // The request of the last call of `method`, or null.
  template <typename Request>
  const Request* Last(const pb::MethodDescriptor* method) const {
    for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
      if (it->first == method->full_name()) return static_cast<const Request*>(it->second.get());
    }
    return nullptr;
  }

  std::vector<std::pair<std::string, std::unique_ptr<pb::Message>>> calls;

 private:
  std::map<std::string, Handler> handlers_;
};

struct FakeBackendGateway {
  FakeBackendGateway() : dir("gateway-routes"), clock(absl::FromUnixSeconds(1780000000)) {
    store = storage::Store::Open({.path = dir.Sub("gateway"),
                                  .column_families = GatewayColumnFamilies(),
                                  .sync_writes = false})
                .value();
    backend = std::make_shared<FakeBackend>();
    gateway = Gateway::Open(store.get(), &clock, {.backend = backend}).value();
    for (
        const char* line :
        {R"({"user":{"user_id":"admin","role":"administrator"},"password":"admin-password"})",
         R"({"user":{"user_id":"insp","role":"inspector"},"password":"inspector-password"})",
         R"({"user":{"user_id":"clerk-1","role":"window_clerk","department_id":"market"},"password":"clerk-password"})",
         R"({"user":{"user_id":"tax-1","role":"window_clerk","department_id":"tax"},"password":"taxclerk-password"})"}) {
      v1::CreateUserRequest request;
      REQUIRE(pb::util::JsonStringToMessage(line, &request).ok());
      REQUIRE(gateway->accounts().CreateUser(request, Accounts::PasswordRules::kLengthOnly).ok());
    }
  }

  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& token = "", const std::string& body = "",
                    std::map<std::string, std::string> query = {}) {
    HttpRequest request = TestRequest(method, path, token, body, "10.0.0.9");
    request.query = std::move(query);
    return gateway->Handle(request);
  }
  std::string Login(const std::string& user, const std::string& password) {
    return TestLogin(*gateway, user, password);
  }

  testing::ScratchDir dir;
  FakeClock clock;
  std::unique_ptr<storage::Store> store;
  std::shared_ptr<FakeBackend> backend;
  std::unique_ptr<Gateway> gateway;
};

iv1::GetCaseResponse MarketCase() {
  iv1::GetCaseResponse found;
  found.mutable_case_()->set_case_id("c1");
  found.mutable_case_()->set_department_id("market");
  found.mutable_case_()->mutable_applicant()->set_id_number("110101199003071234");
  return found;
}

TEST_CASE_METHOD(FakeBackendGateway,
                 "routes without backends: each wrong query code doubles the wait") {
  backend->On(IntakeMethod("QueryProgress"),
              [](const pb::Message&) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
                return absl::NotFoundError("no case with this case number and query code");
              });
  const std::string body = R"({"case_number":"20260224-000001","query_code":"7KQ2M-9XD4R"})";
  CHECK(Call("POST", "/v1/public/progress", "", body).status == 404);
  const auto* asked = backend->Last<iv1::QueryProgressRequest>(IntakeMethod("QueryProgress"));
  REQUIRE(asked != nullptr);
  CHECK(asked->case_number() == "20260224-000001");
  CHECK(asked->query_code() == "7KQ2M-9XD4R");
  // The pair waits 1 s, then 2 s, then 4 s: refused before the backend meanwhile.
  for (int wait : {1, 2, 4}) {
    size_t calls = backend->calls.size();
    HttpResponse refused = Call("POST", "/v1/public/progress", "", body);
    CHECK(refused.status == 429);
    CHECK(HeaderOf(refused, "Retry-After") == absl::StrCat(wait));
    CHECK(backend->calls.size() == calls);
    clock.Advance(absl::Seconds(wait));
    CHECK(Call("POST", "/v1/public/progress", "", body).status == 404);
  }
  // Malformed numbers and codes never reach the backend nor the limits.
  size_t calls = backend->calls.size();
  CHECK(Call("POST", "/v1/public/progress", "", R"({"case_number":"N1","query_code":"7KQ2M9XD4R"})")
            .status == 400);
  CHECK(Call("POST", "/v1/public/progress", "",
             R"({"case_number":"20260224-000001","query_code":"123456"})")
            .status == 400);
  CHECK(backend->calls.size() == calls);
  CHECK(Call("GET", "/v1/public/progress").status == 405);
}

TEST_CASE_METHOD(FakeBackendGateway, "routes without backends: the catalogue is administrators'") {
  iv1::ItemVersion published;
  published.set_version(1);
  backend->Answer(IntakeMethod("PublishItemVersion"), published);
  const std::string clerk = Login("clerk-1", "clerk-password");
  CHECK(Call("POST", "/v1/items", clerk, R"({"definition":{"item_code":"GT-9"}})").status == 403);
  CHECK(backend->calls.empty());
  const std::string admin = Login("admin", "admin-password");
  // The actor is the caller, whatever the body says.
  HttpResponse r = Call("POST", "/v1/items", admin,
                        R"({"definition":{"item_code":"GT-9"},"actor":{"id":"someone-else"}})");
  CHECK(r.status == 200);
  const auto* sent =
      backend->Last<iv1::PublishItemVersionRequest>(IntakeMethod("PublishItemVersion"));
  REQUIRE(sent != nullptr);
  CHECK(sent->actor().id() == "admin");
  CHECK(sent->actor().role() == "administrator");
}

TEST_CASE_METHOD(FakeBackendGateway, "routes without backends: a case is seen by its department") {
  backend->Answer(IntakeMethod("GetCase"), MarketCase());
  backend->Answer(WorkflowMethod("GetProcess"), wv1::GetProcessResponse());  // no tax step
  // Another department's clerk: the one "no such case", whether it exists or not.
  HttpResponse other = Call("GET", "/v1/cases/c1", Login("tax-1", "taxclerk-password"));
  CHECK(other.status == 404);
  CHECK(absl::StrContains(other.body, "no such case"));
  // The owning department's clerk sees the applicant in full, and that read is audited.
  HttpResponse own = Call("GET", "/v1/cases/c1", Login("clerk-1", "clerk-password"));
  CHECK(own.status == 200);
  CHECK(absl::StrContains(own.body, "110101199003071234"));
  auto entries = gateway->audit().List(v1::ListAuditEntriesRequest());
  REQUIRE(entries.ok());
  CHECK(entries->entries(entries->entries_size() - 1).action() == "read_personal_data");
  // An inspector sees it masked.
  HttpResponse inspector = Call("GET", "/v1/cases/c1", Login("insp", "inspector-password"));
  CHECK(inspector.status == 200);
  CHECK(absl::StrContains(inspector.body, "110101********1234"));
  // A window submission answers 201.
  iv1::SubmitCaseResponse submitted;
  backend->Answer(IntakeMethod("SubmitCase"), submitted);
  HttpResponse created = Call("POST", "/v1/cases", Login("clerk-1", "clerk-password"), "{}");
  CHECK(created.status == 201);
  CHECK(backend->Last<iv1::SubmitCaseRequest>(IntakeMethod("SubmitCase"))->channel() ==
        iv1::CHANNEL_WINDOW);
}

TEST_CASE_METHOD(FakeBackendGateway, "routes without backends: staff see their own board row") {
  sv1::GetLightBoardResponse board;
  board.add_departments()->set_department_id("market");
  board.add_departments()->set_department_id("tax");
  backend->Answer(SupervisionMethod("GetLightBoard"), board);
  HttpResponse clerk = Call("GET", "/v1/board", Login("clerk-1", "clerk-password"));
  CHECK(clerk.status == 200);
  CHECK(absl::StrContains(clerk.body, "market"));
  CHECK_FALSE(absl::StrContains(clerk.body, "tax"));
  HttpResponse inspector = Call("GET", "/v1/board", Login("insp", "inspector-password"));
  CHECK(absl::StrContains(inspector.body, "tax"));
  // Staff read alerts of a case only; the clocks of their own department only.
  CHECK(Call("GET", "/v1/alerts", Login("clerk-1", "clerk-password")).status == 403);
  backend->Answer(SupervisionMethod("ListClocks"), sv1::ListClocksResponse());
  CHECK(Call("GET", "/v1/clocks", Login("clerk-1", "clerk-password"), "", {{"light", "LIGHT_RED"}})
            .status == 200);
  CHECK(backend->Last<sv1::ListClocksRequest>(SupervisionMethod("ListClocks"))->department_id() ==
        "market");
  CHECK(Call("GET", "/v1/clocks", Login("clerk-1", "clerk-password"), "",
             {{"light", "LIGHT_RED"}, {"department_id", "tax"}})
            .status == 403);
}

TEST_CASE_METHOD(FakeBackendGateway, "routes without backends: logins are audited either way") {
  prometheus::Registry registry;
  gateway->metrics().Register(registry);
  CHECK(
      Call("POST", "/v1/login", "", R"({"user_id":"admin","password":"wrong-password"})").status ==
      401);
  clock.Advance(absl::Seconds(1));  // a failure delays the next login of that user and network
  const std::string admin = Login("admin", "admin-password");
  HttpResponse me = Call("GET", "/v1/me", admin);
  CHECK(me.status == 200);
  CHECK(absl::StrContains(me.body, "\"user_id\":\"admin\""));
  auto entries = gateway->audit().List(v1::ListAuditEntriesRequest());
  REQUIRE(entries.ok());
  std::vector<std::pair<std::string, int>> seen;
  for (const auto& e : entries->entries()) seen.emplace_back(e.action(), e.http_status());
  CHECK(seen == std::vector<std::pair<std::string, int>>{{"login", 401}, {"login", 200}});
  CHECK(gateway->metrics().logins_failed.value() == 1);
  CHECK(gateway->metrics().audit_entries.value() == 2);
  HttpRequest bad = TestRequest("GET", "/v1/me", admin);
  bad.query.emplace(std::string(1, static_cast<char>(0xFF)), "x");
  CHECK(gateway->Handle(bad).status == 400);
  CHECK(gateway->metrics().requests_refused_text.value() == 1);
  CHECK(Call("GET", "/v1/users", Login("insp", "inspector-password")).status == 403);
  CHECK(backend->calls.empty());
}

}  // namespace
}  // namespace sunlight::gateway
