// Scoring benchmark, in process over a real RocksDB store (synced writes, as in production):
// a month of a prefecture-level city (--cases, default 85,000) as the three streams would
// deliver it, then the month's scores computed from the stored records, then a 12-month
// trend by department from the aggregates. Prints
//   BENCH scoring_events_in_process_per_s <n> events/s  ingestion (ApplyEvents, batches of --batch)
//   BENCH scoring_month_recompute_s <s> s         one month's scores from its records
//   BENCH stats_query_in_process_p99_ms <ms> ms   the trend query, without gRPC and HTTP
//   BENCH scoring_monthly_report_ms <ms> ms       the month's report by department and by item
//                                                 (two statistics queries), median of
//                                                 --report_runs; its counts are checked against
//                                                 the generator's (scoring_history.h)
#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench_stats.h"
#include "scoring_history_events.h"
#include "sunlight/base/clock.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/scoring/scoring.h"
#include "sunlight/server/config.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight {
namespace {

namespace iv1 = ::sunlight::intake::v1;
namespace wv1 = ::sunlight::workflow::v1;
namespace sv1 = ::sunlight::supervision::v1;
namespace sc = ::sunlight::scoring;

int Run(int argc, char** argv) {
  auto config = server::ParseToolFlagsOrExit(
      argc, argv,
      {{"cases", "85000", "cases in the month"},
       {"departments", "30", "departments"},
       {"batch", "500", "events per ApplyEvents call"},
       {"data_dir", "", "store directory (required, removed by the caller)"},
       {"calendar", "data/calendars/cn-mainland.json", "working calendar"},
       {"queries", "200", "trend queries measured"},
       {"report_runs", "20", "monthly reports measured (after 3 unmeasured)"}});
  const int64_t cases = server::IntOrExit(config, "cases");
  const int64_t departments = server::IntOrExit(config, "departments");
  const size_t batch = static_cast<size_t>(server::IntOrExit(config, "batch"));
  auto calendar = calendar::WorkingCalendar::LoadFile(config.Get("calendar"));
  if (!calendar.ok() || config.Get("data_dir").empty()) {
    std::cerr << "scoring_bench: --data_dir and a readable --calendar are required\n";
    return 2;
  }
  std::vector<std::string> families = sc::ScoringColumnFamilies();
  for (auto& f : eventlog::ColumnFamilies()) families.push_back(f);
  auto store = storage::Store::Open(
      {.path = config.Get("data_dir"), .column_families = families, .sync_writes = true});
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  const absl::TimeZone zone = (*calendar)->time_zone();
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2026, 4, 2, 9, 0, 0), zone));
  auto scoring = sc::Scoring::Open(store->get(), *calendar, &clock);
  if (!scoring.ok()) {
    std::cerr << scoring.status() << "\n";
    return 1;
  }
  // The month of scoring_history.h, as the three streams deliver it.
  const std::vector<bench::HistoryCase> history = bench::ScoringHistory(cases, departments, zone);
  auto [intake, workflow, supervision] = bench::HistoryEvents(history, departments);
  absl::Time started = absl::Now();
  size_t total = 0;
  for (const auto& [stream, list] :
       {std::pair{sc::kIntakeStream, &intake}, std::pair{sc::kWorkflowStream, &workflow},
        std::pair{sc::kSupervisionStream, &supervision}}) {
    for (size_t at = 0; at < list->size(); at += batch) {
      std::vector<events::v1::CaseEvent> part(
          list->begin() + static_cast<long>(at),
          list->begin() + static_cast<long>(std::min(at + batch, list->size())));
      if (auto s = (*scoring)->ApplyEvents(stream, part); !s.ok()) {
        std::cerr << s << "\n";
        return 1;
      }
      total += part.size();
    }
  }
  double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  std::cout << absl::StrFormat("BENCH scoring_events_in_process_per_s %.1f events/s\n",
                               total / seconds);
  sc::v1::GetScoreSheetRequest sheet;
  sheet.set_month("2026-03");
  started = absl::Now();
  auto computed = (*scoring)->GetScoreSheet(sheet);
  if (!computed.ok()) {
    std::cerr << computed.status() << "\n";
    return 1;
  }
  std::cout << absl::StrFormat("BENCH scoring_month_recompute_s %.3f s\n",
                               absl::ToDoubleSeconds(absl::Now() - started));
  std::cerr << "# " << cases << " cases, " << total << " events, " << computed->scores_size()
            << " subjects scored\n";
  sc::v1::StatisticsRequest trend;
  trend.set_dimension(sc::v1::DIMENSION_DEPARTMENT);
  trend.set_period(sc::v1::PERIOD_MONTH);
  trend.set_from_day("2025-04-01");
  trend.set_to_day("2026-03-31");
  std::vector<double> latencies;
  for (int64_t q = 0; q < server::IntOrExit(config, "queries"); ++q) {
    absl::Time t = absl::Now();
    if (!(*scoring)->GetStatistics(trend).ok()) return 1;
    latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - t));
  }
  std::cout << absl::StrFormat("BENCH stats_query_in_process_p99_ms %.3f ms\n",
                               bench::Percentile(latencies, 0.99));
  // The monthly report the PostgreSQL peer (postgres_peer.cc --mode=monthly_report) times:
  // March by department and by item.
  sc::v1::StatisticsRequest by_department, by_item;
  by_department.set_dimension(sc::v1::DIMENSION_DEPARTMENT);
  by_department.set_period(sc::v1::PERIOD_MONTH);
  by_department.set_from_day(absl::FormatCivilTime(absl::CivilDay(bench::kHistoryMonth)));
  by_department.set_to_day(absl::FormatCivilTime(absl::CivilDay(bench::kHistoryMonth + 1) - 1));
  by_item = by_department;
  by_item.set_dimension(sc::v1::DIMENSION_ITEM);
  const int64_t runs = server::IntOrExit(config, "report_runs");
  std::vector<double> reports;
  for (int64_t run = -3; run < runs; ++run) {
    absl::Time t = absl::Now();
    auto departments_report = (*scoring)->GetStatistics(by_department);
    auto items_report = (*scoring)->GetStatistics(by_item);
    if (run >= 0) reports.push_back(absl::ToDoubleMilliseconds(absl::Now() - t));
    if (!departments_report.ok() || !items_report.ok()) {
      std::cerr << departments_report.status() << items_report.status() << "\n";
      return 1;
    }
    if (run != -3) continue;
    bench::MonthReport got;
    for (auto [response, rows] : {std::pair{&*departments_report, &got.by_department},
                                  std::pair{&*items_report, &got.by_item}}) {
      for (const auto& row : response->rows()) {
        const sc::v1::Measures& m = row.measures();
        bench::MonthCounts counts{
            .accepted = m.accepted(),
            .completed = m.completed(),
            .completed_on_time = m.completed_on_time(),
            .overdue = m.overdue(),
            .yellow = m.yellow(),
            .red = m.red(),
            .on_time_rate_bp = row.has_on_time_rate_bp() ? int64_t{row.on_time_rate_bp()} : -1};
        if (!counts.Empty()) (*rows)[row.value()] = counts;
      }
    }
    std::string difference = bench::MonthReportDifference(
        bench::ExpectedMonthReport(history, bench::kHistoryMonth, zone), got);
    if (!difference.empty()) {
      std::cerr << "scoring monthly report differs from the generator's: " << difference << "\n";
      return 1;
    }
    for (const char* department : {"dept-0", "dept-10"}) {
      std::cerr << "# check scoring " << department << " "
                << got.by_department[department].ToString() << "\n";
    }
    std::cerr << "# scoring monthly report: " << got.by_department.size() << " departments and "
              << got.by_item.size() << " items, as the generator counts them\n";
  }
  std::cout << absl::StrFormat("BENCH scoring_monthly_report_ms %.3f ms\n",
                               bench::Percentile(reports, 0.5));
  return 0;
}

}  // namespace
}  // namespace sunlight

int main(int argc, char** argv) { return sunlight::Run(argc, argv); }
