// Statistics: any measure by any grouping over any period, with the previous period and the
// same period a year before, from the day and month aggregates.
#include "scoring_internal.h"

namespace sunlight::scoring {

namespace {

absl::StatusOr<absl::CivilDay> ParseDay(const std::string& text, absl::string_view field) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || day.year() < 1970 ||
      day.year() > 9999) {
    return InvalidField(field, "a day YYYY-MM-DD");
  }
  return day;
}

}  // namespace

absl::StatusOr<v1::StatisticsResponse> Scoring::GetStatistics(
    const v1::StatisticsRequest& request) const {
  if (!v1::Dimension_IsValid(request.dimension()) ||
      request.dimension() == v1::DIMENSION_UNSPECIFIED) {
    return InvalidField("dimension",
                        "required: center, department, window, person, item, "
                        "item_category or channel");
  }
  if (!v1::Period_IsValid(request.period()) || request.period() == v1::PERIOD_UNSPECIFIED) {
    return InvalidField("period", "required: day, week, month, quarter or year");
  }
  SUNLIGHT_ASSIGN_OR_RETURN(absl::CivilDay from, ParseDay(request.from_day(), "from_day"));
  SUNLIGHT_ASSIGN_OR_RETURN(absl::CivilDay to, ParseDay(request.to_day(), "to_day"));
  if (to < from) return InvalidField("to_day", "must not be before from_day");
  if (to - from > 366 * 10) return InvalidField("to_day", "at most ten years after from_day");
  if (request.values_size() > 1000) return InvalidField("values", "at most 1000");
  const v1::Period period = request.period();
  from = PeriodStart(period, from);
  // Read from a year before (for the comparisons) to the end of the last period.
  absl::CivilDay read_from = PeriodStart(period, absl::CivilDay(from.year() - 1, from.month(), 1));
  read_from = std::min(read_from, PreviousPeriodStart(period, from));
  const bool by_day = period == v1::PERIOD_DAY || period == v1::PERIOD_WEEK;
  const uint64_t grain = by_day ? store::kDay : store::kMonth;
  const int64_t lo = by_day ? DayNumber(read_from) : MonthNumber(DayNumber(read_from));
  const int64_t hi = by_day ? DayNumber(to) : MonthNumber(DayNumber(to));
  std::set<std::string> wanted(request.values().begin(), request.values().end());

  // (value, period start) -> measures.
  std::map<std::pair<std::string, absl::CivilDay>, v1::Measures> buckets;
  absl::Status failed;
  auto visit = [&](std::string_view key, std::string_view bytes) {
    auto entry = store::DecodeMeasureKey(key);
    if (!entry.has_value()) {
      failed = absl::DataLossError("unreadable measures key");
      return false;
    }
    if (entry->period < lo || entry->period > hi) return true;
    if (!wanted.empty() && wanted.count(entry->value) == 0) return true;
    auto measures = storage::ParseProto<v1::Measures>(bytes, store::kMeasures, key);
    if (!measures.ok()) {
      failed = measures.status();
      return false;
    }
    absl::CivilDay day = by_day ? DayOf(entry->period) : DayOf(entry->period * 100 + 1);
    AddMeasures(buckets[{entry->value, PeriodStart(period, day)}], *measures);
    return true;
  };
  if (wanted.empty()) {
    std::string prefix = store::MeasurePrefix(grain, request.dimension());
    SUNLIGHT_RETURN_IF_ERROR(
        store_->Scan(store::kMeasures, prefix, storage::PrefixSuccessor(prefix), visit));
  } else {
    for (const std::string& value : wanted) {
      std::string prefix = store::MeasurePrefix(grain, request.dimension(), value);
      SUNLIGHT_RETURN_IF_ERROR(
          store_->Scan(store::kMeasures, prefix, storage::PrefixSuccessor(prefix), visit));
    }
  }
  SUNLIGHT_RETURN_IF_ERROR(failed);

  v1::StatisticsResponse response;
  response.set_dimension(request.dimension());
  response.set_period(period);
  for (const auto& [key, measures] : buckets) {
    const auto& [value, start] = key;
    if (start < from || start > to) continue;  // read only for the comparisons
    v1::StatisticsRow* row = response.add_rows();
    row->set_value(value);
    row->set_period(PeriodLabel(period, start));
    *row->mutable_measures() = measures;
    if (int64_t bp = OnTimeRateBp(measures); bp >= 0) row->set_on_time_rate_bp(bp);
    if (int64_t bp = SameDayRateBp(measures); bp >= 0) row->set_same_day_rate_bp(bp);
    auto previous = buckets.find({value, PreviousPeriodStart(period, start)});
    if (previous != buckets.end()) *row->mutable_previous() = previous->second;
    absl::CivilDay year_before = PeriodStart(
        period, absl::CivilDay(start.year() - 1, start.month(), std::min(start.day(), 28)));
    auto last_year = buckets.find({value, year_before});
    if (last_year != buckets.end()) *row->mutable_last_year() = last_year->second;
  }
  return response;
}

}  // namespace sunlight::scoring
