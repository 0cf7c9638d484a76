// Users, passwords and sessions of the gateway, in its own store.
//
// Passwords are stored as Argon2id hashes (libargon2, 19 MiB, 2 passes: a memory-hard hash).
// A login opens a session and returns a bearer token: a Principal naming the session, valid
// for `token_ttl`, sealed with the token key (HMAC, auth/hmac_signer.h). The token key lives
// in a file outside the store (--token_key_file), so a copied store cannot mint tokens. On
// every request the gateway checks the seal, then the session as stored (same user, role,
// department, not expired) and the user as now (exists, not disabled, same role and
// department), so logout, disabling a user or changing their role take effect at once.
// Sessions are stored under a keyed hash of their id; expired ones are purged.
#ifndef SUNLIGHT_SERVICES_GATEWAY_ACCOUNTS_H_
#define SUNLIGHT_SERVICES_GATEWAY_ACCOUNTS_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/auth/hmac_signer.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/clock.h"
#include "sunlight/gateway/v1/gateway.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::gateway {

inline constexpr char kUsersFamily[] = "users";        // user id -> StoredUser
inline constexpr char kSessionsFamily[] = "sessions";  // keyed hash of session id -> Principal
inline constexpr char kGatewayMetaFamily[] = "meta";   // (the token key was once kept here)

// Hashes a password with Argon2id and a random salt (the encoded PHC string).
absl::StatusOr<std::string> HashPassword(const std::string& password);
bool PasswordMatches(const std::string& encoded_hash, const std::string& password);

class Accounts {
 public:
  // `token_key` seals the bearer tokens. A token key an older version kept in the store is
  // deleted (its tokens end).
  static absl::StatusOr<std::unique_ptr<Accounts>> Open(
      storage::Store* store, const Clock* clock, absl::Duration token_ttl,
      std::shared_ptr<const auth::HmacSigner> token_key);

  absl::StatusOr<v1::User> CreateUser(const v1::CreateUserRequest& request);
  absl::StatusOr<v1::ListUsersResponse> ListUsers() const;
  bool HasUsers() const;

  // UNAUTHENTICATED for an unknown user, a wrong password or a disabled user, with one and
  // the same message; after 5 failures in 15 minutes a user is locked for the rest of them
  // (RESOURCE_EXHAUSTED).
  absl::StatusOr<v1::LoginResponse> Login(const v1::LoginRequest& request);
  absl::Status Logout(const auth::v1::Principal& principal);
  // The principal of a bearer token whose session is open and agrees with the token and the
  // user as they are now; UNAUTHENTICATED otherwise.
  absl::StatusOr<auth::v1::Principal> Authenticate(std::string_view token) const;
  // Deletes the sessions that have expired; returns how many.
  absl::StatusOr<int> PurgeExpiredSessions();

 private:
  Accounts(storage::Store* store, const Clock* clock, absl::Duration token_ttl,
           std::shared_ptr<const auth::HmacSigner> signer)
      : store_(store), clock_(clock), token_ttl_(token_ttl), signer_(std::move(signer)) {}

  storage::Store* store_;
  const Clock* clock_;
  absl::Duration token_ttl_;
  // The store key of a session.
  std::string SessionKey(std::string_view session_id) const;

  std::shared_ptr<const auth::HmacSigner> signer_;
  std::mutex failures_mu_;
  absl::flat_hash_map<std::string, std::vector<absl::Time>> failures_;  // by user id
};

// The token of an `Authorization: Bearer <token>` header value (or gRPC metadata); nullopt
// when the value is not of that form. The one parser of the header.
inline std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (authorization.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return authorization.substr(kPrefix.size());
}

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_ACCOUNTS_H_
