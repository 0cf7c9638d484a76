// The backends over gRPC (backend.h).
#include "backend.h"

#include <chrono>
#include <future>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/byte_buffer.h"
#include "sunlight/auth/principal.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/server/grpc_status.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::gateway {
namespace {

namespace pb = ::google::protobuf;

class GrpcBackend final : public Backend {
 public:
  explicit GrpcBackend(const GrpcBackendOptions& options) : deadline_(options.deadline) {
    auto stub = [](const std::string& target) {
      grpc::ChannelArguments args;
      return std::make_unique<grpc::GenericStub>(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
    };
    stubs_["sunlight.intake.v1.Intake"] = stub(options.intake_target);
    stubs_["sunlight.workflow.v1.Workflow"] = stub(options.workflow_target);
    stubs_["sunlight.supervision.v1.Supervision"] = stub(options.supervision_target);
  }

  absl::StatusOr<std::unique_ptr<pb::Message>> Call(const pb::MethodDescriptor* method,
                                                    const pb::Message& request,
                                                    const std::string& token) override {
    auto stub = stubs_.find(method->service()->full_name());
    if (stub == stubs_.end()) return absl::InternalError("no backend for the method");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(deadline_));
    if (!token.empty()) auth::AttachPrincipal(&context, token);
    std::string bytes = request.SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1), out;
    std::promise<grpc::Status> done;
    stub->second->UnaryCall(&context,
                            absl::StrCat("/", method->service()->full_name(), "/", method->name()),
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
  absl::Duration deadline_;
  absl::flat_hash_map<std::string, std::unique_ptr<grpc::GenericStub>> stubs_;  // by service
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

}  // namespace sunlight::gateway
