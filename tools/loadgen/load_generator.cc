// sunlight_load: drives a running service with concurrent clients for a fixed time and
// prints BENCH lines. The same harness (threads, channel per client, closed loop) drives
// both the intake service and the bare echo server, so their figures compare directly.
//
//   sunlight_load --mode=intake --target=127.0.0.1:7001 --clients=16 --duration=10s
//   sunlight_load --mode=echo --target=127.0.0.1:7100 --clients=16 --duration=10s
//
// intake mode: one operation = SubmitCase + AcceptCase of a new case (two synced writes);
// prints intake_cases_per_s and intake_p99_ms (latency of the whole operation).
// echo mode: one operation = one Echo call carrying as many bytes as a SubmitCase request;
// prints grpc_echo_calls_per_s and grpc_echo_p99_ms.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/bench/v1/echo.grpc.pb.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/server/config.h"

namespace {

namespace iv1 = sunlight::intake::v1;

iv1::SubmitCaseRequest Submission(const std::string& key) {
  iv1::SubmitCaseRequest request;
  request.mutable_actor()->set_id("bench-clerk");
  request.mutable_actor()->set_role("window_clerk");
  request.mutable_actor()->set_department_id("bench");
  request.set_idempotency_key(key);
  request.set_item_code("BENCH-001");
  request.set_channel(iv1::CHANNEL_WINDOW);
  request.set_subject("Benchmark noodle shop 基准面馆");
  auto* applicant = request.mutable_applicant();
  applicant->set_kind(iv1::APPLICANT_KIND_PERSON);
  applicant->set_name("李明");
  applicant->set_id_number("110101199003071234");
  applicant->set_phone("13812345678");
  auto* a = request.add_materials();
  a->set_code("id-card");
  a->set_name("身份证 ID card");
  a->set_document_ref("doc://bench/id-card");
  auto* b = request.add_materials();
  b->set_code("application-form");
  b->set_name("申请书 Application form");
  b->set_document_ref("doc://bench/form");
  return request;
}

bool SeedCatalogue(iv1::Intake::Stub& stub) {
  grpc::ClientContext c1, c2;
  iv1::UpsertDepartmentRequest department;
  department.mutable_actor()->set_id("bench-admin");
  department.mutable_department()->set_department_id("bench");
  department.mutable_department()->set_name("Benchmark department");
  iv1::Department d;
  grpc::Status s = stub.UpsertDepartment(&c1, department, &d);
  if (!s.ok()) {
    std::cerr << "seed: " << s.error_message() << "\n";
    return false;
  }
  iv1::PublishItemVersionRequest publish;
  publish.mutable_actor()->set_id("bench-admin");
  auto* item = publish.mutable_definition();
  item->set_item_code("BENCH-001");
  item->set_name("Benchmark licence");
  item->set_department_id("bench");
  item->set_kind(iv1::ITEM_KIND_PROMISED);
  item->set_type(iv1::ITEM_TYPE_ADMINISTRATIVE_LICENCE);
  item->mutable_statutory_limit()->set_amount(10);
  item->mutable_statutory_limit()->set_unit(sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS);
  item->mutable_promised_limit()->set_amount(5);
  item->mutable_promised_limit()->set_unit(sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS);
  iv1::ItemVersion version;
  s = stub.PublishItemVersion(&c2, publish, &version);
  if (!s.ok()) std::cerr << "seed: " << s.error_message() << "\n";
  return s.ok();
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(index), values.end());
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  auto config =
      sunlight::server::Config::Parse(argc, argv,
                                      {{"mode", "intake", "intake | echo"},
                                       {"target", "127.0.0.1:7001", "service address"},
                                       {"clients", "16", "concurrent closed-loop clients"},
                                       {"duration", "10s", "measured duration"},
                                       {"warmup", "1s", "unmeasured warm-up"}});
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return absl::IsCancelled(config.status()) ? 0 : 2;
  }
  std::string mode = config->Get("mode");
  auto clients = config->GetInt("clients");
  auto duration = config->GetDuration("duration");
  auto warmup = config->GetDuration("warmup");
  if (!clients.ok() || !duration.ok() || !warmup.ok() || *clients < 1 ||
      (mode != "intake" && mode != "echo")) {
    std::cerr << "bad flags (see --help)\n";
    return 2;
  }
  if (mode == "intake") {
    auto channel = grpc::CreateChannel(config->Get("target"), grpc::InsecureChannelCredentials());
    if (!SeedCatalogue(*iv1::Intake::NewStub(channel))) return 1;
  }
  const size_t payload_bytes = Submission("bench-000000-000000000").ByteSizeLong();
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));

  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<uint64_t> failures{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(*clients));
  std::vector<std::thread> threads;
  for (int64_t t = 0; t < *clients; ++t) {
    threads.emplace_back([&, t] {
      // A channel per client, as independent front-ends would have.
      grpc::ChannelArguments channel_args;
      channel_args.SetInt("sunlight.client", static_cast<int>(t));
      auto channel = grpc::CreateCustomChannel(config->Get("target"),
                                               grpc::InsecureChannelCredentials(), channel_args);
      auto intake = iv1::Intake::NewStub(channel);
      auto echo = sunlight::bench::v1::Echo::NewStub(channel);
      sunlight::bench::v1::EchoMessage message;
      message.set_payload(std::string(payload_bytes, 'x'));
      auto& mine = latencies[static_cast<size_t>(t)];
      for (uint64_t i = 0; !stop; ++i) {
        absl::Time start = absl::Now();
        bool ok = true;
        if (mode == "echo") {
          grpc::ClientContext context;
          sunlight::bench::v1::EchoMessage reply;
          ok = echo->Echo(&context, message, &reply).ok();
        } else {
          grpc::ClientContext submit_context;
          iv1::SubmitCaseResponse submitted;
          ok = intake
                   ->SubmitCase(&submit_context,
                                Submission(absl::StrCat("bench-", run, "-", t, "-", i)), &submitted)
                   .ok();
          if (ok) {
            grpc::ClientContext accept_context;
            iv1::AcceptCaseRequest accept;
            accept.mutable_actor()->set_id("bench-clerk");
            accept.set_case_id(submitted.case_().case_id());
            iv1::CaseResponse accepted;
            ok = intake->AcceptCase(&accept_context, accept, &accepted).ok();
          }
        }
        if (!ok) ++failures;
        if (measuring && ok) mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      }
    });
  }
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(*warmup));
  measuring = true;
  absl::Time started = absl::Now();
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(*duration));
  measuring = false;
  double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  stop = true;
  for (auto& t : threads) t.join();

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  double rate = static_cast<double>(all.size()) / seconds;
  double p50 = Percentile(all, 0.50);
  double p99 = Percentile(all, 0.99);
  std::string prefix = mode == "echo" ? "grpc_echo" : "intake";
  std::string unit = mode == "echo" ? "calls_per_s" : "cases_per_s";
  std::cout << absl::StrFormat("BENCH %s_%s %.1f %s\n", prefix, unit, rate,
                               mode == "echo" ? "calls/s" : "cases/s");
  std::cout << absl::StrFormat("BENCH %s_p50_ms %.3f ms\n", prefix, p50);
  std::cout << absl::StrFormat("BENCH %s_p99_ms %.3f ms\n", prefix, p99);
  std::cerr << absl::StrFormat("%s: %d clients, %.1fs, %d ops, %d failures, payload %d bytes\n",
                               mode, *clients, seconds, all.size(), failures.load(), payload_bytes);
  return failures.load() > 0 && all.empty() ? 1 : 0;
}
