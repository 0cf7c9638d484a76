// ServiceMain: what every service's main shares, driven as a main would drive it.
#include "sunlight/server/service_main.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "absl/time/clock.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::server {
namespace {

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return argv;
}

TEST_CASE("ServiceMain: --help exits 0, a malformed flag exits 1, before anything opens") {
  {
    ServiceMain main({.name = "svc", .default_port = 7999});
    std::vector<std::string> args = {"svc", "--help"};
    auto argv = Argv(args);
    CHECK_FALSE(main.Init(static_cast<int>(argv.size()), argv.data()));
    CHECK(main.exit_code() == 0);
  }
  {
    ServiceMain main({.name = "svc", .default_port = 7999});
    std::vector<std::string> args = {"svc", "--clock_offset=soon"};
    auto argv = Argv(args);
    CHECK_FALSE(main.Init(static_cast<int>(argv.size()), argv.data()));
    CHECK(main.exit_code() == 1);
    CHECK(main.store() == nullptr);
  }
  {
    ServiceMain main({.name = "svc", .default_port = 7999, .calendar = true});
    std::vector<std::string> args = {"svc", "--calendar=/no/such/calendar.json"};
    auto argv = Argv(args);
    CHECK_FALSE(main.Init(static_cast<int>(argv.size()), argv.data()));
    CHECK(main.exit_code() == 1);
  }
}

TEST_CASE("ServiceMain: opens the store with the event log, serves, runs periodic work, stops") {
  testing::ScratchDir dir("service-main");
  ServiceMain main({.name = "svc",
                    .default_port = 7999,
                    .column_families = {"things"},
                    .method_policy = {{"sunlight.events.v1.GetStreamInfoRequest", auth::kAnyone}}});
  main.AddFlag({"extra", "default", "a flag of the service's own"});
  std::vector<std::string> args = {"svc",
                                   "--listen=127.0.0.1:0",
                                   "--metrics_listen=",
                                   "--data_dir=" + dir.Sub("data"),
                                   "--sync_writes=false",
                                   "--port_file=" + dir.Sub("port"),
                                   "--extra=given"};
  auto argv = Argv(args);
  REQUIRE(main.Init(static_cast<int>(argv.size()), argv.data()));
  CHECK(main.flag("extra") == "given");
  REQUIRE(main.store() != nullptr);
  storage::WriteBatch batch;
  batch.Put("things", "k", "v");
  batch.Put(eventlog::kCursorsColumnFamily, "k", "v");  // the event log's families are there
  REQUIRE(main.store()->Write(batch).ok());
  CHECK(main.authorizer() != nullptr);
  CHECK(main.signer() == nullptr);  // no key file: not enforcing (logged)

  std::atomic<int> ticks{0};
  std::atomic<bool> stopped_hook{false};
  main.Every(absl::Milliseconds(5), [&] { ++ticks; });
  main.OnShutdown([&] { stopped_hook = true; });
  std::thread run([&] { CHECK(main.Run("started") == 0); });
  // Serving: the port file appears; periodic work runs.
  for (int i = 0; i < 200 && (ticks < 3 || !std::ifstream(dir.Sub("port"))); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  CHECK(ticks >= 3);
  CHECK(std::ifstream(dir.Sub("port")).good());
  // SIGTERM (blocked in every thread since ServiceMain was made) ends Run gracefully.
  REQUIRE(::kill(::getpid(), SIGTERM) == 0);
  run.join();
  CHECK(stopped_hook);
  int after = ticks;
  absl::SleepFor(absl::Milliseconds(30));
  CHECK(ticks == after);  // periodic work stopped with the service
}

}  // namespace
}  // namespace sunlight::server
