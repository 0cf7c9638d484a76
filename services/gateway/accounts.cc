#include "accounts.h"

#include <argon2.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
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
constexpr int kMaxFailures = 5;
constexpr absl::Duration kFailureWindow = absl::Minutes(15);

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("no randomness available");
  }
  return bytes;
}

// What is stored per user: the public record and the password hash.
struct StoredUser {
  v1::User user;
  std::string password_hash;
};

std::string Encode(const StoredUser& stored) {
  // A CreateUserRequest carries both: the user and, in `password`, the hash.
  v1::CreateUserRequest record;
  *record.mutable_user() = stored.user;
  record.set_password(stored.password_hash);
  return record.SerializeAsString();
}

absl::StatusOr<StoredUser> Decode(std::string_view bytes, std::string_view user_id) {
  SUNLIGHT_ASSIGN_OR_RETURN(
      v1::CreateUserRequest record,
      storage::ParseProto<v1::CreateUserRequest>(bytes, kUsersFamily, user_id));
  return StoredUser{record.user(), record.password()};
}

absl::Status ValidateUser(const v1::User& user) {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(user.user_id(), "user.user_id"));
  for (char c : user.user_id()) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return InvalidField("user.user_id", "letters, digits, '_', '-' and '.' only");
    }
  }
  SUNLIGHT_RETURN_IF_ERROR(RequireText(user.role(), "user.role"));
  if (user.role() == auth::kApplicant || user.role() == auth::kService) {
    return InvalidField("user.role", "applicants and services have no accounts");
  }
  bool staff = user.role() != auth::kAdministrator && user.role() != auth::kInspector;
  if (staff && user.department_id().empty()) {
    return InvalidField("user.department_id", "required for department staff");
  }
  if (!staff && !user.department_id().empty()) {
    return InvalidField("user.department_id", "only department staff have a department");
  }
  return absl::OkStatus();
}

}  // namespace

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
    std::shared_ptr<const auth::HmacSigner> token_key) {
  if (token_key == nullptr) return absl::InvalidArgumentError("token key: required");
  SUNLIGHT_ASSIGN_OR_RETURN(auto old_key, store->Get(kGatewayMetaFamily, "token_key"));
  if (old_key.has_value()) {
    storage::WriteBatch batch;
    batch.Delete(kGatewayMetaFamily, "token_key");
    SUNLIGHT_RETURN_IF_ERROR(store->Write(batch));
  }
  return std::unique_ptr<Accounts>(new Accounts(store, clock, token_ttl, std::move(token_key)));
}

std::string Accounts::SessionKey(std::string_view session_id) const {
  std::string mac = signer_->Mac("session:" + std::string(session_id));
  return absl::BytesToHexString(absl::string_view(mac.data(), mac.size()));
}

absl::StatusOr<v1::User> Accounts::CreateUser(const v1::CreateUserRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateUser(request.user()));
  if (request.password().size() < 10) return InvalidField("password", "at least 10 characters");
  if (request.password().size() > 1024) return InvalidField("password", "too long");
  SUNLIGHT_ASSIGN_OR_RETURN(auto existing, store_->Get(kUsersFamily, request.user().user_id()));
  if (existing.has_value()) {
    return absl::AlreadyExistsError(absl::StrCat("user ", request.user().user_id(), " exists"));
  }
  StoredUser stored{request.user(), ""};
  *stored.user.mutable_created_at() = ToProto(clock_->Now());
  SUNLIGHT_ASSIGN_OR_RETURN(stored.password_hash, HashPassword(request.password()));
  storage::WriteBatch batch;
  batch.Put(kUsersFamily, stored.user.user_id(), Encode(stored));
  SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  return stored.user;
}

absl::StatusOr<v1::ListUsersResponse> Accounts::ListUsers() const {
  v1::ListUsersResponse response;
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kUsersFamily, "", "", [&](std::string_view key, std::string_view value) {
        auto stored = Decode(value, key);
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

absl::StatusOr<v1::LoginResponse> Accounts::Login(const v1::LoginRequest& request) {
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.user_id(), "user_id"));
  SUNLIGHT_RETURN_IF_ERROR(RequireText(request.password(), "password"));
  absl::Time now = clock_->Now();
  {
    std::lock_guard lock(failures_mu_);
    auto& times = failures_[request.user_id()];
    std::erase_if(times, [&](absl::Time t) { return now - t > kFailureWindow; });
    if (static_cast<int>(times.size()) >= kMaxFailures) {
      return absl::ResourceExhaustedError(
          absl::StrCat("too many failed logins; retry after ",
                       absl::ToInt64Seconds(times.front() + kFailureWindow - now) + 1, " s"));
    }
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto bytes, store_->Get(kUsersFamily, request.user_id()));
  std::optional<StoredUser> stored;
  if (bytes.has_value()) {
    SUNLIGHT_ASSIGN_OR_RETURN(stored, Decode(*bytes, request.user_id()));
  }
  // An unknown user costs the same hash as a known one.
  // Unknown users cost one Argon2 verification too, so timing does not tell who exists. (A
  // failed hash leaves it empty: the comparison then fails fast, which is still refusal.)
  static const std::string kDummy = HashPassword("not a password of anyone").value_or("");
  bool matches =
      PasswordMatches(stored.has_value() ? stored->password_hash : kDummy, request.password());
  if (!stored.has_value() || !matches || stored->user.disabled()) {
    std::lock_guard lock(failures_mu_);
    failures_[request.user_id()].push_back(now);
    return absl::UnauthenticatedError("unknown user or wrong password");
  }
  {
    std::lock_guard lock(failures_mu_);
    failures_.erase(request.user_id());
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

absl::StatusOr<auth::v1::Principal> Accounts::Authenticate(std::string_view token) const {
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
  SUNLIGHT_ASSIGN_OR_RETURN(auto user, store_->Get(kUsersFamily, session.user_id()));
  if (!user.has_value()) return absl::UnauthenticatedError("user no longer exists");
  SUNLIGHT_ASSIGN_OR_RETURN(StoredUser stored, Decode(*user, session.user_id()));
  if (stored.user.disabled() || stored.user.role() != session.role() ||
      stored.user.department_id() != session.department_id()) {
    return absl::UnauthenticatedError("the user's account changed since login; log in again");
  }
  return principal;
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
  return purged;
}

}  // namespace sunlight::gateway
