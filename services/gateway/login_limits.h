// Limits on logins, reserved before any password is hashed: a guess that is not allowed costs
// no Argon2 hash (19 MiB and tens of milliseconds each).
//
//   LoginLimits limits(store, {});
//   SUNLIGHT_ASSIGN_OR_RETURN(LoginLimits::Attempt attempt,
//                             limits.Begin(user_id, http.client, now));   // or 429 + wait
//   PasswordHashSlots::Slot slot = hash_slots.Acquire();                 // or 503 + wait
//   ... verify the password ...
//   matches ? attempt.Succeeded(now) : attempt.Failed(now, user_exists);
//
// Attempts are counted per (user id, client network) pair and per client network, where a
// client network is the IPv4 /24 or the IPv6 /64 of the client's address (ClientNetwork,
// rate_limits.h): one address or a thousand of one network are one client. A pair has at most one
// attempt in flight, and after its k-th failure waits first_delay * 2^(k-1) (at most max_delay)
// before the next. A network has a few attempts in flight and a free allowance of failures, then
// waits the same way. Nobody can lock anyone out: a user logs in from their own network whatever
// others guess elsewhere. Failures are kept in the gateway's store (kLoginFailuresFamily), so a
// restart forgets nothing, with bounded in-memory maps in front; each is forgotten a while after
// its last failure (PurgeExpired).
#ifndef SUNLIGHT_SERVICES_GATEWAY_LOGIN_LIMITS_H_
#define SUNLIGHT_SERVICES_GATEWAY_LOGIN_LIMITS_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/base/bounded_map.h"
#include "sunlight/storage/store.h"

namespace sunlight::gateway {

// (user id, client network) pair or client network -> LoginFailures.
inline constexpr char kLoginFailuresFamily[] = "login_failures";

struct LoginLimitOptions {
  // At most this many password hashes at once (logins, password changes, new users); a
  // request that finds none free within `hash_wait` is answered UNAVAILABLE, retry after 1 s.
  int max_concurrent_hashes = 4;
  absl::Duration hash_wait = absl::Milliseconds(500);
  // The wait after the k-th failure: first_delay * 2^(k-1), at most max_delay.
  absl::Duration first_delay = absl::Seconds(1);
  absl::Duration max_delay = absl::Minutes(15);
  // A pair's failures are forgotten this long after its last one (a success forgets them).
  absl::Duration forget_after = absl::Hours(24);
  // A network: attempts in flight at once; failures (of any user) before it waits too; its
  // failures are forgotten this long after the last one.
  int max_attempts_in_flight_per_network = 2;
  int network_free_failures = 30;
  absl::Duration network_forget_after = absl::Hours(1);
  // Entries of each in-memory map (pairs, networks); the store keeps what they drop.
  size_t max_tracked = 100000;
};

class LoginLimits {
 public:
  LoginLimits(storage::Store* store, LoginLimitOptions options);

  // A reserved attempt. Report its outcome once; one dropped unreported (an error before the
  // password was checked) counts as neither.
  class Attempt {
   public:
    Attempt(Attempt&& other) noexcept;
    Attempt& operator=(Attempt&&) = delete;
    ~Attempt();
    // A wrong password (or unknown or disabled user): the pair and the network wait longer.
    // `known_user`: the pair's count is also stored (unknown user ids are counted in memory
    // only, so guesses of names cannot fill the store). The error when it could not be stored.
    absl::Status Failed(absl::Time now, bool known_user);
    // The right password: the pair's failures are forgotten (the network's are not).
    absl::Status Succeeded(absl::Time now);

   private:
    friend class LoginLimits;
    Attempt(LoginLimits* limits, std::string pair, std::string network, absl::Time begun)
        : limits_(limits), pair_(std::move(pair)), network_(std::move(network)), begun_(begun) {}
    LoginLimits* limits_;
    std::string pair_, network_;
    absl::Time begun_;
  };

  // Reserves an attempt for `user_id` from `client_address`; RESOURCE_EXHAUSTED with the wait
  // (sunlight/base/retry_after.h) while the pair or the network has one in flight or must
  // wait. Reads the store when the pair or network is not in memory.
  absl::StatusOr<Attempt> Begin(std::string_view user_id, std::string_view client_address,
                                absl::Time now);
  // Deletes the stored failures that are forgotten by `now`; how many.
  absl::StatusOr<int> PurgeExpired(absl::Time now);

 private:
  struct Backoff {
    bool loaded = false;  // read from the store (or found absent there)
    uint32_t failures = 0;
    absl::Time last_failure;
    int in_flight = 0;
  };
  enum class Outcome { kAbandoned, kFailed, kSucceeded };

  // The entry of `key` (under mu_), read from the store when not in memory, its failures
  // forgotten when older than `forget_after`.
  absl::StatusOr<Backoff*> Load(BoundedMap<Backoff>& map, const std::string& key,
                                absl::Duration forget_after, absl::Time now);
  absl::Status Finish(const Attempt& attempt, Outcome outcome, bool known_user, absl::Time now);
  absl::Duration Delay(uint32_t failures) const;

  storage::Store* store_;
  LoginLimitOptions options_;
  std::mutex mu_;  // the maps, and the stored failures they front
  BoundedMap<Backoff> pairs_;
  BoundedMap<Backoff> networks_;
};

// A counting semaphore over the password hashes: at most N at once, since each takes 19 MiB.
class PasswordHashSlots {
 public:
  explicit PasswordHashSlots(int slots) : free_(slots) {}

  // A held slot; released when destroyed.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : slots_(std::exchange(other.slots_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (slots_ != nullptr) slots_->Release();
    }

   private:
    friend class PasswordHashSlots;
    explicit Slot(PasswordHashSlots* slots) : slots_(slots) {}
    PasswordHashSlots* slots_;
  };

  // A slot, waiting at most `wait` (by real time) for one; UNAVAILABLE with a retry-after of
  // 1 s when none came free.
  absl::StatusOr<Slot> Acquire(absl::Duration wait);
  // The most hashes that were ever running at once (a test hook and a sizing aid).
  int peak() const;

 private:
  void Release();

  mutable std::mutex mu_;
  std::condition_variable freed_;
  int free_;
  int running_ = 0;
  int peak_ = 0;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_LOGIN_LIMITS_H_
