// Flags the benchmark tools share, declared once.
//
//   auto config = server::ParseToolFlagsOrExit(argc, argv, bench::Flags(
//       {{"target", "127.0.0.1:7001", "intake address"}}, bench::LoadFlags()));
#ifndef SUNLIGHT_TOOLS_LOADGEN_TOOL_FLAGS_H_
#define SUNLIGHT_TOOLS_LOADGEN_TOOL_FLAGS_H_

#include <initializer_list>
#include <vector>

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
