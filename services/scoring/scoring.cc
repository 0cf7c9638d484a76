// Opening the store, the cursors and the one path by which records reach the aggregates
// (Scoring, scoring.h).
#include "scoring_internal.h"

#include "sunlight/eventlog/cursor.h"

namespace sunlight::scoring {

std::vector<std::string> ScoringColumnFamilies() {
  return {store::kCases,
          store::kCaseMonths,
          store::kMeasures,
          store::kRuleSets,
          store::kSheets,
          store::kAppeals,
          store::kExemptions,
          store::kStaleMonths,
          store::kEvaluations,
          store::kEvaluationMonths,
          store::kComplaints,
          store::kComplaintMonths,
          store::kComplaintRequests,
          store::kOccurrences,
          store::kAssignments,
          store::kPunches,
          store::kPersonPunches,
          store::kAttendanceDays,
          store::kCorrections,
          store::kScoringMeta,
          store::kOpenRectifications};
}

absl::StatusOr<std::unique_ptr<Scoring>> Scoring::Open(
    storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
    const Clock* clock, std::shared_ptr<const auth::DataKey> data_key) {
  if (calendar == nullptr) return absl::InvalidArgumentError("calendar: required");
  SUNLIGHT_ASSIGN_OR_RETURN(auto log, eventlog::EventLog::Open(store, "scoring"));
  uint64_t last[3] = {0, 0, 0};
  const char* numbered[3] = {store::kAppeals, store::kComplaints, store::kCorrections};
  for (int i = 0; i < 3; ++i) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto entry, store->Last(numbered[i]));
    if (entry.has_value()) last[i] = store::DecodeNumberKey(entry->first);
  }
  return std::unique_ptr<Scoring>(new Scoring(store, std::move(log), std::move(calendar), clock,
                                              last[0], last[1], last[2], std::move(data_key)));
}

Scoring::Scoring(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
                 std::shared_ptr<const calendar::WorkingCalendar> calendar, const Clock* clock,
                 uint64_t last_appeal, uint64_t last_complaint, uint64_t last_correction,
                 std::shared_ptr<const auth::DataKey> data_key)
    : store_(store),
      log_(std::move(log)),
      calendar_(std::move(calendar)),
      clock_(clock),
      last_appeal_(last_appeal),
      last_complaint_(last_complaint),
      last_correction_(last_correction),
      data_key_(std::move(data_key)) {}

absl::StatusOr<uint64_t> Scoring::Cursor(const std::string& stream) const {
  return eventlog::ReadCursor(*store_, stream);
}

int64_t Scoring::CurrentMonth() const {
  return MonthNumber(DayNumber(absl::ToCivilDay(clock_->Now(), calendar_->time_zone())));
}

namespace {

std::set<int64_t> MonthsOf(const v1::Contribution& c) {
  std::set<int64_t> months;
  for (const auto& day : c.days()) months.insert(MonthNumber(day.day()));
  return months;
}

// The months in which a case's steps turned yellow or red (their handlers' deductions), and
// the steps in a comparable form.
std::set<int64_t> StepMonths(const v1::CaseRecord& r, const absl::TimeZone& zone) {
  std::set<int64_t> months;
  for (const auto& [id, step] : r.steps()) {
    for (const auto* at : {&step.yellow_at(), &step.red_at()}) {
      if (at->seconds() != 0 || at->nanos() != 0)
        months.insert(MonthNumber(DayNumber(absl::ToCivilDay(FromProto(*at), zone))));
    }
  }
  return months;
}
std::map<std::string, std::string> StepsOf(const v1::CaseRecord& r) {
  std::map<std::string, std::string> steps;
  for (const auto& [id, step] : r.steps()) steps[id] = step.SerializeAsString();
  return steps;
}

}  // namespace

absl::Status Scoring::StageRecords(Mutation& m) {
  std::map<int64_t, bool> published;  // by month, looked up once per write
  for (auto& [case_id, record] : m.records) {
    v1::Contribution before = record.contributed();
    record.clear_contributed();
    v1::Contribution after = Contribute(record, *calendar_);
    *record.mutable_contributed() = after;
    std::string bytes = record.SerializeAsString();
    auto loaded = m.loaded.find(case_id);
    if (loaded != m.loaded.end() && loaded->second == bytes) continue;
    m.batch.Put(store::kCases, case_id, bytes);
    v1::CaseRecord old;
    if (loaded != m.loaded.end() && !old.ParseFromString(loaded->second)) {
      return absl::DataLossError(absl::StrCat("case_records/", case_id, ": unreadable"));
    }
    const bool contribution_changed = before.SerializeAsString() != after.SerializeAsString();
    if (!contribution_changed && StepsOf(old) == StepsOf(record)) continue;
    if (contribution_changed) metrics_.cases_rescored.Increment();
    for (const auto& [contribution, sign] : {std::pair{&before, -1}, std::pair{&after, 1}}) {
      if (!contribution_changed) break;
      for (const auto& group : contribution->groups()) {
        for (const auto& day : contribution->days()) {
          for (const auto& [grain, period] : {std::pair{store::kDay, day.day()},
                                              std::pair{store::kMonth, MonthNumber(day.day())}}) {
            SUNLIGHT_ASSIGN_OR_RETURN(
                v1::Measures * aggregate,
                m.Aggregate(store::MeasureKey(grain, group.dimension(), group.value(), period)));
            AddMeasures(*aggregate, day.measures(), sign);
          }
        }
      }
    }
    std::set<int64_t> months_before = MonthsOf(before), months_after = MonthsOf(after);
    const absl::TimeZone zone = calendar_->time_zone();
    months_before.merge(StepMonths(old, zone));
    months_after.merge(StepMonths(record, zone));
    // A published month a late event changed gets a draft (DraftStaleMonths).
    for (const auto* months : {&months_before, &months_after}) {
      for (int64_t month : *months) {
        auto known = published.find(month);
        if (known == published.end()) {
          SUNLIGHT_ASSIGN_OR_RETURN(bool is, IsPublished(month));
          known = published.emplace(month, is).first;
        }
        if (known->second) m.batch.Put(store::kStaleMonths, store::MonthKey(month), "");
      }
    }
    for (int64_t month : months_before) {
      if (months_after.count(month) == 0)
        m.batch.Delete(store::kCaseMonths, store::CaseMonthKey(month, case_id));
    }
    for (int64_t month : months_after) {
      if (months_before.count(month) == 0)
        m.batch.Put(store::kCaseMonths, store::CaseMonthKey(month, case_id), "");
    }
  }
  for (const auto& [key, measures] : m.aggregates) {
    if (IsZero(measures)) {
      m.batch.Delete(store::kMeasures, key);
    } else {
      m.batch.Put(store::kMeasures, key, measures.SerializeAsString());
    }
  }
  return absl::OkStatus();
}

namespace {

// The groups an occurrence counts in: the center and whichever of its subjects it names.
std::vector<std::pair<v1::Dimension, std::string>> GroupsOf(const v1::Occurrence& o) {
  std::vector<std::pair<v1::Dimension, std::string>> groups = {{v1::DIMENSION_CENTER, ""}};
  if (!o.department_id().empty()) groups.emplace_back(v1::DIMENSION_DEPARTMENT, o.department_id());
  if (!o.window_id().empty()) groups.emplace_back(v1::DIMENSION_WINDOW, o.window_id());
  if (!o.person_id().empty()) groups.emplace_back(v1::DIMENSION_PERSON, o.person_id());
  return groups;
}

}  // namespace

absl::Status Scoring::StageOccurrence(Mutation& m, const v1::Occurrence& before,
                                      const v1::Occurrence& after) {
  if (before.SerializeAsString() == after.SerializeAsString()) return absl::OkStatus();
  for (const auto& [o, sign] : {std::pair{&before, -1}, std::pair{&after, 1}}) {
    if (o->source().empty() || o->day() == 0) continue;
    int64_t month = MonthNumber(o->day());
    if (sign < 0) {
      m.batch.Delete(store::kOccurrences, store::OccurrenceKey(month, o->source()));
    }
    SUNLIGHT_ASSIGN_OR_RETURN(bool published, IsPublished(month));
    if (published) m.batch.Put(store::kStaleMonths, store::MonthKey(month), "");
    for (const auto& [dimension, value] : GroupsOf(*o)) {
      for (const auto& [grain, period] :
           {std::pair{store::kDay, o->day()}, std::pair{store::kMonth, month}}) {
        SUNLIGHT_ASSIGN_OR_RETURN(v1::Measures * aggregate,
                                  m.Aggregate(store::MeasureKey(grain, dimension, value, period)));
        AddMeasures(*aggregate, o->measures(), sign);
      }
    }
  }
  // After the deletion of `before`, so that an occurrence that stays in its month is kept.
  if (!after.source().empty() && after.day() != 0) {
    m.batch.Put(store::kOccurrences, store::OccurrenceKey(MonthNumber(after.day()), after.source()),
                after.SerializeAsString());
  }
  return absl::OkStatus();
}

absl::Status Scoring::CommitMutation(Mutation& m) {
  SUNLIGHT_RETURN_IF_ERROR(StageRecords(m));
  return log_->Commit(std::move(m.batch), std::move(m.events)).status();
}

absl::StatusOr<bool> Scoring::IsPublished(int64_t month) const {
  std::string prefix = store::SheetPrefix(month);
  bool any = false;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kSheets, prefix, storage::PrefixSuccessor(prefix),
                                        [&](std::string_view, std::string_view) {
                                          any = true;
                                          return false;
                                        }));
  return any;
}

absl::StatusOr<size_t> Scoring::DraftStaleMonths() {
  std::lock_guard lock(write_mu_);
  std::vector<int64_t> months;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kStaleMonths, "", "", [&](std::string_view key, std::string_view) {
        months.push_back(store::DecodeMonthKey(key));
        return true;
      }));
  size_t drafted = 0;
  for (int64_t month : months) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto response, DraftRecomputation(month, "late events"));
    drafted += response.has_draft() ? 1 : 0;
    storage::WriteBatch done;
    done.Delete(store::kStaleMonths, store::MonthKey(month));
    SUNLIGHT_RETURN_IF_ERROR(store_->Write(done));
  }
  return drafted;
}

absl::Status Scoring::ApplyEvents(const std::string& stream, const std::vector<CaseEvent>& events) {
  if (stream != kIntakeStream && stream != kWorkflowStream && stream != kSupervisionStream &&
      stream != kVideoStream) {
    return InvalidField("stream", absl::StrCat("unknown stream ", stream));
  }
  if (events.empty()) return absl::OkStatus();
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(uint64_t cursor, Cursor(stream));
  Mutation m(store_, clock_->Now());
  uint64_t last = cursor;
  for (const CaseEvent& event : events) {
    if (event.sequence() <= cursor) continue;
    last = std::max(last, event.sequence());
    if (stream == kVideoStream) {  // conduct events belong to no case
      SUNLIGHT_RETURN_IF_ERROR(ApplyVideo(m, event));
      continue;
    }
    if (event.case_id().empty()) continue;
    if (stream == kIntakeStream) {
      SUNLIGHT_RETURN_IF_ERROR(ApplyIntake(m, event));
    } else if (stream == kWorkflowStream) {
      SUNLIGHT_RETURN_IF_ERROR(ApplyWorkflow(m, event));
    } else {
      SUNLIGHT_RETURN_IF_ERROR(ApplySupervision(m, event));
    }
  }
  if (last == cursor) return absl::OkStatus();
  SUNLIGHT_RETURN_IF_ERROR(StageRecords(m));
  eventlog::PutCursor(m.batch, stream, last);
  SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(m.batch), std::move(m.events)).status());
  metrics_.events_applied.Increment(static_cast<double>(last - cursor));
  return absl::OkStatus();
}

}  // namespace sunlight::scoring
