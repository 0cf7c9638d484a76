#include "sunlight/auth/authorizer.h"

#include <catch2/catch.hpp>

#include "sunlight/base/proto_time.h"
#include "sunlight/intake/v1/intake.pb.h"

namespace sunlight::auth {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";

v1::Principal Clerk(absl::Time expires) {
  v1::Principal p;
  p.set_user_id("s001");
  p.set_role("window_clerk");
  p.set_department_id("market");
  *p.mutable_expires_at() = ToProto(expires);
  return p;
}

MethodPolicy Policy() {
  return {{intake::v1::AcceptCaseRequest::descriptor()->full_name(), kStaff},
          {intake::v1::GetItemRequest::descriptor()->full_name(), kAnyone}};
}

TEST_CASE("a signed principal verifies until it expires, and not with another key") {
  auto signer = Signer::FromKey(kKey);
  REQUIRE(signer.ok());
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  std::string token = (*signer)->SignPrincipal(Clerk(now + absl::Minutes(5)));
  auto back = (*signer)->VerifyPrincipal(token, now);
  REQUIRE(back.ok());
  CHECK(back->user_id() == "s001");
  CHECK((*signer)->VerifyPrincipal(token, now + absl::Minutes(5)).status().code() ==
        absl::StatusCode::kUnauthenticated);
  auto other = Signer::FromKey("another key of at least thirty-two bytes");
  REQUIRE(other.ok());
  CHECK((*other)->VerifyPrincipal(token, now).status().code() ==
        absl::StatusCode::kUnauthenticated);
  // One flipped character anywhere breaks it.
  for (size_t i = 0; i < token.size(); i += 7) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    CHECK_FALSE((*signer)->VerifyPrincipal(bad, now).ok());
  }
  CHECK_FALSE((*signer)->VerifyPrincipal("", now).ok());
  CHECK_FALSE((*signer)->VerifyPrincipal("no-dot", now).ok());
}

TEST_CASE("short keys are refused") {
  CHECK(Signer::FromKey("short").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("the authorizer checks audience and that the actor is the caller") {
  auto signer = Signer::FromKey(kKey);
  REQUIRE(signer.ok());
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  Authorizer authorizer(*signer, &clock, Policy());
  std::string clerk = (*signer)->SignPrincipal(Clerk(clock.Now() + absl::Minutes(5)));

  intake::v1::AcceptCaseRequest accept;
  accept.mutable_actor()->set_id("s001");
  accept.mutable_actor()->set_role("window_clerk");
  accept.mutable_actor()->set_department_id("market");
  CHECK(authorizer.CheckToken(clerk, accept).ok());
  CHECK(authorizer.CheckToken("", accept).status().code() == absl::StatusCode::kUnauthenticated);

  // Acting for another department, or as someone else, is refused.
  accept.mutable_actor()->set_department_id("tax");
  CHECK(authorizer.CheckToken(clerk, accept).status().code() ==
        absl::StatusCode::kPermissionDenied);
  accept.mutable_actor()->set_department_id("market");
  accept.mutable_actor()->set_id("s002");
  CHECK(authorizer.CheckToken(clerk, accept).status().code() ==
        absl::StatusCode::kPermissionDenied);

  // An inspector may read the item guide but not accept cases.
  v1::Principal inspector;
  inspector.set_user_id("i001");
  inspector.set_role(kInspector);
  *inspector.mutable_expires_at() = ToProto(clock.Now() + absl::Minutes(5));
  std::string token = (*signer)->SignPrincipal(inspector);
  CHECK(authorizer.CheckToken(token, intake::v1::GetItemRequest()).ok());
  accept.mutable_actor()->set_id("i001");
  accept.mutable_actor()->set_role(kInspector);
  accept.mutable_actor()->clear_department_id();
  CHECK(authorizer.CheckToken(token, accept).status().code() ==
        absl::StatusCode::kPermissionDenied);

  // A method the policy does not list is open to nobody.
  CHECK(authorizer.CheckToken(token, intake::v1::ListCasesRequest()).status().code() ==
        absl::StatusCode::kPermissionDenied);

  // A staff role without a department is no one.
  v1::Principal stray = Clerk(clock.Now() + absl::Minutes(5));
  stray.clear_department_id();
  CHECK(authorizer.CheckToken((*signer)->SignPrincipal(stray), intake::v1::GetItemRequest())
            .status()
            .code() == absl::StatusCode::kPermissionDenied);
}

TEST_CASE("without a key every call is allowed") {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  Authorizer authorizer(nullptr, &clock, {});
  CHECK_FALSE(authorizer.enforcing());
  CHECK(authorizer.CheckToken("", intake::v1::AcceptCaseRequest()).ok());
}

}  // namespace
}  // namespace sunlight::auth
