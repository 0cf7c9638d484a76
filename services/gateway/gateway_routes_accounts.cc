// The gateway's own routes: login, logout, who am I, users, the audit log.
#include "gateway_routes.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

void Gateway::AddAccountRoutes() {
  // ---- the gateway's own
  {
    Route& r = AddRoute("POST", "/v1/login", auth::kAnyone,
                        "Log in with a password; returns a bearer token.", nullptr);
    r.is_public = true;
    r.audit_action = "login";
    r.failure_audit_action = "login";
    r.input = v1::LoginRequest::descriptor();
    r.output = v1::LoginResponse::descriptor();
    r.local = [this](Call& call,
                     pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<v1::LoginRequest&>(message);
      call.principal.set_user_id(request.user_id());
      call.target = request.user_id();
      auto response = accounts_->Login(request);
      if (!response.ok()) {
        metrics_.logins_failed.Increment();
        return response.status();
      }
      call.principal.set_role(response->user().role());
      call.principal.set_department_id(response->user().department_id());
      return std::unique_ptr<pb::Message>(new v1::LoginResponse(*std::move(response)));
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/logout", kSignedIn, "End the session of the token.", nullptr);
    r.input = v1::LogoutRequest::descriptor();
    r.output = v1::LogoutResponse::descriptor();
    r.local = [this](Call& call, pb::Message&) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      SUNLIGHT_RETURN_IF_ERROR(accounts_->Logout(call.principal));
      return std::unique_ptr<pb::Message>(new v1::LogoutResponse());
    };
  }
  {
    Route& r = AddRoute("GET", "/v1/me", kSignedIn, "Who the token belongs to.", nullptr);
    r.input = v1::LogoutRequest::descriptor();
    r.output = auth::v1::Principal::descriptor();
    r.local = [](Call& call, pb::Message&) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto principal = std::make_unique<Principal>(call.principal);
      principal->clear_session_id();
      return std::unique_ptr<pb::Message>(std::move(principal));
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/users", auth::kAdministrators, "Create a user.", nullptr);
    r.input = v1::CreateUserRequest::descriptor();
    r.output = v1::User::descriptor();
    r.local = [this](Call& call,
                     pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<v1::CreateUserRequest&>(message);
      call.target = request.user().user_id();
      SUNLIGHT_ASSIGN_OR_RETURN(auto user, accounts_->CreateUser(request));
      return std::unique_ptr<pb::Message>(new v1::User(std::move(user)));
    };
  }
  {
    Route& r = AddRoute("GET", "/v1/users", auth::kAdministrators, "Every user.", nullptr);
    r.input = v1::ListUsersRequest::descriptor();
    r.output = v1::ListUsersResponse::descriptor();
    r.local = [this](Call&, pb::Message&) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      SUNLIGHT_ASSIGN_OR_RETURN(auto users, accounts_->ListUsers());
      return std::unique_ptr<pb::Message>(new v1::ListUsersResponse(std::move(users)));
    };
  }
  {
    Route& r = AddRoute("GET", "/v1/audit", auth::kAdministrators | auth::kInspectors,
                        "Audit log entries from a sequence.", nullptr);
    r.input = v1::ListAuditEntriesRequest::descriptor();
    r.output = v1::ListAuditEntriesResponse::descriptor();
    r.local = [this](Call&, pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      SUNLIGHT_ASSIGN_OR_RETURN(
          auto entries, audit_->List(static_cast<const v1::ListAuditEntriesRequest&>(message)));
      return std::unique_ptr<pb::Message>(new v1::ListAuditEntriesResponse(std::move(entries)));
    };
  }
  {
    Route& r = AddRoute("GET", "/v1/audit:verify", auth::kAdministrators | auth::kInspectors,
                        "Verify the audit chain.", nullptr);
    r.input = v1::VerifyAuditChainRequest::descriptor();
    r.output = v1::VerifyAuditChainResponse::descriptor();
    r.local = [this](Call&, pb::Message&) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      SUNLIGHT_ASSIGN_OR_RETURN(auto result, audit_->Verify());
      return std::unique_ptr<pb::Message>(new v1::VerifyAuditChainResponse(std::move(result)));
    };
  }
}

}  // namespace sunlight::gateway
