// What a consumer and an event log show on /metrics: lag in events while behind and none once
// caught up, batches and events applied, reconnections, and the log's commits and writes.
#include "sunlight/server/stream_metrics.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/eventlog/cursor.h"
#include "sunlight/eventlog/event_stream_service.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::server {
namespace {

std::unique_ptr<storage::Store> OpenStore(const std::string& path) {
  auto store = storage::Store::Open(
      {.path = path, .column_families = eventlog::ColumnFamilies(), .sync_writes = false});
  REQUIRE(store.ok());
  return *std::move(store);
}

// The value of the series of `name` with `labels` (a subset of its labels); -1 when absent.
double Value(prometheus::Registry& registry, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      size_t matched = 0;
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        auto want = labels.find(label.name);
        if (want != labels.end() && want->second == label.value) ++matched;
      }
      if (matched != labels.size()) continue;
      return family.type == prometheus::MetricType::Counter ? metric.counter.value
                                                            : metric.gauge.value;
    }
  }
  return -1;
}

TEST_CASE("a consumer's lag and batches and its producer's commits are on /metrics") {
  testing::ScratchDir dir("stream-metrics");
  auto producer_store = OpenStore(dir.Sub("producer"));
  auto log = eventlog::EventLog::Open(producer_store.get(), "intake");
  REQUIRE(log.ok());
  for (int i = 0; i < 10; ++i) {
    std::vector<events::v1::CaseEvent> events(3);
    for (auto& e : events) e.set_type("intake.case.submitted");
    REQUIRE((*log)->Commit({}, std::move(events)).ok());
  }
  eventlog::EventStreamService service(log->get());
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(port > 0);

  auto consumer_store = OpenStore(dir.Sub("consumer"));
  auto cursor = [&] { return eventlog::ReadCursor(*consumer_store, "intake"); };
  eventlog::EventSubscriber subscriber(
      {.target = absl::StrCat("127.0.0.1:", port), .stream = "intake"}, cursor,
      [&](const std::vector<events::v1::CaseEvent>& batch) {
        storage::WriteBatch write;
        eventlog::PutCursor(write, "intake", batch.back().sequence());
        return consumer_store->Write(write);
      });
  prometheus::Registry registry;
  StreamMetrics metrics;
  metrics.Register(registry);
  metrics.Follow(&subscriber, cursor);
  metrics.Serve(log->get());

  metrics.Refresh();  // not started yet: all 30 behind
  CHECK(Value(registry, "sunlight_consumer_lag_events", {{"stream", "intake"}}) == 30);
  CHECK(Value(registry, "sunlight_consumer_lag_seconds", {{"stream", "intake"}}) >= 0);
  CHECK(Value(registry, "sunlight_consumer_batches_total", {{"stream", "intake"}}) == 0);
  CHECK(Value(registry, "sunlight_eventlog_last_sequence") == 30);
  CHECK(Value(registry, "sunlight_eventlog_commits_total") == 10);
  const double writes = Value(registry, "sunlight_eventlog_writes_total");
  CHECK((writes >= 1 && writes <= 10));

  subscriber.Start();
  for (int i = 0; i < 200 && *cursor() < 30; ++i) absl::SleepFor(absl::Milliseconds(20));
  REQUIRE(*cursor() == 30);
  metrics.Refresh();
  CHECK(Value(registry, "sunlight_consumer_lag_events", {{"stream", "intake"}}) == 0);
  CHECK(Value(registry, "sunlight_consumer_lag_seconds", {{"stream", "intake"}}) == 0);
  CHECK(Value(registry, "sunlight_consumer_batches_total", {{"stream", "intake"}}) >= 1);
  CHECK(Value(registry, "sunlight_consumer_events_total", {{"stream", "intake"}}) == 30);
  CHECK(Value(registry, "sunlight_consumer_reconnects_total", {{"stream", "intake"}}) == 0);
  subscriber.Stop();
  service.Shutdown();
  server->Shutdown();
}

}  // namespace
}  // namespace sunlight::server
