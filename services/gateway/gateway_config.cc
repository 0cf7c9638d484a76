// The gateway binary's configuration (gateway_config.h).
#include "gateway_config.h"

#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/base/log.h"
#include "sunlight/base/secret_file.h"
#include "sunlight/base/status_macros.h"

namespace sunlight::gateway {

std::vector<server::FlagSpec> GatewayFlags() {
  return {
      {"http_listen", "127.0.0.1:8080", "host:port of the REST/JSON API"},
      {"http_port_file", "", "file to write the bound HTTP port to"},
      {"http_tls_cert_file", "", "certificate chain (PEM) of the REST listener: HTTPS only"},
      {"http_tls_key_file", "", "its private key (PEM, mode 0600)"},
      {"intake", "127.0.0.1:7001", "intake service address"},
      {"workflow", "127.0.0.1:7002", "workflow service address"},
      {"supervision", "127.0.0.1:7003", "supervision service address"},
      {"scoring", "127.0.0.1:7004", "scoring service address"},
      {"notify", "",
       "notify service address (127.0.0.1:7005 in development); empty: the contacts and "
       "notifications routes answer 503"},
      {"video", "127.0.0.1:7006",
       "video service address; empty: the cameras, clips and conduct events routes answer 503"},
      {"console_dir", "services/gateway/console",
       "the web console's files, served at /console/ (empty: no console)"},
      {"console_vendor_dir", "tools/console-vendor/node_modules/echarts/dist",
       "third-party files of the console (Apache ECharts, installed by ./tools/setup)"},
      {"export_dir", "",
       "directory (private, on a disk with room) where Excel exports are assembled; empty: "
       "one under the system's temporary directory"},
      {"users_file", "",
       "users to create on start when missing (CreateUserRequest JSON per line; passwords meet "
       "the policy; set user.must_change_password for a first login change)"},
      {"token_ttl", "30m", "how long a login token is valid"},
      {"token_key_file", "",
       "key (32+ bytes, mode 0600) sealing bearer tokens, kept outside the store; required "
       "unless --insecure_development (then tokens end with the process)"},
      {"max_body_bytes", "1048576", "largest request body (413 beyond)"},
      {"idle_timeout", "30s", "idle time after which a connection is closed"},
      {"head_timeout", "10s",
       "a request's line and headers must arrive within this of the connection opening or its "
       "previous response (else it is closed)"},
      {"body_timeout", "30s",
       "a body of --max_body_bytes must arrive within this of its head; a smaller one within "
       "its share (at least --head_timeout)"},
      {"trusted_proxies", "",
       "comma-separated addresses or CIDR blocks of reverse proxies whose X-Forwarded-For "
       "names the client (from any other peer the header is ignored)"},
      {"http_workers", "0",
       "0: a thread per HTTP connection; N: N event-loop threads (epoll) share them (measured "
       "only: an event stream holds a loop, see docs/performance.md)"},
      {"max_event_streams_per_user", "4",
       "open /v1/events:stream responses one user may hold (429 beyond)"},
      {"public_rate", "5", "public requests per second per client address"},
      {"public_burst", "20", "public request burst per client address"},
      {"audit_key_file", "",
       "key (32+ bytes, mode 0600) of the audit chain, kept outside the store; required unless "
       "--insecure_development"},
      {"audit_checkpoint_file", "",
       "file (best on another disk or host) the audit log's head is appended to every minute; "
       "also published on the provincial exchange"},
      {"repair_audit_log", "false",
       "true: repair audit entries that cannot be read (kept, marked, the repair recorded), "
       "print what was done and exit; run with the gateway stopped"},
  };
}

std::function<void()> EveryMinute(Gateway* gateway, ExchangeEndpoint* exchange) {
  return [gateway, exchange] {
    auto purged = gateway->accounts().PurgeExpiredSessions();
    if (!purged.ok()) LogError("gateway", purged.status().ToString());
    auto checkpoint = gateway->audit().Checkpoint(absl::Now());
    if (!checkpoint.ok()) {
      LogError("gateway", checkpoint.status().ToString());
    } else if (checkpoint->has_value() && exchange != nullptr) {
      if (auto s = exchange->relay().PublishAuditCheckpoint(**checkpoint); !s.ok()) {
        LogError("gateway", absl::StrCat("audit checkpoint not published: ", s.ToString()));
      }
    }
  };
}

std::function<void()> VerifyAuditChain(Gateway* gateway) {
  return [gateway] {
    auto verified = gateway->audit().Verify();
    // An empty log (a fresh install) has nothing to break.
    const bool intact = verified.ok() && (verified->intact() || verified->entries() == 0);
    gateway->metrics().audit_chain_ok.Set(intact ? 1 : 0);
    if (!verified.ok()) {
      LogError("gateway", absl::StrCat("audit chain not verified: ", verified.status().ToString()));
    } else if (!intact && verified->entries() > 0) {
      LogError("gateway", absl::StrCat("audit chain broken at ", verified->first_bad_sequence(),
                                       ": ", verified->problem()));
    }
  };
}

absl::StatusOr<std::shared_ptr<const auth::HmacSigner>> KeyFileFlag(const server::Config& config,
                                                                    const std::string& flag) {
  SUNLIGHT_ASSIGN_OR_RETURN(
      std::string path,
      server::RequiredKeyFile(config, flag, "the gateway keeps no key in its store"));
  if (path.empty()) return std::shared_ptr<const auth::HmacSigner>();
  return auth::HmacSigner::FromKeyFile(path);
}

absl::StatusOr<GatewayOptions> GatewayOptionsFromFlags(
    const server::Config& config, std::shared_ptr<const auth::PrincipalSigner> signer,
    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  SUNLIGHT_ASSIGN_OR_RETURN(absl::Duration token_ttl, config.GetDuration("token_ttl"));
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t rate, config.GetInt("public_rate"));
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t burst, config.GetInt("public_burst"));
  if (rate <= 0 || burst <= 0) {
    return absl::InvalidArgumentError("--public_rate and --public_burst must be positive");
  }
  if (signer == nullptr) {
    LogWarning("gateway", "no gateway.key in --key_dir: backends receive no signed principal");
  }
  SUNLIGHT_ASSIGN_OR_RETURN(auto token_key, KeyFileFlag(config, "token_key_file"));
  SUNLIGHT_ASSIGN_OR_RETURN(auto audit_key, KeyFileFlag(config, "audit_key_file"));
  return GatewayOptions{.intake_target = config.Get("intake"),
                        .workflow_target = config.Get("workflow"),
                        .supervision_target = config.Get("supervision"),
                        .scoring_target = config.Get("scoring"),
                        .notify_target = config.Get("notify"),
                        .video_target = config.Get("video"),
                        .principal_signer = std::move(signer),
                        .channel_credentials = std::move(credentials),
                        .token_ttl = token_ttl,
                        .token_key = std::move(token_key),
                        .audit_key = std::move(audit_key),
                        .audit_checkpoint_file = config.Get("audit_checkpoint_file"),
                        .limits = {.public_requests_per_s = static_cast<double>(rate),
                                   .public_burst = static_cast<double>(burst)},
                        .console_dir = config.Get("console_dir"),
                        .console_vendor_dir = config.Get("console_vendor_dir"),
                        .export_dir = config.Get("export_dir")};
}

absl::StatusOr<HttpServerOptions> HttpOptionsFromFlags(const server::Config& config) {
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t max_body, config.GetInt("max_body_bytes"));
  SUNLIGHT_ASSIGN_OR_RETURN(absl::Duration idle, config.GetDuration("idle_timeout"));
  SUNLIGHT_ASSIGN_OR_RETURN(absl::Duration head, config.GetDuration("head_timeout"));
  SUNLIGHT_ASSIGN_OR_RETURN(absl::Duration body, config.GetDuration("body_timeout"));
  SUNLIGHT_ASSIGN_OR_RETURN(int64_t workers, config.GetInt("http_workers"));
  if (workers < 0 || workers > 1024) return absl::InvalidArgumentError("--http_workers: 0..1024");
  if (max_body <= 0) return absl::InvalidArgumentError("--max_body_bytes must be positive");
  if (head <= absl::ZeroDuration() || body <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--head_timeout and --body_timeout must be positive");
  }
  HttpServerOptions options{
      .listen_address = config.Get("http_listen"),
      .max_body_bytes = static_cast<size_t>(max_body),
      .idle_timeout = idle,
      .head_timeout = head,
      .body_timeout = body,
      .trusted_proxies = absl::StrSplit(config.Get("trusted_proxies"), ',', absl::SkipEmpty()),
      .worker_threads = static_cast<unsigned>(workers)};
  // Malformed entries are named now, not when the server starts.
  if (auto proxies = TrustedProxies::Parse(options.trusted_proxies); !proxies.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--trusted_proxies: ", proxies.status().message()));
  }
  const std::string cert = config.Get("http_tls_cert_file"), key = config.Get("http_tls_key_file");
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError("--http_tls_cert_file and --http_tls_key_file go together");
  }
  if (!cert.empty()) {
    std::ifstream in(cert);
    if (!in)
      return absl::InvalidArgumentError(absl::StrCat("--http_tls_cert_file: cannot read ", cert));
    options.tls_cert_pem.assign(std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>());
    SUNLIGHT_ASSIGN_OR_RETURN(options.tls_key_pem, ReadSecretFile(key));
  } else if (!config.GetBool("insecure_development").value_or(false)) {
    LogWarning("gateway",
               "REST is plain HTTP (no --http_tls_cert_file): put it behind a TLS terminator");
  }
  return options;
}

absl::Status CreateMissingUsers(Accounts& accounts, const std::string& path) {
  // The first security administrator comes from the users file; they create everyone else.
  auto warn_if_none = [&] {
    if (!accounts.HasSecurityAdministrator()) {
      LogWarning("gateway",
                 "no security administrator yet: start with --users_file to create one (role "
                 "security_administrator); they create the other users");
    }
  };
  if (path.empty()) {
    warn_if_none();
    return absl::OkStatus();
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    v1::CreateUserRequest request;
    if (auto s = google::protobuf::util::JsonStringToMessage(line, &request); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", s.ToString()));
    }
    auto created = accounts.CreateUser(request);
    if (!created.ok() && !absl::IsAlreadyExists(created.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": ", created.status().ToString()));
    }
  }
  warn_if_none();
  return absl::OkStatus();
}

absl::StatusOr<bool> RepairAuditLogIfAsked(const server::Config& config, storage::Store* store,
                                           absl::Time now) {
  SUNLIGHT_ASSIGN_OR_RETURN(bool repair, config.GetBool("repair_audit_log"));
  if (!repair) return false;
  SUNLIGHT_ASSIGN_OR_RETURN(auto key, KeyFileFlag(config, "audit_key_file"));
  if (key == nullptr) return absl::FailedPreconditionError("--audit_key_file: required to repair");
  SUNLIGHT_ASSIGN_OR_RETURN(auto repaired, AuditLog::Repair(store, std::move(key), now));
  std::cout << (repaired.empty()
                    ? std::string("audit log: every entry is readable; nothing repaired\n")
                    : absl::StrCat("audit log: repaired entries ", absl::StrJoin(repaired, ", "),
                                   "; the repair is recorded as the last entry\n"));
  return true;
}

}  // namespace sunlight::gateway
