// How the load tools call the secured services: as the gateway does, each call's principal
// signed with the gateway's key, over mutual TLS.
//
//   auto config = server::ParseToolFlagsOrExit(argc, argv, bench::Join({bench::SecurityFlags(),
//                                                                        ...}));
//   bench::Caller caller = bench::CallerOrExit(config);
//   auto stub = intake::v1::Intake::NewStub(caller.Channel(target, clerk));
#ifndef SUNLIGHT_TOOLS_LOADGEN_CALLER_H_
#define SUNLIGHT_TOOLS_LOADGEN_CALLER_H_

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "sunlight/auth/keys.h"
#include "sunlight/auth/principal.h"
#include "sunlight/auth/signing_channel.h"
#include "sunlight/server/tls.h"
#include "tool_flags.h"

namespace sunlight::bench {

// Calling the secured services as the gateway does: --key_file (the gateway's Ed25519 key,
// signing each call's principal), --tls_cert_file, --tls_key_file, --tls_ca_file (mutual
// TLS). Empty: unsigned, plain (services in --insecure_development).
inline Flags SecurityFlags() {
  return {{"key_file", "", "the gateway's key (gateway.key), to sign each call's principal"},
          {"tls_cert_file", "", "client certificate for mutual TLS (empty: plain text)"},
          {"tls_key_file", "", "its private key"},
          {"tls_ca_file", "", "the suite's CA"}};
}

// The signer and credentials of SecurityFlags(); channels that sign every call for a principal.
struct Caller {
  std::shared_ptr<const auth::PrincipalSigner> signer;
  std::shared_ptr<grpc::ChannelCredentials> credentials;

  // `client` >= 0: a connection of its own (channel argument sunlight.client).
  // `stream_audience`: the service behind `target`, for its event stream's calls.
  std::shared_ptr<grpc::Channel> Channel(const std::string& target,
                                         const auth::v1::Principal& principal, int client = -1,
                                         const std::string& stream_audience = "") const {
    grpc::ChannelArguments args;
    if (client >= 0) args.SetInt("sunlight.client", client);
    return auth::SigningChannel(target, credentials, signer, principal, stream_audience, args);
  }
};

inline Caller CallerOrExit(const server::Config& config) {
  Caller caller;
  if (!config.Get("key_file").empty()) {
    auto key = auth::SigningKey::FromFile(config.Get("key_file"));
    if (!key.ok()) {
      std::cerr << "--key_file: " << key.status().message() << "\n";
      std::exit(2);
    }
    caller.signer = std::make_shared<auth::PrincipalSigner>(auth::kGatewayIssuer, *key);
  }
  auto credentials = server::ChannelCredentialsFor({.cert_file = config.Get("tls_cert_file"),
                                                    .key_file = config.Get("tls_key_file"),
                                                    .ca_file = config.Get("tls_ca_file"),
                                                    .crl_dir = ""});
  if (!credentials.ok()) {
    std::cerr << credentials.status().message() << "\n";
    std::exit(2);
  }
  caller.credentials = *credentials;
  return caller;
}

// The principal of an actor (a person).
inline auth::v1::Principal PrincipalOf(const std::string& id, const std::string& role,
                                       const std::string& department_id = "") {
  auth::v1::Principal p;
  p.set_user_id(id);
  p.set_role(role);
  p.set_department_id(department_id);
  return p;
}

}  // namespace sunlight::bench

#endif  // SUNLIGHT_TOOLS_LOADGEN_CALLER_H_
