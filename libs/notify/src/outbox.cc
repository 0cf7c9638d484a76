// The notification outbox (outbox.h).
#include "sunlight/notify/outbox.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/storage/proto_record.h"
#include "sunlight/storage/tuple_key.h"

namespace sunlight::notify {

namespace {

constexpr char kNotifications[] = "notifications";     // key -> Notification
constexpr char kDue[] = "notification_due";            // DueKey -> key
constexpr char kAttempts[] = "notification_attempts";  // AttemptKey -> Attempt

// notification_due: (next attempt in micros, key).
using Due = storage::TupleKey<int64_t, std::string>;
std::string DueKey(absl::Time at, const std::string& key) {
  return Due::Encode(absl::ToUnixMicros(at), key);
}
// notification_attempts: (key, record number).
using AttemptK = storage::TupleKey<std::string, uint64_t>;

bool Pending(v1::State s) {
  return s == v1::STATE_QUEUED || s == v1::STATE_SENDING || s == v1::STATE_SENT ||
         s == v1::STATE_RETRYING;
}

// The instant a notification is due for its next attempt, or InfinitePast when it has none.
absl::Time DueOf(const v1::Notification& n) {
  if (n.state() == v1::STATE_DELIVERED || n.state() == v1::STATE_DEAD) {
    return absl::InfinitePast();
  }
  return FromProto(n.next_attempt_at());
}

}  // namespace

std::vector<std::string> OutboxColumnFamilies() { return {kNotifications, kDue, kAttempts}; }

Outbox::Outbox(storage::Store* store, const Clock* clock, OutboxOptions options,
               std::map<v1::Channel, Channel*> channels)
    : store_(store),
      clock_(clock),
      options_(options),
      channels_(std::move(channels)),
      random_(std::random_device{}()) {}

absl::Status Outbox::Open() {
  std::lock_guard lock(mu_);
  uint64_t backlog = 0;
  std::vector<v1::Notification> in_flight;
  absl::Status failed;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kNotifications, "", "", [&](std::string_view key, std::string_view bytes) {
        auto n = storage::ParseProto<v1::Notification>(bytes, kNotifications, key);
        if (!n.ok()) {
          failed = n.status();
          return false;
        }
        backlog += Pending(n->state()) ? 1 : 0;
        if (n->state() == v1::STATE_DELIVERED) ++delivered_;
        if (n->state() == v1::STATE_DEAD) ++dead_;
        if (n->state() == v1::STATE_SENDING) in_flight.push_back(*std::move(n));
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(failed);
  backlog_ = backlog;
  // Maybe sent before the crash: a text message waits for its report, the others go again.
  storage::WriteBatch batch;
  const absl::Time now = clock_->Now();
  for (v1::Notification& n : in_flight) {
    absl::Time old_due = DueOf(n);
    n.set_state(n.channel() == v1::CHANNEL_SMS ? v1::STATE_SENT : v1::STATE_RETRYING);
    *n.mutable_next_attempt_at() =
        ToProto(n.channel() == v1::CHANNEL_SMS ? now + options_.report_wait : now);
    n.set_last_detail("interrupted: the service stopped during the attempt");
    Put(batch, n, old_due);
  }
  return batch.empty() ? absl::OkStatus() : store_->Write(batch);
}

absl::StatusOr<bool> Outbox::Stage(storage::WriteBatch& batch, v1::Notification n) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(n.key(), "key", 512));
  if (n.channel() == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(n.channel())) {
    return InvalidField("channel", "CHANNEL_SMS, CHANNEL_EMAIL or CHANNEL_WEBHOOK");
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(n.to(), "to", 2048));
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(n.body(), "body", 64 * 1024));
  SUNLIGHT_ASSIGN_OR_RETURN(auto existing, store_->Get(kNotifications, n.key()));
  if (existing.has_value()) return false;
  const absl::Time now = clock_->Now();
  n.set_state(v1::STATE_QUEUED);
  n.set_attempts(0);
  *n.mutable_created_at() = ToProto(now);
  absl::Time first = n.has_not_before() ? std::max(now, FromProto(n.not_before())) : now;
  *n.mutable_next_attempt_at() = ToProto(first);
  Put(batch, n, absl::InfinitePast());
  return true;
}

absl::StatusOr<bool> Outbox::StageUndeliverable(storage::WriteBatch& batch, v1::Notification n,
                                                const std::string& reason) const {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(n.key(), "key", 512));
  SUNLIGHT_ASSIGN_OR_RETURN(auto existing, store_->Get(kNotifications, n.key()));
  if (existing.has_value()) return false;
  const absl::Time now = clock_->Now();
  n.set_state(v1::STATE_DEAD);
  n.set_dead_reason(reason);
  *n.mutable_created_at() = ToProto(now);
  Put(batch, n, absl::InfinitePast());
  return true;
}

void Outbox::Put(storage::WriteBatch& batch, const v1::Notification& n, absl::Time old_due) const {
  if (old_due != absl::InfinitePast()) batch.Delete(kDue, DueKey(old_due, n.key()));
  absl::Time due = DueOf(n);
  if (due != absl::InfinitePast()) batch.Put(kDue, DueKey(due, n.key()), n.key());
  batch.Put(kNotifications, n.key(), n.SerializeAsString());
}

absl::Status Outbox::Record(storage::WriteBatch& batch, const v1::Notification& n,
                            v1::Attempt attempt) {
  batch.Put(kAttempts, AttemptK::Encode(n.key(), n.records()), attempt.SerializeAsString());
  return absl::OkStatus();
}

absl::Duration Outbox::Backoff(uint32_t attempts) {
  double base = absl::ToDoubleSeconds(options_.first_backoff) *
                std::pow(2.0, static_cast<double>(std::min<uint32_t>(attempts, 40) - 1));
  base = std::min(base, absl::ToDoubleSeconds(options_.max_backoff));
  std::uniform_real_distribution<double> spread(1.0 - options_.jitter, 1.0 + options_.jitter);
  return absl::Seconds(base * spread(random_));
}

void Outbox::Fail(v1::Notification& n, const std::string& detail, bool permanent) {
  n.set_last_detail(detail);
  if (permanent || n.attempts() >= options_.max_attempts) {
    n.set_state(v1::STATE_DEAD);
    n.set_dead_reason(permanent ? detail
                                : absl::StrCat("gave up after ", n.attempts(),
                                               " attempts; last answer: ", detail));
    n.clear_next_attempt_at();
    return;
  }
  n.set_state(v1::STATE_RETRYING);
  *n.mutable_next_attempt_at() = ToProto(clock_->Now() + Backoff(n.attempts()));
}

absl::StatusOr<size_t> Outbox::DeliverDue(size_t max) {
  // Claim what is due: SENDING, synced, before any channel is called.
  std::vector<v1::Notification> claimed;
  {
    std::lock_guard lock(mu_);
    const absl::Time now = clock_->Now();
    std::vector<std::string> keys;
    SUNLIGHT_RETURN_IF_ERROR(store_->Scan(kDue, "", Due::Prefix(absl::ToUnixMicros(now) + 1),
                                          [&](std::string_view, std::string_view key) {
                                            keys.emplace_back(key);
                                            return keys.size() < max;
                                          }));
    storage::WriteBatch batch;
    for (const std::string& key : keys) {
      SUNLIGHT_ASSIGN_OR_RETURN(auto n,
                                storage::LoadProto<v1::Notification>(*store_, kNotifications, key));
      if (!n.has_value() || !Pending(n->state())) continue;
      absl::Time old_due = DueOf(*n);
      if (n->state() == v1::STATE_SENT) {
        // No final report in time: count it as not delivered.
        Fail(*n, "no delivery report in time", false);
        if (n->state() == v1::STATE_DEAD) {
          ++dead_;
          --backlog_;
        }
        Put(batch, *n, old_due);
        continue;
      }
      n->set_state(v1::STATE_SENDING);
      n->set_attempts(n->attempts() + 1);
      *n->mutable_last_attempt_at() = ToProto(now);
      *n->mutable_next_attempt_at() = ToProto(now + absl::Minutes(10));  // if we crash now
      Put(batch, *n, old_due);
      claimed.push_back(*std::move(n));
    }
    if (!batch.empty()) SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  }
  for (v1::Notification& n : claimed) {
    auto channel = channels_.find(n.channel());
    SendResult result;
    if (channel == channels_.end() || channel->second == nullptr) {
      result = {SendOutcome::kRejected,
                absl::StrCat("no ", v1::Channel_Name(n.channel()), " channel is configured")};
    } else {
      result = channel->second->Send({n.key(), n.to(), n.subject(), n.body()});
    }
    std::lock_guard lock(mu_);
    // A delivery report may have come (and settled it) before the channel returned.
    SUNLIGHT_ASSIGN_OR_RETURN(
        auto stored, storage::LoadProto<v1::Notification>(*store_, kNotifications, n.key()));
    if (stored.has_value()) n = *std::move(stored);
    absl::Time old_due = DueOf(n);
    const absl::Time now = clock_->Now();
    const bool settled = n.state() != v1::STATE_SENDING;
    if (!settled) n.set_last_detail(result.detail);
    switch (settled ? SendOutcome::kAccepted : result.outcome) {
      case SendOutcome::kDelivered:
        n.set_state(v1::STATE_DELIVERED);
        *n.mutable_delivered_at() = ToProto(now);
        n.clear_next_attempt_at();
        ++delivered_;
        --backlog_;
        Count(n.channel(), &ChannelCounts::sent);
        Count(n.channel(), &ChannelCounts::delivered);
        break;
      case SendOutcome::kAccepted:
        if (settled) break;  // recorded below, as it stands
        Count(n.channel(), &ChannelCounts::sent);
        n.set_state(v1::STATE_SENT);
        *n.mutable_next_attempt_at() = ToProto(now + options_.report_wait);
        break;
      case SendOutcome::kRetry:
      case SendOutcome::kRejected:
        Count(n.channel(), &ChannelCounts::failed);
        Fail(n, result.detail, result.outcome == SendOutcome::kRejected);
        if (n.state() == v1::STATE_DEAD) {
          ++dead_;
          --backlog_;
        }
        break;
    }
    v1::Attempt attempt;
    attempt.set_number(n.attempts());
    *attempt.mutable_at() = ToProto(now);
    attempt.set_result(n.state());
    attempt.set_detail(result.detail);
    storage::WriteBatch batch;
    SUNLIGHT_RETURN_IF_ERROR(Record(batch, n, attempt));
    n.set_records(n.records() + 1);
    Put(batch, n, old_due);
    SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  }
  return claimed.size();
}

absl::Status Outbox::ApplyDeliveryReport(const std::string& key, bool delivered, bool final,
                                         const std::string& detail) {
  std::lock_guard lock(mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(auto stored,
                            storage::LoadProto<v1::Notification>(*store_, kNotifications, key));
  if (!stored.has_value()) return absl::NotFoundError(absl::StrCat("no notification ", key));
  v1::Notification n = *std::move(stored);
  absl::Time old_due = DueOf(n);
  const absl::Time now = clock_->Now();
  // A report for a notification already finished, or in the middle of another attempt, is
  // recorded only.
  bool applies = final && (n.state() == v1::STATE_SENT || n.state() == v1::STATE_SENDING);
  if (applies && delivered) {
    n.set_state(v1::STATE_DELIVERED);
    *n.mutable_delivered_at() = ToProto(now);
    n.clear_next_attempt_at();
    n.set_last_detail(detail);
    ++delivered_;
    --backlog_;
    Count(n.channel(), &ChannelCounts::delivered);
  } else if (applies) {
    Count(n.channel(), &ChannelCounts::failed);
    Fail(n, detail, false);
    if (n.state() == v1::STATE_DEAD) {
      ++dead_;
      --backlog_;
    }
  }
  v1::Attempt report;
  report.set_number(n.attempts());
  *report.mutable_at() = ToProto(now);
  report.set_result(n.state());
  report.set_detail(detail);
  report.set_report(true);
  storage::WriteBatch batch;
  SUNLIGHT_RETURN_IF_ERROR(Record(batch, n, report));
  n.set_records(n.records() + 1);
  Put(batch, n, old_due);
  return store_->Write(batch);
}

absl::StatusOr<v1::Notification> Outbox::Get(const std::string& key) const {
  SUNLIGHT_ASSIGN_OR_RETURN(auto n,
                            storage::LoadProto<v1::Notification>(*store_, kNotifications, key));
  if (!n.has_value()) return absl::NotFoundError(absl::StrCat("no notification ", key));
  return *std::move(n);
}

absl::StatusOr<std::vector<v1::Attempt>> Outbox::Attempts(const std::string& key) const {
  std::vector<v1::Attempt> out;
  absl::Status failed;
  std::string prefix = AttemptK::Prefix(key);
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(kAttempts, prefix, storage::PrefixSuccessor(prefix),
                                        [&](std::string_view k, std::string_view bytes) {
                                          auto a =
                                              storage::ParseProto<v1::Attempt>(bytes, kAttempts, k);
                                          if (!a.ok()) {
                                            failed = a.status();
                                            return false;
                                          }
                                          out.push_back(*std::move(a));
                                          return true;
                                        }));
  SUNLIGHT_RETURN_IF_ERROR(failed);
  return out;
}

absl::StatusOr<std::vector<v1::Notification>> Outbox::List(v1::State state,
                                                           const std::string& after,
                                                           size_t limit) const {
  std::vector<v1::Notification> out;
  absl::Status failed;
  std::string from = after.empty() ? "" : after + std::string(1, '\0');
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kNotifications, from, "", [&](std::string_view key, std::string_view bytes) {
        auto n = storage::ParseProto<v1::Notification>(bytes, kNotifications, key);
        if (!n.ok()) {
          failed = n.status();
          return false;
        }
        if (state == v1::STATE_UNSPECIFIED || n->state() == state) out.push_back(*std::move(n));
        return out.size() < limit;
      }));
  SUNLIGHT_RETURN_IF_ERROR(failed);
  return out;
}

absl::StatusOr<v1::Notification> Outbox::Resend(const std::string& key) {
  std::lock_guard lock(mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(v1::Notification n, Get(key));
  if (n.state() != v1::STATE_DEAD) {
    return absl::FailedPreconditionError(
        absl::StrCat("notification ", key, " is ", v1::State_Name(n.state()), ", not dead"));
  }
  n.set_state(v1::STATE_QUEUED);
  n.set_attempts(0);
  n.clear_dead_reason();
  *n.mutable_next_attempt_at() = ToProto(clock_->Now());
  storage::WriteBatch batch;
  Put(batch, n, absl::InfinitePast());
  SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  --dead_;
  ++backlog_;
  return n;
}

void Outbox::Count(v1::Channel channel, uint64_t ChannelCounts::*field) {
  std::lock_guard lock(counts_mu_);
  ++(counts_[channel].*field);
}

absl::StatusOr<std::optional<absl::Time>> Outbox::OldestPending() const {
  std::optional<absl::Time> oldest;
  absl::Status failed;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(kDue, "", "", [&](std::string_view, std::string_view key) {
    auto n = storage::LoadProto<v1::Notification>(*store_, kNotifications, key);
    if (!n.ok()) {
      failed = n.status();
      return false;
    }
    if (n->has_value() && (*n)->has_created_at()) {
      absl::Time created = FromProto((*n)->created_at());
      if (!oldest.has_value() || created < *oldest) oldest = created;
    }
    return true;
  }));
  SUNLIGHT_RETURN_IF_ERROR(failed);
  return oldest;
}

std::map<v1::Channel, Outbox::ChannelCounts> Outbox::CountsByChannel() const {
  std::lock_guard lock(counts_mu_);
  return counts_;
}

}  // namespace sunlight::notify
