// Fuzz target: an HTTP request as the gateway's HTTP server hands it to Gateway::Handle, with
// a fake backend: route matching, path parameters, query arguments, the headers the gateway
// reads, JSON request binding, the access checks, error bodies and the masking of what the
// backend answers. The input reads like a request:
//
//   POST /v1/cases/c1:accept?x=%FF      request line; path and query percent-decoded
//   authorization: Bearer $clerk        headers; $admin, $inspector and $clerk become the
//                                       tokens of those users, signed in at start-up
//   <blank line>
//   {"note": "..."}                     the body, up to an optional line "--backend--"
//   --backend--
//   <bytes>                             the backend's answer: the method's output message,
//                                       parsed from these bytes (binary protobuf)
//
// A finding is a crash, a sanitizer report, or a JSON response body that is not well-formed
// UTF-8. Routes
// that hash passwords or change accounts (/v1/login, /v1/logout, /v1/me..., /v1/users...)
// are left out: they would make every later input depend on this one, and their binding is
// the one of every other route.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "backend.h"
#include "gateway.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/base/clock.h"
#include "sunlight/base/utf8.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::gateway {
namespace {

namespace pb = ::google::protobuf;

// Answers every method with its output message parsed from the input's backend bytes.
class ParsingBackend final : public Backend {
 public:
  absl::StatusOr<std::unique_ptr<pb::Message>> Call(const pb::MethodDescriptor* method,
                                                    const pb::Message& request,
                                                    const auth::v1::Principal&) override {
    std::unique_ptr<pb::Message> response(
        pb::MessageFactory::generated_factory()->GetPrototype(method->output_type())->New());
    if (!answer.empty() && !response->ParseFromString(answer)) {
      return absl::UnavailableError("fake backend: the answer does not parse");
    }
    return response;
  }
  std::string answer;
};

std::string PercentDecoded(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i] == '+' ? ' ' : text[i]);
    }
  }
  return out;
}

struct Harness {
  Harness() : clock(absl::FromUnixSeconds(1780000000)) {
    store = storage::Store::Open({.path = dir.Sub("gateway"),
                                  .column_families = GatewayColumnFamilies(),
                                  .sync_writes = false})
                .value();
    backend = std::make_shared<ParsingBackend>();
    GatewayOptions options{.backend = backend, .token_ttl = absl::Hours(24 * 365 * 10)};
    options.limits.public_requests_per_s = 1e9;
    options.limits.public_burst = 1e9;
    options.limits.daily_submissions_per_client = 1 << 30;
    gateway = Gateway::Open(store.get(), &clock, std::move(options)).value();
    for (const auto& [user, role, department] :
         {std::tuple{"admin", "administrator", ""}, std::tuple{"inspector", "inspector", ""},
          std::tuple{"clerk", "window_clerk", "market"}}) {
      v1::CreateUserRequest request;
      request.mutable_user()->set_user_id(user);
      request.mutable_user()->set_role(role);
      request.mutable_user()->set_department_id(department);
      request.set_password(absl::StrCat(user, "-fuzz-password"));
      if (!gateway->accounts().CreateUser(request, Accounts::PasswordRules::kLengthOnly).ok()) {
        std::abort();
      }
      HttpRequest login;
      login.method = "POST";
      login.path = "/v1/login";
      login.client = "10.0.0.1";
      login.body =
          absl::StrCat(R"({"user_id":")", user, R"(","password":")", user, R"(-fuzz-password"})");
      HttpResponse r = gateway->Handle(login);
      v1::LoginResponse token;
      if (r.status != 200 || !pb::util::JsonStringToMessage(r.body, &token).ok()) std::abort();
      tokens.emplace_back(absl::StrCat("$", user), token.token());
    }
  }

  testing::ScratchDir dir{"gateway-fuzz"};
  FakeClock clock;
  std::unique_ptr<storage::Store> store;
  std::shared_ptr<ParsingBackend> backend;
  std::unique_ptr<Gateway> gateway;
  std::vector<std::pair<std::string, std::string>> tokens;
};

}  // namespace
}  // namespace sunlight::gateway

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sunlight::gateway;  // NOLINT: one function
  static Harness* harness = new Harness();
  std::string input(reinterpret_cast<const char*>(data), size);
  harness->backend->answer.clear();
  if (size_t at = input.find("\n--backend--\n"); at != std::string::npos) {
    harness->backend->answer = input.substr(at + 13);
    input.resize(at);
  }
  HttpRequest request;
  request.client = "10.0.0.9";
  request.peer = "10.0.0.9";
  std::string head = input;
  if (size_t at = input.find("\n\n"); at != std::string::npos) {
    head = input.substr(0, at);
    request.body = input.substr(at + 2);
  }
  std::vector<std::string> lines = absl::StrSplit(head, '\n');
  std::vector<std::string> start = absl::StrSplit(lines[0], absl::MaxSplits(' ', 1));
  request.method = start[0];
  const std::string target = start.size() > 1 ? start[1] : "/";
  const size_t question = target.find('?');
  request.path = PercentDecoded(target.substr(0, question));
  // Handle drops the path's first character whatever it is: only real paths, or the account
  // routes below could be reached as "Xv1/users/...".
  if (request.path.empty() || request.path[0] != '/') return -1;
  for (const std::string& prefix : {"/v1/login", "/v1/logout", "/v1/me", "/v1/users"}) {
    if (absl::StartsWith(request.path, prefix)) return -1;  // not kept in the corpus
  }
  if (question != std::string::npos) {
    for (absl::string_view pair : absl::StrSplit(target.substr(question + 1), '&')) {
      const size_t eq = pair.find('=');
      request.query[PercentDecoded(pair.substr(0, eq))] =
          eq == absl::string_view::npos ? "" : PercentDecoded(pair.substr(eq + 1));
    }
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
    std::string value(absl::StripLeadingAsciiWhitespace(lines[i].substr(colon + 1)));
    request.headers[name] = absl::StrReplaceAll(value, harness->tokens);
  }
  harness->clock.Advance(absl::Seconds(1));
  HttpResponse response = harness->gateway->Handle(request);
  // 5xx answers are not findings: the gateway answers 500 for a backend answer it cannot
  // print (a Timestamp out of range, a clip chunk that does not follow on), which this fake
  // backend produces at will (docs/reliability.md).
  if (!response.stream && !sunlight::IsValidUtf8(response.body) &&
      response.content_type.find("json") != std::string::npos) {
    std::abort();
  }
  return 0;
}
