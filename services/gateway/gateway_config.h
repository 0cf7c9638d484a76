// The gateway binary's configuration: its flags, the options they make, the users file, and
// the audit repair mode (`--repair_audit_log=true`).
#ifndef SUNLIGHT_SERVICES_GATEWAY_GATEWAY_CONFIG_H_
#define SUNLIGHT_SERVICES_GATEWAY_GATEWAY_CONFIG_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accounts.h"
#include "exchange/endpoint.h"
#include "gateway.h"
#include "http_server.h"
#include "sunlight/auth/principal.h"
#include "sunlight/server/config.h"
#include "sunlight/storage/store.h"

namespace sunlight::gateway {

// The gateway's own flags (the common ones and the exchange's aside).
std::vector<server::FlagSpec> GatewayFlags();

// Options from the flags; INVALID_ARGUMENT naming a malformed or non-positive one.
// The gateway's work every minute: purges expired sessions, checkpoints the audit log (its
// file) and publishes the checkpoint on the provincial exchange (when `exchange`); logs
// what fails.
std::function<void()> EveryMinute(Gateway* gateway, ExchangeEndpoint* exchange);
// Walks the audit chain and sets sunlight_gateway_audit_chain_ok (logging what broke it).
std::function<void()> VerifyAuditChain(Gateway* gateway);

// The HMAC key of a key-file flag; null with --insecure_development and no file,
// FAILED_PRECONDITION without a file otherwise.
absl::StatusOr<std::shared_ptr<const auth::HmacSigner>> KeyFileFlag(const server::Config& config,
                                                                    const std::string& flag);
absl::StatusOr<GatewayOptions> GatewayOptionsFromFlags(
    const server::Config& config, std::shared_ptr<const auth::PrincipalSigner> signer,
    std::shared_ptr<grpc::ChannelCredentials> credentials);
absl::StatusOr<HttpServerOptions> HttpOptionsFromFlags(const server::Config& config);

// Creates the users of a file (one CreateUserRequest as JSON per line; # comments) that do
// not exist yet, their passwords held to the policy. An empty path does nothing. This is how
// the first security administrator is made; warns when there is none.
absl::Status CreateMissingUsers(Accounts& accounts, const std::string& path);

// With --repair_audit_log=true: repairs the audit log (AuditLog::Repair), prints what it
// did and returns true (the binary then exits); false otherwise.
absl::StatusOr<bool> RepairAuditLogIfAsked(const server::Config& config, storage::Store* store,
                                           absl::Time now);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_GATEWAY_CONFIG_H_
