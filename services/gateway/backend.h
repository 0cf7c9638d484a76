// The backends as the gateway calls them: one unary method, named by its descriptor, for a
// signed principal. NewGrpcBackend reaches the real services; a test gives a fake, so that
// routes and access rules are tested without starting any backend.
//
//   std::unique_ptr<Backend> backend = NewGrpcBackend({.intake_target = "127.0.0.1:7001", ...});
//   auto response = backend->Call(IntakeMethod("GetCase"), request, principal);
#ifndef SUNLIGHT_SERVICES_GATEWAY_BACKEND_H_
#define SUNLIGHT_SERVICES_GATEWAY_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/security/credentials.h"
#include "sunlight/auth/principal.h"

namespace sunlight::gateway {

class Backend {
 public:
  virtual ~Backend() = default;
  // Calls `method` with `request` (of its input type) for `principal` (none when its
  // user_id is empty). Returns a new message of the method's output type, or the backend's
  // error.
  virtual absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Call(
      const google::protobuf::MethodDescriptor* method, const google::protobuf::Message& request,
      const auth::v1::Principal& principal) = 0;
};

struct GrpcBackendOptions {
  std::string intake_target;
  std::string workflow_target;
  std::string supervision_target;
  std::string scoring_target;
  // The notify service; empty: none (its methods answer UNAVAILABLE).
  std::string notify_target;
  // The video service; empty: none (its methods answer UNAVAILABLE).
  std::string video_target;
  // Each call's deadline, by real time (the gateway's clock may be offset or fake).
  absl::Duration deadline = absl::Seconds(10);
  // Signs the principal for each call, for that service and method; null: none is sent.
  std::shared_ptr<const auth::PrincipalSigner> signer;
  // Mutual TLS; insecure when null.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

// The services over gRPC (one channel each, generic stubs); INTERNAL for a method of
// another service.
std::unique_ptr<Backend> NewGrpcBackend(const GrpcBackendOptions& options);

// The gateway's methods of the backends, by name (a bug to name one that does not exist).
const google::protobuf::MethodDescriptor* IntakeMethod(const char* name);
const google::protobuf::MethodDescriptor* WorkflowMethod(const char* name);
const google::protobuf::MethodDescriptor* SupervisionMethod(const char* name);
const google::protobuf::MethodDescriptor* ScoringMethod(const char* name);
const google::protobuf::MethodDescriptor* NotifyMethod(const char* name);
const google::protobuf::MethodDescriptor* VideoMethod(const char* name);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_BACKEND_H_
