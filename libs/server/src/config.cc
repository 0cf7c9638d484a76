#include "sunlight/server/config.h"

#include <cstdlib>
#include <iostream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace sunlight::server {

absl::StatusOr<Config> Config::Parse(int argc, const char* const* argv,
                                     const std::vector<FlagSpec>& flags) {
  Config config;
  std::map<std::string, const FlagSpec*> specs;
  for (const FlagSpec& spec : flags) specs[spec.name] = &spec;

  std::map<std::string, std::string> from_args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::string usage = absl::StrCat("usage: ", argv[0], " [--flag=value ...]\n");
      for (const FlagSpec& spec : flags) {
        std::string env = absl::AsciiStrToUpper(absl::StrReplaceAll(spec.name, {{"-", "_"}}));
        absl::StrAppend(&usage, "  --", spec.name, " (env SUNLIGHT_", env, ", default \"",
                        spec.default_value, "\")\n      ", spec.help, "\n");
      }
      return absl::CancelledError(usage);
    }
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(arg, ": expected --name=value"));
    }
    std::string name = arg.substr(2, eq - 2);
    if (!specs.contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": unknown flag"));
    }
    from_args[name] = arg.substr(eq + 1);
  }
  for (const FlagSpec& spec : flags) {
    std::string env_name = absl::StrCat(
        "SUNLIGHT_", absl::AsciiStrToUpper(absl::StrReplaceAll(spec.name, {{"-", "_"}})));
    if (auto it = from_args.find(spec.name); it != from_args.end()) {
      config.values_[spec.name] = it->second;
    } else if (const char* env = std::getenv(env_name.c_str()); env != nullptr) {
      config.values_[spec.name] = env;
    } else {
      config.values_[spec.name] = spec.default_value;
    }
  }
  return config;
}

std::string Config::Get(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string() : it->second;
}

absl::StatusOr<bool> Config::GetBool(const std::string& name) const {
  bool value = false;
  if (!absl::SimpleAtob(Get(name), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": not a boolean: \"", Get(name), "\""));
  }
  return value;
}

absl::StatusOr<int64_t> Config::GetInt(const std::string& name) const {
  int64_t value = 0;
  if (!absl::SimpleAtoi(Get(name), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": not an integer: \"", Get(name), "\""));
  }
  return value;
}

absl::StatusOr<absl::Duration> Config::GetDuration(const std::string& name) const {
  absl::Duration value;
  if (!absl::ParseDuration(Get(name), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": not a duration (e.g. 90s, 2h): \"", Get(name), "\""));
  }
  return value;
}

std::vector<FlagSpec> CommonFlags(const std::string& service, int default_port) {
  return {
      {"listen", absl::StrCat("127.0.0.1:", default_port), "gRPC listen address (port 0: any)"},
      {"metrics_listen", absl::StrCat("127.0.0.1:", default_port + 1000),
       "Prometheus /metrics address; empty disables it"},
      {"data_dir", absl::StrCat("./data/", service), "RocksDB directory of this service"},
      {"sync_writes", "true", "sync the WAL before acknowledging a write"},
      {"port_file", "", "if set, the bound gRPC port is written to this file once serving"},
      {"clock_offset", "0s", "shift the service clock (demo only), e.g. 72h"},
      {"key_dir", "",
       "directory (mode 0700) of principal keys: <service>.key, this service's own Ed25519 "
       "private key, and <identity>.pub for each identity it accepts"},
      {"tls_cert_file", "", "this service's certificate (PEM) for mutual TLS on gRPC"},
      {"tls_key_file", "", "its private key (PEM, mode 0600)"},
      {"tls_ca_file", "", "the suite's CA (PEM): peers must present a certificate it issued"},
      {"tls_crl_dir", "", "directory of hashed CRLs of that CA (openssl rehash); optional"},
      {"reflection", "false", "serve gRPC reflection (development tools such as grpcurl)"},
      {"insecure_development", "false",
       "run without --key_dir and TLS: every call is accepted in plain text (development and "
       "tests only; never in production)"},
  };
}

absl::StatusOr<std::string> RequiredKeyFile(const Config& config, const std::string& flag,
                                            const std::string& why) {
  std::string path = config.Get(flag);
  if (!path.empty()) return path;
  auto insecure = config.GetBool("insecure_development");
  if (insecure.ok() && *insecure) return path;
  return absl::FailedPreconditionError(
      absl::StrCat("--", flag, ": required; ", why,
                   " (--insecure_development=true runs without it, for "
                   "development only)"));
}

namespace {

// A tool's flag error: stderr, exit code 2.
[[noreturn]] void ExitWithFlagError(const absl::Status& status) {
  std::cerr << status.ToString() << " (see --help)\n";
  std::exit(2);
}

template <typename T>
T ValueOrExit(absl::StatusOr<T> value) {
  if (!value.ok()) ExitWithFlagError(value.status());
  return *std::move(value);
}

}  // namespace

Config ParseToolFlagsOrExit(int argc, const char* const* argv, const std::vector<FlagSpec>& flags) {
  absl::StatusOr<Config> config = Config::Parse(argc, argv, flags);
  if (absl::IsCancelled(config.status())) {  // --help
    std::cout << config.status().message();
    std::exit(0);
  }
  return ValueOrExit(std::move(config));
}

int64_t IntOrExit(const Config& config, const std::string& name) {
  return ValueOrExit(config.GetInt(name));
}

absl::Duration DurationOrExit(const Config& config, const std::string& name) {
  return ValueOrExit(config.GetDuration(name));
}

bool BoolOrExit(const Config& config, const std::string& name) {
  return ValueOrExit(config.GetBool(name));
}

}  // namespace sunlight::server
