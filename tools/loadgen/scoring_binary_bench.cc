// Scoring benchmark through the real binary: this tool serves the synthetic month of
// scoring_history.h as three event streams (intake, workflow, supervision) over gRPC, starts
// the scoring binary following them (its store synced, as in production), and measures over
// gRPC. Prints
//   BENCH scoring_events_per_s <n> events/s   from the binary's start until every case's
//                                             facts are counted (polled every 50 ms)
//   BENCH scoring_month_recompute_grpc_s <s> s  the month's open scores, one GetScoreSheet
//   BENCH stats_query_grpc_p99_ms <ms> ms     a 12-month trend by department, GetStatistics
//   BENCH stats_query_p99_ms <ms> ms          the same through the gateway's REST API
//                                             (GET /v1/statistics as an inspector; with --gateway)
//   BENCH stats_gateway_vs_grpc_p99_ratio <x> x  the two p99s: what the gateway adds
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <iostream>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench_stats.h"
#include "grpcpp/grpcpp.h"
#include "prepared_stream.h"
#include "scoring_history_events.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/scoring/v1/scoring.grpc.pb.h"
#include "sunlight/server/config.h"
#include "sunlight/testing/http_client.h"
#include "sunlight/testing/test_support.h"

namespace sunlight {
namespace {

namespace sc1 = ::sunlight::scoring::v1;

int Run(int argc, char** argv) {
  auto config = server::ParseToolFlagsOrExit(
      argc, argv,
      {{"cases", "85000", "cases in the month"},
       {"departments", "30", "departments"},
       {"binary", "build/services/scoring/scoring", "the scoring binary"},
       {"data_dir", "", "the binary's store directory (required, removed by the caller)"},
       {"calendar", "data/calendars/cn-mainland.json", "working calendar"},
       {"queries", "200", "trend queries measured"},
       {"gateway", "build/services/gateway/gateway",
        "the gateway binary, for the query through REST (empty: not measured)"}});
  const int64_t cases = server::IntOrExit(config, "cases");
  const int64_t departments = server::IntOrExit(config, "departments");
  auto calendar = calendar::WorkingCalendar::LoadFile(config.Get("calendar"));
  if (!calendar.ok() || config.Get("data_dir").empty()) {
    std::cerr << "scoring_binary_bench: --data_dir and a readable --calendar are required\n";
    return 2;
  }
  const auto history = bench::ScoringHistory(cases, departments, (*calendar)->time_zone());
  const bench::HistoryStreams streams = bench::HistoryEvents(history, departments);
  const size_t total = streams.intake.size() + streams.workflow.size() + streams.supervision.size();
  const uint64_t want_completed = history.size();  // every case of the history completes

  bench::PreparedStream intake(&streams.intake), workflow(&streams.workflow),
      supervision(&streams.supervision);
  int ports[3] = {0, 0, 0};
  std::unique_ptr<grpc::Server> servers[3];
  grpc::Service* services[3] = {&intake, &workflow, &supervision};
  for (int i = 0; i < 3; ++i) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &ports[i]);
    builder.RegisterService(services[i]);
    servers[i] = builder.BuildAndStart();
  }
  const std::string port_file = config.Get("data_dir") + ".port";
  unlink(port_file.c_str());  // a stale one would name a dead port
  std::vector<std::string> args = {config.Get("binary"),
                                   "--listen=127.0.0.1:0",
                                   "--metrics_listen=",
                                   "--insecure_development=true",
                                   "--sync_writes=true",
                                   "--calendar=" + config.Get("calendar"),
                                   "--data_dir=" + config.Get("data_dir"),
                                   "--port_file=" + port_file,
                                   absl::StrCat("--intake=127.0.0.1:", ports[0]),
                                   absl::StrCat("--workflow=127.0.0.1:", ports[1]),
                                   absl::StrCat("--supervision=127.0.0.1:", ports[2])};
  absl::Time started = absl::Now();
  testing::ChildProcess child(args);
  auto stop = [&] {
    child.Kill(SIGTERM);
    for (auto& s : servers) s->Shutdown(std::chrono::system_clock::now());
  };
  const int scoring_port = child.WaitForPortFile(port_file);
  if (scoring_port == 0) {
    std::cerr << "scoring_binary_bench: the binary wrote no port\n";
    stop();
    return 1;
  }
  const std::string port = absl::StrCat(scoring_port);
  auto stub = sc1::Scoring::NewStub(
      grpc::CreateChannel("127.0.0.1:" + port, grpc::InsecureChannelCredentials()));
  // Caught up: every case completed and every light counted, over March and April.
  uint64_t want_lights = streams.supervision.size();
  sc1::StatisticsRequest progress;
  progress.set_dimension(sc1::DIMENSION_CENTER);
  progress.set_period(sc1::PERIOD_YEAR);
  progress.set_from_day("2026-01-01");
  progress.set_to_day("2026-12-31");
  bool caught_up = false;
  while (!caught_up && absl::Now() - started < absl::Minutes(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    grpc::ClientContext context;
    sc1::StatisticsResponse response;
    if (!stub->GetStatistics(&context, progress, &response).ok()) continue;
    for (const auto& row : response.rows()) {
      caught_up = row.measures().completed() == want_completed &&
                  row.measures().yellow() + row.measures().red() == want_lights;
    }
  }
  double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  if (!caught_up) {
    std::cerr << "scoring_binary_bench: the binary did not catch up in 10 minutes\n";
    stop();
    return 1;
  }
  std::cout << absl::StrFormat("BENCH scoring_events_per_s %.1f events/s\n", total / seconds);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    sc1::GetScoreSheetRequest request;
    request.set_month("2026-03");
    sc1::ScoreSheet sheet;
    absl::Time t = absl::Now();
    grpc::Status s = stub->GetScoreSheet(&context, request, &sheet);
    if (!s.ok()) {
      std::cerr << s.error_message() << "\n";
      stop();
      return 1;
    }
    std::cout << absl::StrFormat("BENCH scoring_month_recompute_grpc_s %.3f s\n",
                                 absl::ToDoubleSeconds(absl::Now() - t));
  }
  sc1::StatisticsRequest trend;
  trend.set_dimension(sc1::DIMENSION_DEPARTMENT);
  trend.set_period(sc1::PERIOD_MONTH);
  trend.set_from_day("2025-04-01");
  trend.set_to_day("2026-03-31");
  std::vector<double> latencies;
  for (int64_t q = 0; q < server::IntOrExit(config, "queries"); ++q) {
    grpc::ClientContext context;
    sc1::StatisticsResponse response;
    absl::Time t = absl::Now();
    if (!stub->GetStatistics(&context, trend, &response).ok()) {
      stop();
      return 1;
    }
    latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - t));
  }
  const double grpc_p99 = bench::Percentile(latencies, 0.99);
  std::cout << absl::StrFormat("BENCH stats_query_grpc_p99_ms %.3f ms\n", grpc_p99);
  if (!config.Get("gateway").empty()) {
    // The gateway in front of the scoring binary (plain HTTP, --insecure_development, as the
    // gRPC leg above): one inspector logs in, then the same trend through REST.
    const std::string dir = config.Get("data_dir") + "-gateway";
    const std::string users = dir + ".users";
    {
      FILE* f = fopen(users.c_str(), "w");
      if (f == nullptr) {
        stop();
        return 1;
      }
      fputs(
          R"({"user":{"user_id":"bench-insp","role":"inspector"},"password":"watchful-bench-pass"})"
          "\n",
          f);
      fclose(f);
    }
    const std::string http_port_file = dir + ".http-port";
    unlink(http_port_file.c_str());
    std::vector<std::string> gw = {config.Get("gateway"),
                                   "--listen=127.0.0.1:0",
                                   "--metrics_listen=",
                                   "--insecure_development=true",
                                   "--http_listen=127.0.0.1:0",
                                   "--http_port_file=" + http_port_file,
                                   "--port_file=" + dir + ".port",
                                   "--data_dir=" + dir,
                                   "--users_file=" + users,
                                   "--console_dir=",
                                   "--scoring=127.0.0.1:" + port,
                                   "--public_rate=1000",
                                   "--public_burst=1000"};
    testing::ChildProcess gateway(gw);
    const int http_port = gateway.WaitForPortFile(http_port_file);
    auto stop_gateway = [&] { gateway.Kill(SIGTERM); };
    testing::HttpClient client(http_port);
    auto login = client.Send("POST", "/v1/login",
                             R"({"user_id":"bench-insp","password":"watchful-bench-pass"})");
    std::string token;
    if (login.ok() && login->status == 200) {
      size_t at = login->body.find("\"token\":\"");
      if (at != std::string::npos) {
        at += 9;
        token = login->body.substr(at, login->body.find('"', at) - at);
      }
    }
    if (http_port == 0 || token.empty()) {
      std::cerr << "scoring_binary_bench: the gateway did not start or log in\n";
      stop_gateway();
      stop();
      return 1;
    }
    const std::string target =
        "/v1/statistics?dimension=DIMENSION_DEPARTMENT&period=PERIOD_MONTH&from_day=2025-04-01"
        "&to_day=2026-03-31";
    std::vector<double> rest;
    for (int64_t q = -5; q < server::IntOrExit(config, "queries"); ++q) {
      absl::Time t = absl::Now();
      auto reply = client.Send("GET", target, "", token);
      if (!reply.ok() || reply->status != 200) {
        std::cerr << "scoring_binary_bench: GET /v1/statistics failed\n";
        stop_gateway();
        stop();
        return 1;
      }
      if (q >= 0) rest.push_back(absl::ToDoubleMilliseconds(absl::Now() - t));
    }
    const double rest_p99 = bench::Percentile(rest, 0.99);
    std::cout << absl::StrFormat("BENCH stats_query_p99_ms %.3f ms\n", rest_p99);
    if (grpc_p99 > 0) {
      std::cout << absl::StrFormat("BENCH stats_gateway_vs_grpc_p99_ratio %.3f x\n",
                                   rest_p99 / grpc_p99);
    }
    stop_gateway();
  }
  stop();
  return 0;
}

}  // namespace
}  // namespace sunlight

int main(int argc, char** argv) { return sunlight::Run(argc, argv); }
