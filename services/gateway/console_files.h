// The inspectors' web console: its files from one flat folder, with a Content-Security-Policy
// that allows only the gateway itself.
#ifndef SUNLIGHT_SERVICES_GATEWAY_CONSOLE_FILES_H_
#define SUNLIGHT_SERVICES_GATEWAY_CONSOLE_FILES_H_

#include <string>

#include "http_server.h"

namespace sunlight::gateway {

// GET /console/<file> from `console_dir`: plain file names of known types only (404
// otherwise); "/" and "/console" redirect to /console/.
// echarts.min.js comes from `vendor_dir` (the pinned npm package) when that is set.
HttpResponse ServeConsoleFile(const std::string& console_dir, const std::string& vendor_dir,
                              const std::string& path);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_CONSOLE_FILES_H_
