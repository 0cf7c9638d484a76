// The one delivery mechanism for notifications: an outbox in its owner's RocksDB store.
//
//   Outbox outbox(store, &clock, {}, {{v1::CHANNEL_SMS, &sms}, {v1::CHANNEL_EMAIL, &mail}});
//   SUNLIGHT_ASSIGN_OR_RETURN(bool staged, outbox.Stage(batch, notification));  // with its cause
//   store->Write(batch);                        // the cause, its cursor and the notification
//   outbox.Committed(staged);                   // counted in the backlog
//   outbox.DeliverDue();                        // a delivery thread, again and again
//
// A notification enters only through Stage, in the same write as what caused it, once per
// idempotency key (a redelivered event stages nothing). DeliverDue takes what is due in order
// of its next attempt: it marks the notification SENDING (synced) before calling its channel,
// then records the answer as an Attempt and moves it on:
//  - delivered (SMTP 250, webhook 2xx): DELIVERED;
//  - accepted (Kannel; the delivery report decides): SENT until ApplyDeliveryReport;
//  - a temporary failure: RETRYING, next attempt after an exponential backoff with jitter;
//  - refused, or out of attempts: DEAD with the reason, until Resend.
// After a crash, a notification found SENDING was maybe sent: a text message waits for its
// delivery report (report_wait) before it is tried again; e-mail and webhooks are tried again
// at once with the same key, which their receivers use to drop a duplicate. Thread-safe.
#ifndef SUNLIGHT_NOTIFY_OUTBOX_H_
#define SUNLIGHT_NOTIFY_OUTBOX_H_

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/base/clock.h"
#include "sunlight/notify/channel.h"
#include "sunlight/notify/v1/notify.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::notify {

// Column families the outbox needs in its owner's store.
std::vector<std::string> OutboxColumnFamilies();

struct OutboxOptions {
  // Attempts before a notification that keeps failing for now is dead-lettered.
  uint32_t max_attempts = 12;
  // The wait after the first failed attempt, doubled after each, at most max_backoff, each
  // spread by +-jitter (a fraction) so that a recovered server is not hit all at once.
  absl::Duration first_backoff = absl::Seconds(5);
  absl::Duration max_backoff = absl::Minutes(30);
  double jitter = 0.2;
  // How long a text message handed to Kannel waits for its final delivery report before it is
  // tried again.
  absl::Duration report_wait = absl::Hours(1);
};

class Outbox {
 public:
  Outbox(storage::Store* store, const Clock* clock, OutboxOptions options,
         std::map<v1::Channel, Channel*> channels);

  // Counts the backlog and schedules the notifications a crash left SENDING.
  absl::Status Open();

  // Stages `notification` (key, channel, to, body required; INVALID_ARGUMENT naming the field)
  // in `batch`, QUEUED until its not_before (now when unset). False, staging nothing, when a
  // notification with its key exists. The caller serialises Stage with its commit.
  absl::StatusOr<bool> Stage(storage::WriteBatch& batch, v1::Notification notification) const;
  // After the caller's write of a batch Stage added to: how many it staged.
  void Committed(size_t staged) { backlog_ += staged; }
  // Records a notification nobody can be reached for (no phone, no e-mail): DEAD at once with
  // `reason`, so that it is reported, never silently dropped; count it with CommittedDead.
  // False when its key exists.
  absl::StatusOr<bool> StageUndeliverable(storage::WriteBatch& batch, v1::Notification n,
                                          const std::string& reason) const;
  void CommittedDead(size_t staged) { dead_ += staged; }

  // One attempt for each notification due now, at most `max`; returns how many it attempted.
  absl::StatusOr<size_t> DeliverDue(size_t max = 100);

  // A delivery report for the notification `key` (from Kannel's dlr-url): final and
  // delivered: DELIVERED; final and failed: tried again (or dead); otherwise recorded only.
  // NOT_FOUND for an unknown key.
  absl::Status ApplyDeliveryReport(const std::string& key, bool delivered, bool final,
                                   const std::string& detail);

  absl::StatusOr<v1::Notification> Get(const std::string& key) const;
  absl::StatusOr<std::vector<v1::Attempt>> Attempts(const std::string& key) const;
  // Notifications in `state` (every state when unspecified), by key after `after`, at most
  // `limit`.
  absl::StatusOr<std::vector<v1::Notification>> List(v1::State state, const std::string& after,
                                                     size_t limit) const;
  // A dead notification queued again now, with a fresh budget of attempts.
  absl::StatusOr<v1::Notification> Resend(const std::string& key);

  // Notifications not yet delivered nor dead (queued, sending, sent, retrying).
  uint64_t Backlog() const { return backlog_.load(); }
  uint64_t Delivered() const { return delivered_.load(); }
  uint64_t Dead() const { return dead_.load(); }
  // Per channel, in this process: attempts the channel took (sent), deliveries (on the
  // channel's answer or its delivery report) and failed attempts or reports.
  struct ChannelCounts {
    uint64_t sent = 0, delivered = 0, failed = 0;
  };
  std::map<v1::Channel, ChannelCounts> CountsByChannel() const;
  // When the oldest notification still waiting (queued, retrying or sent without a report)
  // was created; nullopt when none waits. A scan of the due index.
  absl::StatusOr<std::optional<absl::Time>> OldestPending() const;

 private:
  void Count(v1::Channel channel, uint64_t ChannelCounts::*field);
  // The wait before attempt `attempts` + 1.
  absl::Duration Backoff(uint32_t attempts);
  // Writes `n` and its due entry (when it has one) in `batch`, replacing `old_due`.
  void Put(storage::WriteBatch& batch, const v1::Notification& n, absl::Time old_due) const;
  absl::Status Record(storage::WriteBatch& batch, const v1::Notification& n, v1::Attempt attempt);
  // Moves `n` after a failed attempt or report: RETRYING after a backoff, or DEAD.
  void Fail(v1::Notification& n, const std::string& detail, bool permanent);

  storage::Store* store_;
  const Clock* clock_;
  const OutboxOptions options_;
  std::map<v1::Channel, Channel*> channels_;
  std::mutex mu_;  // one attempt or report at a time changes a notification
  std::mt19937_64 random_;
  std::atomic<uint64_t> backlog_{0}, delivered_{0}, dead_{0};
  mutable std::mutex counts_mu_;
  std::map<v1::Channel, ChannelCounts> counts_;  // guarded by counts_mu_
};

}  // namespace sunlight::notify

#endif  // SUNLIGHT_NOTIFY_OUTBOX_H_
