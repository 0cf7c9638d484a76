// The transactional outbox: a state change and the events it produces commit in one
// RocksDB write batch, each event with a gap-free, per-store sequence number.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(auto log, EventLog::Open(store.get(), "intake"));
//   storage::WriteBatch batch;
//   batch.Put("cases", key, record.SerializeAsString());
//   SUNLIGHT_ASSIGN_OR_RETURN(auto committed, log->Commit(std::move(batch), {event}));
//   // committed[0].sequence() is the event's place in the stream.
//
// Concurrent Commit calls are grouped: one caller writes the batches of all waiting callers
// as a single synced RocksDB write (group commit), so throughput grows with concurrency
// while sequence numbers stay gap-free: a failed write consumes no sequence numbers.
#ifndef SUNLIGHT_EVENTLOG_EVENT_LOG_H_
#define SUNLIGHT_EVENTLOG_EVENT_LOG_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/events/v1/events.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::eventlog {

// Column family holding the events, keyed by big-endian sequence number.
inline constexpr char kEventsColumnFamily[] = "events";
// Column family indexing events by (case id, case version) -> sequence, for case histories.
inline constexpr char kEventsByCaseColumnFamily[] = "events_by_case";
// Column family holding consumers' stream cursors (see cursor.h).
inline constexpr char kCursorsColumnFamily[] = "cursors";

// Column families the event log and cursors need; add them to StoreOptions.
std::vector<std::string> ColumnFamilies();

class EventLog {
 public:
  // Opens the log in `store` (which must outlive it and have ColumnFamilies()), recovering
  // the last sequence number. `stream` names the stream in every event.
  static absl::StatusOr<std::unique_ptr<EventLog>> Open(storage::Store* store, std::string stream);

  // Commits `batch` and `events` atomically. Sequence numbers and the stream name are
  // assigned here; the events as committed are returned. On error nothing is written and
  // no sequence number is consumed.
  absl::StatusOr<std::vector<events::v1::CaseEvent>> Commit(
      storage::WriteBatch batch, std::vector<events::v1::CaseEvent> events);

  // Appends to `out` up to `max_events` committed events with sequence >= `from`, in order.
  absl::Status Read(uint64_t from, size_t max_events,
                    std::vector<events::v1::CaseEvent>* out) const;

  // Appends to `out` every committed event of `case_id`, in case-version order.
  absl::Status ReadCase(std::string_view case_id, std::vector<events::v1::CaseEvent>* out) const;

  // Highest committed sequence number (0 when empty).
  uint64_t last_sequence() const;

  // Blocks until last_sequence() >= `sequence` or until `deadline`; returns
  // last_sequence() at that moment.
  uint64_t WaitForSequence(uint64_t sequence, absl::Time deadline) const;

  const std::string& stream() const { return stream_; }

  // Commits so far in this process, and the store writes they took (group commit: several
  // commits share one synced write), for metrics.
  uint64_t commits() const { return commits_.load(); }
  uint64_t writes() const { return writes_.load(); }

 private:
  struct PendingCommit;
  EventLog(storage::Store* store, std::string stream, uint64_t last_sequence);

  storage::Store* store_;
  std::string stream_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  uint64_t last_sequence_;  // guarded by mu_
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> writes_{0};
  bool leader_active_ = false;        // guarded by mu_
  std::deque<PendingCommit*> queue_;  // guarded by mu_
};

// The one loop that serves a log to a reader (the event stream, the provincial exchange):
// hands every committed event from sequence `from` on to `send`, in order, waiting for new
// ones, until `send` answers CANCELLED (the reader went away: returns OK), `stopped()` turns
// true (checked at least every 200 ms: returns UNAVAILABLE), or a read or `send` fails
// (returns that error).
absl::Status TailLog(const EventLog& log, uint64_t from, const std::function<bool()>& stopped,
                     const std::function<absl::Status(const events::v1::CaseEvent&)>& send);

}  // namespace sunlight::eventlog

#endif  // SUNLIGHT_EVENTLOG_EVENT_LOG_H_
