#include "accounts.h"

#include <argon2.h>
#include <openssl/rand.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "password_policy.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/storage/proto_record.h"

namespace sunlight::gateway {
namespace {

constexpr uint32_t kArgonPasses = 2;
constexpr uint32_t kArgonMemoryKib = 19 * 1024;
constexpr uint32_t kArgonLanes = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr size_t kMaxUserIdLength = 64;

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("no randomness available");
  }
  return bytes;
}

// A user id by its format, before anything is looked up or counted for it.
absl::Status ValidateUserId(std::string_view user_id, absl::string_view field) {
  if (user_id.empty()) return InvalidField(field, "required");
  if (user_id.size() > kMaxUserIdLength) return InvalidField(field, "at most 64 characters");
  for (char c : user_id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return InvalidField(field, "letters, digits, '_', '-' and '.' only");
    }
  }
  return absl::OkStatus();
}

// A role and department that go together; `prefix` names the fields ("user." or "").
absl::Status ValidateRole(const std::string& role, const std::string& department_id,
                          const std::string& prefix) {
  SUNLIGHT_RETURN_IF_ERROR(RequireBoundedText(role, prefix + "role", 64));
  if (role == auth::kApplicant || role == auth::kService) {
    return InvalidField(prefix + "role", "applicants and services have no accounts");
  }
  // Devices in the hall are their own kind: a rating device may belong to a department (it
  // then rates that department's cases only), an attendance device too.
  if (role == auth::kRatingDevice || role == auth::kAttendanceDevice) return absl::OkStatus();
  bool staff = role != auth::kAdministrator && role != auth::kSecurityAdministrator &&
               role != auth::kAuditAdministrator && role != auth::kInspector;
  if (staff && department_id.empty()) {
    return InvalidField(prefix + "department_id", "required for department staff");
  }
  if (!staff && !department_id.empty()) {
    return InvalidField(prefix + "department_id", "only department staff have a department");
  }
  return absl::OkStatus();
}

absl::Status UnknownUser(std::string_view user_id) {
  return absl::NotFoundError(absl::StrCat("no user ", std::string(user_id)));
}

}  // namespace

// What is stored per user: the public record and the password hash.
struct Accounts::StoredUser {
  v1::User user;
  std::string password_hash;

  std::string Encode() const {
    // A CreateUserRequest carries both: the user and, in `password`, the hash.
    v1::CreateUserRequest record;
    *record.mutable_user() = user;
    record.set_password(password_hash);
    return record.SerializeAsString();
  }
  static absl::StatusOr<StoredUser> Decode(std::string_view bytes, std::string_view user_id) {
    SUNLIGHT_ASSIGN_OR_RETURN(
        v1::CreateUserRequest record,
        storage::ParseProto<v1::CreateUserRequest>(bytes, kUsersFamily, user_id));
    return StoredUser{record.user(), record.password()};
  }
};

absl::StatusOr<std::string> HashPassword(const std::string& password) {
  SUNLIGHT_ASSIGN_OR_RETURN(std::string salt, RandomBytes(kSaltBytes));
  size_t length = argon2_encodedlen(kArgonPasses, kArgonMemoryKib, kArgonLanes, kSaltBytes,
                                    kHashBytes, Argon2_id);
  std::string encoded(length, '\0');
  int rc = argon2id_hash_encoded(kArgonPasses, kArgonMemoryKib, kArgonLanes, password.data(),
                                 password.size(), salt.data(), salt.size(), kHashBytes,
                                 encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return absl::InternalError(absl::StrCat("password hashing failed: ", argon2_error_message(rc)));
  }
  encoded.resize(strlen(encoded.c_str()));
  return encoded;
}

bool PasswordMatches(const std::string& encoded_hash, const std::string& password) {
  return argon2id_verify(encoded_hash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

absl::StatusOr<std::unique_ptr<Accounts>> Accounts::Open(
    storage::Store* store, const Clock* clock, absl::Duration token_ttl,
    std::shared_ptr<const auth::HmacSigner> token_key, LoginLimitOptions limits) {
  if (token_key == nullptr) return absl::InvalidArgumentError("token key: required");
  if (limits.max_concurrent_hashes < 1) {
    return absl::InvalidArgumentError("max_concurrent_hashes: at least 1");
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto old_key, store->Get(kGatewayMetaFamily, "token_key"));
  if (old_key.has_value()) {
    storage::WriteBatch batch;
    batch.Delete(kGatewayMetaFamily, "token_key");
    SUNLIGHT_RETURN_IF_ERROR(store->Write(batch));
  }
  return std::unique_ptr<Accounts>(
      new Accounts(store, clock, token_ttl, std::move(token_key), limits));
}

std::string Accounts::SessionKey(std::string_view session_id) const {
  std::string mac = signer_->Mac("session:" + std::string(session_id));
  return absl::BytesToHexString(absl::string_view(mac.data(), mac.size()));
}

absl::StatusOr<std::optional<Accounts::StoredUser>> Accounts::ReadUser(
    std::string_view user_id) const {
  SUNLIGHT_ASSIGN_OR_RETURN(auto bytes, store_->Get(kUsersFamily, user_id));
  if (!bytes.has_value()) return std::optional<StoredUser>();
  SUNLIGHT_ASSIGN_OR_RETURN(StoredUser stored, StoredUser::Decode(*bytes, user_id));
  return std::optional<StoredUser>(std::move(stored));
}

absl::StatusOr<Accounts::StoredUser> Accounts::RequireUser(std::string_view user_id) const {
  SUNLIGHT_RETURN_IF_ERROR(ValidateUserId(user_id, "user_id"));
  SUNLIGHT_ASSIGN_OR_RETURN(std::optional<StoredUser> stored, ReadUser(user_id));
  if (!stored.has_value()) return UnknownUser(user_id);
  return *std::move(stored);
}

absl::Status Accounts::WriteUser(const StoredUser& stored) {
  storage::WriteBatch batch;
  batch.Put(kUsersFamily, stored.user.user_id(), stored.Encode());
  return store_->Write(batch);
}

absl::StatusOr<std::string> Accounts::HashInSlot(const std::string& password) {
  SUNLIGHT_ASSIGN_OR_RETURN(PasswordHashSlots::Slot slot,
                            hash_slots_.Acquire(limit_options_.hash_wait));
  return HashPassword(password);
}

absl::StatusOr<v1::User> Accounts::CreateUser(const v1::CreateUserRequest& request,
                                              PasswordRules rules) {
  const v1::User& user = request.user();
  SUNLIGHT_RETURN_IF_ERROR(ValidateUserId(user.user_id(), "user.user_id"));
  SUNLIGHT_RETURN_IF_ERROR(ValidateRole(user.role(), user.department_id(), "user."));
  SUNLIGHT_RETURN_IF_ERROR(rules == PasswordRules::kPolicy
                               ? CheckPasswordPolicy(user.user_id(), request.password(), "password")
                               : CheckPasswordLength(request.password(), "password"));
  StoredUser stored{user, ""};
  *stored.user.mutable_created_at() = ToProto(clock_->Now());
  *stored.user.mutable_password_changed_at() = stored.user.created_at();
  SUNLIGHT_ASSIGN_OR_RETURN(stored.password_hash, HashInSlot(request.password()));
  std::lock_guard lock(users_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(auto existing, ReadUser(user.user_id()));
  if (existing.has_value()) {
    return absl::AlreadyExistsError(absl::StrCat("user ", user.user_id(), " exists"));
  }
  SUNLIGHT_RETURN_IF_ERROR(WriteUser(stored));
  return stored.user;
}

absl::StatusOr<v1::ListUsersResponse> Accounts::ListUsers() const {
  v1::ListUsersResponse response;
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kUsersFamily, "", "", [&](std::string_view key, std::string_view value) {
        auto stored = StoredUser::Decode(value, key);
        if (!stored.ok()) {
          error = stored.status();
          return false;
        }
        *response.add_users() = stored->user;
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  return response;
}

bool Accounts::HasUsers() const {
  bool any = false;
  (void)store_->Scan(kUsersFamily, "", "", [&](std::string_view, std::string_view) {
    any = true;
    return false;
  });
  return any;
}

bool Accounts::HasSecurityAdministrator() const {
  auto users = ListUsers();
  if (!users.ok()) return false;
  for (const v1::User& user : users->users()) {
    if (user.role() == auth::kSecurityAdministrator && !user.disabled()) return true;
  }
  return false;
}

absl::StatusOr<v1::LoginResponse> Accounts::Login(const v1::LoginRequest& request,
                                                  std::string_view client_address) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateUserId(request.user_id(), "user_id"));
  if (request.password().empty()) return InvalidField("password", "required");
  if (request.password().size() > kMaxPasswordBytes) {
    return InvalidField("password", "at most 1024 bytes");
  }
  // Reserved before anything costly: a guess that may not be made costs no hash.
  SUNLIGHT_ASSIGN_OR_RETURN(LoginLimits::Attempt attempt,
                            login_limits_.Begin(request.user_id(), client_address, clock_->Now()));
  SUNLIGHT_ASSIGN_OR_RETURN(std::optional<StoredUser> stored, ReadUser(request.user_id()));
  // Unknown users cost one Argon2 verification too, so timing does not tell who exists. (A
  // failed hash leaves it empty: the comparison then fails fast, which is still refusal.)
  static const std::string kDummy = HashPassword("not a password of anyone").value_or("");
  bool matches = false;
  {
    SUNLIGHT_ASSIGN_OR_RETURN(PasswordHashSlots::Slot slot,
                              hash_slots_.Acquire(limit_options_.hash_wait));
    matches =
        PasswordMatches(stored.has_value() ? stored->password_hash : kDummy, request.password());
  }
  const absl::Time now = clock_->Now();
  if (!stored.has_value() || !matches || stored->user.disabled()) {
    if (absl::Status s = attempt.Failed(now, stored.has_value()); !s.ok()) {
      LogError("gateway", absl::StrCat("login failure not stored: ", s.ToString()));
    }
    return absl::UnauthenticatedError("unknown user or wrong password");
  }
  if (absl::Status s = attempt.Succeeded(now); !s.ok()) {
    LogError("gateway", absl::StrCat("login failures not cleared: ", s.ToString()));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(std::string session, RandomBytes(16));
  auth::v1::Principal principal;
  principal.set_user_id(stored->user.user_id());
  principal.set_name(stored->user.name());
  principal.set_role(stored->user.role());
  principal.set_department_id(stored->user.department_id());
  principal.set_session_id(absl::BytesToHexString(session));
  *principal.mutable_expires_at() = ToProto(now + token_ttl_);
  storage::WriteBatch batch;
  batch.Put(kSessionsFamily, SessionKey(principal.session_id()), principal.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  v1::LoginResponse response;
  response.set_token(signer_->SignPrincipal(principal));
  *response.mutable_expires_at() = principal.expires_at();
  *response.mutable_user() = stored->user;
  return response;
}

absl::Status Accounts::Logout(const auth::v1::Principal& principal) {
  storage::WriteBatch batch;
  batch.Delete(kSessionsFamily, SessionKey(principal.session_id()));
  return store_->Write(batch);
}

absl::StatusOr<auth::v1::Principal> Accounts::Authenticate(std::string_view token,
                                                           bool* must_change_password) const {
  const absl::Time now = clock_->Now();
  auto principal = signer_->VerifyPrincipal(token, now);
  if (!principal.ok()) return principal.status();
  SUNLIGHT_ASSIGN_OR_RETURN(auto bytes,
                            store_->Get(kSessionsFamily, SessionKey(principal->session_id())));
  if (!bytes.has_value()) return absl::UnauthenticatedError("session has ended");
  auth::v1::Principal session;
  if (!session.ParseFromString(*bytes) || session.user_id() != principal->user_id() ||
      session.role() != principal->role() ||
      session.department_id() != principal->department_id() ||
      FromProto(session.expires_at()) != FromProto(principal->expires_at())) {
    return absl::UnauthenticatedError("token does not match its session");
  }
  if (FromProto(session.expires_at()) <= now)
    return absl::UnauthenticatedError("session has ended");
  SUNLIGHT_ASSIGN_OR_RETURN(std::optional<StoredUser> stored, ReadUser(session.user_id()));
  if (!stored.has_value()) return absl::UnauthenticatedError("user no longer exists");
  if (stored->user.disabled() || stored->user.role() != session.role() ||
      stored->user.department_id() != session.department_id()) {
    return absl::UnauthenticatedError("the user's account changed since login; log in again");
  }
  if (must_change_password != nullptr) {
    *must_change_password = stored->user.must_change_password();
  }
  return principal;
}

absl::StatusOr<v1::User> Accounts::SetDisabled(std::string_view user_id, bool disabled) {
  std::lock_guard lock(users_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(StoredUser stored, RequireUser(user_id));
  stored.user.set_disabled(disabled);
  SUNLIGHT_RETURN_IF_ERROR(WriteUser(stored));
  if (disabled) SUNLIGHT_RETURN_IF_ERROR(EndSessions(user_id).status());
  return stored.user;
}

absl::StatusOr<v1::User> Accounts::ChangeRole(const v1::ChangeUserRoleRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateRole(request.role(), request.department_id(), ""));
  std::lock_guard lock(users_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(StoredUser stored, RequireUser(request.user_id()));
  stored.user.set_role(request.role());
  stored.user.set_department_id(request.department_id());
  SUNLIGHT_RETURN_IF_ERROR(WriteUser(stored));
  SUNLIGHT_RETURN_IF_ERROR(EndSessions(request.user_id()).status());
  return stored.user;
}

absl::StatusOr<v1::User> Accounts::ResetPassword(const v1::ResetPasswordRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateUserId(request.user_id(), "user_id"));
  SUNLIGHT_RETURN_IF_ERROR(
      CheckPasswordPolicy(request.user_id(), request.new_password(), "new_password"));
  SUNLIGHT_ASSIGN_OR_RETURN(std::string hash, HashInSlot(request.new_password()));
  std::lock_guard lock(users_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(StoredUser stored, RequireUser(request.user_id()));
  stored.password_hash = std::move(hash);
  stored.user.set_must_change_password(true);
  *stored.user.mutable_password_changed_at() = ToProto(clock_->Now());
  SUNLIGHT_RETURN_IF_ERROR(WriteUser(stored));
  SUNLIGHT_RETURN_IF_ERROR(EndSessions(request.user_id()).status());
  return stored.user;
}

absl::StatusOr<v1::User> Accounts::ChangeOwnPassword(const auth::v1::Principal& principal,
                                                     const v1::ChangePasswordRequest& request,
                                                     std::string_view client_address) {
  const std::string& user_id = principal.user_id();
  if (request.old_password().empty()) return InvalidField("old_password", "required");
  if (request.old_password().size() > kMaxPasswordBytes) {
    return InvalidField("old_password", "at most 1024 bytes");
  }
  SUNLIGHT_RETURN_IF_ERROR(CheckPasswordPolicy(user_id, request.new_password(), "new_password"));
  if (request.new_password() == request.old_password()) {
    return InvalidField("new_password", "must differ from the old password");
  }
  // The old password is a guess like a login's, limited the same way.
  SUNLIGHT_ASSIGN_OR_RETURN(LoginLimits::Attempt attempt,
                            login_limits_.Begin(user_id, client_address, clock_->Now()));
  SUNLIGHT_ASSIGN_OR_RETURN(PasswordHashSlots::Slot slot,
                            hash_slots_.Acquire(limit_options_.hash_wait));
  SUNLIGHT_ASSIGN_OR_RETURN(StoredUser before, RequireUser(user_id));
  if (!PasswordMatches(before.password_hash, request.old_password())) {
    if (absl::Status s = attempt.Failed(clock_->Now(), true); !s.ok()) {
      LogError("gateway", absl::StrCat("password change failure not stored: ", s.ToString()));
    }
    return InvalidField("old_password", "not the current password");
  }
  attempt.Succeeded(clock_->Now()).IgnoreError();  // (a failure count left behind is harmless)
  SUNLIGHT_ASSIGN_OR_RETURN(std::string hash, HashPassword(request.new_password()));
  std::lock_guard lock(users_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(StoredUser stored, RequireUser(user_id));
  stored.password_hash = std::move(hash);
  stored.user.set_must_change_password(false);
  *stored.user.mutable_password_changed_at() = ToProto(clock_->Now());
  SUNLIGHT_RETURN_IF_ERROR(WriteUser(stored));
  SUNLIGHT_RETURN_IF_ERROR(EndSessions(user_id, principal.session_id()).status());
  return stored.user;
}

absl::StatusOr<int> Accounts::EndSessions(std::string_view user_id,
                                          std::string_view except_session_id) {
  SUNLIGHT_RETURN_IF_ERROR(RequireUser(user_id).status());
  storage::WriteBatch batch;
  int ended = 0;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kSessionsFamily, "", "", [&](std::string_view key, std::string_view value) {
        auth::v1::Principal session;
        if (session.ParseFromString(std::string(value)) && session.user_id() == user_id &&
            (except_session_id.empty() || session.session_id() != except_session_id)) {
          batch.Delete(kSessionsFamily, key);
          ++ended;
        }
        return true;
      }));
  if (ended > 0) SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  return ended;
}

absl::StatusOr<int> Accounts::PurgeExpiredSessions() {
  const absl::Time now = clock_->Now();
  storage::WriteBatch batch;
  int purged = 0;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kSessionsFamily, "", "", [&](std::string_view key, std::string_view value) {
        auth::v1::Principal session;
        if (!session.ParseFromString(std::string(value)) ||
            FromProto(session.expires_at()) <= now) {
          batch.Delete(kSessionsFamily, std::string(key));
          ++purged;
        }
        return true;
      }));
  if (purged > 0) SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  SUNLIGHT_RETURN_IF_ERROR(login_limits_.PurgeExpired(now).status());
  return purged;
}

}  // namespace sunlight::gateway
