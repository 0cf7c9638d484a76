// Minimal structured logging to stderr: one line per message, with UTC time and level.
// Never pass personal data (ID numbers, phone numbers) unmasked; see sunlight/base/mask.h.
//
//   sunlight::LogInfo("intake", absl::StrCat("listening on ", port));
#ifndef SUNLIGHT_BASE_LOG_H_
#define SUNLIGHT_BASE_LOG_H_

#include <cstdio>
#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sunlight {

inline void LogLine(std::string_view level, std::string_view component, std::string_view message) {
  std::string line = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line.append(" ").append(level).append(" [").append(component).append("] ").append(message);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}
inline void LogInfo(std::string_view component, std::string_view message) {
  LogLine("INFO", component, message);
}
inline void LogWarning(std::string_view component, std::string_view message) {
  LogLine("WARN", component, message);
}
inline void LogError(std::string_view component, std::string_view message) {
  LogLine("ERROR", component, message);
}

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_LOG_H_
