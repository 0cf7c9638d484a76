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
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "accounts.h"
#include "audit_log.h"
#include "backend.h"
#include "exchange/staged_pushes.h"
#include "gateway_metrics.h"
#include "http_server.h"
#include "live_events.h"
#include "rate_limits.h"
#include "sunlight/auth/principal.h"
#include "sunlight/base/clock.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/scoring/v1/voice.pb.h"
#include "sunlight/storage/store.h"

namespace sunlight::table_export {
struct Table;
}  // namespace sunlight::table_export

namespace sunlight::gateway {

std::vector<std::string> GatewayColumnFamilies();

struct GatewayOptions {
  std::string intake_target;
  std::string workflow_target;
  std::string supervision_target;
  std::string scoring_target;
  // The notify service (--notify); empty: the notification routes answer 503.
  std::string notify_target;
  // The video service (--video); empty: the video routes answer 503.
  std::string video_target;
  // The backends; when null, the services over gRPC at the targets above. Tests give a
  // fake to test routes and access rules without starting any backend.
  std::shared_ptr<Backend> backend;
  // Signs the principal of each backend call (the gateway's own key); null when the backends
  // run open (insecure development).
  std::shared_ptr<const auth::PrincipalSigner> principal_signer;
  // Mutual TLS to the backends; insecure when null.
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
  absl::Duration token_ttl = absl::Minutes(30);
  // Seals the bearer tokens (--token_key_file); null: a random key of this process only
  // (tokens end with it; tests and insecure development).
  std::shared_ptr<const auth::HmacSigner> token_key;
  // Keys the audit chain (--audit_key_file); null: a random key of this process only (tests).
  std::shared_ptr<const auth::HmacSigner> audit_key;
  // Where the audit log's checkpoints are appended (--audit_checkpoint_file); empty: nowhere.
  std::string audit_checkpoint_file;
  absl::Duration backend_deadline = absl::Seconds(10);
  // Public endpoints' token buckets and the wrong query code counts.
  RateLimitOptions limits;
  // Logins: delays per user and client network, and at most N password hashes at once.
  LoginLimitOptions login_limits;
  // Live supervision events for GET /v1/events:stream; null: that route answers 503.
  LiveEvents* live_events = nullptr;
  // The web console's files, served at /console/; empty: no console.
  std::string console_dir;
  // Third-party files served beside them (Apache ECharts, pinned in tools/console-vendor).
  std::string console_vendor_dir;
  // Where Excel exports are assembled before they stream out (removed as they are sent);
  // empty: a private directory under the system's temporary directory.
  std::string export_dir;
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
  // Its metrics; main registers them where they are exposed (/metrics).
  GatewayMetrics& metrics() { return metrics_; }
  HttpMetrics& http_metrics() { return http_metrics_; }
  AuditLog& audit() { return *audit_; }
  const RateLimits& limits() const { return limits_; }
  // Items pushed by provincial platforms, waiting for approval (the exchange stages them).
  StagedPushes& pushes() { return *pushes_; }

  struct Route;
  struct Call;
  // Checks and fills a route's request for the caller (its scope).
  using Prepare = std::function<absl::Status(Call&, google::protobuf::Message&)>;

 private:
  Gateway(storage::Store* store, const Clock* clock, GatewayOptions options);

  // The route table, by audience (gateway_routes_*.cc).
  Route& AddRoute(std::string http_method, std::string pattern, uint32_t audience,
                  std::string summary, const google::protobuf::MethodDescriptor* method);
  void AddPublicRoutes();
  void AddCatalogueRoutes();
  void AddCaseRoutes();
  void AddSupervisionRoutes();
  void AddScoringRoutes();
  // Evaluations (好差评) and complaints (投诉) (gateway_routes_voice.cc).
  void AddVoiceRoutes();
  // Staff assignments, device punches, corrections and sheets (gateway_routes_attendance.cc).
  void AddAttendanceRoutes();
  // Contacts and notifications of the notify service (gateway_routes_notify.cc).
  void AddNotifyRoutes();
  // Cameras, recordings, clips, holds and conduct events of the video service
  // (gateway_routes_video.cc).
  void AddVideoRoutes();
  // CSV and Excel downloads of scoring tables (gateway_routes_exports.cc).
  void AddExportRoutes();
  template <typename Request, typename Response>
  void AddExportRoute(const std::string& pattern, const std::string& summary,
                      const google::protobuf::MethodDescriptor* method,
                      table_export::Table (*to_table)(const Response&),
                      const std::string& file_stem);
  void AddAccountRoutes();
  void AddExchangeRoutes();

  // The request pipeline: who calls, may they, the request bound and scoped, the backend or
  // the gateway's own answer, the response shaped, the audit (gateway.cc).
  HttpResponse Serve(Call& call);
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Invoke(
      const Call& call, const google::protobuf::MethodDescriptor* method,
      const google::protobuf::Message& request);
  // Appends an audit entry for the call (`phase` "intent" before a change is attempted, ""
  // for its outcome); the error when it could not be written (also logged).
  absl::Status Audit(const Call& call, const std::string& action, const std::string& target,
                     int status, const std::string& phase = "");

  // The intent entry of a change a local route makes, before it makes it: UNAVAILABLE
  // ("nothing was done") when it cannot be written (the pipeline writes it for the others).
  absl::Status RecordIntent(const Call& call);

  // Calls `method`, which checks a query code given for `number` (a case number, a complaint
  // number) and answers NOT_FOUND for a wrong pair: the (number, client network) pair's
  // attempt is reserved first and a NOT_FOUND makes the pair wait longer (RateLimits). The
  // caller has checked the forms of the number and the code (gateway_routes_public.cc).
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> InvokeWithQueryCode(
      Call& call, const std::string& number, const google::protobuf::MethodDescriptor* method,
      const google::protobuf::Message& request);
  // The progress of the case a case number and query code open, the attempt limited
  // (gateway_routes_public.cc).
  absl::StatusOr<intake::v1::QueryProgressResponse> OpenCaseByCode(Call& call,
                                                                   const std::string& case_number,
                                                                   const std::string& query_code);

  // The server-sent events of GET /v1/events:stream for one caller (gateway_events.cc).
  HttpResponse StreamEvents(const Call& call);

  // Access (gateway_access.cc). The principal signed for the backends, valid for one call;
  // empty when not signing.
  // Whether the caller may see a case (404 with one message when not).
  absl::Status RequireCaseVisible(const Call& call, const std::string& case_id,
                                  bool owning_department_only);
  absl::Status RequireCaseVisible(const Call& call, const intake::v1::Case& record,
                                  bool owning_department_only);
  absl::Status RequireNoticeVisible(const Call& call, const std::string& notice_id);
  // Scopes of routes: the case in the path (of the caller's department when
  // `owning_department_only`); a step or procedure of the case in the path; staff's own
  // department in a request field; a case shown in full or masked.
  Prepare CaseInPath(bool owning_department_only);
  Prepare StepOfCase(bool owning_department_only);
  static Prepare OwnDepartmentField(const char* field);
  // The evaluation of a case, the complaint or the correction the caller may see: staff see
  // their own department's only (NOT_FOUND with one message otherwise, as for none at all).
  absl::StatusOr<scoring::v1::Evaluation> VisibleEvaluation(const Call& call,
                                                            const std::string& case_id);
  absl::StatusOr<scoring::v1::Complaint> VisibleComplaint(const Call& call,
                                                          const std::string& complaint_id);
  absl::Status RequireCorrectionVisible(const Call& call, const std::string& correction_id);
  static void ShowCase(Call& call, google::protobuf::Message& response);

  storage::Store* store_;
  const Clock* clock_;
  GatewayOptions options_;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<StagedPushes> pushes_;
  std::shared_ptr<Backend> backend_;
  RateLimits limits_;
  GatewayMetrics metrics_;
  HttpMetrics http_metrics_;
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_GATEWAY_H_
