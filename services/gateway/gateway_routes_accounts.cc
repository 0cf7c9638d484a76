// The gateway's own routes: login, logout, who am I, one's password, users and their
// lifecycle, the audit log. The three administrators are separate (三员分立): the security
// administrator alone manages users, the audit administrator alone reads the audit log, the
// system administrator does neither.
#include "gateway_routes.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

namespace {

using Reply = absl::StatusOr<std::unique_ptr<pb::Message>>;

Reply UserReply(absl::StatusOr<v1::User> user) {
  if (!user.ok()) return user.status();
  return std::unique_ptr<pb::Message>(new v1::User(*std::move(user)));
}

// A security administrator does not change their own account through these routes: nobody
// disables themselves, gives themselves another role or resets their own password.
absl::Status NotOneself(const Gateway::Call& call, const std::string& user_id,
                        absl::string_view what) {
  if (user_id != call.principal.user_id()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("nobody may ", what, " their own account"));
}

}  // namespace

void Gateway::AddAccountRoutes() {
  // ---- every account
  {
    Route& r = AddRoute("POST", "/v1/login", auth::kAnyone,
                        "Log in with a password; returns a bearer token. Attempts per user and "
                        "client network wait longer after each failure (429 with Retry-After).",
                        nullptr);
    r.is_public = true;
    r.audit_action = "login";
    r.input = v1::LoginRequest::descriptor();
    r.output = v1::LoginResponse::descriptor();
    r.local = [this](Call& call, pb::Message& message) -> Reply {
      auto& request = static_cast<v1::LoginRequest&>(message);
      call.principal.set_user_id(request.user_id());
      call.target = request.user_id();
      auto response = accounts_->Login(request, call.http->client);
      if (!response.ok()) {
        metrics_.logins_failed.Increment();
        return response.status();
      }
      metrics_.logins.Increment();
      call.principal.set_role(response->user().role());
      call.principal.set_department_id(response->user().department_id());
      return std::unique_ptr<pb::Message>(new v1::LoginResponse(*std::move(response)));
    };
  }
  {
    Route& r =
        AddRoute("POST", "/v1/logout", auth::kAnyAccount, "End the session of the token.", nullptr);
    r.open_before_password_change = true;
    r.input = v1::LogoutRequest::descriptor();
    r.output = v1::LogoutResponse::descriptor();
    r.local = [this](Call& call, pb::Message&) -> Reply {
      SUNLIGHT_RETURN_IF_ERROR(accounts_->Logout(call.principal));
      return std::unique_ptr<pb::Message>(new v1::LogoutResponse());
    };
  }
  {
    Route& r = AddRoute("GET", "/v1/me", auth::kAnyAccount, "Who the token belongs to.", nullptr);
    r.open_before_password_change = true;
    r.input = v1::LogoutRequest::descriptor();
    r.output = auth::v1::Principal::descriptor();
    r.local = [](Call& call, pb::Message&) -> Reply {
      auto principal = std::make_unique<Principal>(call.principal);
      principal->clear_session_id();
      return std::unique_ptr<pb::Message>(std::move(principal));
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/me:change-password", auth::kAnyAccount,
                        "Change one's own password (the old one required); ends one's other "
                        "sessions. The one route open to a user who must change their password.",
                        nullptr);
    r.open_before_password_change = true;
    r.input = v1::ChangePasswordRequest::descriptor();
    r.output = v1::User::descriptor();
    r.local = [this](Call& call, pb::Message& message) -> Reply {
      call.target = call.principal.user_id();
      return UserReply(accounts_->ChangeOwnPassword(
          call.principal, static_cast<const v1::ChangePasswordRequest&>(message),
          call.http->client));
    };
  }

  // ---- users: the security administrator (the audit administrator may list them)
  {
    Route& r = AddRoute("POST", "/v1/users", auth::kSecurityAdministrators,
                        "Create a user, who must change the password at first login.", nullptr);
    r.input = v1::CreateUserRequest::descriptor();
    r.output = v1::User::descriptor();
    r.local = [this](Call& call, pb::Message& message) -> Reply {
      auto& request = static_cast<v1::CreateUserRequest&>(message);
      call.target = request.user().user_id();
      request.mutable_user()->set_must_change_password(true);
      request.mutable_user()->set_disabled(false);
      return UserReply(accounts_->CreateUser(request));
    };
  }
  {
    Route& r =
        AddRoute("GET", "/v1/users", auth::kSecurityAdministrators | auth::kAuditAdministrators,
                 "Every user.", nullptr);
    r.input = v1::ListUsersRequest::descriptor();
    r.output = v1::ListUsersResponse::descriptor();
    r.local = [this](Call&, pb::Message&) -> Reply {
      SUNLIGHT_ASSIGN_OR_RETURN(auto users, accounts_->ListUsers());
      return std::unique_ptr<pb::Message>(new v1::ListUsersResponse(std::move(users)));
    };
  }
  {
    Route& r =
        AddRoute("POST", "/v1/users/{user_id}:disable", auth::kSecurityAdministrators,
                 "Disable a user: they cannot log in and their sessions end at once.", nullptr);
    r.input = v1::DisableUserRequest::descriptor();
    r.output = v1::User::descriptor();
    r.local = [this](Call& call, pb::Message& message) -> Reply {
      call.target = static_cast<const v1::DisableUserRequest&>(message).user_id();
      SUNLIGHT_RETURN_IF_ERROR(NotOneself(call, call.target, "disable"));
      return UserReply(accounts_->SetDisabled(call.target, true));
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/users/{user_id}:enable", auth::kSecurityAdministrators,
                        "Enable a disabled user again.", nullptr);
    r.input = v1::EnableUserRequest::descriptor();
    r.output = v1::User::descriptor();
    r.local = [this](Call& call, pb::Message& message) -> Reply {
      call.target = static_cast<const v1::EnableUserRequest&>(message).user_id();
      return UserReply(accounts_->SetDisabled(call.target, false));
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/users/{user_id}:change-role", auth::kSecurityAdministrators,
                        "Change a user's role and department; their sessions end.", nullptr);
    r.input = v1::ChangeUserRoleRequest::descriptor();
    r.output = v1::User::descriptor();
    r.local = [this](Call& call, pb::Message& message) -> Reply {
      auto& request = static_cast<const v1::ChangeUserRoleRequest&>(message);
      call.target = request.user_id();
      SUNLIGHT_RETURN_IF_ERROR(NotOneself(call, call.target, "change the role of"));
      return UserReply(accounts_->ChangeRole(request));
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/users/{user_id}:reset-password", auth::kSecurityAdministrators,
                        "Set a new password for a user, who must change it at the next login; "
                        "their sessions end.",
                        nullptr);
    r.input = v1::ResetPasswordRequest::descriptor();
    r.output = v1::User::descriptor();
    r.local = [this](Call& call, pb::Message& message) -> Reply {
      auto& request = static_cast<const v1::ResetPasswordRequest&>(message);
      call.target = request.user_id();
      SUNLIGHT_RETURN_IF_ERROR(NotOneself(call, call.target, "reset the password of"));
      return UserReply(accounts_->ResetPassword(request));
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/users/{user_id}:end-sessions", auth::kSecurityAdministrators,
                        "End every session of a user.", nullptr);
    r.input = v1::EndSessionsRequest::descriptor();
    r.output = v1::EndSessionsResponse::descriptor();
    r.local = [this](Call& call, pb::Message& message) -> Reply {
      call.target = static_cast<const v1::EndSessionsRequest&>(message).user_id();
      SUNLIGHT_ASSIGN_OR_RETURN(int ended, accounts_->EndSessions(call.target));
      auto response = std::make_unique<v1::EndSessionsResponse>();
      response->set_sessions_ended(static_cast<uint32_t>(ended));
      return std::unique_ptr<pb::Message>(std::move(response));
    };
  }

  // ---- the audit log: the audit administrator alone
  {
    Route& r = AddRoute("GET", "/v1/audit", auth::kAuditAdministrators,
                        "Audit log entries from a sequence.", nullptr);
    r.input = v1::ListAuditEntriesRequest::descriptor();
    r.output = v1::ListAuditEntriesResponse::descriptor();
    r.local = [this](Call&, pb::Message& message) -> Reply {
      SUNLIGHT_ASSIGN_OR_RETURN(
          auto entries, audit_->List(static_cast<const v1::ListAuditEntriesRequest&>(message)));
      return std::unique_ptr<pb::Message>(new v1::ListAuditEntriesResponse(std::move(entries)));
    };
  }
  {
    Route& r = AddRoute("GET", "/v1/audit:verify", auth::kAuditAdministrators,
                        "Verify the audit chain.", nullptr);
    r.input = v1::VerifyAuditChainRequest::descriptor();
    r.output = v1::VerifyAuditChainResponse::descriptor();
    r.local = [this](Call&, pb::Message&) -> Reply {
      SUNLIGHT_ASSIGN_OR_RETURN(auto result, audit_->Verify());
      return std::unique_ptr<pb::Message>(new v1::VerifyAuditChainResponse(std::move(result)));
    };
  }
}

}  // namespace sunlight::gateway
