#include "sunlight/server/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "prometheus/metric_family.h"

namespace sunlight::server {
namespace {

// The system's boot time (seconds since the epoch), from /proc/stat's btime line.
double BootTime() {
  std::ifstream in("/proc/stat");
  std::string line;
  while (std::getline(in, line)) {
    uint64_t btime = 0;
    if (line.rfind("btime ", 0) == 0 && absl::SimpleAtoi(line.substr(6), &btime)) {
      return static_cast<double>(btime);
    }
  }
  return 0;
}

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return prometheus::MetricFamily{.name = name, .help = help, .type = type, .metric = {metric}};
}

class Collector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    auto figures = ReadProcessFigures();
    if (!figures.ok()) return {};
    using prometheus::MetricType;
    return {
        Family("process_cpu_seconds_total", "User and system CPU time spent, in seconds",
               MetricType::Counter, figures->cpu_seconds),
        Family("process_resident_memory_bytes", "Resident memory size, in bytes", MetricType::Gauge,
               static_cast<double>(figures->resident_memory_bytes)),
        Family("process_virtual_memory_bytes", "Virtual memory size, in bytes", MetricType::Gauge,
               static_cast<double>(figures->virtual_memory_bytes)),
        Family("process_open_fds", "Open file descriptors", MetricType::Gauge,
               static_cast<double>(figures->open_fds)),
        Family("process_max_fds", "Most file descriptors the process may open (soft limit)",
               MetricType::Gauge, static_cast<double>(figures->max_fds)),
        Family("process_threads", "Threads of the process", MetricType::Gauge,
               static_cast<double>(figures->threads)),
        Family("process_start_time_seconds", "Start time of the process since the Unix epoch",
               MetricType::Gauge, figures->start_time_seconds),
    };
  }
};

}  // namespace

absl::StatusOr<ProcessFigures> ReadProcessFigures() {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // "pid (comm) state ppid ...": the command may hold spaces and parentheses, so fields are
  // counted from the last ')'; after it, field 3 (state) is index 0.
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return absl::UnavailableError("/proc/self/stat unreadable");
  std::vector<std::string> fields = absl::StrSplit(stat.substr(paren + 2), ' ', absl::SkipEmpty());
  auto field = [&](int number) -> uint64_t {  // the field's number in proc(5)
    uint64_t value = 0;
    size_t index = static_cast<size_t>(number - 3);
    return index < fields.size() && absl::SimpleAtoi(fields[index], &value) ? value : 0;
  };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  ProcessFigures figures;
  figures.cpu_seconds = static_cast<double>(field(14) + field(15)) / ticks;
  figures.threads = field(20);
  figures.start_time_seconds = BootTime() + static_cast<double>(field(22)) / ticks;
  figures.virtual_memory_bytes = field(23);
  figures.resident_memory_bytes = field(24) * page;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++figures.open_fds;
  }
  if (figures.open_fds > 0) --figures.open_fds;  // the one the listing itself holds open
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) figures.max_fds = limit.rlim_cur;
  return figures;
}

std::shared_ptr<prometheus::Collectable> ProcessCollector() {
  return std::make_shared<Collector>();
}

}  // namespace sunlight::server
