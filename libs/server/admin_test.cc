// Backups through ServiceMain's Admin service, the restore fence, the follow gate, and the
// store's figures on /metrics.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/empty.pb.h"
#include "sunlight/admin/v1/admin.grpc.pb.h"
#include "sunlight/eventlog/case_event.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/server/follow_gate.h"
#include "sunlight/server/restore_fence.h"
#include "sunlight/server/service_main.h"
#include "sunlight/storage/backup.h"
#include "sunlight/testing/http_client.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::server {
namespace {

namespace av1 = admin::v1;

std::string FetchMetrics(int port) {
  testing::HttpClient client(port);
  absl::StatusOr<testing::HttpReply> reply = client.Send("GET", "/metrics", "");
  REQUIRE(reply.ok());
  REQUIRE(reply->status == 200);
  return reply->body;
}

double MetricValue(const std::string& exposition, const std::string& name) {
  size_t at = exposition.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + name.size() + 2));
}

// Commits `n` events to `log`.
void CommitEvents(eventlog::EventLog& log, int n) {
  for (int i = 0; i < n; ++i) {
    auto event =
        eventlog::NewEvent("svc.thing.happened", absl::StrCat("c", i),
                           eventlog::ServiceActor("svc"), absl::Now(), google::protobuf::Empty());
    REQUIRE(log.Commit(storage::WriteBatch(), {event}).ok());
  }
}

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return argv;
}

TEST_CASE("ServiceMain: Admin backs the store up into a checked directory, shown on /metrics") {
  testing::ScratchDir dir("service-main-admin");
  ServiceMain main({.name = "svc", .default_port = 7999, .method_policy = {}});
  std::vector<std::string> args = {"svc",
                                   "--listen=127.0.0.1:0",
                                   "--metrics_listen=127.0.0.1:0",
                                   "--data_dir=" + dir.Sub("data"),
                                   "--sync_writes=false",
                                   "--port_file=" + dir.Sub("port"),
                                   "--backup_root=" + dir.Sub("backups"),
                                   "--insecure_development=true"};
  auto argv = Argv(args);
  REQUIRE(main.Init(static_cast<int>(argv.size()), argv.data()));
  auto log = eventlog::EventLog::Open(main.store(), "svc");
  REQUIRE(log.ok());
  CommitEvents(**log, 20);
  main.ServeEventLog(log->get());
  std::thread run([&] { CHECK(main.Run("started") == 0); });
  for (int i = 0; i < 500 && !std::ifstream(dir.Sub("port")); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  int port = 0;
  std::ifstream(dir.Sub("port")) >> port;
  REQUIRE(port > 0);
  auto stub = av1::Admin::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  auto create = [&](const std::string& backup_dir, av1::Backup* out) {
    grpc::ClientContext context;
    av1::CreateBackupRequest request;
    request.set_backup_dir(backup_dir);
    return stub->CreateBackup(&context, request, out);
  };
  av1::Backup backup;
  for (const std::string& bad :
       {std::string("relative/dir"), dir.Sub("backups/../elsewhere"), dir.Sub("backups/"),
        dir.Sub("data/inside"), dir.Sub("outside-the-root"), std::string()}) {
    grpc::Status s = create(bad, &backup);
    INFO(bad << ": " << s.error_message());
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(s.error_message().rfind("backup_dir: ", 0) == 0);
  }
  REQUIRE(create(dir.Sub("backups/svc"), &backup).ok());
  CHECK(backup.backup_id() == 1);
  CHECK(backup.manifest().service() == "svc");
  CHECK(backup.manifest().stream().stream() == "svc");
  CHECK(backup.manifest().stream().sequence() == 20);
  CHECK(backup.file_count() > 0);
  CommitEvents(**log, 5);
  REQUIRE(create(dir.Sub("backups/svc"), &backup).ok());
  CHECK(backup.manifest().stream().sequence() == 25);
  {
    grpc::ClientContext context;
    av1::ListBackupsRequest request;
    request.set_backup_dir(dir.Sub("backups/svc"));
    av1::ListBackupsResponse listed;
    REQUIRE(stub->ListBackups(&context, request, &listed).ok());
    REQUIRE(listed.backups_size() == 2);
    CHECK(listed.backups(0).manifest().stream().sequence() == 20);
  }
  {
    grpc::ClientContext context;
    av1::VerifyBackupRequest request;
    request.set_backup_dir(dir.Sub("backups/svc"));
    av1::VerifyBackupResponse verified;
    REQUIRE(stub->VerifyBackup(&context, request, &verified).ok());
    CHECK(verified.intact());
    CHECK(verified.backup().backup_id() == 2);
  }

  std::string metrics = FetchMetrics(main.host().metrics_port());
  INFO(metrics);
  CHECK(MetricValue(metrics, "sunlight_backups_total") == 2);
  CHECK(MetricValue(metrics, "sunlight_backup_failures_total") == 0);
  CHECK(MetricValue(metrics, "sunlight_backup_last_size_bytes") > 0);
  // Read when Run began, then every 15 s.
  CHECK(MetricValue(metrics, "sunlight_rocksdb_wal_bytes") > 0);
  CHECK(MetricValue(metrics, "sunlight_rocksdb_wal_files") >= 1);
  CHECK(MetricValue(metrics, "sunlight_rocksdb_memtable_bytes") > 0);
  CHECK(MetricValue(metrics, "sunlight_rocksdb_live_sst_bytes") >= 0);
  CHECK(MetricValue(metrics, "sunlight_rocksdb_pending_compaction_bytes") >= 0);
  CHECK(MetricValue(metrics, "sunlight_rocksdb_write_stopped") == 0);
  CHECK(MetricValue(metrics, "sunlight_rocksdb_delayed_write_rate_bytes_per_second") == 0);
  CHECK(MetricValue(metrics, "sunlight_rocksdb_write_stall_seconds_total") == 0);
  CHECK(MetricValue(metrics, "sunlight_rocksdb_background_errors") == 0);
  CHECK(MetricValue(metrics, "sunlight_rocksdb_refreshed_timestamp_seconds") > 1.7e9);
  CHECK(MetricValue(metrics, "process_threads") >= 2);
  CHECK(MetricValue(metrics, "process_resident_memory_bytes") > 1e6);

  REQUIRE(::kill(::getpid(), SIGTERM) == 0);
  run.join();
}

TEST_CASE("a restored stream refuses a reader ahead of it until it is restored or admitted") {
  testing::ScratchDir dir("restore-fence");
  {
    auto store = storage::Store::Open({.path = dir.Sub("data"),
                                       .column_families = eventlog::ColumnFamilies(),
                                       .sync_writes = false});
    REQUIRE(store.ok());
    auto log = eventlog::EventLog::Open(store->get(), "svc");
    REQUIRE(log.ok());
    CommitEvents(**log, 10);
    REQUIRE(storage::CreateBackup(**store, dir.Sub("backups"), "svc").ok());
    CommitEvents(**log, 5);  // lost with the store: readers may have applied them
  }
  CHECK(RestoreStore(dir.Sub("backups"), 0, dir.Sub("restored"), "other", {}, absl::Now())
            .status()
            .code() == absl::StatusCode::kFailedPrecondition);
  auto record =
      RestoreStore(dir.Sub("backups"), 0, dir.Sub("restored"), "svc", {"notify"}, absl::Now());
  REQUIRE(record.ok());
  CHECK(record->backup_id() == 1);
  CHECK(record->stream().stream() == "svc");
  CHECK(record->stream().sequence() == 10);
  // Never over a store that is there.
  CHECK(RestoreStore(dir.Sub("backups"), 0, dir.Sub("restored"), "svc", {}, absl::Now())
            .status()
            .code() == absl::StatusCode::kFailedPrecondition);

  auto families = storage::ColumnFamiliesAt(dir.Sub("restored"));
  REQUIRE(families.ok());
  auto store = storage::Store::Open({.path = dir.Sub("restored"), .column_families = *families});
  REQUIRE(store.ok());
  {
    auto fence = RestoreFence::Load(store->get(), "svc");
    REQUIRE(fence.ok());
    // workflow applied up to 15: it asks from 16, beyond the restored end (10).
    absl::Status refused = (*fence)->Admit("workflow", 16);
    CHECK(refused.code() == absl::StatusCode::kFailedPrecondition);
    CHECK(refused.message().find("restored from backup 1") != std::string::npos);
    CHECK(refused.message().find("at most 10") != std::string::npos);
    // Once it resumes from at most 11 (restored from an older backup of its own), it reads on.
    CHECK((*fence)->Admit("workflow", 11).ok());
    CHECK((*fence)->Admit("workflow", 30).ok());
    CHECK((*fence)->Admit("scoring", 12).code() == absl::StatusCode::kFailedPrecondition);
    CHECK((*fence)->Admit("notify", 99).ok());  // admitted at the restore
    CHECK((*fence)->Admit("", 99).ok());        // people keep no cursor
    REQUIRE((*fence)->AdmitByHand("scoring").ok());
    CHECK((*fence)->Admit("scoring", 12).ok());
    CHECK((*fence)->refused() == 2);
  }
  // Admissions are kept in the store, and travel in its backups.
  auto again = RestoreFence::Load(store->get(), "svc");
  REQUIRE(again.ok());
  CHECK((*again)->Admit("workflow", 40).ok());
  CHECK((*again)->Admit("supervision", 40).code() == absl::StatusCode::kFailedPrecondition);
  auto manifest = ReadManifest(**store, "svc");
  REQUIRE(manifest.ok());
  REQUIRE(manifest->restores_size() == 1);
  CHECK(manifest->restores(0).admitted_readers_size() == 3);  // notify, workflow, scoring
}

TEST_CASE("a paused follow gate holds new batches, waits for the one applying, then lets go") {
  FollowGate gate;
  std::atomic<int> applied{0};
  std::atomic<bool> release{false};
  auto apply = gate.Wrap([&](const std::vector<events::v1::CaseEvent>&) {
    while (!release) absl::SleepFor(absl::Milliseconds(1));
    ++applied;
    return absl::OkStatus();
  });
  std::thread first([&] { CHECK(apply({}).ok()); });
  absl::SleepFor(absl::Milliseconds(20));  // the first batch is being applied
  std::atomic<bool> paused{false};
  std::thread pauser([&] {
    gate.Pause(absl::Now() + absl::Minutes(1));
    paused = true;
  });
  absl::SleepFor(absl::Milliseconds(20));
  CHECK_FALSE(paused);  // Pause waits for the batch in progress
  release = true;
  pauser.join();
  first.join();
  CHECK(applied == 1);
  std::thread second([&] { CHECK(apply({}).ok()); });
  absl::SleepFor(absl::Milliseconds(50));
  CHECK(applied == 1);  // held
  gate.Resume();
  second.join();
  CHECK(applied == 2);
  // A lease that ends lets batches go by itself.
  gate.Pause(absl::Now() + absl::Milliseconds(30));
  CHECK(apply({}).ok());
  CHECK(applied == 3);
}

}  // namespace
}  // namespace sunlight::server
