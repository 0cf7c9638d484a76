// Logins and the account lifecycle (issue 16, findings 3 and 10), as real requests against the
// real gateway: attempts reserved before the hash, delays per user and client network that
// survive a restart, a bound on concurrent hashes, and the three separate administrators.
#include <latch>
#include <thread>

#include "gateway_test_fixture.h"
#include "login_limits.h"
#include "sunlight/base/retry_after.h"

namespace sunlight::gateway {
namespace {

std::string LoginBody(const std::string& user, const std::string& password) {
  return absl::StrCat(R"({"user_id":")", user, R"(","password":")", password, R"("})");
}

struct AccountsFixture : GatewayFixture {
  AccountsFixture() { Reopen(); }

  // The gateway (again) on the same store, the public rate limit out of the way so that only
  // the login limits answer.
  void Reopen(LoginLimitOptions login = {}) {
    gateway.reset();
    const std::string target = absl::StrCat("127.0.0.1:", host->port());
    gateway = Gateway::Open(gateway_store.get(), &clock,
                            {.intake_target = target,
                             .workflow_target = target,
                             .supervision_target = target,
                             .principal_signer = signer,
                             .audit_key = audit_key,
                             .limits = {.public_requests_per_s = 1e6, .public_burst = 1e6},
                             .login_limits = login,
                             .live_events = live.get()})
                  .value();
  }
  HttpResponse LoginFrom(const std::string& client, const std::string& user,
                         const std::string& password) {
    return Call("POST", "/v1/login", "", LoginBody(user, password), client);
  }
  std::optional<std::string> StoredFailures(const std::string& key) {
    return gateway_store->Get(kLoginFailuresFamily, key).value();
  }
  int SessionsOf(const std::string& user_id) {
    int sessions = 0;
    REQUIRE(gateway_store
                ->Scan(kSessionsFamily, "", "",
                       [&](std::string_view, std::string_view value) {
                         auth::v1::Principal p;
                         if (p.ParseFromString(std::string(value)) && p.user_id() == user_id) {
                           ++sessions;
                         }
                         return true;
                       })
                .ok());
    return sessions;
  }
  std::string ErrorMessage(const HttpResponse& r) {
    return Json(r.body).fields().at("error").struct_value().fields().at("message").string_value();
  }
};

TEST_CASE_METHOD(AccountsFixture,
                 "40 parallel wrong logins for one user from one network reach the hash once") {
  auto server = HttpServer::Start({.listen_address = "127.0.0.1:0"},
                                  [this](const HttpRequest& r) { return gateway->Handle(r); });
  REQUIRE(server.ok());
  const int port = (*server)->port();
  const std::string body = LoginBody("admin", "a wrong guess");
  const std::string request =
      absl::StrCat("POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
                   "Content-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
  std::vector<std::string> replies(40);
  {
    std::latch start(40);
    std::vector<std::thread> threads;
    for (auto& reply : replies) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        reply = Exchange(port, request);
      });
    }
    for (auto& t : threads) t.join();
  }
  int unauthorized = 0, limited = 0;
  for (const std::string& reply : replies) {
    INFO(reply);
    if (reply.rfind("HTTP/1.1 401", 0) == 0) ++unauthorized;
    if (reply.rfind("HTTP/1.1 429", 0) == 0) {
      ++limited;
      CHECK(std::regex_search(reply, std::regex("\r\nRetry-After: [1-9][0-9]*\r\n")));
    }
  }
  // The time stands still (a fake clock): one guess, then the pair waits its first second.
  CHECK(unauthorized == 1);
  CHECK(limited == 39);
  // Each failure doubles the wait: 1 s, then 2 s, then 4 s.
  clock.Advance(absl::Seconds(1));
  CHECK(LoginFrom("127.0.0.5", "admin", "another guess").status == 401);
  HttpResponse waiting = LoginFrom("127.0.0.6", "admin", "admin-password");
  CHECK(waiting.status == 429);
  CHECK(HeaderOf(waiting, "Retry-After") == "2");
  clock.Advance(absl::Seconds(2));
  CHECK(LoginFrom("127.0.0.7", "admin", "a third guess").status == 401);
  CHECK(HeaderOf(LoginFrom("127.0.0.8", "admin", "admin-password"), "Retry-After") == "4");
  // ... at most 15 minutes.
  for (int i = 0; i < 12; ++i) {
    clock.Advance(absl::Minutes(15));
    CHECK(LoginFrom("127.0.0.1", "admin", "yet another guess").status == 401);
  }
  CHECK(HeaderOf(LoginFrom("127.0.0.1", "admin", "admin-password"), "Retry-After") == "900");
}

TEST_CASE_METHOD(AccountsFixture,
                 "the administrator logs in from another network while an attacker hammers") {
  // Eight addresses of one /24 are one client: the second guess already waits.
  CHECK(LoginFrom("192.0.2.1", "admin", "guess number one").status == 401);
  for (int i = 2; i <= 8; ++i) {
    CHECK(LoginFrom(absl::StrCat("192.0.2.", i), "admin", "guess number two").status == 429);
  }
  // No hard lock anyone can trigger: the administrator, elsewhere, is let in at once.
  HttpResponse admin = LoginFrom("10.20.30.40", "admin", "admin-password");
  CHECK(admin.status == 200);
  CHECK(LoginFrom("2001:db8:1:2::1", "admin", "admin-password").status == 200);
  // IPv6: one /64 is one client.
  CHECK(LoginFrom("2001:db8:9:9::1", "insp", "guess number one").status == 401);
  CHECK(LoginFrom("2001:db8:9:9:ffff::2", "insp", "guess number two").status == 429);
}

TEST_CASE_METHOD(AccountsFixture, "a network that guesses many users waits as well") {
  Reopen({.network_free_failures = 3});
  for (int i = 1; i <= 4; ++i) {
    CHECK(LoginFrom("203.0.113.5", absl::StrCat("ghost-", i), "any guess at all").status == 401);
  }
  HttpResponse next = LoginFrom("203.0.113.77", "clerk-1", "clerk-password");
  CHECK(next.status == 429);
  CHECK(HeaderOf(next, "Retry-After") == "1");
  CHECK(ErrorMessage(next).find("too many login attempts") != std::string::npos);
  CHECK(LoginFrom("198.51.100.7", "clerk-1", "clerk-password").status == 200);
  clock.Advance(absl::Seconds(1));
  CHECK(LoginFrom("203.0.113.77", "clerk-1", "clerk-password").status == 200);
}

TEST_CASE_METHOD(AccountsFixture, "login delays survive reopening the gateway on the same store") {
  CHECK(LoginFrom("192.0.2.1", "admin", "guess number one").status == 401);
  clock.Advance(absl::Seconds(1));
  CHECK(LoginFrom("192.0.2.2", "admin", "guess number two").status == 401);
  CHECK(HeaderOf(LoginFrom("192.0.2.3", "admin", "admin-password"), "Retry-After") == "2");
  CHECK(StoredFailures("pair 192.0.2.0/24 admin").has_value());
  // An unknown user id is counted in memory only: guessed names do not fill the store.
  CHECK(LoginFrom("198.51.100.1", "ghost", "guess number one").status == 401);
  CHECK_FALSE(StoredFailures("pair 198.51.100.0/24 ghost").has_value());
  CHECK(StoredFailures("network 198.51.100.0/24").has_value());

  Reopen();
  HttpResponse after = LoginFrom("192.0.2.4", "admin", "admin-password");
  CHECK(after.status == 429);
  CHECK(HeaderOf(after, "Retry-After") == "2");
  clock.Advance(absl::Seconds(2));
  CHECK(LoginFrom("192.0.2.4", "admin", "admin-password").status == 200);
  // A success forgets the pair's failures; what is left is purged once forgotten.
  CHECK_FALSE(StoredFailures("pair 192.0.2.0/24 admin").has_value());
  CHECK(StoredFailures("network 192.0.2.0/24").has_value());
  clock.Advance(absl::Hours(25));
  REQUIRE(gateway->accounts().PurgeExpiredSessions().ok());
  CHECK_FALSE(StoredFailures("network 192.0.2.0/24").has_value());
  CHECK_FALSE(StoredFailures("network 198.51.100.0/24").has_value());
}

TEST_CASE_METHOD(AccountsFixture, "at most N password hashes run at once") {
  Reopen({.max_concurrent_hashes = 2, .hash_wait = absl::Seconds(60)});
  std::vector<int> statuses(12);
  {
    std::latch start(12);
    std::vector<std::thread> threads;
    for (int i = 0; i < 12; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        // Each from a network of its own: only the hash slots hold them back.
        statuses[i] = LoginFrom(absl::StrCat("10.", i, ".0.1"), "admin", "a wrong guess").status;
      });
    }
    for (auto& t : threads) t.join();
  }
  for (int status : statuses) CHECK(status == 401);
  CHECK(gateway->accounts().peak_concurrent_hashes() >= 1);
  CHECK(gateway->accounts().peak_concurrent_hashes() <= 2);

  // When no slot comes free within the wait: 503, retry after a second.
  Reopen({.max_concurrent_hashes = 1, .hash_wait = absl::Milliseconds(1)});
  std::vector<HttpResponse> replies(8);
  {
    std::latch start(8);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        replies[i] = LoginFrom(absl::StrCat("10.", i, ".0.1"), "insp", "a wrong guess");
      });
    }
    for (auto& t : threads) t.join();
  }
  int busy = -1;
  for (int i = 0; i < 8; ++i) {
    CHECK((replies[i].status == 401 || replies[i].status == 503));
    if (replies[i].status == 503) {
      busy = i;
      CHECK(HeaderOf(replies[i], "Retry-After") == "1");
    }
  }
  REQUIRE(busy >= 0);
  CHECK(gateway->accounts().peak_concurrent_hashes() == 1);
  // A login refused for want of a slot was not counted as a failure: no wait after it.
  CHECK(LoginFrom(absl::StrCat("10.", busy, ".0.1"), "insp", "inspector-password").status == 200);
}

TEST_CASE("password hash slots refuse beyond their count and free on release") {
  PasswordHashSlots slots(2);
  auto first = slots.Acquire(absl::ZeroDuration());
  REQUIRE(first.ok());
  {
    auto second = slots.Acquire(absl::ZeroDuration());
    REQUIRE(second.ok());
    auto third = slots.Acquire(absl::Milliseconds(5));
    CHECK(third.status().code() == absl::StatusCode::kUnavailable);
    CHECK(RetryAfterSecondsOf(third.status()) == 1);
  }
  CHECK(slots.Acquire(absl::ZeroDuration()).ok());
  CHECK(slots.peak() == 2);
}

TEST_CASE_METHOD(AccountsFixture, "disabling a user ends their session at once") {
  const std::string secadm = Login("secadm", "keeper-of-accounts");
  const std::string clerk = Login("clerk-1", "clerk-password");
  REQUIRE(Call("GET", "/v1/me", clerk).status == 200);
  REQUIRE(SessionsOf("clerk-1") == 1);
  HttpResponse disabled = Call("POST", "/v1/users/clerk-1:disable", secadm, "{}");
  CHECK(disabled.status == 200);
  CHECK(absl::StrContains(disabled.body, "\"disabled\":true"));
  CHECK(Call("GET", "/v1/me", clerk).status == 401);
  CHECK(SessionsOf("clerk-1") == 0);
  CHECK(LoginFrom("10.9.9.9", "clerk-1", "clerk-password").status == 401);
  // Nobody disables themselves; an unknown user is 404.
  HttpResponse self = Call("POST", "/v1/users/secadm:disable", secadm, "{}");
  CHECK(self.status == 403);
  CHECK(ErrorMessage(self) == "nobody may disable their own account");
  CHECK(Call("POST", "/v1/users/nobody:disable", secadm, "{}").status == 404);
  // Enabled again, the clerk logs in; ending their sessions ends them.
  CHECK(Call("POST", "/v1/users/clerk-1:enable", secadm, "{}").status == 200);
  const std::string again = Login("clerk-1", "clerk-password");
  HttpResponse ended = Call("POST", "/v1/users/clerk-1:end-sessions", secadm, "{}");
  CHECK(ended.status == 200);
  CHECK(absl::StrContains(ended.body, "\"sessions_ended\":1"));
  CHECK(Call("GET", "/v1/me", again).status == 401);
  // Every change is in the audit log, with its target.
  HttpResponse audit =
      Call("GET", "/v1/audit?page_size=1000", Login("auditor", "reader-of-the-log"));
  REQUIRE(audit.status == 200);
  for (const char* action : {"POST /v1/users/{user_id}:disable", "POST /v1/users/{user_id}:enable",
                             "POST /v1/users/{user_id}:end-sessions"}) {
    INFO(action);
    CHECK(absl::StrContains(audit.body, absl::StrCat(R"("action":")", action,
                                                     R"(","target":"clerk-1","http_status":200)")));
  }
}

TEST_CASE_METHOD(AccountsFixture, "a role change ends the sessions and takes effect") {
  const std::string secadm = Login("secadm", "keeper-of-accounts");
  const std::string approver = Login("appr-1", "approver-password");
  HttpResponse changed = Call("POST", "/v1/users/appr-1:change-role", secadm,
                              R"({"role":"window_clerk","department_id":"tax"})");
  CHECK(changed.status == 200);
  CHECK(Call("GET", "/v1/me", approver).status == 401);
  HttpResponse me = Call("GET", "/v1/me", Login("appr-1", "approver-password"));
  CHECK(absl::StrContains(me.body, "\"role\":\"window_clerk\""));
  CHECK(absl::StrContains(me.body, "\"department_id\":\"tax\""));
  // The role is checked as for a new user; nobody changes their own.
  HttpResponse applicant =
      Call("POST", "/v1/users/appr-1:change-role", secadm, R"({"role":"applicant"})");
  CHECK(applicant.status == 400);
  CHECK(ErrorField(applicant) == "role");
  HttpResponse no_department =
      Call("POST", "/v1/users/appr-1:change-role", secadm, R"({"role":"approver"})");
  CHECK(no_department.status == 400);
  CHECK(ErrorField(no_department) == "department_id");
  CHECK(
      Call("POST", "/v1/users/secadm:change-role", secadm, R"({"role":"administrator"})").status ==
      403);
}

TEST_CASE_METHOD(AccountsFixture, "passwords that break a rule are refused naming the field") {
  const std::string secadm = Login("secadm", "keeper-of-accounts");
  const std::string clerk = Login("clerk-1", "clerk-password");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"short-one", "at least 12 characters"},
      {"Password1234", "too common"},
      {"qwertyuiop123", "too common"},
      {"I am CLERK-1 really", "must not contain the user id"},
      {std::string(1025, 'x'), "at most 1024 bytes"}};
  for (const auto& [password, rule] : bad) {
    INFO(rule);
    HttpResponse created =
        Call("POST", "/v1/users", secadm,
             absl::StrCat(
                 R"({"user":{"user_id":"clerk-1","role":"window_clerk","department_id":"market"},)",
                 R"("password":")", password, R"("})"));
    CHECK(created.status == 400);
    CHECK(ErrorField(created) == "password");
    CHECK(ErrorMessage(created).find(rule) != std::string::npos);
    HttpResponse reset = Call("POST", "/v1/users/clerk-1:reset-password", secadm,
                              absl::StrCat(R"({"new_password":")", password, R"("})"));
    CHECK(reset.status == 400);
    CHECK(ErrorField(reset) == "new_password");
    HttpResponse own = Call(
        "POST", "/v1/me:change-password", clerk,
        absl::StrCat(R"({"old_password":"clerk-password","new_password":")", password, R"("})"));
    CHECK(own.status == 400);
    CHECK(ErrorField(own) == "new_password");
  }
  // The old password is required and must be right; the new one must differ from it.
  HttpResponse wrong =
      Call("POST", "/v1/me:change-password", clerk,
           R"({"old_password":"not my password","new_password":"a fine new one"})");
  CHECK(wrong.status == 400);
  CHECK(ErrorField(wrong) == "old_password");
  clock.Advance(absl::Seconds(1));  // (the wrong old password delays the next try)
  HttpResponse same = Call("POST", "/v1/me:change-password", clerk,
                           R"({"old_password":"clerk-password","new_password":"clerk-password"})");
  CHECK(same.status == 400);
  CHECK(ErrorField(same) == "new_password");
  CHECK(Call("POST", "/v1/me:change-password", clerk, R"({"new_password":"a fine new one"})")
            .status == 400);
  // Nobody resets their own password past the old one.
  CHECK(Call("POST", "/v1/users/secadm:reset-password", secadm,
             R"({"new_password":"a fine new one"})")
            .status == 403);
  // A good change: the token goes on, other sessions end, the new password logs in.
  const std::string other = Login("clerk-1", "clerk-password");
  CHECK(Call("POST", "/v1/me:change-password", clerk,
             R"({"old_password":"clerk-password","new_password":"a fine new one"})")
            .status == 200);
  CHECK(Call("GET", "/v1/me", clerk).status == 200);
  CHECK(Call("GET", "/v1/me", other).status == 401);
  CHECK(LoginFrom("10.7.7.7", "clerk-1", "clerk-password").status == 401);
  CHECK(LoginFrom("10.8.8.8", "clerk-1", "a fine new one").status == 200);
}

TEST_CASE_METHOD(AccountsFixture,
                 "a created or reset user's token reaches only the password change") {
  const std::string secadm = Login("secadm", "keeper-of-accounts");
  HttpResponse created =
      Call("POST", "/v1/users", secadm,
           R"({"user":{"user_id":"newbie","role":"handler","department_id":"market"},)"
           R"("password":"given at the desk"})");
  REQUIRE(created.status == 200);
  CHECK(absl::StrContains(created.body, "\"must_change_password\":true"));
  HttpResponse login = LoginFrom("10.1.1.1", "newbie", "given at the desk");
  REQUIRE(login.status == 200);
  CHECK(absl::StrContains(login.body, "\"must_change_password\":true"));
  const std::string token = Json(login.body).fields().at("token").string_value();
  CHECK(Call("GET", "/v1/me", token).status == 200);
  HttpResponse refused = Call("GET", "/v1/departments", token);
  CHECK(refused.status == 403);
  CHECK(ErrorMessage(refused).find("change your password first") != std::string::npos);
  CHECK(Call("GET", "/v1/cases?department_id=market", token).status == 403);
  CHECK(Call("POST", "/v1/me:change-password", token,
             R"({"old_password":"given at the desk","new_password":"now my very own"})")
            .status == 200);
  CHECK(Call("GET", "/v1/departments", token).status == 200);
  // A reset brings it back, and ends the sessions.
  CHECK(Call("POST", "/v1/users/newbie:reset-password", secadm,
             R"({"new_password":"given once more"})")
            .status == 200);
  CHECK(Call("GET", "/v1/me", token).status == 401);
  HttpResponse again = LoginFrom("10.1.1.1", "newbie", "given once more");
  REQUIRE(again.status == 200);
  const std::string limited = Json(again.body).fields().at("token").string_value();
  CHECK(Call("GET", "/v1/departments", limited).status == 403);
  CHECK(Call("POST", "/v1/logout", limited, "{}").status == 200);
}

TEST_CASE_METHOD(AccountsFixture,
                 "the system the security and the audit administrators are separate") {
  const std::string admin = Login("admin", "admin-password");
  const std::string secadm = Login("secadm", "keeper-of-accounts");
  const std::string auditor = Login("auditor", "reader-of-the-log");
  const std::string insp = Login("insp", "inspector-password");
  const std::string new_user =
      R"({"user":{"user_id":"u-1","role":"inspector"},"password":"a sound password"})";
  // The audit administrator reads the audit log, and lists users, but changes none.
  CHECK(Call("GET", "/v1/audit", auditor).status == 200);
  CHECK(Call("GET", "/v1/audit:verify", auditor).status == 200);
  CHECK(Call("GET", "/v1/users", auditor).status == 200);
  CHECK(Call("POST", "/v1/users", auditor, new_user).status == 403);
  CHECK(Call("POST", "/v1/users/clerk-1:disable", auditor, "{}").status == 403);
  CHECK(Call("POST", "/v1/users/clerk-1:reset-password", auditor, "{}").status == 403);
  CHECK(Call("POST", "/v1/departments", auditor, "{}").status == 403);
  // The security administrator manages users; no audit log, no catalogue, no cases.
  CHECK(Call("GET", "/v1/audit", secadm).status == 403);
  CHECK(Call("GET", "/v1/audit:verify", secadm).status == 403);
  CHECK(
      Call("POST", "/v1/departments", secadm, R"({"department":{"department_id":"d9","name":"D"}})")
          .status == 403);
  CHECK(Call("POST", "/v1/items", secadm, "{}").status == 403);
  CHECK(Call("GET", "/v1/departments", secadm).status == 403);
  CHECK(Call("POST", "/v1/users", secadm, new_user).status == 200);
  // The system administrator configures the center and manages no users; nor do inspectors
  // read the audit log any longer.
  CHECK(Call("POST", "/v1/users", admin, new_user).status == 403);
  CHECK(Call("GET", "/v1/users", admin).status == 403);
  CHECK(Call("POST", "/v1/users/clerk-1:disable", admin, "{}").status == 403);
  CHECK(Call("POST", "/v1/users/clerk-1:change-role", admin, R"({"role":"approver"})").status ==
        403);
  CHECK(Call("GET", "/v1/audit", admin).status == 403);
  CHECK(Call("GET", "/v1/audit", insp).status == 403);
  CHECK(
      Call("POST", "/v1/departments", admin, R"({"department":{"department_id":"d9","name":"D"}})")
          .status == 200);
  // Every account may see itself and change its own password.
  for (const std::string& token : {admin, secadm, auditor, insp}) {
    CHECK(Call("GET", "/v1/me", token).status == 200);
  }
}

}  // namespace
}  // namespace sunlight::gateway
