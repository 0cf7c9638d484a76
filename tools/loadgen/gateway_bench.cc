// sunlight_gateway_bench: the cost of the gateway. The same two operations are measured through
// the gateway's REST API and directly over gRPC against intake, in one run, with the same
// number of closed-loop clients:
//   read:   one case (GET /v1/cases/{id} as a department approver | Intake.GetCase)
//   submit: a window submission (POST /v1/cases as a window clerk | Intake.SubmitCase)
// Direct calls carry a principal signed per call with the gateway's key, as the gateway's
// do, over the same transport (mutual TLS when the --tls_* files are given).
//
//   sunlight_gateway_bench --http_port=8080 --intake=127.0.0.1:7001
//       --key_file=keys/gateway.key --tls_cert_file=... --catalogue=deploy/demo/catalogue.json
//       --clerk=clerk-1:clerk-pass --approver=zhao-approver:approver-pass
//
// Prints BENCH lines: gateway_/grpc_ read and submit rates and p99, and the ratios
// gateway_vs_grpc_ratio (reads per second through the gateway / directly) and
// gateway_vs_grpc_submit_ratio.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench_stats.h"
#include "caller.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/auth/principal.h"
#include "sunlight/auth/signing_channel.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/server/config.h"
#include "sunlight/server/tls.h"
#include "sunlight/testing/http_client.h"
#include "tool_flags.h"

namespace {

using sunlight::bench::Percentile;

namespace iv1 = sunlight::intake::v1;
namespace pb = ::google::protobuf;
using sunlight::testing::HttpClient;

struct Figures {
  double per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  uint64_t failures = 0;
};

// Runs `clients` closed loops of `make_op(client)()` for warmup + duration.
Figures Measure(int clients, absl::Duration warmup, absl::Duration duration,
                const std::function<std::function<bool(uint64_t)>(int)>& make_op) {
  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<uint64_t> failures{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      auto op = make_op(t);
      auto& mine = latencies[static_cast<size_t>(t)];
      for (uint64_t i = 0; !stop; ++i) {
        absl::Time start = absl::Now();
        bool ok = op(i);
        if (!ok) ++failures;
        if (ok && measuring) mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      }
    });
  }
  double seconds = sunlight::bench::RunWindow(warmup, duration, measuring, stop, threads);
  std::vector<double> all = sunlight::bench::Merged(latencies);
  return {.per_s = static_cast<double>(all.size()) / seconds,
          .p50_ms = Percentile(all, 0.5),
          .p99_ms = Percentile(all, 0.99),
          .failures = failures.load()};
}

void Print(const std::string& name, const Figures& f) {
  std::cout << absl::StrFormat("BENCH %s_per_s %.1f ops/s\n", name, f.per_s);
  std::cout << absl::StrFormat("BENCH %s_p50_ms %.3f ms\n", name, f.p50_ms);
  std::cout << absl::StrFormat("BENCH %s_p99_ms %.3f ms\n", name, f.p99_ms);
  std::cout.flush();
  if (f.failures > 0) std::cerr << name << ": " << f.failures << " failed operations\n";
}

sunlight::common::v1::Actor ActorOf(const sunlight::auth::v1::Principal& p) {
  sunlight::common::v1::Actor actor;
  actor.set_id(p.user_id());
  actor.set_name(p.name());
  actor.set_role(p.role());
  actor.set_department_id(p.department_id());
  return actor;
}

iv1::SubmitCaseRequest Submission(const std::string& key) {
  iv1::SubmitCaseRequest request;
  request.set_idempotency_key(key);
  request.set_item_code("GT-001");
  request.set_channel(iv1::CHANNEL_WINDOW);
  request.set_subject("Bench noodle shop");
  auto* applicant = request.mutable_applicant();
  applicant->set_kind(iv1::APPLICANT_KIND_PERSON);
  applicant->set_name("李明");
  applicant->set_id_number("110101199003071234");
  applicant->set_phone("13812345678");
  for (const char* code : {"id-card", "application-form", "premises"}) {
    auto* m = request.add_materials();
    m->set_code(code);
    m->set_name(code);
  }
  return request;
}

std::string Json(const pb::Message& m) {
  std::string out;
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)pb::util::MessageToJsonString(m, &out, options);
  return out;
}

// Logs in through the gateway; returns the token and the principal the gateway reports.
bool Login(int port, const std::string& ca_file, const std::string& user_password,
           std::string* token, sunlight::auth::v1::Principal* principal) {
  size_t colon = user_password.find(':');
  HttpClient http(port, ca_file);
  auto reply =
      http.Send("POST", "/v1/login",
                absl::StrCat(R"({"user_id":")", user_password.substr(0, colon), R"(","password":")",
                             user_password.substr(colon + 1), R"("})"));
  if (!reply.ok() || reply->status != 200) {
    std::cerr << "login " << user_password.substr(0, colon)
              << " failed: " << (reply.ok() ? reply->body : reply.status().ToString()) << "\n";
    return false;
  }
  pb::Struct body;
  (void)pb::util::JsonStringToMessage(reply->body, &body);
  *token = body.fields().at("token").string_value();
  auto me = http.Send("GET", "/v1/me", "", *token);
  if (!me.ok() || me->status != 200) return false;
  pb::util::JsonParseOptions lenient;
  lenient.ignore_unknown_fields = true;
  return pb::util::JsonStringToMessage(me->body, principal, lenient).ok();
}

}  // namespace

int main(int argc, char** argv) {
  const sunlight::server::Config config = sunlight::server::ParseToolFlagsOrExit(
      argc, argv,
      sunlight::bench::Join(
          {sunlight::bench::LoadFlags(),
           sunlight::bench::SecurityFlags(),
           {{"http_port", "8080", "the gateway's REST port"},
            {"http_ca_file", "", "CA of the gateway's HTTPS certificate (empty: plain HTTP)"},
            {"intake", "127.0.0.1:7001", "intake's gRPC address"},
            {"catalogue", "deploy/demo/catalogue.json", "catalogue to publish first"},
            {"clerk", "clerk-1:clerk-demo-pass", "a window clerk of the item's department"},
            {"approver", "zhao-approver:approver-demo-pass", "an approver of that department"}}}));
  const int port = static_cast<int>(sunlight::server::IntOrExit(config, "http_port"));
  const auto [n, duration, warmup] = sunlight::bench::LoadOrExit(config);
  const sunlight::bench::Caller caller = sunlight::bench::CallerOrExit(config);
  const std::string ca_file = config.Get("http_ca_file");
  const std::string intake_target = config.Get("intake");
  auto channel_for = [&](const sunlight::auth::v1::Principal& p, int t = -1) {
    return caller.Channel(intake_target, p, t);
  };

  // The catalogue, published directly as an administrator.
  {
    std::ifstream in(config.Get("catalogue"));
    std::stringstream text;
    text << in.rdbuf();
    iv1::CatalogueFile catalogue;
    if (!pb::util::JsonStringToMessage(text.str(), &catalogue).ok()) {
      std::cerr << "cannot read the catalogue " << config.Get("catalogue") << "\n";
      return 2;
    }
    sunlight::auth::v1::Principal admin;
    admin.set_user_id("bench-admin");
    admin.set_role(sunlight::auth::kAdministrator);
    auto intake = iv1::Intake::NewStub(channel_for(admin));
    auto call = [&](auto method, auto request, auto* response) {
      grpc::ClientContext context;
      *request.mutable_actor() = ActorOf(admin);
      grpc::Status s = ((*intake).*method)(&context, request, response);
      if (!s.ok()) std::cerr << "catalogue: " << s.error_message() << "\n";
      return s.ok();
    };
    bool ok = true;
    for (const auto& d : catalogue.departments()) {
      iv1::UpsertDepartmentRequest r;
      *r.mutable_department() = d;
      iv1::Department out;
      ok = ok && call(&iv1::Intake::Stub::UpsertDepartment, r, &out);
    }
    for (const auto& w : catalogue.windows()) {
      iv1::UpsertWindowRequest r;
      *r.mutable_window() = w;
      iv1::Window out;
      ok = ok && call(&iv1::Intake::Stub::UpsertWindow, r, &out);
    }
    for (const auto& item : catalogue.items()) {
      iv1::PublishItemVersionRequest r;
      *r.mutable_definition() = item;
      iv1::ItemVersion out;
      ok = ok && call(&iv1::Intake::Stub::PublishItemVersion, r, &out);
    }
    if (!ok) return 1;
  }

  std::string clerk_token, approver_token;
  sunlight::auth::v1::Principal clerk, approver;
  if (!Login(port, ca_file, config.Get("clerk"), &clerk_token, &clerk) ||
      !Login(port, ca_file, config.Get("approver"), &approver_token, &approver)) {
    return 1;
  }
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));

  // Cases to read: one per client.
  std::vector<std::string> case_ids;
  auto intake = iv1::Intake::NewStub(channel_for(clerk));
  for (int t = 0; t < n; ++t) {
    grpc::ClientContext context;
    auto request = Submission(absl::StrCat("bench-read-", run, "-", t));
    *request.mutable_actor() = ActorOf(clerk);
    iv1::SubmitCaseResponse response;
    grpc::Status s = intake->SubmitCase(&context, request, &response);
    if (!s.ok()) {
      std::cerr << "seed case: " << s.error_message() << "\n";
      return 1;
    }
    case_ids.push_back(response.case_().case_id());
  }

  auto grpc_stub = [&](const sunlight::auth::v1::Principal& p, int t) {
    return iv1::Intake::NewStub(channel_for(p, t));
  };

  Figures gateway_read = Measure(n, warmup, duration, [&](int t) {
    auto http = std::make_shared<HttpClient>(port, ca_file);
    std::string target = "/v1/cases/" + case_ids[static_cast<size_t>(t)];
    return std::function<bool(uint64_t)>([http, target, &approver_token](uint64_t) {
      auto reply = http->Send("GET", target, "", approver_token);
      return reply.ok() && reply->status == 200;
    });
  });
  Print("gateway_read", gateway_read);
  Figures grpc_read = Measure(n, warmup, duration, [&](int t) {
    std::shared_ptr<iv1::Intake::Stub> stub = grpc_stub(approver, t);
    iv1::GetCaseRequest request;
    request.set_case_id(case_ids[static_cast<size_t>(t)]);
    return std::function<bool(uint64_t)>([stub, request](uint64_t) {
      grpc::ClientContext context;
      iv1::GetCaseResponse response;
      return stub->GetCase(&context, request, &response).ok();
    });
  });
  Print("grpc_read", grpc_read);

  Figures gateway_submit = Measure(n, warmup, duration, [&](int t) {
    auto http = std::make_shared<HttpClient>(port, ca_file);
    return std::function<bool(uint64_t)>([http, t, &run, &clerk_token](uint64_t i) {
      auto reply =
          http->Send("POST", "/v1/cases",
                     Json(Submission(absl::StrCat("bench-gw-", run, "-", t, "-", i))), clerk_token);
      bool created = reply.ok() && reply->status == 201;
      if (i == 0 && !created) {
        std::cerr << "gateway submit: " << (reply.ok() ? reply->body : reply.status().ToString())
                  << "\n";
      }
      return created;
    });
  });
  Print("gateway_submit", gateway_submit);
  Figures grpc_submit = Measure(n, warmup, duration, [&](int t) {
    std::shared_ptr<iv1::Intake::Stub> stub = grpc_stub(clerk, t);
    auto actor = ActorOf(clerk);
    return std::function<bool(uint64_t)>([stub, t, actor, &run](uint64_t i) {
      grpc::ClientContext context;
      auto request = Submission(absl::StrCat("bench-grpc-", run, "-", t, "-", i));
      *request.mutable_actor() = actor;
      iv1::SubmitCaseResponse response;
      return stub->SubmitCase(&context, request, &response).ok();
    });
  });
  Print("grpc_submit", grpc_submit);

  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0; };
  std::cout << absl::StrFormat("BENCH gateway_vs_grpc_ratio %.3f x\n",
                               ratio(gateway_read.per_s, grpc_read.per_s));
  std::cout << absl::StrFormat("BENCH gateway_vs_grpc_submit_ratio %.3f x\n",
                               ratio(gateway_submit.per_s, grpc_submit.per_s));
  std::cerr << absl::StrFormat("gateway bench: %d clients, %s per figure\n", n,
                               absl::FormatDuration(duration));
  bool any_failed = gateway_read.per_s == 0 || grpc_read.per_s == 0 || gateway_submit.per_s == 0 ||
                    grpc_submit.per_s == 0;
  return any_failed ? 1 : 0;
}
