// The supervision service's logic: a clock for every case, step, special procedure and
// supervision notice, and (from the scoring stream) for every appeal, rectification and
// complaint; lights that change at the warning and due instants; alerts; the light board;
// supervision notices; focused-review anomalies.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(auto supervision, Supervision::Open(store.get(), calendar, &clock));
//   supervision->ApplyEvents("intake", batch);    // from the intake stream (and "workflow")
//   supervision->FireDue();                        // the scheduler, about once a second
//   supervision->DeliverAlerts(sink);               // the notifier
//
// Clocks live in RocksDB; a due-time index (instant, clock, light) drives FireDue, which
// re-checks each clock against its facts before it changes a light, so a paused or
// re-planned clock never fires early. Every yellow or red transition and every anomaly
// raises one alert with a stable id (clock, light, instant / case, rule), stored with the
// light change in one write and queued for delivery until the sink takes it.
// Thread-safe.
#ifndef SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_H_
#define SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "sunlight/base/clock.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/storage/store.h"
#include "sunlight/supervision/supervision_metrics.h"
#include "sunlight/supervision/v1/supervision.pb.h"

namespace sunlight::supervision {

struct Anomaly;

inline constexpr char kIntakeStream[] = "intake";
inline constexpr char kWorkflowStream[] = "workflow";
inline constexpr char kScoringStream[] = "scoring";

// Column families of the supervision store, besides the event log's.
std::vector<std::string> SupervisionColumnFamilies();

// Where alerts go: a text-message gateway in production; a file by default.
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // Delivers one alert. Called again with the same alert after an error; a sink that can
  // tell it already has an alert (by alert_id) must not take it twice.
  virtual absl::Status Deliver(const v1::Alert& alert) = 0;
  // Makes every alert delivered so far durable. Queued alerts are removed from the outbox
  // only after it succeeds, so a sink may batch (one sync for many alerts).
  virtual absl::Status Flush() { return absl::OkStatus(); }
};

// Appends each alert as one JSON line to a file, synced on Flush; remembers the ids it
// holds, so a redelivery after a crash is not written twice.
class FileAlertSink final : public AlertSink {
 public:
  static absl::StatusOr<std::unique_ptr<FileAlertSink>> Open(const std::string& path);
  absl::Status Deliver(const v1::Alert& alert) override;
  absl::Status Flush() override;

 private:
  explicit FileAlertSink(std::string path) : path_(std::move(path)) {}
  std::string path_;
  std::mutex mu_;
  std::set<std::string> delivered_;
};

class Supervision {
 public:
  static absl::StatusOr<std::unique_ptr<Supervision>> Open(
      storage::Store* store, std::shared_ptr<const calendar::WorkingCalendar> calendar,
      const Clock* clock);

  eventlog::EventLog& event_log() { return *log_; }
  // Its metrics; main registers them where they are exposed (/metrics).
  SupervisionMetrics& metrics() { return metrics_; }
  SupervisionGauges& gauges() { return gauges_; }
  // Counts open clocks by kind and light and the alert outbox into gauges(); main calls it
  // periodically (a scan of the board's keys).
  absl::Status RefreshMetrics();

  // Applies consecutive events of `stream` ("intake", "workflow" or "scoring": appeals
  // against score deductions, rectifications of bad ratings and complaints, each limit with
  // a clock) and commits what they produce with that stream's cursor in one write. Intake
  // and workflow events of no case are skipped; a scoring event may be of none (a complaint
  // against a department), and its clocks are then of no case.
  absl::Status ApplyEvents(const std::string& stream,
                           const std::vector<events::v1::CaseEvent>& events);
  absl::StatusOr<uint64_t> Cursor(const std::string& stream) const;

  // Fires every planned transition whose instant has come (up to `max` of them); returns how
  // many lights changed.
  absl::StatusOr<size_t> FireDue(size_t max = kFireBatch);
  static constexpr size_t kFireBatch = 4096;
  // Loads, ahead of their instants, the clocks whose schedule entries fall due within
  // `horizon`, so that firing a burst at one instant does not first wait for the store:
  // what is left at the instant is mostly the commit. At most `max_loads` clocks per call
  // (the scheduler calls it every tick) and kMaxPrepared held. Returns how many it loaded.
  absl::StatusOr<size_t> PrepareDue(absl::Duration horizon, size_t max_loads = 512);
  static constexpr size_t kMaxPrepared = 16384;
  // Delivers queued alerts to `sink`, oldest first; returns how many were delivered. Stops
  // at the first failure (and returns it), to be retried later.
  absl::StatusOr<size_t> DeliverAlerts(AlertSink& sink, size_t max = 1000);

  // One tick of the scheduler (every --tick): fires until drained, then loads ahead the
  // clocks falling due within `prepare_ahead` (0: not). Errors are logged; the next tick
  // tries again.
  void RunScheduler(absl::Duration prepare_ahead);
  // One round of the notifier: delivers queued alerts; a failure is logged and retried.
  void RunAlertDelivery(AlertSink& sink);

  // Queries.
  absl::StatusOr<v1::GetLightBoardResponse> GetLightBoard(
      const v1::GetLightBoardRequest& request) const;
  absl::StatusOr<v1::ListClocksResponse> ListClocks(const v1::ListClocksRequest& request) const;
  absl::StatusOr<v1::GetCaseClocksResponse> GetCaseClocks(
      const v1::GetCaseClocksRequest& request) const;
  absl::StatusOr<v1::ListAlertsResponse> ListAlerts(const v1::ListAlertsRequest& request) const;

  // Supervision notices.
  absl::StatusOr<v1::Notice> IssueNotice(const v1::IssueNoticeRequest& request);
  absl::StatusOr<v1::Notice> RespondToNotice(const v1::RespondToNoticeRequest& request);
  absl::StatusOr<v1::Notice> DecideNotice(const v1::DecideNoticeRequest& request);
  absl::StatusOr<v1::Notice> GetNotice(const v1::GetNoticeRequest& request) const;

  // Configuration: both re-plan every open clock.
  absl::StatusOr<v1::ReplanResponse> SetRuleSet(const v1::SetRuleSetRequest& request);
  v1::RuleSet GetRuleSet() const;
  absl::StatusOr<v1::SetCalendarResponse> SetCalendar(const v1::SetCalendarRequest& request);

 private:
  class Mutation;
  struct Thresholds;

  Supervision(storage::Store* store, std::unique_ptr<eventlog::EventLog> log,
              std::shared_ptr<const calendar::WorkingCalendar> calendar, const Clock* clock,
              v1::RuleSet rules, uint64_t last_alert, uint64_t last_notice);

  std::shared_ptr<const calendar::WorkingCalendar> calendar() const;
  v1::RuleSet rules() const;

  absl::Status ApplyIntake(Mutation& m, const events::v1::CaseEvent& event);
  // Creates the case clock once acceptance is known (from either stream).
  absl::Status EnsureCaseClock(Mutation& m, const v1::CaseFacts& facts);
  absl::Status ApplyWorkflow(Mutation& m, const events::v1::CaseEvent& event);
  absl::Status ApplyScoring(Mutation& m, const events::v1::CaseEvent& event);
  absl::Status ApplyAppeal(Mutation& m, const events::v1::CaseEvent& event);
  absl::Status ApplyEvaluation(Mutation& m, const events::v1::CaseEvent& event);
  absl::Status ApplyComplaint(Mutation& m, const events::v1::CaseEvent& event);
  // The clock of one scoring limit, created (of `case_id`, possibly none) when absent.
  absl::StatusOr<v1::Clock*> ScoringClock(Mutation& m, const std::string& id, v1::ClockKind kind,
                                          const std::string& case_id,
                                          const google::protobuf::Timestamp& started_at,
                                          const common::v1::TimeLimit& limit);
  // (Re)computes a clock's instants from its facts; sets its light as of its finish (if
  // finished); lowers the light of an open clock whose thresholds moved later.
  absl::Status Plan(Mutation& m, v1::Clock& clock);
  static absl::StatusOr<Thresholds> ComputeThresholds(const v1::Clock& clock, absl::Time as_of,
                                                      const calendar::WorkingCalendar& cal,
                                                      const v1::RuleSet& rule);
  // Re-plans every clock of a case after its facts changed; clocks of complaints and
  // rectifications are left alone (none of the case's facts apply to them).
  absl::Status ReplanCase(Mutation& m, const std::string& case_id);
  // Raises the alert of one transition unless the clock already has it.
  void RaiseLightAlert(Mutation& m, v1::Clock& clock, v1::Light light, absl::Time at);
  // Raises the alert of an anomaly rule's finding (supervision_anomaly_rules.h), once per
  // case, rule and discriminator.
  void RaiseAnomaly(Mutation& m, const v1::CaseFacts& facts, const Anomaly& anomaly, absl::Time at);
  absl::Status Commit(Mutation& m);
  // Re-plans every open clock, or with `changed_days` (sorted) only those whose plan window
  // (supervision_store.h) holds one of those days.
  absl::StatusOr<size_t> ReplanAll(const std::string& reason,
                                   const std::vector<absl::CivilDay>* changed_days = nullptr);
  absl::StatusOr<size_t> ReplanChunks(const std::string& reason,
                                      const std::vector<absl::CivilDay>* changed_days);
  absl::Status ReplanClocks(const std::vector<std::string>& ids);  // one chunk, one commit
  // Calls `apply` with the ids of every open clock (the board), `chunk` at a time.
  absl::Status ForEachOpenClockChunk(
      size_t chunk, const std::function<absl::Status(const std::vector<std::string>&)>& apply);
  // Indexes the plan windows of a store written before plan_windows existed.
  absl::Status BuildPlanWindows();
  // Counts the open clocks by kind and light from the board (at start-up; Commit keeps the
  // counts after that, so the metrics need no scan of a million keys).
  absl::Status CountOpenClocks();

  storage::Store* store_;
  std::unique_ptr<eventlog::EventLog> log_;
  SupervisionMetrics metrics_;
  SupervisionGauges gauges_;
  const Clock* clock_;
  mutable std::mutex config_mu_;
  std::shared_ptr<const calendar::WorkingCalendar> calendar_;  // guarded by config_mu_
  v1::RuleSet rules_;                                          // guarded by config_mu_
  // One writer at a time: ingestion, firing, notices and re-planning all read-modify-write
  // clocks; they serialize here (RocksDB group commit is not needed at this rate).
  std::mutex write_mu_;
  std::mutex open_mu_;
  std::map<std::pair<uint64_t, uint64_t>, int64_t> open_clocks_;  // guarded by open_mu_
  std::atomic<uint64_t> last_alert_;
  std::atomic<uint64_t> last_notice_;
  // Every schedule entry sorts at or after this key (guarded by write_mu_). Firing deletes
  // entries from the front of the index, and RocksDB keeps their tombstones until a
  // compaction; scanning from here instead of from the start keeps a firing pass from
  // stepping over all of them. Empty: scan from the start (after start-up or a failed write).
  std::string schedule_floor_;
  // Every schedule entry before this key was considered by PrepareDue (guarded by write_mu_;
  // empty: from schedule_floor_).
  std::string prepared_floor_;
  // Clocks loaded by PrepareDue, as stored (guarded by write_mu_). Commit drops every clock
  // it writes, so what is here is never older than the store; FireDue takes from here.
  absl::flat_hash_map<std::string, v1::Clock> prepared_;
  // Every queued alert sorts at or after this key (outbox keys only grow); same reason.
  std::mutex delivery_mu_;
  std::string outbox_floor_;  // guarded by delivery_mu_
};

}  // namespace sunlight::supervision

#endif  // SUNLIGHT_SERVICES_SUPERVISION_SUPERVISION_H_
