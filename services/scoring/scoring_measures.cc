// Measures of one case, per day and group (scoring_measures.h).
#include "scoring_measures.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/calendar/deadline.h"

namespace sunlight::scoring {

namespace pb = ::google::protobuf;

void AddMeasures(v1::Measures& a, const v1::Measures& b, int sign) {
  const pb::Descriptor* d = v1::Measures::descriptor();
  const pb::Reflection* r = v1::Measures::GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT64) {
      uint64_t by = r->GetUInt64(b, f);
      if (by == 0) continue;
      uint64_t now = r->GetUInt64(a, f);
      r->SetUInt64(&a, f, sign > 0 ? now + by : (now >= by ? now - by : 0));
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64) {
      int64_t by = r->GetInt64(b, f);
      if (by != 0) r->SetInt64(&a, f, r->GetInt64(a, f) + sign * by);
    }
  }
}

bool IsZero(const v1::Measures& m) { return m.ByteSizeLong() == 0; }

int64_t DayNumber(absl::CivilDay day) { return day.year() * 10000 + day.month() * 100 + day.day(); }
int64_t MonthNumber(int64_t day_number) { return day_number / 100; }
absl::CivilDay DayOf(int64_t n) { return absl::CivilDay(n / 10000, (n / 100) % 100, n % 100); }

namespace {

class Builder {
 public:
  Builder(const calendar::WorkingCalendar& calendar) : zone_(calendar.time_zone()) {}

  absl::CivilDay Day(const pb::Timestamp& at) const {
    return absl::ToCivilDay(FromProto(at), zone_);
  }
  v1::Measures& On(const pb::Timestamp& at) { return days_[DayNumber(Day(at))]; }
  v1::Measures& On(absl::Time at) { return days_[DayNumber(absl::ToCivilDay(at, zone_))]; }

  void Into(v1::Contribution& out) {
    for (auto& [day, measures] : days_) {
      if (IsZero(measures)) continue;
      auto* d = out.add_days();
      d->set_day(day);
      *d->mutable_measures() = std::move(measures);
    }
  }

 private:
  absl::TimeZone zone_;
  std::map<int64_t, v1::Measures> days_;
};

// Working time used and left at completion against the promised limit plus extensions.
void AddWorkingTime(const v1::CaseRecord& r, const calendar::WorkingCalendar& calendar,
                    v1::Measures& m) {
  if (!r.has_promised_limit() || !r.has_accepted_at()) return;
  calendar::DeadlineRequest request;
  request.accepted_at = FromProto(r.accepted_at());
  request.limit = r.promised_limit();
  if (r.extension_working_days() > 0 &&
      request.limit.unit() == common::v1::LIMIT_UNIT_WORKING_DAYS) {
    request.limit.set_amount(request.limit.amount() + r.extension_working_days());
  }
  request.as_of = FromProto(r.completed_at());
  for (const auto& [id, pause] : r.pauses()) {
    calendar::PauseInterval p{
        .start = FromProto(pause.start()), .end = std::nullopt, .reason = pause.reason()};
    if (pause.has_end()) p.end = FromProto(pause.end());
    request.pauses.push_back(std::move(p));
  }
  auto deadline = calendar::ComputeDeadline(calendar, request);
  if (!deadline.ok()) return;  // a year without data: the counts stand, the days do not
  m.set_working_seconds_used(absl::ToInt64Seconds(deadline->consumed));
  m.set_working_seconds_saved(std::max<int64_t>(0, absl::ToInt64Seconds(deadline->remaining)));
}

}  // namespace

v1::Contribution Contribute(const v1::CaseRecord& r, const calendar::WorkingCalendar& calendar) {
  Builder b(calendar);
  if (r.has_submitted_at()) b.On(r.submitted_at()).set_received(1);
  if (r.has_accepted_at()) b.On(r.accepted_at()).set_accepted(1);
  if (r.has_refused_at()) b.On(r.refused_at()).set_refused(1);
  if (r.has_withdrawn_at()) b.On(r.withdrawn_at()).set_withdrawn(1);
  if (r.has_completed_at()) {
    v1::Measures& m = b.On(r.completed_at());
    m.set_completed(1);
    bool on_time = !r.has_due_at_completion() ||
                   FromProto(r.completed_at()) <= FromProto(r.due_at_completion());
    m.set_completed_on_time(on_time ? 1 : 0);
    m.set_overdue(on_time ? 0 : 1);
    bool same_day = r.has_accepted_at() && b.Day(r.accepted_at()) == b.Day(r.completed_at());
    m.set_completed_same_day(same_day ? 1 : 0);
    m.set_completed_on_the_spot(same_day && r.on_the_spot_item() ? 1 : 0);
    AddWorkingTime(r, calendar, m);
    m.set_fees_fen(r.fees_fen());
  }
  if (r.has_yellow_at()) b.On(r.yellow_at()).set_yellow(1);
  if (r.has_red_at()) b.On(r.red_at()).set_red(1);
  for (int64_t at : r.supplement_requests()) {
    v1::Measures& m = b.On(absl::FromUnixMicros(at));
    m.set_supplement_requests(m.supplement_requests() + 1);
  }
  for (const auto& [id, pause] : r.pauses()) {
    if (!pause.special_procedure()) continue;
    v1::Measures& started = b.On(pause.start());
    started.set_special_procedures(started.special_procedures() + 1);
    if (pause.has_end()) {
      v1::Measures& ended = b.On(pause.end());
      ended.set_special_procedure_seconds(
          ended.special_procedure_seconds() +
          absl::ToInt64Seconds(FromProto(pause.end()) - FromProto(pause.start())));
    }
  }
  for (const auto& [at, days] : r.extensions()) {
    v1::Measures& m = b.On(absl::FromUnixMicros(at));
    m.set_extensions(m.extensions() + 1);
  }
  for (const auto& [id, notice] : r.notices()) {
    v1::Measures& issued = b.On(notice.issued_at());
    issued.set_notices(issued.notices() + 1);
    if (notice.has_decided_at() &&
        (notice.outcome() == "accepted" || notice.outcome() == "escalated")) {
      v1::Measures& decided = b.On(notice.decided_at());
      if (notice.outcome() == "accepted") {
        decided.set_notices_accepted(decided.notices_accepted() + 1);
      } else {
        decided.set_notices_escalated(decided.notices_escalated() + 1);
      }
    }
  }
  for (const auto& [id, anomaly] : r.anomalies()) {
    v1::Measures& m = b.On(anomaly.raised_at());
    m.set_anomalies(m.anomalies() + 1);
  }
  v1::Contribution out;
  b.Into(out);
  auto group = [&](v1::Dimension dimension, const std::string& value) {
    if (dimension != v1::DIMENSION_CENTER && value.empty()) return;
    auto* g = out.add_groups();
    g->set_dimension(dimension);
    g->set_value(value);
  };
  group(v1::DIMENSION_CENTER, "");
  group(v1::DIMENSION_DEPARTMENT, r.department_id());
  group(v1::DIMENSION_WINDOW, r.window_id());
  group(v1::DIMENSION_PERSON, r.accepted_by());
  group(v1::DIMENSION_ITEM, r.item_code());
  group(v1::DIMENSION_ITEM_CATEGORY, r.item_category());
  group(v1::DIMENSION_CHANNEL, r.channel());
  return out;
}

int64_t OnTimeRateBp(const v1::Measures& m) {
  if (m.completed() == 0) return -1;
  return static_cast<int64_t>((m.completed_on_time() * 10000 + m.completed() / 2) / m.completed());
}

int64_t SameDayRateBp(const v1::Measures& m) {
  if (m.completed() == 0) return -1;
  return static_cast<int64_t>((m.completed_same_day() * 10000 + m.completed() / 2) / m.completed());
}

absl::CivilDay PeriodStart(v1::Period period, absl::CivilDay day) {
  switch (period) {
    case v1::PERIOD_WEEK:
      return absl::PrevWeekday(day + 1, absl::Weekday::monday);
    case v1::PERIOD_MONTH:
      return absl::CivilDay(absl::CivilMonth(day));
    case v1::PERIOD_QUARTER:
      return absl::CivilDay(day.year(), (day.month() - 1) / 3 * 3 + 1, 1);
    case v1::PERIOD_YEAR:
      return absl::CivilDay(absl::CivilYear(day));
    default:
      return day;
  }
}

absl::CivilDay PreviousPeriodStart(v1::Period period, absl::CivilDay day) {
  absl::CivilDay start = PeriodStart(period, day);
  return PeriodStart(period, start - 1);
}

std::string PeriodLabel(v1::Period period, absl::CivilDay day) {
  switch (period) {
    case v1::PERIOD_WEEK: {
      // ISO 8601: the week belongs to the year of its Thursday.
      absl::CivilDay thursday = PeriodStart(period, day) + 3;
      int week = static_cast<int>((absl::GetYearDay(thursday) - 1) / 7 + 1);
      return absl::StrFormat("%04d-W%02d", thursday.year(), week);
    }
    case v1::PERIOD_MONTH:
      return absl::StrFormat("%04d-%02d", day.year(), day.month());
    case v1::PERIOD_QUARTER:
      return absl::StrFormat("%04d-Q%d", day.year(), (day.month() - 1) / 3 + 1);
    case v1::PERIOD_YEAR:
      return absl::StrFormat("%04d", day.year());
    default:
      return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
  }
}

std::string MonthLabel(int64_t month) {
  return absl::StrFormat("%04d-%02d", month / 100, month % 100);
}

int64_t ParseMonth(const std::string& label) {
  int year = 0, month = 0;
  if (label.size() != 7 || label[4] != '-' || !absl::SimpleAtoi(label.substr(0, 4), &year) ||
      !absl::SimpleAtoi(label.substr(5, 2), &month) || year < 1970 || year > 9999 || month < 1 ||
      month > 12) {
    return 0;
  }
  return year * 100 + month;
}

absl::StatusOr<int64_t> RequireMonth(const std::string& label, const std::string& field) {
  int64_t month = ParseMonth(label);
  if (month == 0) return InvalidField(field, "a month YYYY-MM");
  return month;
}

int64_t PreviousMonth(int64_t month) {
  return month % 100 == 1 ? (month / 100 - 1) * 100 + 12 : month - 1;
}

}  // namespace sunlight::scoring
