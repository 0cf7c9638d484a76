#include "sunlight/eventlog/event_log.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight::eventlog {

using events::v1::CaseEvent;

// Groups of at most this many commits are written together.
constexpr size_t kMaxGroup = 512;

struct EventLog::PendingCommit {
  storage::WriteBatch batch;
  std::vector<CaseEvent> events;
  bool done = false;
  absl::Status status;
};

std::vector<std::string> ColumnFamilies() {
  return {kEventsColumnFamily, kEventsByCaseColumnFamily, kCursorsColumnFamily};
}

absl::StatusOr<std::unique_ptr<EventLog>> EventLog::Open(storage::Store* store,
                                                         std::string stream) {
  auto last = store->Last(kEventsColumnFamily);
  if (!last.ok()) return last.status();
  uint64_t last_sequence = 0;
  if (last->has_value()) {
    if ((*last)->first.size() != 8) {
      return absl::DataLossError(absl::StrCat("event log ", stream, ": malformed key"));
    }
    last_sequence = storage::DecodeU64((*last)->first);
  }
  return std::unique_ptr<EventLog>(new EventLog(store, std::move(stream), last_sequence));
}

EventLog::EventLog(storage::Store* store, std::string stream, uint64_t last_sequence)
    : store_(store), stream_(std::move(stream)), last_sequence_(last_sequence) {}

absl::StatusOr<std::vector<CaseEvent>> EventLog::Commit(storage::WriteBatch batch,
                                                        std::vector<CaseEvent> events) {
  PendingCommit self;
  self.batch = std::move(batch);
  self.events = std::move(events);
  std::unique_lock lock(mu_);
  queue_.push_back(&self);
  while (!self.done && leader_active_) cv_.wait(lock);
  if (self.done) {
    if (!self.status.ok()) return self.status;
    return std::move(self.events);
  }

  // This caller leads: it writes its own commit and every commit queued behind it.
  leader_active_ = true;
  std::vector<PendingCommit*> group;
  while (!queue_.empty() && group.size() < kMaxGroup) {
    group.push_back(queue_.front());
    queue_.pop_front();
  }
  uint64_t sequence = last_sequence_;
  lock.unlock();

  std::vector<const storage::WriteBatch*> batches;
  batches.reserve(group.size());
  for (PendingCommit* pending : group) {
    for (CaseEvent& event : pending->events) {
      event.set_sequence(++sequence);
      event.set_stream(stream_);
      pending->batch.Put(kEventsColumnFamily, storage::EncodeU64(sequence),
                         event.SerializeAsString());
      if (!event.case_id().empty()) {
        pending->batch.Put(kEventsByCaseColumnFamily,
                           storage::KeyBuilder()
                               .AddString(event.case_id())
                               .AddU64(event.case_version())
                               .AddU64(sequence)
                               .Build(),
                           "");
      }
    }
    batches.push_back(&pending->batch);
  }
  absl::Status status = store_->Write(batches);

  lock.lock();
  if (status.ok()) {
    last_sequence_ = sequence;
    commits_ += group.size();
    ++writes_;
  }
  for (PendingCommit* pending : group) {
    pending->status = status;
    pending->done = true;
  }
  leader_active_ = false;
  cv_.notify_all();
  lock.unlock();
  if (!status.ok()) return status;
  return std::move(self.events);
}

absl::Status EventLog::Read(uint64_t from, size_t max_events, std::vector<CaseEvent>* out) const {
  uint64_t last = last_sequence();
  if (from == 0) from = 1;
  if (from > last || max_events == 0) return absl::OkStatus();
  // Only committed sequence numbers are read, so a write in flight is never half-seen.
  std::string upper = storage::EncodeU64(last + 1);
  absl::Status parse_status;
  size_t count = 0;
  absl::Status s =
      store_->Scan(kEventsColumnFamily, storage::EncodeU64(from), upper,
                   [&](std::string_view, std::string_view value) {
                     CaseEvent event;
                     if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                       parse_status = absl::DataLossError(
                           absl::StrCat("event log ", stream_, ": unreadable event after ", from));
                       return false;
                     }
                     out->push_back(std::move(event));
                     return ++count < max_events;
                   });
  if (!s.ok()) return s;
  return parse_status;
}

absl::Status EventLog::ReadCase(std::string_view case_id, std::vector<CaseEvent>* out) const {
  std::string prefix = storage::KeyBuilder().AddString(case_id).Build();
  std::vector<uint64_t> sequences;
  absl::Status corrupt;
  absl::Status s = store_->Scan(
      kEventsByCaseColumnFamily, prefix, storage::PrefixSuccessor(prefix),
      [&](std::string_view key, std::string_view) {
        storage::KeyReader reader(key);
        std::string id;
        uint64_t version = 0, sequence = 0;
        if (!reader.ReadString(&id) || !reader.ReadU64(&version) || !reader.ReadU64(&sequence)) {
          corrupt = absl::DataLossError("malformed case event index");
          return false;
        }
        sequences.push_back(sequence);
        return true;
      });
  if (!s.ok()) return s;
  if (!corrupt.ok()) return corrupt;
  for (uint64_t sequence : sequences) {
    std::vector<CaseEvent> one;
    if (absl::Status r = Read(sequence, 1, &one); !r.ok()) return r;
    if (one.empty() || one.front().sequence() != sequence) {
      return absl::DataLossError(
          absl::StrCat("event ", sequence, " of case ", std::string(case_id), " missing"));
    }
    out->push_back(std::move(one.front()));
  }
  return absl::OkStatus();
}

uint64_t EventLog::last_sequence() const {
  std::lock_guard lock(mu_);
  return last_sequence_;
}

uint64_t EventLog::WaitForSequence(uint64_t sequence, absl::Time deadline) const {
  std::unique_lock lock(mu_);
  while (last_sequence_ < sequence) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    cv_.wait_for(lock, absl::ToChronoNanoseconds(left));
  }
  return last_sequence_;
}

absl::Status TailLog(const EventLog& log, uint64_t from, const std::function<bool()>& stopped,
                     const std::function<absl::Status(const events::v1::CaseEvent&)>& send) {
  constexpr size_t kPage = 256;
  uint64_t next = std::max<uint64_t>(1, from);
  std::vector<events::v1::CaseEvent> page;
  while (!stopped()) {
    page.clear();
    SUNLIGHT_RETURN_IF_ERROR(log.Read(next, kPage, &page));
    if (page.empty()) {
      // Wakes at least every 200 ms to notice a reader or a server going away.
      log.WaitForSequence(next, absl::Now() + absl::Milliseconds(200));
      continue;
    }
    for (const events::v1::CaseEvent& event : page) {
      absl::Status sent = send(event);
      if (absl::IsCancelled(sent)) return absl::OkStatus();
      SUNLIGHT_RETURN_IF_ERROR(sent);
      next = event.sequence() + 1;
    }
  }
  return absl::UnavailableError("the stream is closing");
}

}  // namespace sunlight::eventlog
