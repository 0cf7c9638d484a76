// grpc_echo_server: the bare gRPC baseline for benchmarks. Same bootstrap as the services.
#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/bench/v1/echo.grpc.pb.h"
#include "sunlight/server/config.h"
#include "sunlight/server/service_host.h"
#include "tool_flags.h"

namespace {

class EchoService final : public sunlight::bench::v1::Echo::Service {
  grpc::Status Echo(grpc::ServerContext*, const sunlight::bench::v1::EchoMessage* request,
                    sunlight::bench::v1::EchoMessage* response) override {
    *response = *request;
    return grpc::Status::OK;
  }
};

}  // namespace

int main(int argc, char** argv) {
  sunlight::server::BlockTerminationSignals();
  const sunlight::server::Config config =
      sunlight::server::ParseToolFlagsOrExit(argc, argv, sunlight::bench::ListenFlags());
  EchoService service;
  return sunlight::server::ServeUntilTerminated({.service_name = "echo",
                                                 .listen_address = config.Get("listen"),
                                                 .port_file = config.Get("port_file")},
                                                &service);
}
