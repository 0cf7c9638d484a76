#include "sunlight/auth/authorizer.h"

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "sunlight/auth/hmac_signer.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/intake/v1/intake.pb.h"

namespace sunlight::auth {
namespace {

const std::string kAccept = intake::v1::AcceptCaseRequest::descriptor()->full_name();
const std::string kGetItem = intake::v1::GetItemRequest::descriptor()->full_name();

v1::Principal Clerk() {
  v1::Principal p;
  p.set_user_id("s001");
  p.set_role("window_clerk");
  p.set_department_id("market");
  return p;
}

MethodPolicy Policy() {
  return {AllowStaff<intake::v1::AcceptCaseRequest>({kWindowClerk}),
          Allow<intake::v1::GetItemRequest>(kAnyone, {"workflow"})};
}

struct Keys {
  std::shared_ptr<const SigningKey> gateway_key = SigningKey::Generate();
  std::shared_ptr<const SigningKey> workflow_key = SigningKey::Generate();
  PrincipalSigner gateway{kGatewayIssuer, gateway_key};
  PrincipalSigner workflow{"workflow", workflow_key};
  std::shared_ptr<PrincipalVerifier> verifier = [this] {
    auto v = std::make_shared<PrincipalVerifier>();
    v->Trust(kGatewayIssuer, VerifyingKey::FromPem(gateway_key->PublicKeyPem()).value());
    v->Trust("workflow", VerifyingKey::FromPem(workflow_key->PublicKeyPem()).value());
    return v;
  }();
};

// A token signed by `key` over a principal exactly as given (no stamping, no clamping).
std::string RawToken(const SigningKey& key, const v1::Principal& principal) {
  std::string payload = principal.SerializeAsString();
  return absl::StrCat(absl::WebSafeBase64Escape(payload), ".",
                      absl::WebSafeBase64Escape(key.Sign(payload)));
}

TEST_CASE("Ed25519 keys round-trip through PEM and sign what they verify") {
  auto key = SigningKey::Generate();
  auto again = SigningKey::FromPem(key->PrivateKeyPem());
  REQUIRE(again.ok());
  auto pub = VerifyingKey::FromPem(key->PublicKeyPem());
  REQUIRE(pub.ok());
  std::string signature = (*again)->Sign("payload");
  CHECK(signature.size() == 64);
  CHECK((*pub)->Verify("payload", signature));
  CHECK_FALSE((*pub)->Verify("payloaD", signature));
  CHECK_FALSE(VerifyingKey::FromPem("not a key").ok());
  CHECK_FALSE(SigningKey::FromPem(key->PublicKeyPem()).ok());
}

TEST_CASE("a principal verifies with its issuer's key, within its lifetime, and not otherwise") {
  Keys keys;
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  std::string token = keys.gateway.Sign(Clerk(), "intake", kAccept, now);
  auto back = keys.verifier->Verify(token, now);
  REQUIRE(back.ok());
  CHECK(back->user_id() == "s001");
  CHECK(back->issuer() == "gateway");
  CHECK(back->audience() == "intake");
  CHECK(back->method() == kAccept);
  CHECK(back->id().size() == 32);
  CHECK(keys.verifier->Verify(token, now + kPrincipalLifetime).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK_FALSE(keys.verifier->Verify(token, now - absl::Seconds(10)).ok());  // from the future
  // One flipped character anywhere breaks it.
  for (size_t i = 0; i < token.size(); i += 7) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    CHECK_FALSE(keys.verifier->Verify(bad, now).ok());
  }
  CHECK_FALSE(keys.verifier->Verify("", now).ok());
  CHECK_FALSE(keys.verifier->Verify("no-dot", now).ok());
  // An issuer the verifier does not know, or a known name with another key.
  PrincipalSigner stranger("province", SigningKey::Generate());
  CHECK_FALSE(keys.verifier->Verify(stranger.Sign(Clerk(), "intake", kAccept, now), now).ok());
  PrincipalSigner impostor(kGatewayIssuer, SigningKey::Generate());
  CHECK_FALSE(keys.verifier->Verify(impostor.Sign(Clerk(), "intake", kAccept, now), now).ok());
  // Signing clamps the lifetime; a token made by hand for longer is refused.
  auto clamped = keys.verifier->Verify(
      keys.gateway.Sign(Clerk(), "intake", kAccept, now, absl::Hours(1)), now);
  REQUIRE(clamped.ok());
  CHECK(FromProto(clamped->expires_at()) - FromProto(clamped->issued_at()) ==
        kMaxPrincipalLifetime);
  v1::Principal long_lived = *clamped;
  *long_lived.mutable_expires_at() = ToProto(now + absl::Hours(1));
  CHECK(keys.verifier->Verify(RawToken(*keys.gateway_key, long_lived), now).status().message() ==
        "principal signed for 1h; at most 1m");
}

TEST_CASE(
    "the authorizer checks audience, method, replay, issuer and that the actor is the caller") {
  Keys keys;
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  Authorizer authorizer("intake", keys.verifier, &clock, Policy());
  intake::v1::AcceptCaseRequest accept;
  *accept.mutable_actor()->mutable_id() = "s001";
  accept.mutable_actor()->set_role("window_clerk");
  accept.mutable_actor()->set_department_id("market");
  auto token = [&](const PrincipalSigner& signer, v1::Principal p, const std::string& audience,
                   const std::string& method) {
    return signer.Sign(std::move(p), audience, method, clock.Now());
  };
  auto code = [&](const std::string& t, const google::protobuf::Message& request) {
    return authorizer.CheckToken(t, request).status().code();
  };
  CHECK(code(token(keys.gateway, Clerk(), "intake", kAccept), accept) == absl::StatusCode::kOk);
  // For workflow, or for another method, or used twice.
  CHECK(code(token(keys.gateway, Clerk(), "workflow", kAccept), accept) ==
        absl::StatusCode::kUnauthenticated);
  CHECK(code(token(keys.gateway, Clerk(), "intake", kGetItem), accept) ==
        absl::StatusCode::kUnauthenticated);
  std::string once = token(keys.gateway, Clerk(), "intake", kAccept);
  CHECK(code(once, accept) == absl::StatusCode::kOk);
  CHECK(authorizer.CheckToken(once, accept).status().message() ==
        "principal already used (a replay)");
  // A service may not act for a person, nor for another service.
  CHECK(code(token(keys.workflow, Clerk(), "intake", kAccept), accept) ==
        absl::StatusCode::kPermissionDenied);
  intake::v1::GetItemRequest get_item;
  CHECK(code(token(keys.workflow, ServicePrincipal("workflow"), "intake", kGetItem), get_item) ==
        absl::StatusCode::kOk);
  CHECK(code(token(keys.workflow, ServicePrincipal("supervision"), "intake", kGetItem), get_item) ==
        absl::StatusCode::kPermissionDenied);
  // The gateway's own service principal is not one the policy names for GetItem.
  CHECK(code(token(keys.gateway, ServicePrincipal("gateway"), "intake", kGetItem), get_item) ==
        absl::StatusCode::kPermissionDenied);
  // The actor must be the caller; staff name only their own department.
  intake::v1::AcceptCaseRequest other = accept;
  other.mutable_actor()->set_id("s002");
  CHECK(code(token(keys.gateway, Clerk(), "intake", kAccept), other) ==
        absl::StatusCode::kPermissionDenied);
  v1::Principal inspector;
  inspector.set_user_id("insp");
  inspector.set_role(kInspector);
  CHECK(code(token(keys.gateway, inspector, "intake", kAccept), accept) ==
        absl::StatusCode::kPermissionDenied);
  // Staff in another role than the method names (a handler doing a window clerk's work).
  v1::Principal handler = Clerk();
  handler.set_role("handler");
  intake::v1::AcceptCaseRequest by_handler = accept;
  by_handler.mutable_actor()->set_role("handler");
  CHECK(authorizer.CheckToken(token(keys.gateway, handler, "intake", kAccept), by_handler)
            .status()
            .message() == "role handler may not call " + kAccept + " (window_clerk may)");
  // The security and audit administrators are no staff and no system administrator.
  v1::Principal auditor;
  auditor.set_user_id("aud");
  auditor.set_role(kAuditAdministrator);
  CHECK(AudienceOf(auditor) == kAuditAdministrators);
  CHECK((kSignedIn & kAuditAdministrators) == 0);
  // A method not in the policy is open to nobody.
  intake::v1::GetCaseRequest get_case;
  CHECK(code(token(keys.gateway, inspector, "intake", "sunlight.intake.v1.GetCaseRequest"),
             get_case) == absl::StatusCode::kPermissionDenied);
  // Without a principal.
  CHECK(code("", accept) == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("without a verifier the authorizer lets every call through (insecure development)") {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  Authorizer open("intake", nullptr, &clock, Policy());
  CHECK_FALSE(open.enforcing());
  CHECK(open.CheckToken("", intake::v1::AcceptCaseRequest()).ok());
}

TEST_CASE("HMAC tokens verify until they expire, and not with another key") {
  auto signer = HmacSigner::FromKey(std::string(32, 'k'));
  REQUIRE(signer.ok());
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  v1::Principal p = Clerk();
  *p.mutable_expires_at() = ToProto(now + absl::Minutes(5));
  std::string token = (*signer)->SignPrincipal(p);
  CHECK((*signer)->VerifyPrincipal(token, now).ok());
  CHECK_FALSE((*signer)->VerifyPrincipal(token, now + absl::Minutes(5)).ok());
  auto other = HmacSigner::FromKey("another key of at least thirty-two bytes");
  REQUIRE(other.ok());
  CHECK_FALSE((*other)->VerifyPrincipal(token, now).ok());
  CHECK(HmacSigner::FromKey("short").status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sunlight::auth
