#include "sunlight/auth/signing_channel.h"

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/client_interceptor.h"

namespace sunlight::auth {
namespace {

namespace gx = ::grpc::experimental;

class SigningInterceptor final : public gx::Interceptor {
 public:
  explicit SigningInterceptor(std::string token) : token_(std::move(token)) {}
  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            gx::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA) &&
        !token_.empty()) {
      methods->GetSendInitialMetadata()->insert({kPrincipalMetadataKey, token_});
    }
    methods->Proceed();
  }

 private:
  std::string token_;
};

class SigningFactory final : public gx::ClientInterceptorFactoryInterface {
 public:
  SigningFactory(std::shared_ptr<const PrincipalSigner> signer, v1::Principal principal,
                 std::string stream_audience)
      : signer_(std::move(signer)),
        principal_(std::move(principal)),
        stream_audience_(std::move(stream_audience)) {}

  gx::Interceptor* CreateClientInterceptor(gx::ClientRpcInfo* info) override {
    std::string token;
    // "/sunlight.intake.v1.Intake/GetCase" -> the method's descriptor.
    std::vector<std::string> parts = absl::StrSplit(info->method(), '/', absl::SkipEmpty());
    const auto* method = parts.size() == 2
                             ? google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
                                   parts[0] + "." + parts[1])
                             : nullptr;
    if (signer_ != nullptr && method != nullptr) {
      std::string audience = AudienceOfService(parts[0]);
      // Every service serves its event stream and Admin: only the target knows which it is.
      if (audience == "events" || audience == "admin") audience = stream_audience_;
      token = signer_->Sign(principal_, audience, method->input_type()->full_name(), absl::Now());
    }
    return new SigningInterceptor(std::move(token));
  }

 private:
  std::shared_ptr<const PrincipalSigner> signer_;
  v1::Principal principal_;
  std::string stream_audience_;
};

}  // namespace

std::string AudienceOfService(std::string_view full_service_name) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(full_service_name.data(), full_service_name.size()), '.');
  return parts.size() >= 2 ? std::string(parts[1]) : std::string(full_service_name);
}

std::shared_ptr<grpc::Channel> SigningChannel(const std::string& target,
                                              std::shared_ptr<grpc::ChannelCredentials> credentials,
                                              std::shared_ptr<const PrincipalSigner> signer,
                                              v1::Principal principal, std::string stream_audience,
                                              grpc::ChannelArguments args) {
  std::vector<std::unique_ptr<gx::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<SigningFactory>(std::move(signer), std::move(principal),
                                                          std::move(stream_audience)));
  return gx::CreateCustomChannelWithInterceptors(
      target, credentials ? credentials : grpc::InsecureChannelCredentials(), args,
      std::move(interceptors));
}

}  // namespace sunlight::auth
