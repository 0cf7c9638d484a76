// sunlight_postgres_peer: the PostgreSQL baselines of ./tools/bench, written the way a
// competent engineer would write the same thing on a relational database (libpq, prepared
// statements, one connection per client, the case row and its events in one transaction,
// batched polling with an index on the due instant).
//
//   --mode=intake    the intake benchmark's workload (submit + accept of a new case) with the
//                    same fields, the same closed-loop harness and concurrency; prints
//                    postgres_intake_cases_per_s and postgres_intake_p99_ms
//   --mode=deadline  --clocks open clocks in a table with a partial index on the due instant
//                    (not yet fired); --burst of them fall due at one instant; a poller runs,
//                    every second, the query a deployed system runs (due now and not yet
//                    fired: mark fired) for 90 s; prints postgres_fire_delay_p99_ms and the CPU
//                    seconds (PostgreSQL's processes and the poller) per 1,000 transitions
//   --mode=monthly_report  the scoring benchmark's month (scoring_history.h, the same cases)
//                    in a cases table indexed on its instants; the month's report by
//                    department and by item (one GROUPING SETS query, local days in the
//                    calendar's zone), checked against the generator's counts; prints
//                    postgres_monthly_report_ms, the median of --runs after 3 unmeasured
#include <dirent.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "bench_stats.h"
#include "scoring_history.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/calendar/deadline.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/server/config.h"
#include "tool_flags.h"

namespace {

using sunlight::bench::Percentile;

// Exits on a database error: this is a benchmark driver, not a service.
PGresult* Check(PGconn* conn, PGresult* result, const char* what) {
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::cerr << what << ": " << PQerrorMessage(conn) << "\n";
    std::exit(1);
  }
  return result;
}

void Exec(PGconn* conn, const char* sql) { PQclear(Check(conn, PQexec(conn, sql), sql)); }

PGconn* Connect(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::cerr << "connect: " << PQerrorMessage(conn) << "\n";
    std::exit(1);
  }
  return conn;
}

PGresult* Prepared(PGconn* conn, const char* name, std::vector<std::string> params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  return Check(conn,
               PQexecPrepared(conn, name, static_cast<int>(values.size()), values.data(), nullptr,
                              nullptr, 0),
               name);
}

// CPU seconds (user + system) used so far by every process whose name is `name`.
double CpuSecondsOf(const std::string& name) {
  double total = 0;
  long ticks = sysconf(_SC_CLK_TCK);
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  while (dirent* entry = readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::ifstream in(absl::StrCat("/proc/", entry->d_name, "/stat"));
    std::string stat;
    std::getline(in, stat);
    size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    if (stat.substr(open + 1, close - open - 1) != name) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) {
        stime = std::stod(field);
        break;
      }
    }
    total += (utime + stime) / static_cast<double>(ticks);
  }
  closedir(proc);
  return total;
}

double OwnCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

constexpr char kSchema[] = R"(
SET client_min_messages = warning;
DROP TABLE IF EXISTS case_events, idempotency, cases;
CREATE TABLE cases (
  case_id bigserial PRIMARY KEY, case_number text NOT NULL UNIQUE, state text NOT NULL,
  item_code text NOT NULL, item_version int NOT NULL, department_id text NOT NULL,
  channel text NOT NULL, applicant_kind text NOT NULL, applicant_name text NOT NULL,
  applicant_id_number text NOT NULL, applicant_phone text NOT NULL, subject text NOT NULL,
  materials jsonb NOT NULL, submitted_at timestamptz NOT NULL, submitted_by text NOT NULL,
  query_code text NOT NULL, accepted_at timestamptz, accepted_by text, window_id text,
  promised_due timestamptz, statutory_due timestamptz, calendar_version text,
  version int NOT NULL);
CREATE INDEX cases_by_department ON cases (department_id, submitted_at);
CREATE TABLE idempotency (actor_id text, key text, case_id bigint NOT NULL,
  PRIMARY KEY (actor_id, key));
CREATE TABLE case_events (sequence bigserial PRIMARY KEY, case_id bigint NOT NULL,
  case_version int NOT NULL, type text NOT NULL, actor_id text NOT NULL,
  occurred_at timestamptz NOT NULL, payload jsonb NOT NULL, UNIQUE (case_id, case_version));
)";

int RunIntake(const sunlight::server::Config& config) {
  auto calendar = sunlight::calendar::WorkingCalendar::LoadFile(
      config.Get("calendar"),
      *sunlight::calendar::ParseProvisionalYears(config.Get("provisional_years")));
  if (!calendar.ok()) {
    std::cerr << calendar.status() << "\n";
    return 1;
  }
  PGconn* admin = Connect(config.Get("conninfo"));
  Exec(admin, kSchema);
  PQfinish(admin);
  const int clients = static_cast<int>(sunlight::server::IntOrExit(config, "clients"));
  const absl::Duration duration = sunlight::server::DurationOrExit(config, "duration");
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  std::atomic<bool> measuring{false}, stop{false};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      PGconn* conn = Connect(config.Get("conninfo"));
      PQclear(Check(
          conn,
          PQprepare(conn, "find_key",
                    "SELECT case_id FROM idempotency WHERE actor_id=$1 AND key=$2", 2, nullptr),
          "prepare"));
      PQclear(
          Check(conn,
                PQprepare(conn, "insert_case",
                          "INSERT INTO cases (case_number, state, item_code, item_version, "
                          "department_id, channel, applicant_kind, applicant_name, "
                          "applicant_id_number, applicant_phone, subject, materials, submitted_at, "
                          "submitted_by, query_code, version) VALUES ($1, 'SUBMITTED', $2, 1, $3, "
                          "'WINDOW', 'PERSON', $4, $5, $6, $7, $8::jsonb, now(), $9, $10, 1) "
                          "RETURNING case_id",
                          10, nullptr),
                "prepare"));
      PQclear(Check(conn,
                    PQprepare(conn, "insert_key",
                              "INSERT INTO idempotency (actor_id, key, case_id) VALUES "
                              "($1, $2, $3)",
                              3, nullptr),
                    "prepare"));
      PQclear(Check(conn,
                    PQprepare(conn, "insert_event",
                              "INSERT INTO case_events (case_id, case_version, type, actor_id, "
                              "occurred_at, payload) VALUES ($1, $2, $3, $4, now(), $5::jsonb)",
                              5, nullptr),
                    "prepare"));
      PQclear(Check(
          conn,
          PQprepare(conn, "lock_case",
                    "SELECT state, version FROM cases WHERE case_id=$1 FOR UPDATE", 1, nullptr),
          "prepare"));
      PQclear(Check(conn,
                    PQprepare(conn, "accept_case",
                              "UPDATE cases SET state='ACCEPTED', accepted_at=$2, "
                              "accepted_by=$3, window_id=$4, promised_due=$5, statutory_due=$6, "
                              "calendar_version=$7, version=version+1 WHERE case_id=$1",
                              7, nullptr),
                    "prepare"));
      const std::string materials =
          R"([{"code":"id-card","name":"身份证 ID card","document_ref":"doc://bench/id-card"},)"
          R"({"code":"application-form","name":"申请书 Application form","document_ref":"doc://bench/form"}])";
      auto& mine = latencies[static_cast<size_t>(t)];
      for (uint64_t i = 0; !stop; ++i) {
        absl::Time start = absl::Now();
        std::string key = absl::StrCat("bench-", run, "-", t, "-", i);
        // Submit: idempotency check, case row, key, event - one transaction.
        Exec(conn, "BEGIN");
        PQclear(Prepared(conn, "find_key", {"bench-clerk", key}));
        PGresult* inserted =
            Prepared(conn, "insert_case",
                     {absl::StrCat("B", run, "-", t, "-", i), "BENCH-001", "bench", "李明",
                      "110101199003071234", "13812345678", "Benchmark noodle shop 基准面馆",
                      materials, "bench-clerk", "123456"});
        std::string case_id = PQgetvalue(inserted, 0, 0);
        PQclear(inserted);
        PQclear(Prepared(conn, "insert_key", {"bench-clerk", key, case_id}));
        PQclear(
            Prepared(conn, "insert_event",
                     {case_id, "1", "intake.case.submitted", "bench-clerk",
                      absl::StrCat(R"({"item_code":"BENCH-001","materials":)", materials, "}")}));
        Exec(conn, "COMMIT");
        // Accept: lock, compute both due instants with the same calendar, update, event.
        Exec(conn, "BEGIN");
        PQclear(Prepared(conn, "lock_case", {case_id}));
        absl::Time now = absl::Now();
        sunlight::calendar::DeadlineRequest request{.accepted_at = now, .as_of = now};
        request.limit.set_amount(5);
        request.limit.set_unit(sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS);
        auto promised = sunlight::calendar::ComputeDeadline(**calendar, request);
        request.limit.set_amount(10);
        auto statutory = sunlight::calendar::ComputeDeadline(**calendar, request);
        if (!promised.ok() || !statutory.ok()) {
          std::cerr << "deadline: " << promised.status() << statutory.status() << "\n";
          std::exit(1);
        }
        std::string accepted = absl::FormatTime(absl::RFC3339_full, now, absl::UTCTimeZone());
        PQclear(Prepared(conn, "accept_case",
                         {case_id, accepted, "bench-clerk", "",
                          absl::FormatTime(absl::RFC3339_full, promised->due, absl::UTCTimeZone()),
                          absl::FormatTime(absl::RFC3339_full, statutory->due, absl::UTCTimeZone()),
                          (*calendar)->versioned_name()}));
        PQclear(Prepared(
            conn, "insert_event",
            {case_id, "2", "intake.case.accepted", "bench-clerk",
             absl::StrCat(R"({"promised_due":")",
                          absl::FormatTime(absl::RFC3339_full, promised->due, absl::UTCTimeZone()),
                          R"("})")}));
        Exec(conn, "COMMIT");
        if (measuring) mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      }
      PQfinish(conn);
    });
  }
  double seconds = sunlight::bench::RunWindow(absl::Seconds(1), duration, measuring, stop, threads);
  std::vector<double> all = sunlight::bench::Merged(latencies);
  std::cout << absl::StrFormat("BENCH postgres_intake_cases_per_s %.1f cases/s\n",
                               static_cast<double>(all.size()) / seconds);
  std::cout << absl::StrFormat("BENCH postgres_intake_p99_ms %.3f ms\n", Percentile(all, 0.99));
  return 0;
}

int RunDeadline(const sunlight::server::Config& config) {
  const int64_t clocks = sunlight::server::IntOrExit(config, "clocks");
  const int64_t burst = sunlight::server::IntOrExit(config, "burst");
  PGconn* conn = Connect(config.Get("conninfo"));
  Exec(conn, "SET client_min_messages = warning");
  Exec(conn, "DROP TABLE IF EXISTS clocks");
  Exec(conn,
       "CREATE TABLE clocks (clock_id bigint PRIMARY KEY, case_id text NOT NULL, "
       "department_id text NOT NULL, due timestamptz NOT NULL, fired_at timestamptz)");
  // The burst falls due 60 s after loading and the poller runs 90 s, the same shape as the
  // supervision fire window (60 s before its midnight, 30 s after); the rest of the clocks
  // fall due over the next 200 days.
  std::string load = absl::StrFormat(
      "INSERT INTO clocks SELECT g, 'c' || g, 'dept-' || (g %% 40), "
      "CASE WHEN g <= %d THEN date_trunc('second', now()) + interval '60 seconds' "
      "ELSE now() + interval '1 day' + (g %% 200) * interval '1 day' END, NULL "
      "FROM generate_series(1, %d) AS g",
      burst, clocks);
  Exec(conn, load.c_str());
  Exec(conn, "CREATE INDEX clocks_due_open ON clocks (due) WHERE fired_at IS NULL");
  Exec(conn, "VACUUM ANALYZE clocks");
  // The deployed system's poll: everything due and not yet fired, marked fired, in batches.
  PQclear(Check(conn,
                PQprepare(conn, "poll",
                          "WITH due AS (SELECT clock_id FROM clocks WHERE fired_at IS NULL AND "
                          "due <= now() ORDER BY due LIMIT 10000 FOR UPDATE SKIP LOCKED) "
                          "UPDATE clocks c SET fired_at = clock_timestamp() FROM due "
                          "WHERE c.clock_id = due.clock_id "
                          "RETURNING extract(epoch FROM (c.fired_at - c.due)) * 1000",
                          0, nullptr),
                "prepare"));
  double cpu_before = CpuSecondsOf("postgres") + OwnCpuSeconds();
  std::vector<double> delays;
  absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (absl::Now() < deadline) {
    absl::Time tick = absl::Now();
    int rows = 0;
    do {
      Exec(conn, "BEGIN");
      PGresult* result = Prepared(conn, "poll", {});
      rows = PQntuples(result);
      for (int r = 0; r < rows; ++r) delays.push_back(std::stod(PQgetvalue(result, r, 0)));
      PQclear(result);
      Exec(conn, "COMMIT");
    } while (rows == 10000);
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(
        std::max(absl::ZeroDuration(), tick + absl::Seconds(1) - absl::Now())));
  }
  double cpu = CpuSecondsOf("postgres") + OwnCpuSeconds() - cpu_before;
  PQfinish(conn);
  size_t fired = delays.size();
  std::cout << absl::StrFormat("BENCH postgres_fire_delay_p50_ms %.1f ms\n",
                               Percentile(delays, 0.5));
  std::cout << absl::StrFormat("BENCH postgres_fire_delay_p99_ms %.1f ms\n",
                               Percentile(delays, 0.99));
  std::cout << absl::StrFormat("BENCH postgres_cpu_s_per_1000_transitions %.3f s\n",
                               fired == 0 ? 0 : cpu * 1000.0 / static_cast<double>(fired));
  std::cerr << absl::StrFormat(
      "postgres deadline: %d clocks, %d fired; CPU %.2f s over the polling window "
      "(PostgreSQL processes and the poller), polled every second for 90 s\n",
      clocks, fired, cpu);
  return fired == 0 ? 1 : 0;
}

// The scoring benchmark's month as a table: one row per case, its instants as timestamptz.
constexpr char kReportSchema[] = R"(
SET client_min_messages = warning;
DROP TABLE IF EXISTS cases;
CREATE TABLE cases (
  case_id text PRIMARY KEY, department_id text NOT NULL, item_code text NOT NULL,
  channel text NOT NULL, accepted_at timestamptz NOT NULL, completed_at timestamptz,
  due_at timestamptz, yellow_at timestamptz, red_at timestamptz);
)";

// Created after the load, as for any bulk load; every instant a report filters on.
constexpr char kReportIndexes[] = R"(
CREATE INDEX cases_accepted ON cases (accepted_at);
CREATE INDEX cases_completed ON cases (completed_at);
CREATE INDEX cases_yellow ON cases (yellow_at) WHERE yellow_at IS NOT NULL;
CREATE INDEX cases_red ON cases (red_at) WHERE red_at IS NOT NULL;
)";

// The month's report by department and by item. A month is its local days in the calendar's
// zone: [{lo}, {hi}) are its first instant and the next month's, timestamp AT TIME ZONE zone
// (constants, folded when the statement is planned). Each count on its own day, as scoring
// counts it; the on-time rate in basis points rounded half up.
constexpr char kReport[] = R"(
SELECT dimension, value, accepted, completed, completed_on_time, overdue, yellow, red,
  CASE WHEN completed > 0 THEN (completed_on_time * 10000 + completed / 2) / completed END
    AS on_time_rate_bp
FROM (
  SELECT CASE WHEN GROUPING(department_id) = 0 THEN 'department' ELSE 'item' END AS dimension,
    COALESCE(department_id, item_code) AS value,
    count(*) FILTER (WHERE accepted_at >= {lo} AND accepted_at < {hi}) AS accepted,
    count(*) FILTER (WHERE completed_at >= {lo} AND completed_at < {hi}) AS completed,
    count(*) FILTER (WHERE completed_at >= {lo} AND completed_at < {hi}
                     AND (due_at IS NULL OR completed_at <= due_at)) AS completed_on_time,
    count(*) FILTER (WHERE completed_at >= {lo} AND completed_at < {hi}
                     AND completed_at > due_at) AS overdue,
    count(*) FILTER (WHERE yellow_at >= {lo} AND yellow_at < {hi}) AS yellow,
    count(*) FILTER (WHERE red_at >= {lo} AND red_at < {hi}) AS red
  FROM cases
  WHERE (accepted_at >= {lo} AND accepted_at < {hi})
     OR (completed_at >= {lo} AND completed_at < {hi})
     OR (yellow_at >= {lo} AND yellow_at < {hi}) OR (red_at >= {lo} AND red_at < {hi})
  GROUP BY GROUPING SETS ((department_id), (item_code))) AS report
ORDER BY dimension, value
)";

std::string Utc(absl::Time at) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", at, absl::UTCTimeZone());
}

int RunMonthlyReport(const sunlight::server::Config& config) {
  auto calendar = sunlight::calendar::WorkingCalendar::LoadFile(
      config.Get("calendar"),
      *sunlight::calendar::ParseProvisionalYears(config.Get("provisional_years")));
  if (!calendar.ok()) {
    std::cerr << calendar.status() << "\n";
    return 1;
  }
  const absl::TimeZone zone = (*calendar)->time_zone();
  const auto history =
      sunlight::bench::ScoringHistory(sunlight::server::IntOrExit(config, "cases"),
                                      sunlight::server::IntOrExit(config, "departments"), zone);
  PGconn* conn = Connect(config.Get("conninfo"));
  Exec(conn, kReportSchema);
  PGresult* copy = PQexec(conn, "COPY cases FROM STDIN");
  if (PQresultStatus(copy) != PGRES_COPY_IN) {
    std::cerr << "copy: " << PQerrorMessage(conn) << "\n";
    return 1;
  }
  PQclear(copy);
  std::string rows;
  for (const auto& c : history) {
    absl::StrAppend(&rows, c.case_id, "\t", c.department_id, "\t", c.item_code, "\t",
                    c.online ? "online" : "window", "\t", Utc(c.accepted), "\t", Utc(c.completed),
                    "\t", Utc(c.due), "\t", c.yellow_at ? Utc(*c.yellow_at) : "\\N", "\t",
                    c.red_at ? Utc(*c.red_at) : "\\N", "\n");
  }
  if (PQputCopyData(conn, rows.data(), static_cast<int>(rows.size())) != 1 ||
      PQputCopyEnd(conn, nullptr) != 1) {
    std::cerr << "copy: " << PQerrorMessage(conn) << "\n";
    return 1;
  }
  PQclear(Check(conn, PQgetResult(conn), "copy"));
  Exec(conn, kReportIndexes);
  Exec(conn, "VACUUM ANALYZE cases");
  const absl::CivilMonth month = sunlight::bench::kHistoryMonth;
  auto bound = [&](absl::CivilMonth m) {
    return absl::StrCat("(timestamp '", absl::FormatCivilTime(absl::CivilDay(m)),
                        "' AT TIME ZONE '", zone.name(), "')");
  };
  std::string sql =
      absl::StrReplaceAll(kReport, {{"{lo}", bound(month)}, {"{hi}", bound(month + 1)}});
  PQclear(Check(conn, PQprepare(conn, "report", sql.c_str(), 0, nullptr), "prepare"));
  PGresult* plan = Check(conn, PQexec(conn, ("EXPLAIN " + sql).c_str()), "explain");
  for (int r = 0; r < PQntuples(plan); ++r)
    std::cerr << "# plan " << PQgetvalue(plan, r, 0) << "\n";
  PQclear(plan);
  const int64_t runs = sunlight::server::IntOrExit(config, "runs");
  std::vector<double> latencies;
  for (int64_t run = -3; run < runs; ++run) {
    absl::Time start = absl::Now();
    PGresult* result = Prepared(conn, "report", {});
    if (run >= 0) latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    if (run == -3 || run == runs - 1) {
      sunlight::bench::MonthReport got;
      for (int r = 0; r < PQntuples(result); ++r) {
        auto n = [&](int column) { return std::stoull(PQgetvalue(result, r, column)); };
        sunlight::bench::MonthCounts counts{
            .accepted = n(2),
            .completed = n(3),
            .completed_on_time = n(4),
            .overdue = n(5),
            .yellow = n(6),
            .red = n(7),
            .on_time_rate_bp =
                PQgetisnull(result, r, 8) ? -1 : std::stoll(PQgetvalue(result, r, 8))};
        auto& rows_of =
            std::string(PQgetvalue(result, r, 0)) == "department" ? got.by_department : got.by_item;
        rows_of[PQgetvalue(result, r, 1)] = counts;
      }
      std::string difference = sunlight::bench::MonthReportDifference(
          sunlight::bench::ExpectedMonthReport(history, month, zone), got);
      if (!difference.empty()) {
        std::cerr << "postgres monthly report differs from the generator's: " << difference << "\n";
        return 1;
      }
      if (run == -3) {
        for (const char* department : {"dept-0", "dept-10"}) {
          std::cerr << "# check postgres " << department << " "
                    << got.by_department[department].ToString() << "\n";
        }
        std::cerr << "# postgres monthly report: " << got.by_department.size()
                  << " departments and " << got.by_item.size()
                  << " items, as the generator counts them\n";
      }
    }
    PQclear(result);
  }
  PQfinish(conn);
  std::cout << absl::StrFormat("BENCH postgres_monthly_report_ms %.3f ms\n",
                               Percentile(latencies, 0.5));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const sunlight::server::Config config = sunlight::server::ParseToolFlagsOrExit(
      argc, argv,
      sunlight::bench::Join(
          {sunlight::bench::CalendarFlags(),
           {{"mode", "intake", "intake | deadline | monthly_report"},
            {"conninfo", "host=127.0.0.1 dbname=postgres", "libpq connection string"},
            {"clients", "16", "intake: concurrent closed-loop clients"},
            {"duration", "10s", "intake: measured duration"},
            {"clocks", "1000000", "deadline: open clocks"},
            {"burst", "5000", "deadline: clocks falling due at one instant"},
            {"cases", "85000", "monthly_report: cases in the month (as the scoring benchmark)"},
            {"departments", "30", "monthly_report: departments (as the scoring benchmark)"},
            {"runs", "20", "monthly_report: reports measured"}}}));
  if (config.Get("mode") == "intake") return RunIntake(config);
  if (config.Get("mode") == "deadline") return RunDeadline(config);
  if (config.Get("mode") == "monthly_report") return RunMonthlyReport(config);
  std::cerr << "--mode: intake, deadline or monthly_report\n";
  return 2;
}
