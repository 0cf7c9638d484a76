// Monthly score sheets: computing, publishing, recomputing into versions, diffs, rule sets.
#include "scoring_internal.h"

#include "sunlight/eventlog/case_event.h"
#include "sunlight/eventlog/cursor.h"

namespace sunlight::scoring {

namespace {

void SetDigest(v1::ScoreSheet& sheet) {
  v1::ScoreSheet only_scores;
  *only_scores.mutable_scores() = sheet.scores();
  sheet.set_scores_digest(DigestOf(only_scores));
}

using SubjectId = std::pair<int, std::string>;

std::map<SubjectId, const v1::SubjectScore*> BySubject(const v1::ScoreSheet& sheet) {
  std::map<SubjectId, const v1::SubjectScore*> out;
  for (const auto& s : sheet.scores()) out[{s.kind(), s.subject_id()}] = &s;
  return out;
}

std::map<std::string, int64_t> LinePoints(const v1::SubjectScore* s) {
  std::map<std::string, int64_t> out;
  if (s == nullptr) return out;
  for (const auto& line : s->lines()) out[line.clause()] += line.centipoints();
  return out;
}

v1::ScoreDiff Diff(const v1::ScoreSheet& from, const v1::ScoreSheet& to) {
  v1::ScoreDiff diff;
  diff.set_month(to.month());
  diff.set_from_version(from.version());
  diff.set_to_version(to.version());
  auto a = BySubject(from), b = BySubject(to);
  std::set<SubjectId> subjects;
  for (const auto& [id, s] : a) subjects.insert(id);
  for (const auto& [id, s] : b) subjects.insert(id);
  for (const SubjectId& id : subjects) {
    const v1::SubjectScore* x = a.count(id) ? a[id] : nullptr;
    const v1::SubjectScore* y = b.count(id) ? b[id] : nullptr;
    v1::SubjectChange change;
    change.set_kind(static_cast<v1::SubjectKind>(id.first));
    change.set_subject_id(id.second);
    change.set_from_centipoints(x ? x->total_centipoints() : 0);
    change.set_to_centipoints(y ? y->total_centipoints() : 0);
    change.set_from_rank(x ? x->rank() : 0);
    change.set_to_rank(y ? y->rank() : 0);
    auto before = LinePoints(x), after = LinePoints(y);
    std::set<std::string> clauses;
    for (const auto& [c, p] : before) clauses.insert(c);
    for (const auto& [c, p] : after) clauses.insert(c);
    for (const std::string& clause : clauses) {
      int64_t p = before.count(clause) ? before[clause] : 0;
      int64_t q = after.count(clause) ? after[clause] : 0;
      if (p != q) change.add_why(absl::StrCat(clause, ": ", p, " -> ", q));
    }
    if (change.from_centipoints() == change.to_centipoints() &&
        change.from_rank() == change.to_rank() && change.why_size() == 0) {
      continue;
    }
    *diff.add_changes() = std::move(change);
  }
  return diff;
}

}  // namespace

absl::StatusOr<v1::RuleSet> Scoring::RuleSetFor(int64_t month) const {
  std::optional<v1::RuleSet> found;
  absl::Status failed;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(
      store::kRuleSets, "", store::RuleSetEnd(month),
      [&](std::string_view key, std::string_view bytes) {
        auto rules = storage::ParseProto<v1::RuleSet>(bytes, store::kRuleSets, key);
        if (!rules.ok()) failed = rules.status();
        if (rules.ok()) found = *std::move(rules);
        return false;
      },
      /*reverse=*/true));
  SUNLIGHT_RETURN_IF_ERROR(failed);
  return found.has_value() ? *found : DefaultRuleSet();
}

absl::StatusOr<v1::ScoreSheet> Scoring::Compute(int64_t month) const {
  absl::Time started = absl::Now();
  SUNLIGHT_ASSIGN_OR_RETURN(v1::RuleSet rules, RuleSetFor(month));
  std::vector<std::string> case_ids;
  std::string prefix = store::CaseMonthPrefix(month);
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kCaseMonths, prefix,
                                        storage::PrefixSuccessor(prefix),
                                        [&](std::string_view key, std::string_view) {
                                          if (auto id = store::DecodeCaseMonthKey(key))
                                            case_ids.push_back(*std::move(id));
                                          return true;
                                        }));
  std::vector<v1::CaseRecord> records;
  records.reserve(case_ids.size());
  for (const std::string& id : case_ids) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto record,
                              storage::LoadProto<v1::CaseRecord>(*store_, store::kCases, id));
    if (record.has_value()) records.push_back(*std::move(record));
  }
  std::set<Exemption> exempt;
  prefix = store::ExemptionPrefix(month);
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kExemptions, prefix, storage::PrefixSuccessor(prefix),
                   [&](std::string_view key, std::string_view) {
                     if (auto parts = store::DecodeExemptionKey(key)) {
                       auto& [m, kind, subject, clause, case_id] = *parts;
                       exempt.insert({static_cast<int>(kind), subject, clause, case_id});
                     }
                     return true;
                   }));
  std::vector<v1::Occurrence> occurred;
  prefix = store::OccurrencePrefix(month);
  absl::Status failed;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kOccurrences, prefix, storage::PrefixSuccessor(prefix),
                   [&](std::string_view key, std::string_view bytes) {
                     auto o = storage::ParseProto<v1::Occurrence>(bytes, store::kOccurrences, key);
                     if (!o.ok()) {
                       failed = o.status();
                       return false;
                     }
                     occurred.push_back(*std::move(o));
                     return true;
                   }));
  SUNLIGHT_RETURN_IF_ERROR(failed);
  v1::ScoreSheet sheet = ComputeSheet(month, rules, records, occurred, *calendar_, exempt);
  sheet.set_month(MonthLabel(month));
  sheet.set_state(v1::SHEET_STATE_OPEN);
  sheet.set_rule_set_hash(rules.content_hash());
  sheet.set_calendar_version(calendar_->versioned_name());
  SUNLIGHT_ASSIGN_OR_RETURN(uint64_t intake, Cursor(kIntakeStream));
  SUNLIGHT_ASSIGN_OR_RETURN(uint64_t workflow, Cursor(kWorkflowStream));
  SUNLIGHT_ASSIGN_OR_RETURN(uint64_t supervision, Cursor(kSupervisionStream));
  sheet.mutable_positions()->set_intake(intake);
  sheet.mutable_positions()->set_workflow(workflow);
  sheet.mutable_positions()->set_supervision(supervision);
  SUNLIGHT_RETURN_IF_ERROR(AddComparisons(month, sheet));
  SetDigest(sheet);
  *sheet.mutable_computed_at() = ToProto(clock_->Now());
  metrics_.sheets_computed.Increment();
  metrics_.last_compute_seconds.Set(absl::ToDoubleSeconds(absl::Now() - started));
  timings_.compute.Observe(absl::ToDoubleSeconds(absl::Now() - started));
  return sheet;
}

absl::Status Scoring::AddComparisons(int64_t month, v1::ScoreSheet& sheet) const {
  SUNLIGHT_ASSIGN_OR_RETURN(auto previous, Published(PreviousMonth(month)));
  SUNLIGHT_ASSIGN_OR_RETURN(auto last_year, Published(month - 100));
  auto before =
      previous.has_value() ? BySubject(*previous) : std::map<SubjectId, const v1::SubjectScore*>{};
  auto year = last_year.has_value() ? BySubject(*last_year)
                                    : std::map<SubjectId, const v1::SubjectScore*>{};
  for (auto& s : *sheet.mutable_scores()) {
    if (auto it = before.find({s.kind(), s.subject_id()}); it != before.end())
      s.set_previous_month_centipoints(it->second->total_centipoints());
    if (auto it = year.find({s.kind(), s.subject_id()}); it != year.end())
      s.set_last_year_centipoints(it->second->total_centipoints());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ScoreSheet>> Scoring::Versions(int64_t month) const {
  std::vector<v1::ScoreSheet> out;
  absl::Status failed;
  std::string prefix = store::SheetPrefix(month);
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kSheets, prefix, storage::PrefixSuccessor(prefix),
                                        [&](std::string_view key, std::string_view bytes) {
                                          auto sheet = storage::ParseProto<v1::ScoreSheet>(
                                              bytes, store::kSheets, key);
                                          if (!sheet.ok()) {
                                            failed = sheet.status();
                                            return false;
                                          }
                                          out.push_back(*std::move(sheet));
                                          return true;
                                        }));
  SUNLIGHT_RETURN_IF_ERROR(failed);
  return out;
}

absl::StatusOr<std::optional<v1::ScoreSheet>> Scoring::Published(int64_t month) const {
  SUNLIGHT_ASSIGN_OR_RETURN(auto versions, Versions(month));
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->state() == v1::SHEET_STATE_PUBLISHED) return std::optional(*it);
  }
  return std::optional<v1::ScoreSheet>();
}

absl::StatusOr<v1::ScoreSheet> Scoring::GetScoreSheet(
    const v1::GetScoreSheetRequest& request) const {
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t month, RequireMonth(request.month()));
  v1::ScoreSheet sheet;
  if (request.version() == 0) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto published, Published(month));
    if (published.has_value()) {
      sheet = *std::move(published);
    } else {
      std::lock_guard lock(write_mu_);
      SUNLIGHT_ASSIGN_OR_RETURN(sheet, Compute(month));
    }
  } else {
    SUNLIGHT_ASSIGN_OR_RETURN(
        auto stored, storage::LoadProto<v1::ScoreSheet>(*store_, store::kSheets,
                                                        store::SheetKey(month, request.version())));
    if (!stored.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("month ", request.month(), " has no version ", request.version()));
    }
    sheet = *std::move(stored);
  }
  if (request.kind() != v1::SUBJECT_KIND_UNSPECIFIED) {
    auto* scores = sheet.mutable_scores();
    scores->erase(std::remove_if(scores->begin(), scores->end(),
                                 [&](const auto& s) { return s.kind() != request.kind(); }),
                  scores->end());
  }
  return sheet;
}

absl::StatusOr<v1::ListScoreVersionsResponse> Scoring::ListScoreVersions(
    const v1::ListScoreVersionsRequest& request) const {
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t month, RequireMonth(request.month()));
  SUNLIGHT_ASSIGN_OR_RETURN(auto versions, Versions(month));
  v1::ListScoreVersionsResponse response;
  for (auto& sheet : versions) {
    sheet.clear_scores();  // the listing: states, hashes and who published; scores by version
    *response.add_versions() = std::move(sheet);
  }
  return response;
}

absl::StatusOr<v1::ScoreDiff> Scoring::GetScoreDiff(const v1::GetScoreDiffRequest& request) const {
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t month, RequireMonth(request.month()));
  std::optional<v1::ScoreSheet> sheets[2];
  const uint32_t versions[2] = {request.from_version(), request.to_version()};
  for (int i = 0; i < 2; ++i) {
    SUNLIGHT_ASSIGN_OR_RETURN(
        sheets[i], storage::LoadProto<v1::ScoreSheet>(*store_, store::kSheets,
                                                      store::SheetKey(month, versions[i])));
    if (!sheets[i].has_value()) {
      return absl::NotFoundError(
          absl::StrCat("month ", request.month(), " has no version ", versions[i]));
    }
  }
  return Diff(*sheets[0], *sheets[1]);
}

namespace {

events::v1::CaseEvent SheetEvent(const std::string& type, const common::v1::Actor& actor,
                                 absl::Time now, const v1::ScoreSheet& sheet) {
  v1::SheetChanged payload;
  *payload.mutable_sheet() = sheet;
  return eventlog::NewEvent(type, "", actor, now, payload);
}

}  // namespace

absl::StatusOr<v1::ScoreSheet> Scoring::PublishMonth(const v1::PublishMonthRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t month, RequireMonth(request.month()));
  std::lock_guard lock(write_mu_);
  if (month >= CurrentMonth()) {
    return absl::FailedPreconditionError(
        absl::StrCat("month ", request.month(),
                     " has not ended; it can be published from the "
                     "first day of the next month"));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto versions, Versions(month));
  if (!versions.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "month ", request.month(), " is published already; recompute it for a new version"));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(v1::ScoreSheet sheet, Compute(month));
  sheet.set_version(1);
  sheet.set_state(v1::SHEET_STATE_PUBLISHED);
  *sheet.mutable_published_by() = request.actor();
  *sheet.mutable_published_at() = ToProto(clock_->Now());
  storage::WriteBatch batch;
  batch.Put(store::kSheets, store::SheetKey(month, 1), sheet.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(
      log_->Commit(std::move(batch),
                   {SheetEvent("scoring.sheet.published", request.actor(), clock_->Now(), sheet)})
          .status());
  metrics_.sheets_published.Increment();
  return sheet;
}

absl::StatusOr<v1::RecomputeMonthResponse> Scoring::DraftRecomputation(int64_t month,
                                                                       const std::string& reason) {
  SUNLIGHT_ASSIGN_OR_RETURN(auto versions, Versions(month));
  const v1::ScoreSheet* in_force = nullptr;
  for (const auto& v : versions) {
    if (v.state() == v1::SHEET_STATE_PUBLISHED) in_force = &v;
  }
  if (in_force == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("month ", MonthLabel(month), " is not published; publish it first"));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(v1::ScoreSheet sheet, Compute(month));
  v1::RecomputeMonthResponse response;
  if (sheet.scores_digest() == in_force->scores_digest()) return response;  // nothing moved
  sheet.set_version(versions.back().version() + 1);
  sheet.set_state(v1::SHEET_STATE_DRAFT);
  sheet.set_reason(reason);
  storage::WriteBatch batch;
  // A newer draft replaces a pending one.
  for (auto v : versions) {
    if (v.state() != v1::SHEET_STATE_DRAFT) continue;
    v.set_state(v1::SHEET_STATE_REJECTED);
    v.set_reason(absl::StrCat(v.reason(), "; replaced by version ", sheet.version()));
    batch.Put(store::kSheets, store::SheetKey(month, v.version()), v.SerializeAsString());
  }
  batch.Put(store::kSheets, store::SheetKey(month, sheet.version()), sheet.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(
      log_->Commit(std::move(batch),
                   {SheetEvent("scoring.sheet.drafted", eventlog::ServiceActor("scoring"),
                               clock_->Now(), sheet)})
          .status());
  *response.mutable_diff() = Diff(*in_force, sheet);
  *response.mutable_draft() = std::move(sheet);
  return response;
}

absl::StatusOr<v1::RecomputeMonthResponse> Scoring::RecomputeMonth(
    const v1::RecomputeMonthRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t month, RequireMonth(request.month()));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(request.reason(), "reason", 1000));
  std::lock_guard lock(write_mu_);
  return DraftRecomputation(month, request.reason());
}

absl::StatusOr<v1::ScoreSheet> Scoring::DecideVersion(const v1::DecideVersionRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t month, RequireMonth(request.month()));
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(auto versions, Versions(month));
  v1::ScoreSheet* draft = nullptr;
  for (auto& v : versions) {
    if (v.version() == request.version()) draft = &v;
  }
  if (draft == nullptr) return InvalidField("version", "no such version of the month");
  if (draft->state() != v1::SHEET_STATE_DRAFT) {
    return absl::FailedPreconditionError(absl::StrCat("version ", request.version(), " is ",
                                                      v1::SheetState_Name(draft->state()),
                                                      ", not a draft"));
  }
  storage::WriteBatch batch;
  if (request.approve()) {
    for (auto& v : versions) {
      if (v.state() != v1::SHEET_STATE_PUBLISHED) continue;
      v.set_state(v1::SHEET_STATE_SUPERSEDED);
      batch.Put(store::kSheets, store::SheetKey(month, v.version()), v.SerializeAsString());
    }
    draft->set_state(v1::SHEET_STATE_PUBLISHED);
    *draft->mutable_published_by() = request.actor();
    *draft->mutable_published_at() = ToProto(clock_->Now());
  } else {
    draft->set_state(v1::SHEET_STATE_REJECTED);
  }
  batch.Put(store::kSheets, store::SheetKey(month, draft->version()), draft->SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(
      log_->Commit(std::move(batch), {SheetEvent(request.approve() ? "scoring.sheet.published"
                                                                   : "scoring.sheet.rejected",
                                                 request.actor(), clock_->Now(), *draft)})
          .status());
  if (request.approve()) metrics_.sheets_published.Increment();
  return *draft;
}

absl::StatusOr<v1::RuleSet> Scoring::SetRuleSet(const v1::SetRuleSetRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  v1::RuleSet rules = request.rule_set();
  SUNLIGHT_RETURN_IF_ERROR(ValidateRuleSet(rules));
  rules.set_content_hash(RuleSetHash(rules));
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::RuleSet in_force, RuleSetFor(ParseMonth(rules.effective_from())));
  if (in_force.content_hash() == rules.content_hash()) return in_force;  // stored once
  storage::WriteBatch batch;
  batch.Put(
      store::kRuleSets,
      store::RuleSetKey(ParseMonth(rules.effective_from()), absl::ToUnixMicros(clock_->Now())),
      rules.SerializeAsString());
  v1::RuleSetChanged payload;
  *payload.mutable_rule_set() = rules;
  SUNLIGHT_RETURN_IF_ERROR(
      log_->Commit(std::move(batch), {eventlog::NewEvent("scoring.rules.changed", "",
                                                         request.actor(), clock_->Now(), payload)})
          .status());
  return rules;
}

absl::StatusOr<v1::ListRuleSetsResponse> Scoring::ListRuleSets(
    const v1::ListRuleSetsRequest&) const {
  v1::ListRuleSetsResponse response;
  *response.add_rule_sets() = DefaultRuleSet();
  absl::Status failed;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kRuleSets, "", "", [&](std::string_view key, std::string_view bytes) {
        auto rules = storage::ParseProto<v1::RuleSet>(bytes, store::kRuleSets, key);
        if (!rules.ok()) {
          failed = rules.status();
          return false;
        }
        *response.add_rule_sets() = *std::move(rules);
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(failed);
  return response;
}

absl::Status Scoring::RefreshMetrics() {
  // Sheets sort by month, then version: the last one seen of a month is its newest.
  std::map<std::string, v1::SheetState> newest;  // by month label ("2026-12")
  SUNLIGHT_RETURN_IF_ERROR(storage::ScanProtos<v1::ScoreSheet>(
      *store_, store::kSheets, "", "", [&](auto, v1::ScoreSheet sheet) {
        newest[sheet.month()] = sheet.state();
        return true;
      }));
  int64_t open = 0;
  for (const auto& [month, state] : newest) {
    open += state == v1::SHEET_STATE_OPEN || state == v1::SHEET_STATE_DRAFT ? 1 : 0;
  }
  int64_t stale = 0;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kStaleMonths, "", "", [&](auto, auto) {
    ++stale;
    return true;
  }));
  metrics_.months_open.Set(static_cast<double>(open));
  metrics_.months_stale.Set(static_cast<double>(stale));
  return absl::OkStatus();
}

}  // namespace sunlight::scoring
