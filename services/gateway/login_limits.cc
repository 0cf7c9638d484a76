// Login limits and the password hash slots (login_limits.h).
#include "login_limits.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rate_limits.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/retry_after.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/gateway/v1/gateway.pb.h"

namespace sunlight::gateway {
namespace {

constexpr char kPairPrefix[] = "pair ";
constexpr char kNetworkPrefix[] = "network ";

// One message for every refusal: it tells nobody whether the user exists or who guessed.
absl::Status TooManyAttempts(absl::Duration wait) {
  return RetryAfter(absl::ResourceExhaustedError("too many login attempts"), wait);
}

}  // namespace

LoginLimits::LoginLimits(storage::Store* store, LoginLimitOptions options)
    : store_(store),
      options_(options),
      pairs_(options.max_tracked, options.forget_after),
      networks_(options.max_tracked, options.network_forget_after) {}

LoginLimits::Attempt::Attempt(Attempt&& other) noexcept
    : limits_(std::exchange(other.limits_, nullptr)),
      pair_(std::move(other.pair_)),
      network_(std::move(other.network_)),
      begun_(other.begun_) {}

LoginLimits::Attempt::~Attempt() {
  if (limits_ != nullptr) (void)limits_->Finish(*this, Outcome::kAbandoned, false, begun_);
}

absl::Status LoginLimits::Attempt::Failed(absl::Time now, bool known_user) {
  LoginLimits* limits = std::exchange(limits_, nullptr);
  return limits == nullptr ? absl::OkStatus()
                           : limits->Finish(*this, Outcome::kFailed, known_user, now);
}

absl::Status LoginLimits::Attempt::Succeeded(absl::Time now) {
  LoginLimits* limits = std::exchange(limits_, nullptr);
  return limits == nullptr ? absl::OkStatus()
                           : limits->Finish(*this, Outcome::kSucceeded, true, now);
}

absl::Duration LoginLimits::Delay(uint32_t failures) const {
  return DoublingWait(options_.first_delay, failures, options_.max_delay);
}

absl::StatusOr<LoginLimits::Backoff*> LoginLimits::Load(BoundedMap<Backoff>& map,
                                                        const std::string& key,
                                                        absl::Duration forget_after,
                                                        absl::Time now) {
  Backoff& entry = map.Touch(key, now);
  if (!entry.loaded) {
    SUNLIGHT_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                              store_->Get(kLoginFailuresFamily, key));
    v1::LoginFailures stored;
    if (bytes.has_value() && stored.ParseFromString(*bytes)) {
      entry.failures = stored.failures();
      entry.last_failure = FromProto(stored.last_failure());
    }
    entry.loaded = true;
  }
  if (entry.failures > 0 && now - entry.last_failure >= forget_after) entry.failures = 0;
  return &entry;
}

absl::StatusOr<LoginLimits::Attempt> LoginLimits::Begin(std::string_view user_id,
                                                        std::string_view client_address,
                                                        absl::Time now) {
  const std::string network = ClientNetwork(client_address);
  std::string pair_key = absl::StrCat(kPairPrefix, network, " ", std::string(user_id));
  std::string network_key = absl::StrCat(kNetworkPrefix, network);
  std::lock_guard lock(mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(Backoff * pair, Load(pairs_, pair_key, options_.forget_after, now));
  SUNLIGHT_ASSIGN_OR_RETURN(Backoff * net,
                            Load(networks_, network_key, options_.network_forget_after, now));
  absl::Duration wait = absl::ZeroDuration();
  // An attempt in flight takes well under a second (one hash).
  if (pair->in_flight > 0 || net->in_flight >= options_.max_attempts_in_flight_per_network) {
    wait = absl::Seconds(1);
  }
  if (pair->failures > 0) wait = std::max(wait, pair->last_failure + Delay(pair->failures) - now);
  if (net->failures > static_cast<uint32_t>(options_.network_free_failures)) {
    uint32_t beyond = net->failures - static_cast<uint32_t>(options_.network_free_failures);
    wait = std::max(wait, net->last_failure + Delay(beyond) - now);
  }
  if (wait > absl::ZeroDuration()) return TooManyAttempts(wait);
  ++pair->in_flight;
  ++net->in_flight;
  return Attempt(this, std::move(pair_key), std::move(network_key), now);
}

absl::Status LoginLimits::Finish(const Attempt& attempt, Outcome outcome, bool known_user,
                                 absl::Time now) {
  std::lock_guard lock(mu_);
  // (An entry pushed out of memory meanwhile comes back from the store, none in flight.)
  SUNLIGHT_ASSIGN_OR_RETURN(Backoff * pair,
                            Load(pairs_, attempt.pair_, options_.forget_after, now));
  SUNLIGHT_ASSIGN_OR_RETURN(Backoff * net,
                            Load(networks_, attempt.network_, options_.network_forget_after, now));
  pair->in_flight = std::max(0, pair->in_flight - 1);
  net->in_flight = std::max(0, net->in_flight - 1);
  storage::WriteBatch batch;
  bool write = false;
  auto put = [&](const std::string& key, const Backoff& backoff) {
    v1::LoginFailures stored;
    stored.set_failures(backoff.failures);
    *stored.mutable_last_failure() = ToProto(backoff.last_failure);
    batch.Put(kLoginFailuresFamily, key, stored.SerializeAsString());
    write = true;
  };
  if (outcome == Outcome::kFailed) {
    for (Backoff* b : {pair, net}) {
      ++b->failures;
      b->last_failure = now;
    }
    if (known_user) put(attempt.pair_, *pair);
    put(attempt.network_, *net);
  } else if (outcome == Outcome::kSucceeded && pair->failures > 0) {
    pair->failures = 0;
    batch.Delete(kLoginFailuresFamily, attempt.pair_);
    write = true;
  }
  // Written under the lock: a later failure of the network is never overwritten by an older.
  return write ? store_->Write(batch) : absl::OkStatus();
}

absl::StatusOr<int> LoginLimits::PurgeExpired(absl::Time now) {
  std::lock_guard lock(mu_);
  storage::WriteBatch batch;
  int purged = 0;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kLoginFailuresFamily, "", "", [&](std::string_view key, std::string_view value) {
        v1::LoginFailures stored;
        absl::Duration forget =
            absl::StartsWith(absl::string_view(key.data(), key.size()), kPairPrefix)
                ? options_.forget_after
                : options_.network_forget_after;
        if (!stored.ParseFromString(std::string(value)) ||
            FromProto(stored.last_failure()) + forget <= now) {
          batch.Delete(kLoginFailuresFamily, key);
          ++purged;
        }
        return true;
      }));
  if (purged > 0) SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  return purged;
}

absl::StatusOr<PasswordHashSlots::Slot> PasswordHashSlots::Acquire(absl::Duration wait) {
  std::unique_lock lock(mu_);
  if (!freed_.wait_for(lock, absl::ToChronoMilliseconds(wait), [&] { return free_ > 0; })) {
    return RetryAfter(absl::UnavailableError("the gateway is busy checking passwords"),
                      absl::Seconds(1));
  }
  --free_;
  peak_ = std::max(peak_, ++running_);
  return Slot(this);
}

int PasswordHashSlots::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

void PasswordHashSlots::Release() {
  {
    std::lock_guard lock(mu_);
    ++free_;
    --running_;
  }
  freed_.notify_one();
}

}  // namespace sunlight::gateway
