// Service configuration from flags and environment, the one way every binary reads it.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(Config config,
//       Config::Parse(argc, argv, {{"listen", "127.0.0.1:7001", "gRPC address"}}));
//   std::string listen = config.Get("listen");
//
// Precedence: --name=value on the command line, then the environment variable
// SUNLIGHT_<NAME> (upper case, '-' as '_'), then the default. Unknown flags, flags without
// a value and malformed values are INVALID_ARGUMENT errors naming the flag.
#ifndef SUNLIGHT_SERVER_CONFIG_H_
#define SUNLIGHT_SERVER_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sunlight::server {

struct FlagSpec {
  std::string name;
  std::string default_value;
  std::string help;
};

class Config {
 public:
  // `flags` lists every accepted flag. "--help" yields a kCancelled status whose message is
  // the usage text.
  static absl::StatusOr<Config> Parse(int argc, const char* const* argv,
                                      const std::vector<FlagSpec>& flags);

  // The value of a declared flag (a bug to ask for an undeclared one: returns "").
  std::string Get(const std::string& name) const;
  absl::StatusOr<bool> GetBool(const std::string& name) const;
  absl::StatusOr<int64_t> GetInt(const std::string& name) const;
  absl::StatusOr<absl::Duration> GetDuration(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;
};

// Flags every service shares: listen, metrics_listen, data_dir, sync_writes, port_file.
std::vector<FlagSpec> CommonFlags(const std::string& service, int default_port);

// The path of a key-file flag that is required unless --insecure_development: the path, ""
// when the flag is empty with --insecure_development=true, FAILED_PRECONDITION naming the
// flag and `why` (what the key protects) otherwise.
absl::StatusOr<std::string> RequiredKeyFile(const Config& config, const std::string& flag,
                                            const std::string& why);

// For command-line tools (load generators, benchmarks), which have nothing to clean up when
// their flags are wrong:
//
//   Config config = ParseToolFlagsOrExit(argc, argv, {{"clients", "16", "concurrent clients"}});
//   const int64_t clients = IntOrExit(config, "clients");
//
// ParseToolFlagsOrExit returns the parsed flags. On --help it prints the usage to stdout and
// exits with 0; on any other error it prints the error to stderr and exits with 2.
Config ParseToolFlagsOrExit(int argc, const char* const* argv, const std::vector<FlagSpec>& flags);
// A declared flag's value; when it is malformed, prints the INVALID_ARGUMENT error (which
// names the flag) to stderr and exits with 2.
int64_t IntOrExit(const Config& config, const std::string& name);
absl::Duration DurationOrExit(const Config& config, const std::string& name);
bool BoolOrExit(const Config& config, const std::string& name);

}  // namespace sunlight::server

#endif  // SUNLIGHT_SERVER_CONFIG_H_
