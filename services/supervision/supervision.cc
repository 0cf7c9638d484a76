#include "supervision.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/calendar/deadline.h"
#include "sunlight/eventlog/cursor.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::supervision {
namespace {

using common::v1::Actor;
using events::v1::CaseEvent;
using storage::KeyBuilder;
namespace iv1 = ::sunlight::intake::v1;
namespace wv1 = ::sunlight::workflow::v1;

constexpr char kClocks[] = "clocks";                // clock id -> Clock
constexpr char kClocksByCase[] = "clocks_by_case";  // (case id, clock id)
constexpr char kFacts[] = "case_facts";             // case id -> CaseFacts
constexpr char kSchedule[] = "schedule";            // (instant micros, clock id, light)
constexpr char kAnomaliesByDepartment[] = "anomalies_by_department";  // (department, alert)
constexpr char kBoard[] = "board";                  // (kind, light, department, clock id), open
constexpr char kAlerts[] = "alerts";                // alert number -> Alert
constexpr char kAlertIds[] = "alert_ids";           // alert id -> alert number
constexpr char kAlertsByCase[] = "alerts_by_case";  // (case id, alert number)
constexpr char kOutbox[] = "alert_outbox";          // alert number -> Alert, until delivered
constexpr char kNotices[] = "notices";              // notice number -> Notice
constexpr char kMeta[] = "meta";
constexpr char kRulesKey[] = "rules";
constexpr char kCalendarKey[] = "calendar";

constexpr uint32_t kDefaultPageSize = 50;
constexpr uint32_t kMaxPageSize = 500;

v1::RuleSet DefaultRules() {
  v1::RuleSet rules;
  rules.set_version("r1");
  rules.mutable_yellow()->set_reference(v1::REFERENCE_LIMIT);
  rules.mutable_yellow()->set_offset_working_days(-1);
  rules.set_use_item_margin(true);
  rules.mutable_red()->set_reference(v1::REFERENCE_LIMIT);
  rules.mutable_red()->set_offset_working_days(0);
  rules.set_long_gap_hours(48);
  rules.set_repeated_procedures(2);
  return rules;
}

std::string LightName(v1::Light light) {
  switch (light) {
    case v1::LIGHT_GREEN:
      return "green";
    case v1::LIGHT_YELLOW:
      return "yellow";
    case v1::LIGHT_RED:
      return "red";
    default:
      return "none";
  }
}

bool Finished(const v1::Clock& clock) { return clock.has_finished_at(); }

std::string ScheduleKey(absl::Time at, const std::string& clock_id, v1::Light light) {
  return KeyBuilder()
      .AddI64(absl::ToUnixMicros(at))
      .AddString(clock_id)
      .AddU64(static_cast<uint64_t>(light))
      .Build();
}

std::string LightAlertId(const v1::Clock& clock, v1::Light light, absl::Time at) {
  return absl::StrCat(clock.clock_id(), "/", LightName(light), "@", absl::ToUnixMicros(at));
}

bool Alerted(const v1::Clock& clock, const std::string& id) {
  return std::find(clock.alert_ids().begin(), clock.alert_ids().end(), id) !=
         clock.alert_ids().end();
}

// The schedule entries a stored clock state implies (the invariant every write keeps): for
// an open clock, its next transitions; for a finished one, the transitions it passed before
// finishing that have not been alerted yet. FireDue acts on them, so alerts are raised only
// after every fact delivered so far has been applied.
std::vector<std::string> ScheduleEntries(const v1::Clock& clock) {
  std::vector<std::string> keys;
  if (!clock.has_red_at()) return keys;
  absl::Time yellow = FromProto(clock.yellow_at());
  absl::Time red = FromProto(clock.red_at());
  if (Finished(clock)) {
    if (clock.light() >= v1::LIGHT_YELLOW && yellow < red &&
        !Alerted(clock, LightAlertId(clock, v1::LIGHT_YELLOW, yellow))) {
      keys.push_back(ScheduleKey(yellow, clock.clock_id(), v1::LIGHT_YELLOW));
    }
    if (clock.light() == v1::LIGHT_RED &&
        !Alerted(clock, LightAlertId(clock, v1::LIGHT_RED, red))) {
      keys.push_back(ScheduleKey(red, clock.clock_id(), v1::LIGHT_RED));
    }
    return keys;
  }
  if (clock.light() < v1::LIGHT_YELLOW && yellow < red) {
    keys.push_back(ScheduleKey(yellow, clock.clock_id(), v1::LIGHT_YELLOW));
  }
  if (clock.light() < v1::LIGHT_RED)
    keys.push_back(ScheduleKey(red, clock.clock_id(), v1::LIGHT_RED));
  return keys;
}

std::string BoardPrefix(v1::ClockKind kind) {
  return KeyBuilder().AddU64(static_cast<uint64_t>(kind)).Build();
}

std::string BoardKey(const v1::Clock& clock) {
  return KeyBuilder()
      .AddU64(static_cast<uint64_t>(clock.kind()))
      .AddU64(static_cast<uint64_t>(clock.light()))
      .AddString(clock.department_id())
      .AddString(clock.clock_id())
      .Build();
}

std::vector<calendar::PauseInterval> PausesOf(const v1::Clock& clock) {
  std::vector<calendar::PauseInterval> pauses;
  for (const auto& p : clock.pauses()) {
    calendar::PauseInterval interval{FromProto(p.start()), std::nullopt, p.reason()};
    if (p.has_end()) interval.end = FromProto(p.end());
    pauses.push_back(std::move(interval));
  }
  return pauses;
}

v1::Light LightAt(absl::Time t, absl::Time yellow_at, absl::Time red_at) {
  if (t >= red_at) return v1::LIGHT_RED;
  if (t >= yellow_at) return v1::LIGHT_YELLOW;
  return v1::LIGHT_GREEN;
}

template <typename T>
absl::StatusOr<std::optional<T>> LoadMessage(const storage::Store& store, const char* family,
                                             const std::string& key) {
  SUNLIGHT_ASSIGN_OR_RETURN(auto bytes, store.Get(family, key));
  if (!bytes.has_value()) return std::optional<T>();
  T message;
  if (!message.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("unreadable ", family, " record ", key));
  }
  return std::optional<T>(std::move(message));
}

}  // namespace

struct Supervision::Thresholds {
  absl::Time due;
  absl::Time yellow_at;
  absl::Time red_at;
  bool paused = false;
};

// One unit of work: clocks and facts as loaded and as changed, alerts raised, events; all
// written by Commit in one batch.
class Supervision::Mutation {
 public:
  Mutation(const Supervision* owner, absl::Time now) : owner_(owner), now(now) {}

  // The clock as changed so far in this mutation, or as stored; nullptr when absent.
  absl::StatusOr<v1::Clock*> GetClock(const std::string& id) {
    auto it = clocks.find(id);
    if (it == clocks.end()) {
      SUNLIGHT_ASSIGN_OR_RETURN(auto stored, LoadMessage<v1::Clock>(*owner_->store_, kClocks, id));
      it = clocks.emplace(id, std::make_pair(stored, stored)).first;
    }
    return it->second.second.has_value() ? &*it->second.second : nullptr;
  }

  // Takes `clock` as the stored state of `id` (a clock loaded ahead by PrepareDue), unless
  // this mutation has it already.
  void Preload(const std::string& id, v1::Clock clock) {
    if (clocks.contains(id)) return;
    std::optional<v1::Clock> stored(std::move(clock));
    clocks.emplace(id, std::make_pair(stored, stored));
  }

  v1::Clock* NewClock(const std::string& id) {
    auto& entry = clocks[id];
    entry.second.emplace();
    entry.second->set_clock_id(id);
    return &*entry.second;
  }

  absl::StatusOr<v1::CaseFacts*> Facts(const std::string& case_id) {
    auto it = facts.find(case_id);
    if (it == facts.end()) {
      SUNLIGHT_ASSIGN_OR_RETURN(auto stored,
                                LoadMessage<v1::CaseFacts>(*owner_->store_, kFacts, case_id));
      v1::CaseFacts f = stored.has_value() ? *std::move(stored) : v1::CaseFacts();
      f.set_case_id(case_id);
      it = facts.emplace(case_id, std::move(f)).first;
    }
    facts_dirty.insert(case_id);
    return &it->second;
  }

  // Ids of every clock of a case: stored ones and ones created in this mutation.
  absl::StatusOr<std::vector<std::string>> CaseClockIds(const std::string& case_id) {
    std::set<std::string> ids;
    std::string prefix = KeyBuilder().AddString(case_id).Build();
    SUNLIGHT_RETURN_IF_ERROR(
        owner_->store_->Scan(kClocksByCase, prefix, storage::PrefixSuccessor(prefix),
                             [&](std::string_view key, std::string_view) {
                               storage::KeyReader reader(key);
                               std::string c, id;
                               if (reader.ReadString(&c) && reader.ReadString(&id)) ids.insert(id);
                               return true;
                             }));
    for (const auto& [id, entry] : clocks) {
      if (entry.second.has_value() && entry.second->case_id() == case_id) ids.insert(id);
    }
    return std::vector<std::string>(ids.begin(), ids.end());
  }

  const Supervision* owner_;
  absl::Time now;
  std::map<std::string, std::pair<std::optional<v1::Clock>, std::optional<v1::Clock>>> clocks;
  std::map<std::string, v1::CaseFacts> facts;
  std::set<std::string> facts_dirty;
  std::set<std::string> raised;
  std::vector<v1::Alert> alerts;
  std::vector<std::pair<std::string, v1::Notice>> notices;
  storage::WriteBatch batch;
  std::vector<CaseEvent> events;
};

std::vector<std::string> SupervisionColumnFamilies() {
  return {
      kAnomaliesByDepartment, kClocks, kClocksByCase, kFacts, kSchedule, kBoard, kAlerts, kAlertIds,
      kAlertsByCase,          kOutbox, kNotices,      kMeta};
}

// ---------------------------------------------------------------- alert sink

absl::StatusOr<std::unique_ptr<FileAlertSink>> FileAlertSink::Open(const std::string& path) {
  std::unique_ptr<FileAlertSink> sink(new FileAlertSink(path));
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    v1::Alert alert;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (google::protobuf::util::JsonStringToMessage(line, &alert, options).ok()) {
      sink->delivered_.insert(alert.alert_id());
    }
  }
  return sink;
}

absl::Status FileAlertSink::Deliver(const v1::Alert& alert) {
  std::lock_guard lock(mu_);
  if (delivered_.contains(alert.alert_id())) return absl::OkStatus();
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(alert, &json, options).ok()) {
    return absl::InternalError("alert: cannot encode as JSON");
  }
  json.push_back('\n');
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("alert file ", path_, ": cannot open"));
  bool ok = ::write(fd, json.data(), json.size()) == static_cast<ssize_t>(json.size());
  ::close(fd);
  if (!ok) return absl::UnavailableError(absl::StrCat("alert file ", path_, ": write failed"));
  delivered_.insert(alert.alert_id());
  return absl::OkStatus();
}

absl::Status FileAlertSink::Flush() {
  std::lock_guard lock(mu_);
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("alert file ", path_, ": cannot open"));
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return absl::UnavailableError(absl::StrCat("alert file ", path_, ": sync failed"));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- open

absl::StatusOr<std::unique_ptr<Supervision>> Supervision::Open(
    storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
    const Clock* clock) {
  if (calendar == nullptr) return absl::InvalidArgumentError("calendar: required");
  SUNLIGHT_ASSIGN_OR_RETURN(auto log, eventlog::EventLog::Open(store, "supervision"));
  SUNLIGHT_ASSIGN_OR_RETURN(auto rules, LoadMessage<v1::RuleSet>(*store, kMeta, kRulesKey));
  // A calendar set through SetCalendar outlives restarts and wins over the file.
  SUNLIGHT_ASSIGN_OR_RETURN(auto stored_calendar, LoadMessage<calendar::v1::HolidayCalendarFile>(
                                                      *store, kMeta, kCalendarKey));
  if (stored_calendar.has_value()) {
    SUNLIGHT_ASSIGN_OR_RETURN(calendar, calendar::WorkingCalendar::FromProto(*stored_calendar));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto last_alert, store->Last(kAlerts));
  SUNLIGHT_ASSIGN_OR_RETURN(auto last_notice, store->Last(kNotices));
  return std::unique_ptr<Supervision>(
      new Supervision(store, std::move(log), std::move(calendar), clock,
                      rules.has_value() ? *rules : DefaultRules(),
                      last_alert.has_value() ? storage::DecodeU64(last_alert->first) : 0,
                      last_notice.has_value() ? storage::DecodeU64(last_notice->first) : 0));
}

Supervision::Supervision(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
                         std::shared_ptr<const calendar::WorkingCalendar> calendar,
                         const Clock* clock, v1::RuleSet rules, uint64_t last_alert,
                         uint64_t last_notice)
    : store_(store),
      log_(std::move(log)),
      clock_(clock),
      calendar_(std::move(calendar)),
      rules_(std::move(rules)),
      last_alert_(last_alert),
      last_notice_(last_notice) {}

std::shared_ptr<const calendar::WorkingCalendar> Supervision::calendar() const {
  std::lock_guard lock(config_mu_);
  return calendar_;
}

v1::RuleSet Supervision::rules() const {
  std::lock_guard lock(config_mu_);
  return rules_;
}

v1::RuleSet Supervision::GetRuleSet() const { return rules(); }

absl::StatusOr<uint64_t> Supervision::Cursor(const std::string& stream) const {
  return eventlog::ReadCursor(*store_, stream);
}

// ---------------------------------------------------------------- planning

absl::StatusOr<Supervision::Thresholds> Supervision::ComputeThresholds(const v1::Clock& clock,
                                                                       absl::Time as_of) const {
  auto cal = calendar();
  v1::RuleSet rule = rules();
  std::vector<calendar::PauseInterval> pauses = PausesOf(clock);
  common::v1::TimeLimit limit = clock.limit();
  common::v1::TimeLimit statutory =
      clock.kind() == v1::CLOCK_KIND_CASE ? clock.statutory_limit() : clock.limit();
  if (limit.unit() != common::v1::LIMIT_UNIT_SAME_DAY) {
    limit.set_amount(limit.amount() + clock.extension_working_days());
  }
  if (statutory.unit() != common::v1::LIMIT_UNIT_SAME_DAY) {
    statutory.set_amount(statutory.amount() + clock.extension_working_days());
  }
  absl::Time start = FromProto(clock.started_at());
  calendar::DeadlineRequest request{
      .accepted_at = start, .limit = limit, .pauses = pauses, .as_of = as_of};
  SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline due, calendar::ComputeDeadline(*cal, request));
  Thresholds th;
  th.due = due.due;
  th.paused = due.paused;
  auto at_offset = [&](v1::Reference reference, int64_t offset) -> absl::StatusOr<absl::Time> {
    const common::v1::TimeLimit& base = reference == v1::REFERENCE_STATUTORY ? statutory : limit;
    if (base.unit() == common::v1::LIMIT_UNIT_SAME_DAY) return due.due;
    int64_t amount = static_cast<int64_t>(base.amount()) + offset;
    if (amount <= 0) return start;
    calendar::DeadlineRequest shifted = request;
    shifted.limit = base;
    shifted.limit.set_amount(static_cast<uint32_t>(amount));
    SUNLIGHT_ASSIGN_OR_RETURN(calendar::Deadline d, calendar::ComputeDeadline(*cal, shifted));
    return d.due;
  };
  int64_t yellow_offset = rule.yellow().offset_working_days();
  if (rule.use_item_margin()) {
    yellow_offset = -static_cast<int64_t>(
        clock.warning_margin_working_days() == 0 ? 1 : clock.warning_margin_working_days());
  }
  SUNLIGHT_ASSIGN_OR_RETURN(th.yellow_at, at_offset(rule.yellow().reference(), yellow_offset));
  SUNLIGHT_ASSIGN_OR_RETURN(th.red_at,
                            at_offset(rule.red().reference(), rule.red().offset_working_days()));
  th.yellow_at = std::min(th.yellow_at, th.red_at);
  return th;
}

void Supervision::RaiseLightAlert(Mutation& m, v1::Clock& clock, v1::Light light, absl::Time at) {
  std::string id = LightAlertId(clock, light, at);
  if (Alerted(clock, id)) return;
  clock.add_alert_ids(id);
  if (!m.raised.insert(id).second) return;
  v1::Alert alert;
  alert.set_alert_id(id);
  alert.set_kind(v1::ALERT_KIND_LIGHT);
  alert.set_case_id(clock.case_id());
  alert.set_case_number(clock.case_number());
  alert.set_clock_id(clock.clock_id());
  alert.set_light(light);
  alert.set_department_id(clock.department_id());
  alert.set_responsible_person(clock.responsible_person());
  *alert.mutable_occurred_at() = ToProto(at);
  alert.set_calendar_version(clock.calendar_version());
  alert.set_rule_version(clock.rule_version());
  alert.set_message(
      absl::StrCat(v1::ClockKind_Name(clock.kind()), " ", clock.clock_id(),
                   light == v1::LIGHT_RED ? " is overdue (red)" : " is near its limit (yellow)",
                   "; due ", absl::FormatTime(FromProto(clock.due()))));
  m.alerts.push_back(std::move(alert));
}

void Supervision::RaiseAnomaly(Mutation& m, const v1::CaseFacts& facts, const std::string& rule,
                               const std::string& discriminator, absl::Time at,
                               const std::string& text) {
  std::string id = absl::StrCat("anomaly/", facts.case_id(), "/", rule,
                                discriminator.empty() ? "" : "/", discriminator);
  if (!m.raised.insert(id).second) return;
  v1::Alert alert;
  alert.set_alert_id(id);
  alert.set_kind(v1::ALERT_KIND_ANOMALY);
  alert.set_case_id(facts.case_id());
  alert.set_case_number(facts.case_number());
  alert.set_anomaly(rule);
  alert.set_department_id(facts.department_id());
  *alert.mutable_occurred_at() = ToProto(at);
  alert.set_rule_version(rules().version());
  alert.set_message(text);
  m.alerts.push_back(std::move(alert));
}

absl::Status Supervision::Plan(Mutation& m, v1::Clock& clock) {
  absl::Time as_of = Finished(clock) ? FromProto(clock.finished_at()) : m.now;
  auto th = ComputeThresholds(clock, as_of);
  clock.set_calendar_version(calendar()->versioned_name());
  clock.set_rule_version(rules().version());
  if (!th.ok()) {
    // Not a guess: the clock says why it has no instants, and it is re-planned when the
    // calendar changes.
    clock.set_plan_error(std::string(th.status().message()));
    clock.clear_due();
    clock.clear_yellow_at();
    clock.clear_red_at();
    return absl::OkStatus();
  }
  clock.clear_plan_error();
  *clock.mutable_due() = ToProto(th->due);
  *clock.mutable_yellow_at() = ToProto(th->yellow_at);
  *clock.mutable_red_at() = ToProto(th->red_at);
  clock.set_paused(th->paused);
  if (Finished(clock)) {
    // A finished clock keeps the colour it had when it finished; transitions it passed
    // before finishing that were not alerted are left to FireDue (see ScheduleEntries).
    v1::Light final_light = LightAt(as_of, th->yellow_at, th->red_at);
    if (final_light != clock.light()) *clock.mutable_light_changed_at() = ToProto(as_of);
    clock.set_light(final_light);
    return absl::OkStatus();
  }
  // Lights go up only in FireDue, at their instants; a re-plan (extension, pause, calendar)
  // can bring one down at once.
  v1::Light now_light = th->paused ? clock.light() : LightAt(m.now, th->yellow_at, th->red_at);
  if (clock.light() == v1::LIGHT_UNSPECIFIED) {
    clock.set_light(v1::LIGHT_GREEN);
    *clock.mutable_light_changed_at() = ToProto(m.now);
  } else if (now_light < clock.light()) {
    clock.set_light(now_light);
    *clock.mutable_light_changed_at() = ToProto(m.now);
  }
  return absl::OkStatus();
}

absl::Status Supervision::ReplanCase(Mutation& m, const std::string& case_id) {
  SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseFacts * facts, m.Facts(case_id));
  SUNLIGHT_ASSIGN_OR_RETURN(auto ids, m.CaseClockIds(case_id));
  for (const std::string& id : ids) {
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(id));
    if (clock == nullptr) continue;
    if (clock->kind() == v1::CLOCK_KIND_CASE || clock->kind() == v1::CLOCK_KIND_STEP) {
      clock->clear_pauses();
      std::map<uint64_t, calendar::v1::Pause> supplements(facts->supplement_pauses().begin(),
                                                          facts->supplement_pauses().end());
      for (const auto& [key, pause] : supplements) *clock->add_pauses() = pause;
      std::map<std::string, calendar::v1::Pause> procedures(facts->procedure_pauses().begin(),
                                                            facts->procedure_pauses().end());
      for (const auto& [key, pause] : procedures) *clock->add_pauses() = pause;
    }
    if (clock->kind() == v1::CLOCK_KIND_CASE) {
      uint32_t extension = 0;
      for (const auto& [key, days] : facts->extensions()) extension += days;
      clock->set_extension_working_days(extension);
      if (facts->has_finished_at() && !Finished(*clock)) {
        *clock->mutable_finished_at() = facts->finished_at();
      }
    }
    if (facts->has_withdrawn_at() && clock->kind() != v1::CLOCK_KIND_NOTICE &&
        (!Finished(*clock) || FromProto(clock->finished_at()) > FromProto(facts->withdrawn_at()))) {
      *clock->mutable_finished_at() = facts->withdrawn_at();
    }
    SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
  }
  return absl::OkStatus();
}

absl::Status Supervision::Commit(Mutation& m) {
  for (auto& [id, entry] : m.clocks) {
    const auto& [before, after] = entry;
    prepared_.erase(id);  // may be about to change: load it afresh when next needed
    if (!after.has_value()) continue;
    if (before.has_value()) {
      if (before->SerializeAsString() == after->SerializeAsString()) continue;
      for (const auto& key : ScheduleEntries(*before)) m.batch.Delete(kSchedule, key);
      if (!Finished(*before)) m.batch.Delete(kBoard, BoardKey(*before));
    } else {
      m.batch.Put(kClocksByCase, KeyBuilder().AddString(after->case_id()).AddString(id).Build(),
                  "");
    }
    for (const auto& key : ScheduleEntries(*after)) {
      m.batch.Put(kSchedule, key, "");
      if (key < schedule_floor_) schedule_floor_ = key;
    }
    if (!Finished(*after)) m.batch.Put(kBoard, BoardKey(*after), "");
    m.batch.Put(kClocks, id, after->SerializeAsString());
    v1::Light from = before.has_value() ? before->light() : v1::LIGHT_UNSPECIFIED;
    if (from != after->light()) {
      v1::LightChanged payload;
      *payload.mutable_clock() = *after;
      payload.set_from(from);
      payload.set_to(after->light());
      CaseEvent event;
      event.set_case_id(after->case_id());
      event.set_type("supervision.light.changed");
      event.mutable_actor()->set_id("supervision");
      *event.mutable_occurred_at() = ToProto(m.now);
      event.mutable_payload()->PackFrom(payload);
      m.events.push_back(std::move(event));
    }
  }
  for (const std::string& case_id : m.facts_dirty) {
    m.batch.Put(kFacts, case_id, m.facts[case_id].SerializeAsString());
  }
  for (auto& alert : m.alerts) {
    // A light alert is deduplicated by its clock's alert_ids (written in this same batch);
    // an anomaly, which has no clock, by the alert id index.
    if (alert.kind() == v1::ALERT_KIND_ANOMALY) {
      SUNLIGHT_ASSIGN_OR_RETURN(auto existing, store_->Get(kAlertIds, alert.alert_id()));
      if (existing.has_value()) continue;  // raised before (a replay or a restart)
    }
    uint64_t number = ++last_alert_;
    std::string key = storage::EncodeU64(number);
    std::string bytes = alert.SerializeAsString();
    m.batch.Put(kAlerts, key, bytes);
    m.batch.Put(kAlertIds, alert.alert_id(), key);
    m.batch.Put(kAlertsByCase, KeyBuilder().AddString(alert.case_id()).AddU64(number).Build(), "");
    if (alert.kind() == v1::ALERT_KIND_ANOMALY) {
      m.batch.Put(kAnomaliesByDepartment,
                  KeyBuilder().AddString(alert.department_id()).AddU64(number).Build(), "");
    }
    m.batch.Put(kOutbox, key, bytes);
    v1::AlertRaised payload;
    *payload.mutable_alert() = alert;
    CaseEvent event;
    event.set_case_id(alert.case_id());
    event.set_type("supervision.alert.raised");
    event.mutable_actor()->set_id("supervision");
    *event.mutable_occurred_at() = ToProto(m.now);
    event.mutable_payload()->PackFrom(payload);
    m.events.push_back(std::move(event));
  }
  for (auto& [key, notice] : m.notices) m.batch.Put(kNotices, key, notice.SerializeAsString());
  // Per-case versions of supervision events: numbered within this commit by the log's
  // sequence; supervision events are facts about clocks, not a case's own history.
  if (m.batch.empty() && m.events.empty()) return absl::OkStatus();
  return log_->Commit(std::move(m.batch), std::move(m.events)).status();
}

// ---------------------------------------------------------------- ingestion

absl::Status Supervision::ApplyEvents(const std::string& stream,
                                      const std::vector<CaseEvent>& events) {
  if (stream != kIntakeStream && stream != kWorkflowStream) {
    return InvalidField("stream", absl::StrCat("unknown stream ", stream));
  }
  if (events.empty()) return absl::OkStatus();
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(uint64_t cursor, Cursor(stream));
  Mutation m(this, clock_->Now());
  uint64_t last = cursor;
  for (const CaseEvent& event : events) {
    if (event.sequence() <= cursor || event.case_id().empty()) {
      last = std::max(last, event.sequence());
      continue;
    }
    SUNLIGHT_RETURN_IF_ERROR(stream == kIntakeStream ? ApplyIntake(m, event)
                                                     : ApplyWorkflow(m, event));
    last = std::max(last, event.sequence());
  }
  if (last > cursor) eventlog::PutCursor(m.batch, stream, last);
  return Commit(m);
}

namespace {

// Facts of acceptance, from whichever stream tells first (both carry the same values).
void SetAcceptance(v1::CaseFacts& facts, const google::protobuf::Timestamp& accepted_at,
                   const iv1::ItemDefinition* item, const common::v1::TimeLimit& promised,
                   const common::v1::TimeLimit& statutory, uint32_t margin,
                   const std::string& department, const std::string& case_number) {
  if (facts.has_accepted_at()) return;
  *facts.mutable_accepted_at() = accepted_at;
  *facts.mutable_promised_limit() = promised;
  *facts.mutable_statutory_limit() = statutory;
  facts.set_warning_margin_working_days(margin);
  facts.set_department_id(department);
  if (!case_number.empty()) facts.set_case_number(case_number);
  if (item != nullptr) facts.set_item_code(item->item_code());
}

}  // namespace

absl::Status Supervision::EnsureCaseClock(Mutation& m, const v1::CaseFacts& facts) {
  if (!facts.has_accepted_at()) return absl::OkStatus();
  std::string id = absl::StrCat("case/", facts.case_id());
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * existing, m.GetClock(id));
  if (existing != nullptr) return absl::OkStatus();
  v1::Clock* clock = m.NewClock(id);
  clock->set_kind(v1::CLOCK_KIND_CASE);
  clock->set_case_id(facts.case_id());
  clock->set_case_number(facts.case_number());
  clock->set_department_id(facts.department_id());
  clock->set_item_code(facts.item_code());
  *clock->mutable_started_at() = facts.accepted_at();
  *clock->mutable_limit() = facts.promised_limit();
  *clock->mutable_statutory_limit() = facts.statutory_limit();
  clock->set_warning_margin_working_days(facts.warning_margin_working_days());
  return absl::OkStatus();
}

absl::Status Supervision::ApplyIntake(Mutation& m, const CaseEvent& event) {
  const std::string& type = event.type();
  const std::string& case_id = event.case_id();
  SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseFacts * facts, m.Facts(case_id));
  absl::Time at = FromProto(event.occurred_at());
  if (type == "intake.case.submitted") {
    iv1::CaseSubmitted submitted;
    if (!event.payload().UnpackTo(&submitted)) return absl::DataLossError("bad payload");
    *facts->mutable_submitted_at() = submitted.case_().submitted_at();
    facts->set_case_number(submitted.case_().case_number());
    if (facts->department_id().empty()) facts->set_department_id(submitted.case_().department_id());
    facts->set_item_code(submitted.case_().item_code());
    return absl::OkStatus();
  }
  if (type == "intake.case.accepted") {
    iv1::CaseAccepted accepted;
    if (!event.payload().UnpackTo(&accepted)) return absl::DataLossError("bad payload");
    const auto& item = accepted.item().definition();
    SetAcceptance(*facts, accepted.receipt().accepted_at(), &item, item.promised_limit(),
                  item.statutory_limit(), item.warning_margin_working_days(),
                  accepted.department_id(), accepted.case_number());
    uint32_t gap_hours = rules().long_gap_hours();
    if (gap_hours > 0 && facts->has_submitted_at() &&
        FromProto(accepted.receipt().accepted_at()) - FromProto(facts->submitted_at()) >
            absl::Hours(gap_hours)) {
      RaiseAnomaly(m, *facts, "long_gap_before_acceptance", "", at,
                   absl::StrCat("accepted more than ", gap_hours,
                                " hours after submission: possible handling outside the system"));
    }
  } else if (type == "intake.case.supplement_requested") {
    iv1::SupplementRequested requested;
    if (!event.payload().UnpackTo(&requested)) return absl::DataLossError("bad payload");
    RaiseAnomaly(
        m, *facts, "supplement_requested", absl::StrCat(event.case_version()), at,
        absl::StrCat("supplements requested: ", requested.missing_materials_size(), " materials"));
    if (requested.clock_paused()) {
      calendar::v1::Pause pause;
      *pause.mutable_start() = event.occurred_at();
      pause.set_reason("supplement");
      (*facts->mutable_supplement_pauses())[event.case_version()] = pause;
    }
  } else if (type == "intake.case.supplement_received") {
    // Close the latest open supplement pause.
    uint64_t latest = 0;
    for (const auto& [key, pause] : facts->supplement_pauses()) {
      if (!pause.has_end()) latest = std::max(latest, key);
    }
    if (latest > 0) {
      *(*facts->mutable_supplement_pauses())[latest].mutable_end() = event.occurred_at();
    }
  } else if (type == "intake.case.refused") {
    iv1::CaseRefused refused;
    (void)event.payload().UnpackTo(&refused);
    RaiseAnomaly(m, *facts, "refusal", "", at, absl::StrCat("refused: ", refused.reason()));
    return absl::OkStatus();
  } else if (type == "intake.case.withdrawn") {
    // Every clock of the case stops at the withdrawal, also clocks that the workflow stream
    // has not announced yet (ReplanCase applies it to each).
    if (!facts->has_withdrawn_at()) *facts->mutable_withdrawn_at() = event.occurred_at();
  } else {
    return absl::OkStatus();
  }
  SUNLIGHT_RETURN_IF_ERROR(EnsureCaseClock(m, *facts));
  return ReplanCase(m, case_id);
}

absl::Status Supervision::ApplyWorkflow(Mutation& m, const CaseEvent& event) {
  const std::string& type = event.type();
  const std::string& case_id = event.case_id();
  SUNLIGHT_ASSIGN_OR_RETURN(v1::CaseFacts * facts, m.Facts(case_id));
  absl::Time at = FromProto(event.occurred_at());
  if (type == "workflow.process.started") {
    wv1::ProcessStarted started;
    if (!event.payload().UnpackTo(&started)) return absl::DataLossError("bad payload");
    const auto& p = started.process();
    SetAcceptance(*facts, p.accepted_at(), nullptr, p.promised_limit(), p.statutory_limit(),
                  p.warning_margin_working_days(), p.department_id(), p.case_number());
    if (facts->item_code().empty()) facts->set_item_code(p.item_code());
    facts->clear_definition_kinds();
    for (const auto& d : p.definitions()) facts->add_definition_kinds(d.kind());
    SUNLIGHT_RETURN_IF_ERROR(EnsureCaseClock(m, *facts));
  } else if (type == "workflow.step.activated") {
    wv1::StepActivated activated;
    if (!event.payload().UnpackTo(&activated)) return absl::DataLossError("bad payload");
    const auto& step = activated.step();
    std::string id = absl::StrCat("step/", step.step_id());
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * existing, m.GetClock(id));
    if (existing == nullptr) {
      v1::Clock* clock = m.NewClock(id);
      clock->set_kind(v1::CLOCK_KIND_STEP);
      clock->set_case_id(case_id);
      clock->set_case_number(facts->case_number());
      clock->set_department_id(step.department_id());
      clock->set_responsible_person(step.assignee());
      clock->set_item_code(facts->item_code());
      *clock->mutable_started_at() = step.started_at();
      *clock->mutable_limit() = step.limit();
      clock->set_warning_margin_working_days(1);
    }
  } else if (type == "workflow.step.claimed" || type == "workflow.step.transferred") {
    std::string step_id, person, department;
    if (type == "workflow.step.claimed") {
      wv1::StepClaimed claimed;
      if (!event.payload().UnpackTo(&claimed)) return absl::DataLossError("bad payload");
      step_id = claimed.step_id();
      person = claimed.assignee();
    } else {
      wv1::StepTransferred transferred;
      if (!event.payload().UnpackTo(&transferred)) return absl::DataLossError("bad payload");
      step_id = transferred.step_id();
      person = transferred.transfer().to_assignee();
      department = transferred.transfer().to_department_id();
    }
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(absl::StrCat("step/", step_id)));
    if (clock != nullptr) {
      clock->set_responsible_person(person);
      if (!department.empty()) clock->set_department_id(department);
    }
    return absl::OkStatus();
  } else if (type == "workflow.step.completed" || type == "workflow.step.cancelled") {
    wv1::StepCompleted completed;
    if (!event.payload().UnpackTo(&completed)) return absl::DataLossError("bad payload");
    const auto& step = completed.step();
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(absl::StrCat("step/", step.step_id())));
    if (clock != nullptr && !Finished(*clock)) {
      *clock->mutable_finished_at() = step.completed_at();
      if (!step.assignee().empty()) clock->set_responsible_person(step.assignee());
    }
    if (step.state() == wv1::STEP_STATE_PASSED) {
      uint32_t index = step.definition_index();
      for (uint32_t j = 0; j < index; ++j) {
        if (std::find(facts->passed_definitions().begin(), facts->passed_definitions().end(), j) ==
            facts->passed_definitions().end()) {
          RaiseAnomaly(
              m, *facts, "steps_out_of_order", step.step_id(), at,
              absl::StrCat("step ", step.code(), " passed before step ", j + 1, " of the item"));
          break;
        }
      }
      if (std::find(facts->passed_definitions().begin(), facts->passed_definitions().end(),
                    index) == facts->passed_definitions().end()) {
        facts->add_passed_definitions(index);
      }
    }
  } else if (type == "workflow.procedure.started") {
    wv1::ProcedureStarted started;
    if (!event.payload().UnpackTo(&started)) return absl::DataLossError("bad payload");
    const auto& procedure = started.procedure();
    calendar::v1::Pause pause;
    *pause.mutable_start() = procedure.started_at();
    pause.set_reason(wv1::ProcedureType_Name(procedure.type()));
    (*facts->mutable_procedure_pauses())[procedure.procedure_id()] = pause;
    facts->set_procedures_started(facts->procedures_started() + 1);
    uint32_t threshold = rules().repeated_procedures();
    if (threshold > 0 && facts->procedures_started() >= threshold) {
      RaiseAnomaly(m, *facts, "repeated_procedures", absl::StrCat(facts->procedures_started()), at,
                   absl::StrCat(facts->procedures_started(), " special procedures on one case"));
    }
    std::string id = absl::StrCat("procedure/", procedure.procedure_id());
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * existing, m.GetClock(id));
    if (existing == nullptr) {
      v1::Clock* clock = m.NewClock(id);
      clock->set_kind(v1::CLOCK_KIND_PROCEDURE);
      clock->set_case_id(case_id);
      clock->set_case_number(facts->case_number());
      clock->set_department_id(facts->department_id());
      clock->set_responsible_person(procedure.started_by().id());
      *clock->mutable_started_at() = procedure.started_at();
      *clock->mutable_limit() = procedure.limit();
      clock->set_warning_margin_working_days(1);
    }
  } else if (type == "workflow.procedure.ended") {
    wv1::ProcedureEnded ended;
    if (!event.payload().UnpackTo(&ended)) return absl::DataLossError("bad payload");
    const auto& procedure = ended.procedure();
    auto& pause = (*facts->mutable_procedure_pauses())[procedure.procedure_id()];
    if (!pause.has_start()) *pause.mutable_start() = procedure.started_at();
    *pause.mutable_end() = procedure.ended_at();
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock,
                              m.GetClock(absl::StrCat("procedure/", procedure.procedure_id())));
    if (clock != nullptr && !Finished(*clock)) {
      *clock->mutable_finished_at() = procedure.ended_at();
    }
  } else if (type == "workflow.extension.approved") {
    wv1::ExtensionApproved approved;
    if (!event.payload().UnpackTo(&approved)) return absl::DataLossError("bad payload");
    (*facts->mutable_extensions())[event.case_version()] = approved.extension().working_days();
  } else if (type == "workflow.case.decided") {
    wv1::CaseDecided decided;
    if (!event.payload().UnpackTo(&decided)) return absl::DataLossError("bad payload");
    if (decided.decision() == wv1::DECISION_DENIED) {
      RaiseAnomaly(m, *facts, "denial", "", at, absl::StrCat("denied: ", decided.reasons()));
    }
    return absl::OkStatus();
  } else if (type == "workflow.case.completed") {
    wv1::CaseCompleted completed;
    if (!event.payload().UnpackTo(&completed)) return absl::DataLossError("bad payload");
    if (!facts->has_finished_at()) *facts->mutable_finished_at() = event.occurred_at();
    if (completed.decision() == wv1::DECISION_APPROVED) {
      for (int j = 0; j < facts->definition_kinds_size(); ++j) {
        if (facts->definition_kinds(j) == iv1::STEP_KIND_ISSUE_CERTIFICATE) continue;
        if (std::find(facts->passed_definitions().begin(), facts->passed_definitions().end(),
                      static_cast<uint32_t>(j)) == facts->passed_definitions().end()) {
          RaiseAnomaly(m, *facts, "completed_with_steps_missing", "", at,
                       absl::StrCat("completed without step ", j + 1, " of the item"));
          break;
        }
      }
    }
  } else {
    return absl::OkStatus();
  }
  return ReplanCase(m, case_id);
}

// ---------------------------------------------------------------- the scheduler

absl::StatusOr<size_t> Supervision::FireDue(size_t max) {
  std::lock_guard lock(write_mu_);
  Mutation m(this, clock_->Now());
  std::string upper = KeyBuilder().AddI64(absl::ToUnixMicros(m.now) + 1).Build();
  std::vector<std::pair<std::string, std::string>> due;  // (entry key, clock id)
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kSchedule, schedule_floor_, upper, [&](std::string_view key, std::string_view) {
        storage::KeyReader reader(key);
        int64_t micros = 0;
        std::string id;
        if (!reader.ReadI64(&micros) || !reader.ReadString(&id)) {
          error = absl::DataLossError("malformed schedule key");
          return false;
        }
        due.emplace_back(std::string(key), id);
        return due.size() < max;
      }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  size_t changed = 0;
  std::set<std::string> seen;
  const std::string calendar_version = calendar()->versioned_name();
  const std::string rule_version = rules().version();
  for (const auto& [key, id] : due) {
    if (!seen.insert(id).second) continue;
    if (auto p = prepared_.find(id); p != prepared_.end()) {
      m.Preload(id, std::move(p->second));
      prepared_.erase(p);
    }
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(id));
    if (clock == nullptr) {
      m.batch.Delete(kSchedule, key);  // an entry whose clock is gone
      continue;
    }
    // Re-check against the facts as of now. Facts, calendar and rule changes re-plan a
    // clock when they happen, so only a clock inside an open pause (whose instants move
    // with time) or one planned under another calendar or rule set needs it here.
    if (clock->paused() || clock->calendar_version() != calendar_version ||
        clock->rule_version() != rule_version || !clock->has_red_at()) {
      SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
    }
    if (!clock->has_red_at()) continue;
    absl::Time yellow = FromProto(clock->yellow_at());
    absl::Time red = FromProto(clock->red_at());
    if (Finished(*clock)) {
      if (clock->light() >= v1::LIGHT_YELLOW && yellow < red) {
        RaiseLightAlert(m, *clock, v1::LIGHT_YELLOW, yellow);
      }
      if (clock->light() == v1::LIGHT_RED) RaiseLightAlert(m, *clock, v1::LIGHT_RED, red);
      continue;
    }
    if (clock->paused()) continue;
    v1::Light target = LightAt(m.now, yellow, red);
    if (target <= clock->light()) continue;
    if (clock->light() < v1::LIGHT_YELLOW && yellow < red) {
      RaiseLightAlert(m, *clock, v1::LIGHT_YELLOW, yellow);
    }
    if (target == v1::LIGHT_RED) RaiseLightAlert(m, *clock, v1::LIGHT_RED, red);
    clock->set_light(target);
    *clock->mutable_light_changed_at() = ToProto(m.now);
    ++changed;
  }
  // The next pass starts at the first entry this one leaves in place: one its clock still
  // implies, or the first one it did not reach. Commit lowers the floor again for entries
  // it writes before it.
  std::string floor = due.size() < max ? upper : due.back().first;
  std::map<std::string, std::vector<std::string>> kept;  // clock id -> its entries now
  for (const auto& [key, id] : due) {
    if (key >= floor) break;
    auto it = kept.find(id);
    if (it == kept.end()) {
      SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(id));
      it = kept.emplace(id, clock == nullptr ? std::vector<std::string>{} : ScheduleEntries(*clock))
               .first;
    }
    if (std::find(it->second.begin(), it->second.end(), key) != it->second.end()) floor = key;
  }
  schedule_floor_ = std::move(floor);
  if (absl::Status status = Commit(m); !status.ok()) {
    schedule_floor_.clear();  // nothing was written: every entry is still there
    return status;
  }
  return changed;
}

absl::StatusOr<size_t> Supervision::PrepareDue(absl::Duration horizon, size_t max_loads) {
  std::lock_guard lock(write_mu_);
  std::string upper = KeyBuilder().AddI64(absl::ToUnixMicros(clock_->Now() + horizon) + 1).Build();
  std::vector<std::string> ids;
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kSchedule, schedule_floor_, upper, [&](std::string_view key, std::string_view) {
        if (ids.size() >= max_loads || prepared_.size() + ids.size() >= kMaxPrepared) {
          return false;
        }
        storage::KeyReader reader(key);
        int64_t micros = 0;
        std::string id;
        if (!reader.ReadI64(&micros) || !reader.ReadString(&id)) {
          error = absl::DataLossError("malformed schedule key");
          return false;
        }
        if (!prepared_.contains(id) && (ids.empty() || ids.back() != id)) ids.push_back(id);
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  size_t loaded = 0;
  for (const auto& id : ids) {
    if (prepared_.contains(id)) continue;
    SUNLIGHT_ASSIGN_OR_RETURN(auto stored, LoadMessage<v1::Clock>(*store_, kClocks, id));
    if (!stored.has_value()) continue;
    prepared_.emplace(id, *std::move(stored));
    ++loaded;
  }
  return loaded;
}

absl::StatusOr<size_t> Supervision::DeliverAlerts(AlertSink& sink, size_t max) {
  std::lock_guard lock(delivery_mu_);
  std::vector<std::pair<std::string, v1::Alert>> pending;
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kOutbox, outbox_floor_, "", [&](std::string_view key, std::string_view value) {
        v1::Alert alert;
        if (!alert.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          error = absl::DataLossError("unreadable queued alert");
          return false;
        }
        pending.emplace_back(std::string(key), std::move(alert));
        return pending.size() < max;
      }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  storage::WriteBatch delivered;
  size_t count = 0;
  absl::Status failure;
  for (const auto& [key, alert] : pending) {
    failure = sink.Deliver(alert);
    if (!failure.ok()) break;
    delivered.Delete(kOutbox, key);
    ++count;
  }
  if (!delivered.empty()) {
    // Only what the sink holds durably leaves the outbox.
    SUNLIGHT_RETURN_IF_ERROR(sink.Flush());
    SUNLIGHT_RETURN_IF_ERROR(store_->Write(delivered));
    // Outbox keys are alert numbers, written in order under write_mu_: nothing new can
    // sort before the last one delivered.
    outbox_floor_ = pending[count - 1].first;
  }
  if (!failure.ok()) return failure;
  return count;
}

// ---------------------------------------------------------------- queries

absl::StatusOr<v1::GetLightBoardResponse> Supervision::GetLightBoard(
    const v1::GetLightBoardRequest& request) const {
  v1::ClockKind kind =
      request.kind() == v1::CLOCK_KIND_UNSPECIFIED ? v1::CLOCK_KIND_CASE : request.kind();
  if (!v1::ClockKind_IsValid(kind)) return InvalidField("kind", "unknown clock kind");
  std::map<std::string, v1::DepartmentLights> departments;
  std::string prefix = BoardPrefix(kind);
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(kBoard, prefix, storage::PrefixSuccessor(prefix),
                                        [&](std::string_view key, std::string_view) {
                                          storage::KeyReader reader(key);
                                          uint64_t k = 0, light = 0;
                                          std::string department;
                                          if (!reader.ReadU64(&k) || !reader.ReadU64(&light) ||
                                              !reader.ReadString(&department)) {
                                            error = absl::DataLossError("malformed board key");
                                            return false;
                                          }
                                          auto& row = departments[department];
                                          row.set_department_id(department);
                                          if (light == v1::LIGHT_RED) row.set_red(row.red() + 1);
                                          if (light == v1::LIGHT_YELLOW)
                                            row.set_yellow(row.yellow() + 1);
                                          if (light == v1::LIGHT_GREEN)
                                            row.set_green(row.green() + 1);
                                          return true;
                                        }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kAnomaliesByDepartment, "", "", [&](std::string_view key, std::string_view) {
        storage::KeyReader reader(key);
        std::string department;
        if (!reader.ReadString(&department)) {
          error = absl::DataLossError("malformed anomaly key");
          return false;
        }
        auto& row = departments[department];
        row.set_department_id(department);
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
  uint32_t page_size =
      request.page().page_size() == 0 ? kDefaultPageSize : request.page().page_size();
  if (page_size > kMaxPageSize) return InvalidField("page.page_size", "must be at most 500");
  KeyBuilder prefix_builder;
  prefix_builder.AddU64(static_cast<uint64_t>(kind)).AddU64(static_cast<uint64_t>(request.light()));
  if (!request.department_id().empty()) prefix_builder.AddString(request.department_id());
  std::string prefix = prefix_builder.Build();
  std::string lower = prefix;
  if (!request.page().page_token().empty()) {
    std::string token;
    if (!absl::WebSafeBase64Unescape(request.page().page_token(), &token) ||
        token.compare(0, prefix.size(), prefix) != 0) {
      return InvalidField("page.page_token", "not a token from this listing");
    }
    token.push_back('\0');
    lower = token;
  }
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
  v1::ListClocksResponse response;
  std::string last_key;
  bool more = false;
  size_t examined = 0;
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(
      kBoard, lower, storage::PrefixSuccessor(prefix), [&](std::string_view key, std::string_view) {
        if (static_cast<uint32_t>(response.clocks_size()) >= page_size ||
            examined >= kMaxExamined) {
          more = true;
          return false;
        }
        ++examined;
        last_key = std::string(key);
        storage::KeyReader reader(key);
        uint64_t k = 0, light = 0;
        std::string department, id;
        if (!reader.ReadU64(&k) || !reader.ReadU64(&light) || !reader.ReadString(&department) ||
            !reader.ReadString(&id)) {
          return true;
        }
        auto clock = LoadMessage<v1::Clock>(*store_, kClocks, id);
        if (!clock.ok()) {
          error = clock.status();
          return false;
        }
        if (clock->has_value() && wanted(**clock)) *response.add_clocks() = **std::move(clock);
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  if (more) response.set_next_page_token(absl::WebSafeBase64Escape(last_key));
  return response;
}

absl::StatusOr<v1::GetCaseClocksResponse> Supervision::GetCaseClocks(
    const v1::GetCaseClocksRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  std::string prefix = KeyBuilder().AddString(request.case_id()).Build();
  std::vector<std::string> ids;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(kClocksByCase, prefix, storage::PrefixSuccessor(prefix),
                                        [&](std::string_view key, std::string_view) {
                                          storage::KeyReader reader(key);
                                          std::string c, id;
                                          if (reader.ReadString(&c) && reader.ReadString(&id)) {
                                            ids.push_back(id);
                                          }
                                          return true;
                                        }));
  if (ids.empty()) {
    return absl::NotFoundError(absl::StrCat("no clocks for case ", request.case_id()));
  }
  auto cal = calendar();
  v1::RuleSet rule = rules();
  v1::GetCaseClocksResponse response;
  for (const auto& id : ids) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto clock, LoadMessage<v1::Clock>(*store_, kClocks, id));
    if (!clock.has_value()) continue;
    auto* explained = response.add_clocks();
    common::v1::TimeLimit limit = clock->limit();
    if (limit.unit() != common::v1::LIMIT_UNIT_SAME_DAY) {
      limit.set_amount(limit.amount() + clock->extension_working_days());
    }
    calendar::DeadlineRequest deadline{
        .accepted_at = FromProto(clock->started_at()),
        .limit = limit,
        .pauses = PausesOf(*clock),
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
      request.page().page_size() == 0 ? kDefaultPageSize : request.page().page_size();
  if (page_size > kMaxPageSize) return InvalidField("page.page_size", "must be at most 500");
  uint64_t after = 0;
  if (!request.page().page_token().empty()) {
    std::string token;
    if (!absl::WebSafeBase64Unescape(request.page().page_token(), &token) || token.size() != 8) {
      return InvalidField("page.page_token", "not a token from this listing");
    }
    after = storage::DecodeU64(token);
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
    std::string prefix = KeyBuilder().AddString(request.case_id()).Build();
    SUNLIGHT_RETURN_IF_ERROR(store_->Scan(kAlertsByCase, prefix, storage::PrefixSuccessor(prefix),
                                          [&](std::string_view key, std::string_view) {
                                            storage::KeyReader reader(key);
                                            std::string c;
                                            uint64_t number = 0;
                                            if (!reader.ReadString(&c) ||
                                                !reader.ReadU64(&number)) {
                                              return true;
                                            }
                                            return collect(number);
                                          }));
  } else {
    SUNLIGHT_RETURN_IF_ERROR(store_->Scan(
        kAlerts, storage::EncodeU64(after + 1), "",
        [&](std::string_view key, std::string_view) { return collect(storage::DecodeU64(key)); }));
  }
  v1::ListAlertsResponse response;
  for (uint64_t number : numbers) {
    SUNLIGHT_ASSIGN_OR_RETURN(auto alert,
                              LoadMessage<v1::Alert>(*store_, kAlerts, storage::EncodeU64(number)));
    if (alert.has_value()) *response.add_alerts() = *std::move(alert);
  }
  if (more && !numbers.empty()) {
    response.set_next_page_token(absl::WebSafeBase64Escape(storage::EncodeU64(numbers.back())));
  }
  return response;
}

// ---------------------------------------------------------------- notices

namespace {

absl::Status RequireInspector(const Actor& actor) {
  if (actor.id().empty()) return InvalidField("actor.id", "required: every change names its actor");
  if (actor.role() != "inspector") {
    return absl::PermissionDeniedError(
        absl::StrCat("actor ", actor.id(), " acts as ", actor.role(),
                     "; only an inspector issues and decides supervision notices"));
  }
  return absl::OkStatus();
}

std::string NoticeKey(const std::string& notice_id) {
  uint64_t number = 0;
  if (notice_id.size() > 1 && notice_id[0] == 'n') {
    for (char c : notice_id.substr(1)) {
      if (c < '0' || c > '9') return "";
      number = number * 10 + static_cast<uint64_t>(c - '0');
    }
    return storage::EncodeU64(number);
  }
  return "";
}

}  // namespace

absl::StatusOr<v1::Notice> Supervision::IssueNotice(const v1::IssueNoticeRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(RequireInspector(request.actor()));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.reason(), "reason"));
  const auto& limit = request.response_limit();
  SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(limit, "response_limit"));
  std::lock_guard lock(write_mu_);
  Mutation m(this, clock_->Now());
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * case_clock,
                            m.GetClock(absl::StrCat("case/", request.case_id())));
  if (case_clock == nullptr) {
    return absl::NotFoundError(absl::StrCat("no case clock for case ", request.case_id()));
  }
  bool anomalous = false;
  std::string prefix = KeyBuilder().AddString(request.case_id()).Build();
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(kAlertsByCase, prefix, storage::PrefixSuccessor(prefix),
                                        [&](std::string_view key, std::string_view) {
                                          storage::KeyReader reader(key);
                                          std::string c;
                                          uint64_t number = 0;
                                          if (reader.ReadString(&c) && reader.ReadU64(&number)) {
                                            auto alert = LoadMessage<v1::Alert>(
                                                *store_, kAlerts, storage::EncodeU64(number));
                                            anomalous |= alert.ok() && alert->has_value() &&
                                                         (*alert)->kind() == v1::ALERT_KIND_ANOMALY;
                                          }
                                          return !anomalous;
                                        }));
  if (case_clock->light() != v1::LIGHT_RED && !anomalous) {
    return absl::FailedPreconditionError(
        absl::StrCat("case ", request.case_id(), " is ", v1::Light_Name(case_clock->light()),
                     " with no anomaly; a notice is issued on a red or abnormal case"));
  }
  uint64_t number = ++last_notice_;
  v1::Notice notice;
  notice.set_notice_id(absl::StrCat("n", number));
  notice.set_case_id(request.case_id());
  notice.set_department_id(case_clock->department_id());
  notice.set_state(v1::NOTICE_STATE_ISSUED);
  notice.set_reason(request.reason());
  *notice.mutable_issued_by() = request.actor();
  *notice.mutable_issued_at() = ToProto(m.now);
  *notice.mutable_response_limit() = limit;
  v1::Clock* clock = m.NewClock(absl::StrCat("notice/", notice.notice_id()));
  clock->set_kind(v1::CLOCK_KIND_NOTICE);
  clock->set_case_id(request.case_id());
  clock->set_case_number(case_clock->case_number());
  clock->set_department_id(case_clock->department_id());
  *clock->mutable_started_at() = ToProto(m.now);
  *clock->mutable_limit() = limit;
  clock->set_warning_margin_working_days(1);
  SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
  if (!clock->plan_error().empty()) return absl::FailedPreconditionError(clock->plan_error());
  *notice.mutable_response_due() = clock->due();
  m.notices.emplace_back(storage::EncodeU64(number), notice);
  v1::NoticeChanged payload;
  *payload.mutable_notice() = notice;
  CaseEvent event;
  event.set_case_id(request.case_id());
  event.set_type("supervision.notice.issued");
  *event.mutable_actor() = request.actor();
  *event.mutable_occurred_at() = ToProto(m.now);
  event.mutable_payload()->PackFrom(payload);
  m.events.push_back(std::move(event));
  SUNLIGHT_RETURN_IF_ERROR(Commit(m));
  return notice;
}

absl::StatusOr<v1::Notice> Supervision::GetNotice(const v1::GetNoticeRequest& request) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.notice_id(), "notice_id"));
  std::string key = NoticeKey(request.notice_id());
  if (key.empty()) return InvalidField("notice_id", "not a notice id (n<number>)");
  SUNLIGHT_ASSIGN_OR_RETURN(auto notice, LoadMessage<v1::Notice>(*store_, kNotices, key));
  if (!notice.has_value()) {
    return absl::NotFoundError(absl::StrCat("notice ", request.notice_id(), " not found"));
  }
  return *std::move(notice);
}

absl::StatusOr<v1::Notice> Supervision::RespondToNotice(const v1::RespondToNoticeRequest& request) {
  if (request.actor().id().empty()) return InvalidField("actor.id", "required");
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.response(), "response"));
  v1::GetNoticeRequest get;
  get.set_notice_id(request.notice_id());
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Notice notice, GetNotice(get));
  if (request.actor().department_id() != notice.department_id()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "notice ", notice.notice_id(), " is addressed to department ", notice.department_id()));
  }
  if (notice.state() != v1::NOTICE_STATE_ISSUED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "notice ", notice.notice_id(), " is in state ", v1::NoticeState_Name(notice.state())));
  }
  Mutation m(this, clock_->Now());
  notice.set_state(v1::NOTICE_STATE_ANSWERED);
  notice.set_response(request.response());
  *notice.mutable_responded_by() = request.actor();
  *notice.mutable_responded_at() = ToProto(m.now);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock,
                            m.GetClock(absl::StrCat("notice/", notice.notice_id())));
  if (clock != nullptr && !Finished(*clock)) {
    *clock->mutable_finished_at() = ToProto(m.now);
    SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
  }
  m.notices.emplace_back(NoticeKey(notice.notice_id()), notice);
  v1::NoticeChanged payload;
  *payload.mutable_notice() = notice;
  CaseEvent event;
  event.set_case_id(notice.case_id());
  event.set_type("supervision.notice.answered");
  *event.mutable_actor() = request.actor();
  *event.mutable_occurred_at() = ToProto(m.now);
  event.mutable_payload()->PackFrom(payload);
  m.events.push_back(std::move(event));
  SUNLIGHT_RETURN_IF_ERROR(Commit(m));
  return notice;
}

absl::StatusOr<v1::Notice> Supervision::DecideNotice(const v1::DecideNoticeRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(RequireInspector(request.actor()));
  if (request.decision() != v1::NOTICE_STATE_ACCEPTED &&
      request.decision() != v1::NOTICE_STATE_ESCALATED) {
    return InvalidField("decision", "must be ACCEPTED or ESCALATED");
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.text(), "text"));
  v1::GetNoticeRequest get;
  get.set_notice_id(request.notice_id());
  std::lock_guard lock(write_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Notice notice, GetNotice(get));
  Mutation m(this, clock_->Now());
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock,
                            m.GetClock(absl::StrCat("notice/", notice.notice_id())));
  // An unanswered notice can be escalated once its own limit has passed.
  bool overdue_unanswered = notice.state() == v1::NOTICE_STATE_ISSUED && clock != nullptr &&
                            clock->light() == v1::LIGHT_RED;
  if (notice.state() != v1::NOTICE_STATE_ANSWERED &&
      !(request.decision() == v1::NOTICE_STATE_ESCALATED && overdue_unanswered)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "notice ", notice.notice_id(), " is in state ", v1::NoticeState_Name(notice.state())));
  }
  if (clock != nullptr && !Finished(*clock)) {
    *clock->mutable_finished_at() = ToProto(m.now);
    SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
  }
  notice.set_state(request.decision());
  notice.set_decision(request.text());
  *notice.mutable_decided_by() = request.actor();
  *notice.mutable_decided_at() = ToProto(m.now);
  m.notices.emplace_back(NoticeKey(notice.notice_id()), notice);
  v1::NoticeChanged payload;
  *payload.mutable_notice() = notice;
  CaseEvent event;
  event.set_case_id(notice.case_id());
  event.set_type(request.decision() == v1::NOTICE_STATE_ACCEPTED ? "supervision.notice.accepted"
                                                                 : "supervision.notice.escalated");
  *event.mutable_actor() = request.actor();
  *event.mutable_occurred_at() = ToProto(m.now);
  event.mutable_payload()->PackFrom(payload);
  m.events.push_back(std::move(event));
  SUNLIGHT_RETURN_IF_ERROR(Commit(m));
  return notice;
}

// ---------------------------------------------------------------- configuration

absl::StatusOr<size_t> Supervision::ReplanAll(const std::string& reason) {
  // In chunks, so memory stays bounded with millions of open clocks.
  size_t replanned = 0;
  std::string lower;
  while (true) {
    std::vector<std::string> ids;
    std::string last;
    SUNLIGHT_RETURN_IF_ERROR(
        store_->Scan(kBoard, lower, "", [&](std::string_view key, std::string_view) {
          storage::KeyReader reader(key);
          uint64_t kind = 0, light = 0;
          std::string department, id;
          if (reader.ReadU64(&kind) && reader.ReadU64(&light) && reader.ReadString(&department) &&
              reader.ReadString(&id)) {
            ids.push_back(id);
          }
          last = std::string(key);
          return ids.size() < 2048;
        }));
    if (ids.empty()) break;
    // One chunk at a time under the writer lock, so ingestion and firing go on between
    // chunks (FireDue re-plans any clock it fires, so it never fires on old instants).
    std::lock_guard lock(write_mu_);
    Mutation m(this, clock_->Now());
    for (const auto& id : ids) {
      SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(id));
      if (clock != nullptr) SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
    }
    SUNLIGHT_RETURN_IF_ERROR(Commit(m));
    replanned += ids.size();
    lower = last;
    lower.push_back('\0');
  }
  LogInfo("supervision", absl::StrCat("re-planned ", replanned, " open clocks: ", reason));
  return replanned;
}

absl::StatusOr<v1::ReplanResponse> Supervision::SetRuleSet(const v1::SetRuleSetRequest& request) {
  if (request.actor().id().empty()) return InvalidField("actor.id", "required");
  v1::RuleSet rules_in = request.rules();
  for (const auto& [name, threshold] :
       {std::pair{"rules.yellow", rules_in.yellow()}, std::pair{"rules.red", rules_in.red()}}) {
    if (threshold.reference() == v1::REFERENCE_UNSPECIFIED ||
        !v1::Reference_IsValid(threshold.reference())) {
      return InvalidField(absl::StrCat(name, ".reference"), "must be LIMIT or STATUTORY");
    }
    if (threshold.offset_working_days() < -60 || threshold.offset_working_days() > 60) {
      return InvalidField(absl::StrCat(name, ".offset_working_days"), "must be within +-60");
    }
  }
  {
    std::lock_guard lock(write_mu_);
    std::lock_guard config(config_mu_);
    uint64_t n = 1;
    if (rules_.version().size() > 1) n = std::stoull(rules_.version().substr(1)) + 1;
    rules_in.set_version(absl::StrCat("r", n));
    storage::WriteBatch batch;
    batch.Put(kMeta, kRulesKey, rules_in.SerializeAsString());
    v1::RulesChanged payload;
    *payload.mutable_rules() = rules_in;
    CaseEvent event;
    event.set_type("supervision.rules.changed");
    *event.mutable_actor() = request.actor();
    *event.mutable_occurred_at() = ToProto(clock_->Now());
    event.mutable_payload()->PackFrom(payload);
    SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(batch), {std::move(event)}).status());
    rules_ = rules_in;
  }
  SUNLIGHT_ASSIGN_OR_RETURN(size_t replanned,
                            ReplanAll(absl::StrCat("rules ", rules_in.version())));
  v1::ReplanResponse response;
  response.set_rule_version(rules_in.version());
  response.set_replanned(replanned);
  return response;
}

absl::StatusOr<v1::SetCalendarResponse> Supervision::SetCalendar(
    const v1::SetCalendarRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
  // A calendar in force must say something about some year (a file may be weekends-only).
  if (request.calendar().years().empty() && request.calendar().provisional_years().empty()) {
    return InvalidField("calendar.years",
                        "required: at least one year's published arrangement (or "
                        "provisional_years)");
  }
  auto parsed = calendar::WorkingCalendar::FromProto(request.calendar());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("calendar.", parsed.status().message()));
  }
  {
    std::lock_guard lock(write_mu_);
    std::lock_guard config(config_mu_);
    if ((*parsed)->versioned_name() == calendar_->versioned_name()) {
      return absl::AlreadyExistsError(
          absl::StrCat("calendar ", calendar_->versioned_name(), " is already in force"));
    }
    storage::WriteBatch batch;
    batch.Put(kMeta, kCalendarKey, request.calendar().SerializeAsString());
    v1::CalendarChanged payload;
    payload.set_calendar_version((*parsed)->versioned_name());
    CaseEvent event;
    event.set_type("supervision.calendar.changed");
    *event.mutable_actor() = request.actor();
    *event.mutable_occurred_at() = ToProto(clock_->Now());
    event.mutable_payload()->PackFrom(payload);
    SUNLIGHT_RETURN_IF_ERROR(log_->Commit(std::move(batch), {std::move(event)}).status());
    calendar_ = *parsed;
  }
  SUNLIGHT_ASSIGN_OR_RETURN(size_t replanned,
                            ReplanAll(absl::StrCat("calendar ", (*parsed)->versioned_name())));
  v1::SetCalendarResponse response;
  response.set_calendar_version((*parsed)->versioned_name());
  response.set_replanned(replanned);
  return response;
}

}  // namespace sunlight::supervision
