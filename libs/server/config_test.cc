#include "sunlight/server/config.h"

#include <catch2/catch.hpp>
#include <cstdlib>

namespace sunlight::server {
namespace {

const std::vector<FlagSpec> kFlags = {{"listen", "127.0.0.1:7001", "address"},
                                      {"sync_writes", "true", "sync"},
                                      {"clock_offset", "0s", "offset"}};

TEST_CASE("flags override the environment, which overrides defaults") {
  ::setenv("SUNLIGHT_SYNC_WRITES", "false", 1);
  ::setenv("SUNLIGHT_LISTEN", "0.0.0.0:9", 1);
  const char* argv[] = {"svc", "--listen=127.0.0.1:0"};
  auto config = Config::Parse(2, argv, kFlags);
  REQUIRE(config.ok());
  CHECK(config->Get("listen") == "127.0.0.1:0");
  CHECK(*config->GetBool("sync_writes") == false);
  CHECK(*config->GetDuration("clock_offset") == absl::ZeroDuration());
  ::unsetenv("SUNLIGHT_SYNC_WRITES");
  ::unsetenv("SUNLIGHT_LISTEN");
}

TEST_CASE("unknown flags and malformed values are errors naming the flag") {
  const char* unknown[] = {"svc", "--nope=1"};
  auto a = Config::Parse(2, unknown, kFlags);
  CHECK(a.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(a.status().message().find("--nope") != std::string::npos);
  const char* no_value[] = {"svc", "--listen"};
  CHECK(Config::Parse(2, no_value, kFlags).status().code() == absl::StatusCode::kInvalidArgument);
  const char* bad_bool[] = {"svc", "--sync_writes=perhaps"};
  auto b = Config::Parse(2, bad_bool, kFlags);
  REQUIRE(b.ok());
  CHECK(b->GetBool("sync_writes").status().message().find("--sync_writes") != std::string::npos);
  const char* help[] = {"svc", "--help"};
  auto h = Config::Parse(2, help, kFlags);
  CHECK(h.status().code() == absl::StatusCode::kCancelled);
  CHECK(h.status().message().find("SUNLIGHT_CLOCK_OFFSET") != std::string::npos);
}

}  // namespace
}  // namespace sunlight::server
