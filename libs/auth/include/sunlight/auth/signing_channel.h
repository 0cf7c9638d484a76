// A channel every call of which carries a freshly signed principal, for that call's service
// and method (a client interceptor signs it), for clients that make many kinds of calls: the
// CLI and the load tools.
//
//   auto channel = auth::SigningChannel("127.0.0.1:7001", credentials, signer, person);
//   auto stub = intake::v1::Intake::NewStub(channel);   // each call signed for its method
#ifndef SUNLIGHT_AUTH_SIGNING_CHANNEL_H_
#define SUNLIGHT_AUTH_SIGNING_CHANNEL_H_

#include <memory>
#include <string>
#include <string_view>

#include "grpcpp/grpcpp.h"
#include "sunlight/auth/principal.h"

namespace sunlight::auth {

// The audience of a service: "intake" for "sunlight.intake.v1.Intake" (and for
// "sunlight.events.v1.EventStream" and "sunlight.admin.v1.Admin", which every service serves,
// the service serving it, which only the target knows: `stream_audience`).
std::string AudienceOfService(std::string_view full_service_name);

// `signer` null: calls carry no principal (services in insecure development).
// `stream_audience`: the service behind the target, for its event stream's and Admin's calls.
std::shared_ptr<grpc::Channel> SigningChannel(const std::string& target,
                                              std::shared_ptr<grpc::ChannelCredentials> credentials,
                                              std::shared_ptr<const PrincipalSigner> signer,
                                              v1::Principal principal,
                                              std::string stream_audience = "",
                                              grpc::ChannelArguments args = {});

}  // namespace sunlight::auth

#endif  // SUNLIGHT_AUTH_SIGNING_CHANNEL_H_
