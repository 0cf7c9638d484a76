// The gateway: the one door for people and front-ends. It maps a REST/JSON API (protobuf's
// JSON mapping of the service messages) onto the backend services' gRPC methods, and adds
// what a public door needs: login and sessions, access by role and department, masking of
// personal data, a tamper-evident audit log, rate limits and error bodies in one shape.
//
//   auto gateway = Gateway::Open(store.get(), &clock, options);
//   HttpServer::Start(http_options, [&](const HttpRequest& r) { return (*gateway)->Handle(r); });
#ifndef SUNLIGHT_SERVICES_GATEWAY_GATEWAY_H_
#define SUNLIGHT_SERVICES_GATEWAY_GATEWAY_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "accounts.h"
#include "audit_log.h"
#include "grpcpp/generic/generic_stub.h"
#include "http_server.h"
#include "live_events.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/clock.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::gateway {

std::vector<std::string> GatewayColumnFamilies();

struct GatewayOptions {
  std::string intake_target;
  std::string workflow_target;
  std::string supervision_target;
  // Signs the principal sent to the backends; null when the backends run open.
  std::shared_ptr<const auth::Signer> principal_signer;
  absl::Duration token_ttl = absl::Minutes(30);
  absl::Duration backend_deadline = absl::Seconds(10);
  // Public endpoints: a token bucket per client address.
  double public_requests_per_s = 5;
  double public_burst = 20;
  // Wrong query codes: this many per case number or client address in the window, then 429.
  int max_wrong_query_codes = 5;
  absl::Duration wrong_query_code_window = absl::Minutes(15);
  // Live supervision events for GET /v1/events:stream; null: that route answers 503.
  LiveEvents* live_events = nullptr;
  // The web console's files, served at /console/; empty: no console.
  std::string console_dir;
};

class Gateway {
 public:
  static absl::StatusOr<std::unique_ptr<Gateway>> Open(storage::Store* store, const Clock* clock,
                                                       GatewayOptions options);
  ~Gateway();

  HttpResponse Handle(const HttpRequest& request);
  // The OpenAPI 3 document of every route, from the route table and the proto descriptors.
  std::string OpenApiJson() const;

  Accounts& accounts() { return *accounts_; }
  AuditLog& audit() { return *audit_; }

  struct Route;
  struct Call;

 private:
  Gateway(storage::Store* store, const Clock* clock, GatewayOptions options);
  void AddRoutes();

  HttpResponse Serve(Call& call);
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Invoke(
      const Call& call, const google::protobuf::MethodDescriptor* method,
      const google::protobuf::Message& request);
  // A file of the web console (GET /console/...); "/" and "/console" redirect to it.
  HttpResponse ServeConsoleFile(const std::string& path) const;
  // The server-sent events of GET /v1/events:stream for one caller.
  HttpResponse StreamEvents(const Call& call);
  // The principal signed for the backends, valid for one call; empty when not signing.
  std::string BackendToken(const auth::v1::Principal& principal) const;
  // Whether the caller may see a case (404 with one message when not).
  absl::Status RequireCaseVisible(const Call& call, const std::string& case_id,
                                  bool owning_department_only);
  absl::Status RequireCaseVisible(const Call& call, const intake::v1::Case& record,
                                  bool owning_department_only);
  absl::Status RequireNoticeVisible(const Call& call, const std::string& notice_id);
  absl::Status ThrottleWrongQueryCodes(const std::string& case_number, const std::string& client,
                                       bool record_failure);
  bool AllowPublic(const std::string& client, absl::Duration* retry_after);
  void Audit(const Call& call, const std::string& action, const std::string& target, int status);

  storage::Store* store_;
  const Clock* clock_;
  GatewayOptions options_;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<AuditLog> audit_;
  std::vector<std::unique_ptr<Route>> routes_;
  absl::flat_hash_map<std::string, std::unique_ptr<grpc::GenericStub>> stubs_;  // by service

  std::mutex limits_mu_;
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  absl::flat_hash_map<std::string, Bucket> buckets_;                       // by client
  absl::flat_hash_map<std::string, std::vector<absl::Time>> wrong_codes_;  // by number/client
};

// The HTTP status for a gRPC status code (Google's mapping).
int HttpStatusFor(absl::StatusCode code);
// Masks ID numbers and phone numbers and removes query codes in a message and everything
// it holds (packed event payloads included).
void MaskPersonalData(google::protobuf::Message* message);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_GATEWAY_H_
