// The backends over gRPC (backend.h).
#include "backend.h"

#include <chrono>
#include <future>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/byte_buffer.h"
#include "sunlight/auth/principal.h"
#include "sunlight/auth/signing_channel.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/notify/v1/notify.pb.h"
#include "sunlight/scoring/v1/scoring.pb.h"
#include "sunlight/server/grpc_status.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/video/v1/video.pb.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::gateway {
namespace {

namespace pb = ::google::protobuf;

class GrpcBackend final : public Backend {
 public:
  explicit GrpcBackend(const GrpcBackendOptions& options)
      : deadline_(options.deadline), signer_(options.signer) {
    auto credentials =
        options.credentials ? options.credentials : grpc::InsecureChannelCredentials();
    auto stub = [&](const std::string& service, const std::string& target) {
      grpc::ChannelArguments args;
      stubs_[service] = {
          std::make_unique<grpc::GenericStub>(grpc::CreateCustomChannel(target, credentials, args)),
          auth::AudienceOfService(service)};
    };
    stub("sunlight.intake.v1.Intake", options.intake_target);
    stub("sunlight.workflow.v1.Workflow", options.workflow_target);
    stub("sunlight.supervision.v1.Supervision", options.supervision_target);
    stub("sunlight.scoring.v1.Scoring", options.scoring_target);
    if (!options.notify_target.empty()) stub("sunlight.notify.v1.Notify", options.notify_target);
    if (!options.video_target.empty()) stub("sunlight.video.v1.Video", options.video_target);
  }

  absl::StatusOr<std::unique_ptr<pb::Message>> Call(const pb::MethodDescriptor* method,
                                                    const pb::Message& request,
                                                    const auth::v1::Principal& principal) override {
    auto stub = stubs_.find(method->service()->full_name());
    if (stub == stubs_.end()) {
      if (method->service()->full_name() == "sunlight.notify.v1.Notify") {
        return absl::UnavailableError("notifications are not configured");
      }
      if (method->service()->full_name() == "sunlight.video.v1.Video") {
        return absl::UnavailableError("video is not configured");
      }
      return absl::InternalError("no backend for the method");
    }
    grpc::ClientContext context;
    absl::Time now = absl::Now();
    context.set_deadline(absl::ToChronoTime(now + deadline_));
    if (signer_ != nullptr && !principal.user_id().empty()) {
      auth::AttachPrincipal(&context, signer_->Sign(principal, stub->second.audience,
                                                    method->input_type()->full_name(), now,
                                                    deadline_ + absl::Seconds(5)));
    }
    std::string bytes = request.SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1), out;
    std::promise<grpc::Status> done;
    stub->second.stub->UnaryCall(
        &context, absl::StrCat("/", method->service()->full_name(), "/", method->name()),
        grpc::StubOptions(), &in, &out,
        [&](grpc::Status status) { done.set_value(std::move(status)); });
    grpc::Status status = done.get_future().get();
    if (!status.ok()) return server::FromGrpcStatus(status);
    std::vector<grpc::Slice> slices;
    if (!out.Dump(&slices).ok()) return absl::InternalError("unreadable backend response");
    std::string reply;
    for (const auto& s : slices) reply.append(reinterpret_cast<const char*>(s.begin()), s.size());
    std::unique_ptr<pb::Message> response(
        pb::MessageFactory::generated_factory()->GetPrototype(method->output_type())->New());
    if (!response->ParseFromString(reply)) {
      return absl::InternalError("unreadable backend response");
    }
    return response;
  }

 private:
  struct Service {
    std::unique_ptr<grpc::GenericStub> stub;
    std::string audience;  // "intake" of sunlight.intake.v1.Intake
  };
  absl::Duration deadline_;
  std::shared_ptr<const auth::PrincipalSigner> signer_;
  absl::flat_hash_map<std::string, Service> stubs_;  // by full service name
};

const pb::MethodDescriptor* Method(const pb::FileDescriptor* file, const char* service,
                                   const char* name) {
  return file->FindServiceByName(service)->FindMethodByName(name);
}

}  // namespace

std::unique_ptr<Backend> NewGrpcBackend(const GrpcBackendOptions& options) {
  return std::make_unique<GrpcBackend>(options);
}

const pb::MethodDescriptor* IntakeMethod(const char* name) {
  return Method(intake::v1::Case::descriptor()->file(), "Intake", name);
}
const pb::MethodDescriptor* WorkflowMethod(const char* name) {
  return Method(workflow::v1::Process::descriptor()->file(), "Workflow", name);
}
const pb::MethodDescriptor* SupervisionMethod(const char* name) {
  return Method(supervision::v1::Clock::descriptor()->file(), "Supervision", name);
}
const pb::MethodDescriptor* ScoringMethod(const char* name) {
  return Method(scoring::v1::ScoreSheet::descriptor()->file(), "Scoring", name);
}
const pb::MethodDescriptor* NotifyMethod(const char* name) {
  return Method(notify::v1::Notification::descriptor()->file(), "Notify", name);
}
const pb::MethodDescriptor* VideoMethod(const char* name) {
  return Method(video::v1::Camera::descriptor()->file(), "Video", name);
}

}  // namespace sunlight::gateway
