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
// workflow mode (--workflow=ADDR): each client submits and accepts a case of a three-step
// item through intake, waits until the workflow's event stream shows the case routed, then
// completes the three steps; prints workflow_steps_per_s (step completions per second) and
// workflow_route_lag_p99_ms (AcceptCase returned -> process started seen on the stream).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench_stats.h"
#include "caller.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/bench/v1/echo.grpc.pb.h"
#include "sunlight/events/v1/events.grpc.pb.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/server/config.h"
#include "sunlight/workflow/v1/workflow.grpc.pb.h"
#include "tool_flags.h"

namespace {

using sunlight::bench::Percentile;

namespace iv1 = sunlight::intake::v1;
namespace wv1 = sunlight::workflow::v1;

const char* const kWorkflowSteps[] = {"handle", "review", "approve"};

// Watches the workflow stream and records when each case's process started.
class RouteWatcher {
 public:
  explicit RouteWatcher(std::shared_ptr<grpc::Channel> channel)
      : stub_(sunlight::events::v1::EventStream::NewStub(std::move(channel))) {
    grpc::ClientContext info_context;
    sunlight::events::v1::StreamInfo info;
    (void)stub_->GetStreamInfo(&info_context, sunlight::events::v1::GetStreamInfoRequest(), &info);
    thread_ = std::thread([this, from = info.last_sequence() + 1] { Run(from); });
  }
  ~RouteWatcher() {
    context_.TryCancel();
    thread_.join();
  }
  // Blocks until the case is routed (or 10 s); returns when it was seen.
  std::optional<absl::Time> WaitRouted(const std::string& case_id) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return routed_.contains(case_id); });
    auto it = routed_.find(case_id);
    if (it == routed_.end()) return std::nullopt;
    absl::Time t = it->second;
    routed_.erase(it);
    return t;
  }

 private:
  void Run(uint64_t from) {
    sunlight::events::v1::SubscribeRequest request;
    request.set_from_sequence(from);
    auto reader = stub_->Subscribe(&context_, request);
    sunlight::events::v1::CaseEvent event;
    while (reader->Read(&event)) {
      if (event.type() != "workflow.process.started") continue;
      std::lock_guard lock(mu_);
      routed_[event.case_id()] = absl::Now();
      cv_.notify_all();
    }
    (void)reader->Finish();
  }

  std::unique_ptr<sunlight::events::v1::EventStream::Stub> stub_;
  grpc::ClientContext context_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, absl::Time> routed_;
  std::thread thread_;
};

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
  department.mutable_actor()->set_role("administrator");
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
  publish.mutable_actor()->set_role("administrator");
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
  for (const char* code : kWorkflowSteps) {
    auto* step = item->add_steps();
    step->set_code(code);
    step->set_name(code);
    step->set_kind(std::string(code) == "approve" ? iv1::STEP_KIND_APPROVE : iv1::STEP_KIND_REVIEW);
    step->set_department_id("bench");
    step->set_role(code);
    step->mutable_limit()->set_amount(2);
    step->mutable_limit()->set_unit(sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS);
  }
  iv1::ItemVersion version;
  s = stub.PublishItemVersion(&c2, publish, &version);
  if (!s.ok()) std::cerr << "seed: " << s.error_message() << "\n";
  return s.ok();
}

}  // namespace

int main(int argc, char** argv) {
  const sunlight::server::Config config = sunlight::server::ParseToolFlagsOrExit(
      argc, argv,
      sunlight::bench::Join(
          {sunlight::bench::LoadFlags(),
           sunlight::bench::SecurityFlags(),
           {{"mode", "intake", "intake | echo"},
            {"target", "127.0.0.1:7001", "service address (intake in intake and workflow modes)"},
            {"workflow", "127.0.0.1:7002", "workflow address (workflow mode)"}}}));
  std::string mode = config.Get("mode");
  const auto [clients, duration, warmup] = sunlight::bench::LoadOrExit(config);
  if (mode != "intake" && mode != "echo" && mode != "workflow") {
    std::cerr << "--mode: must be intake, echo or workflow\n";
    return 2;
  }
  // The tool calls as the gateway would, for these people (the item's department "bench").
  const sunlight::bench::Caller caller = sunlight::bench::CallerOrExit(config);
  const auto admin = sunlight::bench::PrincipalOf("bench-admin", "administrator");
  const auto clerk = sunlight::bench::PrincipalOf("bench-clerk", "window_clerk", "bench");
  std::unique_ptr<RouteWatcher> watcher;
  if (mode == "workflow") {
    watcher = std::make_unique<RouteWatcher>(
        caller.Channel(config.Get("workflow"), admin, -1, "workflow"));
  }
  std::vector<std::vector<double>> route_lags(static_cast<size_t>(clients));
  std::atomic<uint64_t> steps_done{0};
  if (mode != "echo") {
    if (!SeedCatalogue(*iv1::Intake::NewStub(caller.Channel(config.Get("target"), admin)))) {
      return 1;
    }
  }
  const size_t payload_bytes = Submission("bench-000000-000000000").ByteSizeLong();
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));

  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<uint64_t> failures{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  for (int64_t t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      // A channel per client, as independent front-ends would have.
      const int client = static_cast<int>(t);
      auto intake = iv1::Intake::NewStub(caller.Channel(config.Get("target"), clerk, client));
      auto echo = sunlight::bench::v1::Echo::NewStub(
          grpc::CreateCustomChannel(config.Get("target"), caller.credentials, [client] {
            grpc::ChannelArguments args;
            args.SetInt("sunlight.client", client);
            return args;
          }()));
      std::vector<std::unique_ptr<wv1::Workflow::Stub>> workflow;  // one per step's person
      for (const char* step : kWorkflowSteps) {
        workflow.push_back(wv1::Workflow::NewStub(caller.Channel(
            config.Get("workflow"),
            sunlight::bench::PrincipalOf(absl::StrCat("bench-", step, t), step, "bench"), client)));
      }
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
            accept.mutable_actor()->set_role("window_clerk");
            accept.mutable_actor()->set_department_id("bench");
            accept.set_case_id(submitted.case_().case_id());
            iv1::CaseResponse accepted;
            ok = intake->AcceptCase(&accept_context, accept, &accepted).ok();
          }
          if (ok && mode == "workflow") {
            absl::Time accepted_at = absl::Now();
            auto routed = watcher->WaitRouted(submitted.case_().case_id());
            ok = routed.has_value();
            if (ok && measuring) {
              route_lags[static_cast<size_t>(t)].push_back(
                  absl::ToDoubleMilliseconds(*routed - accepted_at));
            }
            for (int s = 0; ok && s < 3; ++s) {
              grpc::ClientContext step_context;
              wv1::CompleteStepRequest complete;
              complete.mutable_actor()->set_id(absl::StrCat("bench-", kWorkflowSteps[s], t));
              complete.mutable_actor()->set_role(kWorkflowSteps[s]);
              complete.mutable_actor()->set_department_id("bench");
              complete.set_step_id(absl::StrCat(submitted.case_().case_id(), "/", s + 1));
              complete.set_opinion(wv1::OPINION_PASS);
              wv1::ProcessResponse response;
              grpc::Status status = workflow[static_cast<size_t>(s)]->CompleteStep(
                  &step_context, complete, &response);
              ok = status.ok();
              if (!ok && failures.load() == 0) {
                std::cerr << "CompleteStep " << complete.step_id() << ": " << status.error_message()
                          << "\n";
              }
              if (ok && measuring) ++steps_done;
            }
          }
        }
        if (!ok && failures++ == 0) {
          std::cerr << "first failure in client " << t << " at operation " << i << "\n";
        }
        if (measuring && ok) mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      }
    });
  }
  double seconds = sunlight::bench::RunWindow(warmup, duration, measuring, stop, threads);
  std::vector<double> all = sunlight::bench::Merged(latencies);
  double rate = static_cast<double>(all.size()) / seconds;
  double p50 = Percentile(all, 0.50);
  double p99 = Percentile(all, 0.99);
  if (mode == "workflow") {
    std::vector<double> lags = sunlight::bench::Merged(route_lags);
    std::cout << absl::StrFormat("BENCH workflow_steps_per_s %.1f steps/s\n",
                                 static_cast<double>(steps_done.load()) / seconds);
    std::cout << absl::StrFormat("BENCH workflow_route_lag_p50_ms %.3f ms\n",
                                 Percentile(lags, 0.50));
    std::cout << absl::StrFormat("BENCH workflow_route_lag_p99_ms %.3f ms\n",
                                 Percentile(lags, 0.99));
    std::cerr << absl::StrFormat("workflow: %d clients, %.1fs, %d cases, %d steps, %d failures\n",
                                 clients, seconds, all.size(), steps_done.load(), failures.load());
    return failures.load() > 0 && all.empty() ? 1 : 0;
  }
  std::string prefix = mode == "echo" ? "grpc_echo" : "intake";
  std::string unit = mode == "echo" ? "calls_per_s" : "cases_per_s";
  std::cout << absl::StrFormat("BENCH %s_%s %.1f %s\n", prefix, unit, rate,
                               mode == "echo" ? "calls/s" : "cases/s");
  std::cout << absl::StrFormat("BENCH %s_p50_ms %.3f ms\n", prefix, p50);
  std::cout << absl::StrFormat("BENCH %s_p99_ms %.3f ms\n", prefix, p99);
  std::cerr << absl::StrFormat("%s: %d clients, %.1fs, %d ops, %d failures, payload %d bytes\n",
                               mode, clients, seconds, all.size(), failures.load(), payload_bytes);
  return failures.load() > 0 && all.empty() ? 1 : 0;
}
