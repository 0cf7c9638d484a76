// Downloads: the statistics and score tables as CSV or Excel (?format=csv|xlsx), streamed,
// masked like every response, and audited as an export.
#include <unistd.h>

#include "gateway_routes.h"
#include "http_errors.h"
#include "personal_data.h"
#include "request_binding.h"
#include "sunlight/export/table_export.h"
#include "sunlight/scoring/v1/scoring.pb.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
namespace scv1 = ::sunlight::scoring::v1;
using table_export::Cell;
using table_export::Table;

namespace {

Cell Count(uint64_t n) { return Cell::Number(static_cast<double>(n)); }
Cell Rate(bool has, uint32_t bp) { return has ? Cell::Number(bp / 100.0) : Cell::Text(""); }
Cell Days(int64_t seconds) { return Cell::Number(static_cast<double>(seconds) / 86400.0); }

Table StatisticsTable(const scv1::StatisticsResponse& r) {
  Table t;
  t.title = absl::StrCat("statistics ", scv1::Dimension_Name(r.dimension()).substr(10));
  t.columns = {"分组 group",
               "期间 period",
               "收件 received",
               "受理 accepted",
               "不予受理 refused",
               "撤回 withdrawn",
               "办结 completed",
               "按期办结 on time",
               "超期 overdue",
               "按期办结率% on-time rate",
               "当日办结 same day",
               "当日办结率% same-day rate",
               "即办 on the spot",
               "用时(工作日) working days used",
               "节约(工作日) working days saved",
               "黄灯 yellow",
               "红灯 red",
               "补正 supplements",
               "特别程序 special procedures",
               "延期 extensions",
               "督办 notices",
               "说明采纳 notices accepted",
               "升级 notices escalated",
               "异常 anomalies",
               "收费(元) fees (yuan)"};
  for (const auto& row : r.rows()) {
    const auto& m = row.measures();
    t.rows.push_back({Cell::Text(row.value()),
                      Cell::Text(row.period()),
                      Count(m.received()),
                      Count(m.accepted()),
                      Count(m.refused()),
                      Count(m.withdrawn()),
                      Count(m.completed()),
                      Count(m.completed_on_time()),
                      Count(m.overdue()),
                      Rate(row.has_on_time_rate_bp(), row.on_time_rate_bp()),
                      Count(m.completed_same_day()),
                      Rate(row.has_same_day_rate_bp(), row.same_day_rate_bp()),
                      Count(m.completed_on_the_spot()),
                      Days(m.working_seconds_used()),
                      Days(m.working_seconds_saved()),
                      Count(m.yellow()),
                      Count(m.red()),
                      Count(m.supplement_requests()),
                      Count(m.special_procedures()),
                      Count(m.extensions()),
                      Count(m.notices()),
                      Count(m.notices_accepted()),
                      Count(m.notices_escalated()),
                      Count(m.anomalies()),
                      Cell::Number(static_cast<double>(m.fees_fen()) / 100.0)});
  }
  return t;
}

Table ScoresTable(const scv1::ScoreSheet& sheet) {
  Table t;
  t.title = absl::StrCat("scores ", sheet.month(), " v", sheet.version());
  t.columns = {"类别 kind",
               "对象 subject",
               "部门 department",
               "名次 rank",
               "得分 points",
               "上月 previous month",
               "去年同月 a year before",
               "办结 completed",
               "按期办结率% on-time rate",
               "条款 clause",
               "分值 clause points",
               "次数 count"};
  for (const auto& s : sheet.scores()) {
    auto points = [](int64_t centipoints) { return Cell::Number(centipoints / 100.0); };
    std::vector<Cell> head = {
        Cell::Text(scv1::SubjectKind_Name(s.kind()).substr(13)),
        Cell::Text(s.subject_id()),
        Cell::Text(s.department_id()),
        Count(s.rank()),
        points(s.total_centipoints()),
        s.has_previous_month_centipoints() ? points(s.previous_month_centipoints())
                                           : Cell::Text(""),
        s.has_last_year_centipoints() ? points(s.last_year_centipoints()) : Cell::Text(""),
        Count(s.measures().completed()),
        s.measures().completed() > 0
            ? Cell::Number(100.0 * s.measures().completed_on_time() / s.measures().completed())
            : Cell::Text("")};
    if (s.lines().empty()) {
      head.insert(head.end(), {Cell::Text(""), Cell::Text(""), Cell::Text("")});
      t.rows.push_back(std::move(head));
    }
    for (const auto& line : s.lines()) {
      std::vector<Cell> row = head;
      row.insert(row.end(), {Cell::Text(line.clause()), points(line.centipoints()),
                             Cell::Number(static_cast<double>(line.count()))});
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

}  // namespace

// One export route: binds `Request` from the query (without `format`), calls `method`, masks
// the response, turns it into a table and streams it in the asked format.
template <typename Request, typename Response>
void Gateway::AddExportRoute(const std::string& pattern, const std::string& summary,
                             const pb::MethodDescriptor* method, Table (*to_table)(const Response&),
                             const std::string& file_stem) {
  Route& r = AddRoute("GET", pattern, kSignedIn, summary, nullptr);
  r.input = Request::descriptor();
  r.output = Response::descriptor();  // documented as the table it is made from
  r.stream = [this, method, to_table, file_stem](Call& call) -> HttpResponse {
    HttpRequest http = *call.http;
    const std::string format = http.query.count("format") ? http.query["format"] : "csv";
    http.query.erase("format");
    if (format != "csv" && format != "xlsx") {
      return ErrorFor(absl::InvalidArgumentError("format: csv or xlsx"), "format");
    }
    Request request;
    std::string field;
    if (absl::Status s = BindRequest(http, call.path_params, false, &request, &field); !s.ok()) {
      return ErrorFor(s, field);
    }
    if (call.route->prepare) {
      if (absl::Status s = call.route->prepare(call, request); !s.ok()) return ErrorFor(s);
    }
    auto response = Invoke(call, method, request);
    if (!response.ok()) return ErrorFor(response.status());
    MaskPersonalData(response->get());
    auto table = std::make_shared<const Table>(to_table(static_cast<const Response&>(**response)));
    if (absl::Status s = Audit(call, "export", absl::StrCat(file_stem, ".", format), 200);
        !s.ok()) {
      return ErrorFor(absl::UnavailableError("the audit log cannot be written; not exported"));
    }
    HttpResponse reply;
    reply.headers.emplace_back("Content-Disposition", absl::StrCat("attachment; filename=\"",
                                                                   file_stem, ".", format, "\""));
    // For a progress bar: the rows the file holds (the body's length is not known in advance).
    reply.headers.emplace_back("X-Export-Rows", absl::StrCat(table->rows.size()));
    reply.headers.emplace_back("Cache-Control", "no-store");
    if (format == "csv") {
      reply.content_type = "text/csv; charset=utf-8";
      reply.stream = table_export::CsvChunks(table);
      return reply;
    }
    auto path = table_export::WriteXlsx(*table, options_.export_dir);
    if (!path.ok()) return ErrorFor(path.status());
    reply.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    reply.stream = table_export::FileChunks(*path);
    return reply;
  };
}

void Gateway::AddExportRoutes() {
  AddExportRoute<scv1::StatisticsRequest, scv1::StatisticsResponse>(
      "/v1/statistics:export",
      "The statistics of GET /v1/statistics as a file: `format` csv (UTF-8, the default) or "
      "xlsx; `X-Export-Rows` names the rows (for a progress bar).",
      ScoringMethod("GetStatistics"), &StatisticsTable, "statistics");
  AddExportRoute<scv1::GetScoreSheetRequest, scv1::ScoreSheet>(
      "/v1/scores/{month}:export",
      "A month's score sheet as a file, one row per subject and clause: `format` csv or xlsx.",
      ScoringMethod("GetScoreSheet"), &ScoresTable, "scores");
}

}  // namespace sunlight::gateway
