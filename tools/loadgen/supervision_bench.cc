// sunlight_supervision_bench: the measuring side of the supervision benchmark in
// ./tools/bench, against a real supervision binary fed by sunlight_synthetic_stream.
//
//   --phase=load    waits until supervision has planned --events clocks (one light event
//                   each on its stream); prints BENCH supervision_events_per_s
//   --phase=offset  prints the --clock_offset (seconds) that puts supervision --lead before
//                   the first midnight at which synthetic clocks turn yellow (its restart with
//                   a million clocks takes about 15 s)
//   --phase=fire    follows supervision's stream for --duration and prints the p99 delay
//                   between each transition's instant and its firing, and the RSS of --pid
//   --phase=replan  adds a holiday inside the clocks' days through SetCalendar; prints the
//                   seconds it took and how many clocks it re-planned (those it can move)
//   --phase=replan_unaffected  the same with a holiday outside every open clock's days
//   --phase=replan_all  moves the red rule a working day later (every open clock re-planned)
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/events/v1/events.grpc.pb.h"
#include "sunlight/server/config.h"
#include "sunlight/supervision/v1/supervision.grpc.pb.h"
#include "tool_flags.h"

namespace {

namespace sv1 = sunlight::supervision::v1;

uint64_t LastSequence(sunlight::events::v1::EventStream::Stub& stub) {
  grpc::ClientContext context;
  sunlight::events::v1::StreamInfo info;
  if (!stub.GetStreamInfo(&context, sunlight::events::v1::GetStreamInfoRequest(), &info).ok()) {
    return 0;
  }
  return info.last_sequence();
}

// User + system CPU seconds used so far by process `pid`.
double CpuSeconds(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat;
  std::getline(in, stat);
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double utime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) return (utime + std::stod(field)) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return 0;
}

double RssMib(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const sunlight::server::Config config = sunlight::server::ParseToolFlagsOrExit(
      argc, argv,
      sunlight::bench::Join(
          {sunlight::bench::CalendarFlags(),
           {{"phase", "load", "load | offset | fire | replan | replan_unaffected | replan_all"},
            {"target", "127.0.0.1:7003", "supervision address"},
            {"events", "1000000", "synthetic cases expected"},
            {"first_day", "2026-12-01", "first acceptance day of the synthetic stream"},
            {"duration", "20s", "fire phase: how long to watch"},
            {"lead", "60s", "offset phase: how long before the midnight supervision starts"},
            {"pid", "", "fire phase: supervision's process id, for its RSS"},
            {"suffix", "", "appended to every figure's name (e.g. _10m)"}}}));
  auto channel = grpc::CreateChannel(config.Get("target"), grpc::InsecureChannelCredentials());
  auto stream = sunlight::events::v1::EventStream::NewStub(channel);
  auto years = sunlight::calendar::ParseProvisionalYears(config.Get("provisional_years"));
  auto calendar = sunlight::calendar::WorkingCalendar::LoadFile(
      config.Get("calendar"), years.ok() ? *years : std::vector<int>{});
  if (!calendar.ok()) {
    std::cerr << calendar.status() << "\n";
    return 1;
  }
  const std::string phase = config.Get("phase");
  const std::string suffix = config.Get("suffix");
  auto bench = [&](const std::string& name, double value, const char* unit) {
    std::cout << absl::StrFormat("BENCH %s%s %.*f %s\n", name, suffix,
                                 value == static_cast<double>(static_cast<int64_t>(value)) ? 0 : 3,
                                 value, unit);
  };

  if (phase == "load") {
    uint64_t events = static_cast<uint64_t>(sunlight::server::IntOrExit(config, "events"));
    absl::Time start = absl::Now();
    uint64_t last = 0;
    // At least 2,000 clocks a second (a tenth of what a slow machine plans) or it gives up.
    const absl::Duration limit = absl::Minutes(5) + absl::Seconds(events / 2000);
    while ((last = LastSequence(*stream)) < events) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (absl::Now() - start > limit) {
        std::cerr << "load: only " << last << " of " << events << " clocks after "
                  << absl::FormatDuration(limit) << "\n";
        return 1;
      }
    }
    double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    bench("supervision_events_per_s", static_cast<double>(events) / seconds, "events/s");
    std::cerr << absl::StrFormat("load: %d clocks planned in %.1f s\n", events, seconds);
    return 0;
  }

  if (phase == "offset") {
    // Group 0 is accepted on the first working day W0; its yellow instant is 00:00 after
    // the first working day following W0.
    absl::CivilDay day;
    if (!absl::ParseCivilTime(config.Get("first_day"), &day)) return 2;
    auto working = [&](absl::CivilDay d) {
      auto kind = (*calendar)->Classify(d);
      return kind.ok() && sunlight::calendar::IsWorkingDay(*kind);
    };
    while (!working(day)) ++day;
    absl::CivilDay next = day + 1;
    while (!working(next)) ++next;
    absl::Time midnight = absl::FromCivil(next + 1, (*calendar)->time_zone());
    const absl::Duration lead = sunlight::server::DurationOrExit(config, "lead");
    std::cout << absl::ToInt64Seconds(midnight - lead - absl::Now()) << "\n";
    return 0;
  }

  if (phase == "fire") {
    const absl::Duration duration = sunlight::server::DurationOrExit(config, "duration");
    grpc::ClientContext context;
    sunlight::events::v1::SubscribeRequest request;
    request.set_from_sequence(LastSequence(*stream) + 1);
    auto reader = stream->Subscribe(&context, request);
    std::vector<double> delays;
    std::thread stopper([&] {
      std::this_thread::sleep_for(absl::ToChronoNanoseconds(duration));
      context.TryCancel();
    });
    sunlight::events::v1::CaseEvent event;
    double rss = 0;
    const std::string pid = config.Get("pid");
    double cpu_before = pid.empty() ? 0 : CpuSeconds(pid);
    while (reader->Read(&event)) {
      if (event.type() != "supervision.light.changed") continue;
      sv1::LightChanged changed;
      if (!event.payload().UnpackTo(&changed)) continue;
      const auto& clock = changed.clock();
      absl::Time instant;
      if (changed.to() == sv1::LIGHT_YELLOW) {
        instant = sunlight::FromProto(clock.yellow_at());
      } else if (changed.to() == sv1::LIGHT_RED) {
        instant = sunlight::FromProto(clock.red_at());
      } else {
        continue;
      }
      delays.push_back(
          absl::ToDoubleMilliseconds(sunlight::FromProto(event.occurred_at()) - instant));
      if (delays.size() == 1 && !config.Get("pid").empty()) rss = RssMib(config.Get("pid"));
    }
    stopper.join();
    (void)reader->Finish();
    double cpu = pid.empty() ? 0 : CpuSeconds(pid) - cpu_before;
    if (!pid.empty()) rss = std::max(rss, RssMib(pid));
    std::sort(delays.begin(), delays.end());
    double p50 = delays.empty() ? 0 : delays[delays.size() / 2];
    double p99 = delays.empty() ? 0 : delays[static_cast<size_t>(0.99 * (delays.size() - 1))];
    bench("supervision_rss_mib", rss, "MiB");
    bench("supervision_fire_transitions", static_cast<double>(delays.size()), "transitions");
    bench("supervision_fire_delay_p50_ms", p50, "ms");
    bench("supervision_fire_delay_p99_ms", p99, "ms");
    if (!pid.empty() && !delays.empty()) {
      bench("supervision_cpu_s_per_1000_transitions",
            cpu * 1000.0 / static_cast<double>(delays.size()), "s");
    }
    std::cerr << absl::StrFormat(
        "fire: %d transitions at one midnight; supervision CPU %.2f s over the %s window\n",
        delays.size(), cpu, config.Get("duration"));
    return delays.empty() ? 1 : 0;
  }

  auto supervision = sv1::Supervision::NewStub(channel);
  // "supervision_replan_all_s" and its count "supervision_replan_all_clocks".
  auto timed = [&](const std::string& name, size_t replanned, absl::Time start,
                   const std::string& what) {
    bench(absl::StrCat(name, "_s"), absl::ToDoubleSeconds(absl::Now() - start), "s");
    bench(absl::StrCat(name, "_clocks"), static_cast<double>(replanned), "clocks");
    std::cerr << absl::StrFormat("%s: %d open clocks re-planned after %s\n", name, replanned, what);
  };
  if (phase == "replan" || phase == "replan_unaffected") {
    std::ifstream in(config.Get("calendar"));
    std::stringstream text;
    text << in.rdbuf();
    sunlight::calendar::v1::HolidayCalendarFile file;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(text.str(), &file, options).ok()) return 1;
    for (int year : *years) file.add_provisional_years(year);
    // replan: a new holiday inside the synthetic range, the 10th working day from the first
    // day (the clocks whose days hold it move); replan_unaffected: one on the 30th working
    // day before the first day, outside every open clock's days.
    absl::CivilDay day;
    (void)absl::ParseCivilTime(config.Get("first_day"), &day);
    const int step = phase == "replan" ? 1 : -1;
    const int nth = phase == "replan" ? 10 : 30;
    if (step < 0) day -= 1;
    for (int seen = 0;; day += step) {
      auto kind = (*calendar)->Classify(day);
      if (kind.ok() && sunlight::calendar::IsWorkingDay(*kind) && ++seen == nth) break;
    }
    std::string date = absl::FormatCivilTime(day).substr(0, 10);
    (*file.mutable_years())[date.substr(0, 4)].add_days_off(date);
    file.set_version(absl::StrCat("bench-extra-holiday-", date));
    grpc::ClientContext context;
    sv1::SetCalendarRequest request;
    request.mutable_actor()->set_id("bench-admin");
    *request.mutable_calendar() = file;
    sv1::SetCalendarResponse response;
    absl::Time start = absl::Now();
    grpc::Status status = supervision->SetCalendar(&context, request, &response);
    if (!status.ok()) {
      std::cerr << phase << ": " << status.error_message() << "\n";
      return 1;
    }
    timed(phase == "replan" ? "supervision_replan" : "supervision_replan_unaffected",
          response.replanned(), start, absl::StrCat("adding the holiday ", date));
    return 0;
  }
  if (phase == "replan_all") {
    // A rule change that moves every open clock's red instant one working day later.
    grpc::ClientContext get_context;
    sv1::RuleSet rules;
    if (!supervision->GetRuleSet(&get_context, sv1::GetRuleSetRequest(), &rules).ok()) return 1;
    grpc::ClientContext context;
    sv1::SetRuleSetRequest request;
    request.mutable_actor()->set_id("bench-admin");
    *request.mutable_rules() = rules;
    request.mutable_rules()->mutable_red()->set_offset_working_days(
        rules.red().offset_working_days() + 1);
    sv1::ReplanResponse response;
    absl::Time start = absl::Now();
    grpc::Status status = supervision->SetRuleSet(&context, request, &response);
    if (!status.ok()) {
      std::cerr << "replan_all: " << status.error_message() << "\n";
      return 1;
    }
    timed("supervision_replan_all", response.replanned(), start,
          "moving every red instant a working day later");
    return 0;
  }
  std::cerr << "unknown --phase\n";
  return 2;
}
