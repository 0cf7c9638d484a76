// ServiceMain: what every service's main shares, driven as a main would drive it.
#include "sunlight/server/service_main.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <future>

#include "sunlight/auth/keys.h"
#include "sunlight/base/secret_file.h"
#include "sunlight/events/v1/events.grpc.pb.h"
#include "sunlight/events/v1/events.pb.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
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

// Finding 1 of the security review: a backend started without keys served every caller.
TEST_CASE("ServiceMain: refuses to run open without keys and TLS") {
  testing::ScratchDir dir("service-main-open");
  auto init = [&](std::vector<std::string> extra) {
    ServiceMain main(
        {.name = "svc",
         .default_port = 7999,
         .method_policy = {auth::Allow<events::v1::GetStreamInfoRequest>(auth::kAdministrators)}});
    std::vector<std::string> args = {"svc", "--listen=127.0.0.1:0",
                                     "--metrics_listen=", "--data_dir=" + dir.Sub("data"),
                                     "--sync_writes=false"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto argv = Argv(args);
    bool ok = main.Init(static_cast<int>(argv.size()), argv.data());
    return std::make_pair(ok, ok && main.authorizer()->enforcing());
  };
  CHECK(init({}) == std::make_pair(false, false));  // no --key_dir
  // Keys: a directory only its owner may enter, a private key only its owner may read.
  const std::string keys = dir.Sub("keys");
  REQUIRE(mkdir(keys.c_str(), 0700) == 0);
  auto key = auth::SigningKey::Generate();
  REQUIRE(WriteSecretFile(keys + "/svc.key", key->PrivateKeyPem()).ok());
  REQUIRE(WriteSecretFile(keys + "/gateway.pub", key->PublicKeyPem()).ok());
  CHECK(init({"--key_dir=" + keys}) == std::make_pair(false, false));  // no TLS
  CHECK(init({"--key_dir=" + keys, "--insecure_development=true"}) ==
        std::make_pair(true, false));  // open, because told so
  // TLS files that do not exist are refused by name.
  CHECK(init({"--key_dir=" + keys, "--tls_cert_file=/no/cert.pem", "--tls_key_file=/no/key",
              "--tls_ca_file=/no/ca.pem"}) == std::make_pair(false, false));
  // With keys and TLS from the development CA it starts, enforcing.
  const std::string ca = dir.Sub("ca");
  REQUIRE(std::system((std::string(SUNLIGHT_DEV_CA) + " " + ca + " svc >/dev/null").c_str()) == 0);
  std::vector<std::string> tls = {"--key_dir=" + keys, "--tls_cert_file=" + ca + "/svc.crt",
                                  "--tls_key_file=" + ca + "/svc.key",
                                  "--tls_ca_file=" + ca + "/ca.crt"};
  CHECK(init(tls) == std::make_pair(true, true));
  // Secrets others may read are refused: the key directory, then a private key.
  REQUIRE(chmod(keys.c_str(), 0755) == 0);
  CHECK(init(tls).first == false);
  REQUIRE(chmod(keys.c_str(), 0700) == 0);
  REQUIRE(chmod((keys + "/svc.key").c_str(), 0644) == 0);
  CHECK(init(tls).first == false);
  REQUIRE(chmod((keys + "/svc.key").c_str(), 0600) == 0);
  REQUIRE(chmod((ca + "/svc.key").c_str(), 0644) == 0);
  CHECK(init(tls).first == false);  // the TLS key too
}

TEST_CASE("ServiceMain: opens the store with the event log, serves, runs periodic work, stops") {
  testing::ScratchDir dir("service-main");
  ServiceMain main(
      {.name = "svc",
       .default_port = 7999,
       .column_families = {"things"},
       .method_policy = {auth::Allow<events::v1::GetStreamInfoRequest>(auth::kAnyone)}});
  main.AddFlag({"extra", "default", "a flag of the service's own"});
  std::vector<std::string> args = {"svc",
                                   "--listen=127.0.0.1:0",
                                   "--metrics_listen=",
                                   "--data_dir=" + dir.Sub("data"),
                                   "--sync_writes=false",
                                   "--port_file=" + dir.Sub("port"),
                                   "--insecure_development=true",
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
  CHECK(main.signer() == nullptr);  // --insecure_development: not enforcing (logged)
  CHECK_FALSE(main.authorizer()->enforcing());

  // A service of its own (every service has some): the generated base, every method
  // UNIMPLEMENTED.
  events::v1::EventStream::Service service;
  main.AddService(&service);
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
  // Finding 6 of the security review: reflection was served to anyone. Now only with
  // --reflection=true: a reflection request is UNIMPLEMENTED; health answers.
  {
    int port = 0;
    std::ifstream(dir.Sub("port")) >> port;
    grpc::GenericStub stub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    auto call = [&](const char* method, const std::string& request) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      grpc::Slice slice(request);
      grpc::ByteBuffer in(&slice, 1), out;
      std::promise<grpc::Status> done;
      stub.UnaryCall(&context, method, grpc::StubOptions(), &in, &out,
                     [&](grpc::Status status) { done.set_value(std::move(status)); });
      return done.get_future().get().error_code();
    };
    // ServerReflectionRequest{list_services: ""}; HealthCheckRequest{}.
    CHECK(call("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
               std::string("\x3a\x00", 2)) == grpc::StatusCode::UNIMPLEMENTED);
    CHECK(call("/grpc.health.v1.Health/Check", "") == grpc::StatusCode::OK);
  }
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
