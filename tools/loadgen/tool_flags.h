// Flags the benchmark tools share, declared once.
//
//   auto config = server::ParseToolFlagsOrExit(argc, argv, bench::Flags(
//       {{"target", "127.0.0.1:7001", "intake address"}}, bench::LoadFlags()));
#ifndef SUNLIGHT_TOOLS_LOADGEN_TOOL_FLAGS_H_
#define SUNLIGHT_TOOLS_LOADGEN_TOOL_FLAGS_H_

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

#include "sunlight/server/config.h"

namespace sunlight::bench {

using Flags = std::vector<server::FlagSpec>;

// One list of several.
inline Flags Join(std::initializer_list<Flags> lists) {
  Flags all;
  for (const Flags& list : lists) all.insert(all.end(), list.begin(), list.end());
  return all;
}

// A closed-loop load: --clients, --duration, --warmup.
inline Flags LoadFlags() {
  return {{"clients", "16", "concurrent closed-loop clients"},
          {"duration", "10s", "measured duration of each figure"},
          {"warmup", "1s", "unmeasured warm-up of each figure"}};
}

// The values of LoadFlags(); exits with status 2 and a message when --clients is below 1.
struct Load {
  int clients;
  absl::Duration duration;
  absl::Duration warmup;
};
inline Load LoadOrExit(const server::Config& config) {
  const int64_t clients = server::IntOrExit(config, "clients");
  if (clients < 1 || clients > 100000) {
    std::cerr << "--clients: must be between 1 and 100000\n";
    std::exit(2);
  }
  return {static_cast<int>(clients), server::DurationOrExit(config, "duration"),
          server::DurationOrExit(config, "warmup")};
}

// Working days: --calendar, --provisional_years.
inline Flags CalendarFlags() {
  return {{"calendar", "data/calendars/cn-mainland.json", "working-day calendar"},
          {"provisional_years", "2027,2028", "years counted weekends-only"}};
}

// A server of the tool's own: --listen, --port_file.
inline Flags ListenFlags() {
  return {{"listen", "127.0.0.1:0", "gRPC listen address"},
          {"port_file", "", "if set, the bound port is written here"}};
}

}  // namespace sunlight::bench

#endif  // SUNLIGHT_TOOLS_LOADGEN_TOOL_FLAGS_H_
