#include "sunlight/eventlog/event_log.h"

#include <catch2/catch.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/eventlog/cursor.h"
#include "sunlight/eventlog/event_stream_service.h"
#include "sunlight/eventlog/subscriber.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::eventlog {
namespace {

using events::v1::CaseEvent;

std::unique_ptr<storage::Store> OpenStore(const std::string& path, bool sync = false) {
  auto store = storage::Store::Open(
      {.path = path, .column_families = ColumnFamilies(), .sync_writes = sync});
  REQUIRE(store.ok());
  return *std::move(store);
}

CaseEvent MakeEvent(const std::string& case_id, uint64_t version, const std::string& type) {
  CaseEvent event;
  event.set_case_id(case_id);
  event.set_case_version(version);
  event.set_type(type);
  return event;
}

// An in-process server exposing one event log on a free port.
struct StreamServer {
  explicit StreamServer(const EventLog* log) : service(log) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    REQUIRE(port > 0);
  }
  ~StreamServer() {
    service.Shutdown();
    server->Shutdown();
  }
  std::string target() const { return absl::StrCat("127.0.0.1:", port); }
  EventStreamService service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

// A consumer that stores what it derived (the sequence list) and its cursor in one batch.
class RecordingConsumer {
 public:
  RecordingConsumer(const std::string& path, const std::string& target, uint64_t start_after,
                    int fail_once_at = -1)
      : store_(OpenStore(path)), fail_once_at_(fail_once_at) {
    if (start_after > 0) {
      storage::WriteBatch batch;
      PutCursor(batch, "test", start_after);
      REQUIRE(store_->Write(batch).ok());
    }
    subscriber_ = std::make_unique<EventSubscriber>(
        SubscriberOptions{
            .target = target, .stream = "test", .initial_backoff = absl::Milliseconds(10)},
        [this] { return ReadCursor(*store_, "test"); },
        [this](const std::vector<CaseEvent>& batch) { return Apply(batch); });
    subscriber_->Start();
  }

  // Applies a batch as a real consumer does: derived records and the cursor in one write.
  absl::Status Apply(const std::vector<CaseEvent>& batch) {
    storage::WriteBatch write;
    for (const CaseEvent& event : batch) {
      if (static_cast<int>(event.sequence()) == fail_once_at_) {
        fail_once_at_ = -1;
        return absl::UnavailableError("injected failure");
      }
      write.Put(kEventsColumnFamily, storage::EncodeU64(event.sequence()), event.type());
    }
    PutCursor(write, "test", batch.back().sequence());
    absl::Status s = store_->Write(write);
    if (s.ok()) {
      absl::MutexLock lock(&mu_);
      for (const CaseEvent& event : batch) seen_.push_back(event.sequence());
    }
    return s;
  }

  // Waits until the consumer has applied up to `last`; returns what it saw.
  std::vector<uint64_t> WaitFor(uint64_t last) {
    absl::MutexLock lock(&mu_);
    auto done = [this, last] { return !seen_.empty() && seen_.back() >= last; };
    mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(60));
    return seen_;
  }

  uint64_t connections() const { return subscriber_->connections(); }
  void Stop() { subscriber_->Stop(); }

 private:
  std::unique_ptr<storage::Store> store_;
  int fail_once_at_;
  absl::Mutex mu_;
  std::vector<uint64_t> seen_;
  std::unique_ptr<EventSubscriber> subscriber_;
};

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

TEST_CASE("commits get gap-free sequence numbers that survive reopening") {
  testing::ScratchDir dir("eventlog-reopen");
  {
    auto store = OpenStore(dir.Sub("db"), /*sync=*/true);
    auto log = EventLog::Open(store.get(), "intake");
    REQUIRE(log.ok());
    auto first = (*log)->Commit({}, {MakeEvent("c1", 1, "a"), MakeEvent("c1", 2, "b")});
    REQUIRE(first.ok());
    CHECK((*first)[0].sequence() == 1);
    CHECK((*first)[1].sequence() == 2);
    CHECK((*first)[0].stream() == "intake");
  }
  auto store = OpenStore(dir.Sub("db"));
  auto log = EventLog::Open(store.get(), "intake");
  REQUIRE(log.ok());
  CHECK((*log)->last_sequence() == 2);
  auto next = (*log)->Commit({}, {MakeEvent("c2", 1, "a")});
  REQUIRE(next.ok());
  CHECK((*next)[0].sequence() == 3);
}

TEST_CASE("a state change and its events commit together or not at all") {
  testing::ScratchDir dir("eventlog-atomic");
  auto store = OpenStore(dir.Sub("db"));
  auto log = EventLog::Open(store.get(), "intake");
  REQUIRE(log.ok());
  storage::WriteBatch bad;
  bad.Put("no-such-family", "k", "v");
  auto failed = (*log)->Commit(std::move(bad), {MakeEvent("c1", 1, "a")});
  CHECK(failed.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK((*log)->last_sequence() == 0);
  std::vector<CaseEvent> read;
  REQUIRE((*log)->Read(1, 10, &read).ok());
  CHECK(read.empty());
  auto ok = (*log)->Commit({}, {MakeEvent("c1", 1, "a")});
  REQUIRE(ok.ok());
  CHECK((*ok)[0].sequence() == 1);  // the failed commit consumed no number
}

TEST_CASE("a case's history is read back in version order") {
  testing::ScratchDir dir("eventlog-case");
  auto store = OpenStore(dir.Sub("db"));
  auto log = EventLog::Open(store.get(), "intake");
  REQUIRE(log.ok());
  REQUIRE((*log)->Commit({}, {MakeEvent("c1", 1, "submitted")}).ok());
  REQUIRE((*log)->Commit({}, {MakeEvent("c2", 1, "submitted")}).ok());
  REQUIRE((*log)->Commit({}, {MakeEvent("c1", 2, "accepted")}).ok());
  std::vector<CaseEvent> history;
  REQUIRE((*log)->ReadCase("c1", &history).ok());
  REQUIRE(history.size() == 2);
  CHECK(history[0].type() == "submitted");
  CHECK(history[1].type() == "accepted");
  CHECK(history[1].sequence() == 3);
}

TEST_CASE(
    "concurrent writers and subscribers joining at different points see every event "
    "exactly once, in order") {
  testing::ScratchDir dir("eventlog-concurrency");
  auto store = OpenStore(dir.Sub("db"));
  auto log = EventLog::Open(store.get(), "test");
  REQUIRE(log.ok());
  StreamServer server(log->get());

  constexpr int kWriters = 6;
  constexpr int kCommitsPerWriter = 150;
  constexpr uint64_t kTotal = 2 * kWriters * kCommitsPerWriter;  // two events per commit

  RecordingConsumer early(dir.Sub("early"), server.target(), 0);
  std::vector<std::thread> writers;
  std::atomic<int> committed{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kCommitsPerWriter; ++i) {
        std::string case_id = absl::StrCat("w", w, "-", i);
        auto result = (*log)->Commit({}, {MakeEvent(case_id, 1, "a"), MakeEvent(case_id, 2, "b")});
        REQUIRE(result.ok());
        REQUIRE((*result)[1].sequence() == (*result)[0].sequence() + 1);
        ++committed;
      }
    });
  }
  // Join while writing: one from the very beginning, one from the middle of the history.
  while (committed < kWriters * kCommitsPerWriter / 3) std::this_thread::yield();
  RecordingConsumer replaying(dir.Sub("replaying"), server.target(), 0);
  RecordingConsumer resuming(dir.Sub("resuming"), server.target(), 100);
  for (auto& t : writers) t.join();
  RecordingConsumer late(dir.Sub("late"), server.target(), kTotal - 5);

  CHECK((*log)->last_sequence() == kTotal);
  CHECK(early.WaitFor(kTotal) == Range(1, kTotal));
  CHECK(replaying.WaitFor(kTotal) == Range(1, kTotal));
  CHECK(resuming.WaitFor(kTotal) == Range(101, kTotal));
  CHECK(late.WaitFor(kTotal) == Range(kTotal - 4, kTotal));
  early.Stop();
  replaying.Stop();
  resuming.Stop();
  late.Stop();
}

TEST_CASE("a consumer that fails on an event reconnects and resumes from its committed cursor") {
  testing::ScratchDir dir("eventlog-resume");
  auto store = OpenStore(dir.Sub("db"));
  auto log = EventLog::Open(store.get(), "test");
  REQUIRE(log.ok());
  for (int i = 1; i <= 20; ++i) {
    REQUIRE((*log)->Commit({}, {MakeEvent(absl::StrCat("c", i), 1, "a")}).ok());
  }
  StreamServer server(log->get());
  RecordingConsumer consumer(dir.Sub("consumer"), server.target(), 0, /*fail_once_at=*/10);
  CHECK(consumer.WaitFor(20) == Range(1, 20));
  CHECK(consumer.connections() >= 2);
  consumer.Stop();
}

TEST_CASE("a subscriber reconnects with backoff after the server restarts") {
  testing::ScratchDir dir("eventlog-restart");
  auto store = OpenStore(dir.Sub("db"));
  auto log = EventLog::Open(store.get(), "test");
  REQUIRE(log.ok());
  REQUIRE((*log)->Commit({}, {MakeEvent("c1", 1, "a")}).ok());
  auto server = std::make_unique<StreamServer>(log->get());
  int port = server->port;
  RecordingConsumer consumer(dir.Sub("consumer"), server->target(), 0);
  CHECK(consumer.WaitFor(1) == Range(1, 1));
  server.reset();
  REQUIRE((*log)->Commit({}, {MakeEvent("c2", 1, "a")}).ok());
  // Bring the stream back on the same port.
  EventStreamService service(log->get());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  auto restarted = builder.BuildAndStart();
  REQUIRE(restarted != nullptr);
  CHECK(consumer.WaitFor(2) == Range(1, 2));
  consumer.Stop();
  service.Shutdown();
  restarted->Shutdown();
}

}  // namespace
}  // namespace sunlight::eventlog
