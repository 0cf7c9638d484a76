// grpc_echo_server: the bare gRPC baseline for benchmarks. Same bootstrap as the services;
// with --tls_cert_file (and --tls_key_file, --tls_ca_file) over mutual TLS, as the exchange.
#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/bench/v1/echo.grpc.pb.h"
#include "sunlight/server/config.h"
#include "sunlight/server/service_host.h"
#include "sunlight/server/tls.h"
#include "tool_flags.h"

namespace {

class EchoService final : public sunlight::bench::v1::Echo::Service {
  grpc::Status Echo(grpc::ServerContext*, const sunlight::bench::v1::EchoMessage* request,
                    sunlight::bench::v1::EchoMessage* response) override {
    *response = *request;
    return grpc::Status::OK;
  }

  grpc::Status Stream(grpc::ServerContext* context,
                      const sunlight::bench::v1::StreamRequest* request,
                      grpc::ServerWriter<sunlight::bench::v1::EchoMessage>* writer) override {
    if (request->count() > 10'000'000) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "count: at most 10000000"};
    }
    if (request->payload_bytes() > (1u << 20)) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "payload_bytes: at most 1048576"};
    }
    sunlight::bench::v1::EchoMessage message;
    message.set_payload(std::string(request->payload_bytes(), 'x'));
    for (uint32_t i = 0; i < request->count(); ++i) {
      if (context->IsCancelled() || !writer->Write(message)) break;
    }
    return grpc::Status::OK;
  }
};

}  // namespace

int main(int argc, char** argv) {
  sunlight::server::BlockTerminationSignals();
  const sunlight::server::Config config = sunlight::server::ParseToolFlagsOrExit(
      argc, argv,
      sunlight::bench::Join(
          {sunlight::bench::ListenFlags(),
           {{"tls_cert_file", "", "server certificate (PEM); empty: plain text"},
            {"tls_key_file", "", "its private key (PEM)"},
            {"tls_ca_file", "", "CA of the client certificates it accepts (PEM)"}}}));
  std::shared_ptr<grpc::ServerCredentials> credentials;
  sunlight::server::TlsFiles tls{.cert_file = config.Get("tls_cert_file"),
                                 .key_file = config.Get("tls_key_file"),
                                 .ca_file = config.Get("tls_ca_file")};
  if (tls.enabled()) {
    auto secured = sunlight::server::MutualTlsServerCredentials(tls);
    if (!secured.ok()) {
      sunlight::LogError("echo", secured.status().ToString());
      return 2;
    }
    credentials = *secured;
  }
  EchoService service;
  return sunlight::server::ServeUntilTerminated({.service_name = "echo",
                                                 .listen_address = config.Get("listen"),
                                                 .port_file = config.Get("port_file"),
                                                 .credentials = credentials},
                                                &service);
}
