// Queries: the light board, clocks by light, a case's clocks explained, alerts.
#include "supervision_internal.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/calendar/deadline.h"
#include "sunlight/storage/paging.h"

namespace sunlight::supervision {

namespace {

// One more open clock of `light` in `counts` (a DepartmentLights or a LightCounts).
template <typename Counts>
void CountLight(Counts& counts, uint64_t light) {
  if (light == v1::LIGHT_RED) counts.set_red(counts.red() + 1);
  if (light == v1::LIGHT_YELLOW) counts.set_yellow(counts.yellow() + 1);
  if (light == v1::LIGHT_GREEN) counts.set_green(counts.green() + 1);
}

}  // namespace

absl::StatusOr<v1::GetLightBoardResponse> Supervision::GetLightBoard(
    const v1::GetLightBoardRequest& request) const {
  v1::ClockKind kind =
      request.kind() == v1::CLOCK_KIND_UNSPECIFIED ? v1::CLOCK_KIND_CASE : request.kind();
  if (!v1::ClockKind_IsValid(kind)) return InvalidField("kind", "unknown clock kind");
  std::map<std::string, v1::DepartmentLights> departments;
  absl::Status error;
  // Adds every open clock of `of` to its department's row, by `count(row, light)`.
  auto scan_open = [&](v1::ClockKind of, auto count) -> absl::Status {
    std::string prefix = store::BoardPrefix(of);
    SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kBoard, prefix, storage::PrefixSuccessor(prefix),
                                          [&](std::string_view key, std::string_view) {
                                            auto entry = store::DecodeBoardKey(key);
                                            if (!entry.has_value()) {
                                              error = absl::DataLossError("malformed board key");
                                              return false;
                                            }
                                            auto& row = departments[entry->department_id];
                                            row.set_department_id(entry->department_id);
                                            count(row, entry->light);
                                            return true;
                                          }));
    return error;
  };
  SUNLIGHT_RETURN_IF_ERROR(
      scan_open(kind, [](v1::DepartmentLights& row, uint64_t light) { CountLight(row, light); }));
  // Complaints and rectifications are counted like cases, one open clock each, whatever
  // kind the board is for.
  auto complaints = [](v1::DepartmentLights& row, uint64_t light) {
    CountLight(*row.mutable_complaints(), light);
  };
  SUNLIGHT_RETURN_IF_ERROR(scan_open(v1::CLOCK_KIND_COMPLAINT_ACCEPTANCE, complaints));
  SUNLIGHT_RETURN_IF_ERROR(scan_open(v1::CLOCK_KIND_COMPLAINT, complaints));
  SUNLIGHT_RETURN_IF_ERROR(
      scan_open(v1::CLOCK_KIND_RECTIFICATION, [](v1::DepartmentLights& row, uint64_t light) {
        CountLight(*row.mutable_rectifications(), light);
      }));
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kAnomaliesByDepartment, "", "",
                                        [&](std::string_view key, std::string_view) {
                                          auto entry = store::DecodeOwnedNumberKey(key);
                                          if (!entry.has_value()) {
                                            error = absl::DataLossError("malformed anomaly key");
                                            return false;
                                          }
                                          auto& row = departments[entry->owner];
                                          row.set_department_id(entry->owner);
                                          row.set_anomalies(row.anomalies() + 1);
                                          return true;
                                        }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  std::vector<v1::DepartmentLights> rows;
  for (auto& [id, row] : departments) rows.push_back(row);
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.red() != b.red()) return a.red() > b.red();
    if (a.yellow() != b.yellow()) return a.yellow() > b.yellow();
    if (a.anomalies() != b.anomalies()) return a.anomalies() > b.anomalies();
    return a.department_id() < b.department_id();
  });
  v1::GetLightBoardResponse response;
  for (auto& row : rows) *response.add_departments() = std::move(row);
  return response;
}

absl::StatusOr<v1::ListClocksResponse> Supervision::ListClocks(
    const v1::ListClocksRequest& request) const {
  if (request.light() == v1::LIGHT_UNSPECIFIED || !v1::Light_IsValid(request.light())) {
    return InvalidField("light", "must be GREEN, YELLOW or RED");
  }
  v1::ClockKind kind =
      request.kind() == v1::CLOCK_KIND_UNSPECIFIED ? v1::CLOCK_KIND_CASE : request.kind();
  if (!v1::ClockKind_IsValid(kind)) return InvalidField("kind", "unknown clock kind");
  const std::string prefix = store::BoardPrefix(kind, request.light(), request.department_id());
  SUNLIGHT_ASSIGN_OR_RETURN(
      storage::Page page,
      storage::ReadPage(request.page().page_size(), request.page().page_token(), prefix));
  // Filters are applied to the clocks themselves; a page that filters much out may come back
  // short (with a token to go on) rather than scanning without bound.
  constexpr size_t kMaxExamined = 20000;
  const bool has_from = request.has_started_from(), has_to = request.has_started_to();
  const absl::Time from = FromProto(request.started_from()), to = FromProto(request.started_to());
  auto wanted = [&](const v1::Clock& clock) {
    if (!request.item_code().empty() && clock.item_code() != request.item_code()) return false;
    absl::Time started = FromProto(clock.started_at());
    if (has_from && started < from) return false;
    if (has_to && started >= to) return false;
    return true;
  };
  page.max_examined = kMaxExamined;
  v1::ListClocksResponse response;
  SUNLIGHT_ASSIGN_OR_RETURN(
      std::string next,
      storage::ScanPage(*store_, store::kBoard, prefix, page,
                        [&](std::string_view key, std::string_view) -> absl::StatusOr<bool> {
                          auto entry = store::DecodeBoardKey(key);
                          if (!entry.has_value()) return false;
                          SUNLIGHT_ASSIGN_OR_RETURN(
                              auto clock, storage::LoadProto<v1::Clock>(*store_, store::kClocks,
                                                                        entry->clock_id));
                          if (!clock.has_value() || !wanted(*clock)) return false;
                          *response.add_clocks() = *std::move(clock);
                          return true;
                        }));
  response.set_next_page_token(next);
  return response;
}

absl::StatusOr<v1::GetCaseClocksResponse> Supervision::GetCaseClocks(
    const v1::GetCaseClocksRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  std::string prefix = store::CasePrefix(request.case_id());
  std::vector<std::string> ids;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kClocksByCase, prefix, storage::PrefixSuccessor(prefix),
                   [&](std::string_view key, std::string_view) {
                     if (auto id = store::DecodeCaseClockKey(key); id.has_value())
                       ids.push_back(*id);
                     return true;
                   }));
  if (ids.empty()) {
    return absl::NotFoundError(absl::StrCat("no clocks for case ", request.case_id()));
  }
  auto cal = calendar();
  v1::RuleSet rule = rules();
  v1::GetCaseClocksResponse response;
  for (const auto& id : ids) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto clock,
                              storage::LoadProto<v1::Clock>(*store_, store::kClocks, id));
    if (!clock.has_value()) continue;
    auto* explained = response.add_clocks();
    common::v1::TimeLimit limit = clock->limit();
    if (limit.unit() != common::v1::LIMIT_UNIT_SAME_DAY) {
      limit.set_amount(limit.amount() + clock->extension_working_days());
    }
    calendar::DeadlineRequest deadline{
        .accepted_at = FromProto(clock->started_at()),
        .limit = limit,
        .pauses = calendar::PausesFromProto((*clock).pauses()),
        .as_of = Finished(*clock) ? FromProto(clock->finished_at()) : clock_->Now()};
    if (auto explanation = calendar::ExplainDeadline(*cal, deadline); explanation.ok()) {
      *explained->mutable_explanation() = *std::move(explanation);
    }
    explained->set_rule(absl::StrCat(
        "rules ", clock->rule_version(), ": yellow ",
        rule.use_item_margin()
            ? absl::StrCat(clock->warning_margin_working_days() == 0
                               ? 1
                               : clock->warning_margin_working_days(),
                           " working day(s) before the limit")
            : absl::StrCat(rule.yellow().offset_working_days(), " working day(s) from the ",
                           v1::Reference_Name(rule.yellow().reference())),
        "; red ", rule.red().offset_working_days(), " working day(s) from the ",
        v1::Reference_Name(rule.red().reference()),
        clock->extension_working_days() > 0
            ? absl::StrCat("; limit extended by ", clock->extension_working_days(),
                           " working day(s)")
            : ""));
    *explained->mutable_clock() = *std::move(clock);
  }
  return response;
}

absl::StatusOr<v1::ListAlertsResponse> Supervision::ListAlerts(
    const v1::ListAlertsRequest& request) const {
  uint32_t page_size =
      request.page().page_size() == 0 ? storage::kDefaultPageSize : request.page().page_size();
  if (page_size > storage::kMaxPageSize) {
    return InvalidField("page.page_size", "must be at most 500");
  }
  uint64_t after = 0;
  if (!request.page().page_token().empty()) {
    std::string token;
    if (!absl::WebSafeBase64Unescape(request.page().page_token(), &token) || token.size() != 8) {
      return InvalidField("page.page_token", "not a token from this listing");
    }
    after = store::DecodeNumberKey(token);
  }
  std::vector<uint64_t> numbers;
  bool more = false;
  auto collect = [&](uint64_t number) {
    if (number <= after) return true;
    if (numbers.size() >= page_size) {
      more = true;
      return false;
    }
    numbers.push_back(number);
    return true;
  };
  if (!request.case_id().empty()) {
    std::string prefix = store::CasePrefix(request.case_id());
    SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kAlertsByCase, prefix,
                                          storage::PrefixSuccessor(prefix),
                                          [&](std::string_view key, std::string_view) {
                                            auto entry = store::DecodeOwnedNumberKey(key);
                                            return !entry.has_value() || collect(entry->number);
                                          }));
  } else {
    SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kAlerts, store::NumberKey(after + 1), "",
                                          [&](std::string_view key, std::string_view) {
                                            return collect(store::DecodeNumberKey(key));
                                          }));
  }
  v1::ListAlertsResponse response;
  for (uint64_t number : numbers) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto alert, storage::LoadProto<v1::Alert>(*store_, store::kAlerts,
                                                                        store::NumberKey(number)));
    if (alert.has_value()) *response.add_alerts() = *std::move(alert);
  }
  if (more && !numbers.empty()) {
    response.set_next_page_token(storage::NextPageToken(store::NumberKey(numbers.back())));
  }
  return response;
}

absl::Status Supervision::RefreshMetrics() {
  std::map<std::pair<uint64_t, uint64_t>, int64_t> open;  // (kind, light) -> clocks
  {
    std::lock_guard lock(open_mu_);
    open = open_clocks_;
  }
  // Every kind and light, zeros included, so that a light that empties shows 0, not stale.
  for (int kind = 1; v1::ClockKind_IsValid(kind); ++kind) {
    for (int light = 1; v1::Light_IsValid(light); ++light) {
      auto it = open.find({kind, light});
      gauges_.open_clocks.Set(
          {{"kind", absl::AsciiStrToLower(absl::StripPrefix(
                        v1::ClockKind_Name(static_cast<v1::ClockKind>(kind)), "CLOCK_KIND_"))},
           {"light", absl::AsciiStrToLower(absl::StripPrefix(
                         v1::Light_Name(static_cast<v1::Light>(light)), "LIGHT_"))}},
          it == open.end() ? 0 : static_cast<double>(it->second));
    }
  }
  int64_t backlog = 0;
  std::optional<absl::Time> oldest;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kOutbox, "", "", [&](std::string_view key, std::string_view value) {
        if (!oldest.has_value()) {
          auto alert = storage::ParseProto<v1::Alert>(value, store::kOutbox, key);
          if (alert.ok()) oldest = FromProto(alert->occurred_at());
        }
        ++backlog;
        return true;
      }));
  gauges_.alert_backlog.Set(static_cast<double>(backlog));
  gauges_.alert_oldest.Set(
      oldest.has_value() ? std::max(0.0, absl::ToDoubleSeconds(clock_->Now() - *oldest)) : 0);
  return absl::OkStatus();
}

}  // namespace sunlight::supervision
