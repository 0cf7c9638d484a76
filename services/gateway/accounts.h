// Users, passwords and sessions of the gateway, in its own store.
//
// Passwords are stored as Argon2id hashes (libargon2, 19 MiB, 2 passes: a memory-hard hash).
// A login opens a session and returns a bearer token: a Principal naming the session, valid
// for `token_ttl`, sealed with the token key (HMAC, auth/hmac_signer.h). The token key lives
// in a file outside the store (--token_key_file), so a copied store cannot mint tokens. On
// every request the gateway checks the seal, then the session as stored (same user, role,
// department, not expired) and the user as now (exists, not disabled, same role and
// department), so logout, disabling a user or changing their role take effect at once; those
// changes also delete the user's sessions. Sessions are stored under a keyed hash of their
// id; expired ones are purged. Logins are limited before the hash (login_limits.h) and every
// password set meets the policy (password_policy.h).
#ifndef SUNLIGHT_SERVICES_GATEWAY_ACCOUNTS_H_
#define SUNLIGHT_SERVICES_GATEWAY_ACCOUNTS_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "login_limits.h"
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
  // deleted (its tokens end). `limits` bound logins and password hashes (login_limits.h).
  static absl::StatusOr<std::unique_ptr<Accounts>> Open(
      storage::Store* store, const Clock* clock, absl::Duration token_ttl,
      std::shared_ptr<const auth::HmacSigner> token_key, LoginLimitOptions limits = {});

  // Which rules a new user's password must meet: the policy (password_policy.h), or only its
  // length (test fixtures, whose passwords predate the policy).
  enum class PasswordRules { kPolicy, kLengthOnly };
  // A new user as given, `must_change_password` included (the API sets it; a users file may
  // leave it unset). INVALID_ARGUMENT naming the field, ALREADY_EXISTS.
  absl::StatusOr<v1::User> CreateUser(const v1::CreateUserRequest& request,
                                      PasswordRules rules = PasswordRules::kPolicy);
  absl::StatusOr<v1::ListUsersResponse> ListUsers() const;
  bool HasUsers() const;
  // Whether some enabled user is a security administrator (who creates everyone else).
  bool HasSecurityAdministrator() const;

  // UNAUTHENTICATED for an unknown user, a wrong password or a disabled user, with one and
  // the same message. The attempt is reserved before the hash (LoginLimits: RESOURCE_EXHAUSTED
  // with a retry-after while the user from that client network, or the network, must wait);
  // UNAVAILABLE with a retry-after when no hash slot comes free.
  absl::StatusOr<v1::LoginResponse> Login(const v1::LoginRequest& request,
                                          std::string_view client_address);
  absl::Status Logout(const auth::v1::Principal& principal);
  // The principal of a bearer token whose session is open and agrees with the token and the
  // user as they are now; UNAUTHENTICATED otherwise. `must_change_password`, when given, says
  // whether the user must change their password before anything else.
  absl::StatusOr<auth::v1::Principal> Authenticate(std::string_view token,
                                                   bool* must_change_password = nullptr) const;

  // The account lifecycle. Each answers the user as changed, NOT_FOUND for an unknown user,
  // and ends the user's sessions when it changes what they may do.
  absl::StatusOr<v1::User> SetDisabled(std::string_view user_id, bool disabled);
  absl::StatusOr<v1::User> ChangeRole(const v1::ChangeUserRoleRequest& request);
  // A new password set for the user, who must change it at their next login.
  absl::StatusOr<v1::User> ResetPassword(const v1::ResetPasswordRequest& request);
  // One's own password: the old one checked (limited as a login from `client_address`; a
  // wrong one is INVALID_ARGUMENT "old_password: ..."), the new one by the policy. Ends
  // one's other sessions; the one of `principal` stays.
  absl::StatusOr<v1::User> ChangeOwnPassword(const auth::v1::Principal& principal,
                                             const v1::ChangePasswordRequest& request,
                                             std::string_view client_address);
  // Deletes the sessions of `user_id` but `except_session_id`; how many. NOT_FOUND for an
  // unknown user.
  absl::StatusOr<int> EndSessions(std::string_view user_id,
                                  std::string_view except_session_id = "");

  // Deletes the sessions that have expired (returns how many) and the login failures that
  // are forgotten.
  absl::StatusOr<int> PurgeExpiredSessions();
  // The most password hashes that ran at once (a test hook; at most
  // LoginLimitOptions::max_concurrent_hashes).
  int peak_concurrent_hashes() const { return hash_slots_.peak(); }

 private:
  struct StoredUser;
  Accounts(storage::Store* store, const Clock* clock, absl::Duration token_ttl,
           std::shared_ptr<const auth::HmacSigner> signer, LoginLimitOptions limits)
      : store_(store),
        clock_(clock),
        token_ttl_(token_ttl),
        signer_(std::move(signer)),
        limit_options_(limits),
        login_limits_(store, limits),
        hash_slots_(limits.max_concurrent_hashes) {}

  // The store key of a session.
  std::string SessionKey(std::string_view session_id) const;
  absl::StatusOr<std::optional<StoredUser>> ReadUser(std::string_view user_id) const;
  absl::StatusOr<StoredUser> RequireUser(std::string_view user_id) const;
  absl::Status WriteUser(const StoredUser& stored);
  // A password hashed in one of the slots.
  absl::StatusOr<std::string> HashInSlot(const std::string& password);

  storage::Store* store_;
  const Clock* clock_;
  absl::Duration token_ttl_;
  std::shared_ptr<const auth::HmacSigner> signer_;
  LoginLimitOptions limit_options_;
  LoginLimits login_limits_;
  mutable PasswordHashSlots hash_slots_;
  // Serializes the read-modify-write of user records (two changes of one user, or a new user
  // and its check for a duplicate).
  std::mutex users_mu_;
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
