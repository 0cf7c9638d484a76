// The synthetic month of the scoring benchmarks, in one place so that the scoring benchmark
// (scoring_bench.cc, through the three streams) and its PostgreSQL peer (postgres_peer.cc
// --mode=monthly_report, as rows of a cases table) load the same cases; and the month's
// report by department and by item computed here from those cases, which both check against.
//
// A prefecture-level city's March 2026: case i is accepted on one of the 26 days from Monday
// 2 March at 09:00-16:59 local time, completed 0-9 days (plus two hours) later, due seven days
// after acceptance (so completed on time when at most six days later); one case in ten turns
// yellow and one in thirty red (those are yellow too), 100 hours after acceptance.
#ifndef SUNLIGHT_TOOLS_LOADGEN_SCORING_HISTORY_H_
#define SUNLIGHT_TOOLS_LOADGEN_SCORING_HISTORY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace sunlight::bench {

inline constexpr uint64_t kHistorySeed = 42;
inline constexpr int64_t kHistoryItems = 200;
// The month the history falls in (completions run on into April).
inline constexpr absl::CivilMonth kHistoryMonth(2026, 3);

struct HistoryCase {
  int64_t index;
  std::string case_id;        // "c-000000000042"
  std::string department_id;  // "dept-<index % departments>"
  std::string item_code;      // "IT-<index % 200>"
  bool online;                // one in three online, the others at a window
  absl::Time accepted;
  absl::Time completed;
  absl::Time due;
  std::optional<absl::Time> yellow_at;
  std::optional<absl::Time> red_at;
};

// The history's cases, local times in `zone` (the working calendar's).
inline std::vector<HistoryCase> ScoringHistory(int64_t cases, int64_t departments,
                                               absl::TimeZone zone) {
  std::mt19937_64 random(kHistorySeed);
  const absl::Time month_start = absl::FromCivil(absl::CivilSecond(2026, 3, 2, 9, 0, 0), zone);
  std::vector<HistoryCase> history;
  history.reserve(static_cast<size_t>(cases));
  for (int64_t i = 0; i < cases; ++i) {
    // The draws in a fixed order (the one GCC gave the benchmark's first, single-expression
    // version): the minute within the day, the day, the days to completion.
    const uint64_t minute = random() % 480;
    const uint64_t day = random() % 26;
    const absl::Time accepted = month_start + absl::Hours(24 * static_cast<int64_t>(day)) +
                                absl::Minutes(static_cast<int64_t>(minute));
    const uint64_t completion_days = random() % 10;
    HistoryCase c{.index = i,
                  .case_id = absl::StrFormat("c-%012d", i),
                  .department_id = absl::StrCat("dept-", i % departments),
                  .item_code = absl::StrCat("IT-", i % kHistoryItems),
                  .online = i % 3 == 0,
                  .accepted = accepted,
                  .completed = accepted + absl::Hours(24 * static_cast<int64_t>(completion_days)) +
                               absl::Hours(2),
                  .due = accepted + absl::Hours(24 * 7),
                  .yellow_at = std::nullopt,
                  .red_at = std::nullopt};
    // One in ten and one in thirty, shifting with each run of thirty cases so that every
    // department gets some (a red case is yellow too: 10 divides 30).
    if (i % 10 == (i / 30) % 10) c.yellow_at = accepted + absl::Hours(100);
    if (i % 30 == (i / 30) % 30) c.red_at = accepted + absl::Hours(100);
    history.push_back(std::move(c));
  }
  return history;
}

// One row of the monthly report. Each count falls on its own local day, as scoring counts it:
// accepted on the day of acceptance; completed, completed on time (at or before the due
// instant) and overdue on the day of completion; yellow and red on the day the light changed.
struct MonthCounts {
  uint64_t accepted = 0;
  uint64_t completed = 0;
  uint64_t completed_on_time = 0;
  uint64_t overdue = 0;
  uint64_t yellow = 0;
  uint64_t red = 0;
  // completed_on_time / completed in basis points, rounded half up; -1 when none completed.
  int64_t on_time_rate_bp = -1;

  bool operator==(const MonthCounts&) const = default;
  bool Empty() const { return accepted + completed + yellow + red == 0; }
  std::string ToString() const {
    return absl::StrFormat(
        "accepted=%d completed=%d completed_on_time=%d overdue=%d yellow=%d red=%d "
        "on_time_rate_bp=%d",
        accepted, completed, completed_on_time, overdue, yellow, red, on_time_rate_bp);
  }
};

inline int64_t OnTimeRateBp(uint64_t completed_on_time, uint64_t completed) {
  if (completed == 0) return -1;
  return static_cast<int64_t>((completed_on_time * 10000 + completed / 2) / completed);
}

// Rows by value; groups with nothing in the month are left out.
struct MonthReport {
  std::map<std::string, MonthCounts> by_department;
  std::map<std::string, MonthCounts> by_item;
};

// The report `history` must produce for `month` in `zone`.
inline MonthReport ExpectedMonthReport(const std::vector<HistoryCase>& history,
                                       absl::CivilMonth month, absl::TimeZone zone) {
  auto in_month = [&](absl::Time at) {
    return absl::CivilMonth(absl::ToCivilDay(at, zone)) == month;
  };
  MonthReport report;
  for (const HistoryCase& c : history) {
    MonthCounts add;
    add.accepted = in_month(c.accepted) ? 1 : 0;
    if (in_month(c.completed)) {
      add.completed = 1;
      add.completed_on_time = c.completed <= c.due ? 1 : 0;
      add.overdue = 1 - add.completed_on_time;
    }
    add.yellow = c.yellow_at.has_value() && in_month(*c.yellow_at) ? 1 : 0;
    add.red = c.red_at.has_value() && in_month(*c.red_at) ? 1 : 0;
    if (add.Empty()) continue;
    for (MonthCounts* row :
         {&report.by_department[c.department_id], &report.by_item[c.item_code]}) {
      row->accepted += add.accepted;
      row->completed += add.completed;
      row->completed_on_time += add.completed_on_time;
      row->overdue += add.overdue;
      row->yellow += add.yellow;
      row->red += add.red;
    }
  }
  for (auto* rows : {&report.by_department, &report.by_item}) {
    for (auto& [value, row] : *rows) {
      row.on_time_rate_bp = OnTimeRateBp(row.completed_on_time, row.completed);
    }
  }
  return report;
}

// "" when `got` is `expected`, else the first difference.
inline std::string MonthReportDifference(const MonthReport& expected, const MonthReport& got) {
  for (auto [name, want, have] :
       {std::tuple{"department", &expected.by_department, &got.by_department},
        std::tuple{"item", &expected.by_item, &got.by_item}}) {
    for (const auto& [value, row] : *want) {
      auto found = have->find(value);
      if (found == have->end()) return absl::StrCat(name, " ", value, ": missing");
      if (!(found->second == row)) {
        return absl::StrCat(name, " ", value, ": ", found->second.ToString(), ", expected ",
                            row.ToString());
      }
    }
    for (const auto& [value, row] : *have) {
      if (want->count(value) == 0) return absl::StrCat(name, " ", value, ": not expected");
    }
  }
  return "";
}

}  // namespace sunlight::bench

#endif  // SUNLIGHT_TOOLS_LOADGEN_SCORING_HISTORY_H_
