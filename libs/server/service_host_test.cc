#include "sunlight/server/service_host.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <future>
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "grpcpp/generic/generic_stub.h"

namespace sunlight::server {
namespace {

// Fetches http://127.0.0.1:port/metrics with a plain socket.
std::string FetchMetrics(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  std::string request = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
  REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string body;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) body.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return body;
}

TEST_CASE("a host on port 0 serves health checks and per-method metrics, then shuts down") {
  ServiceHost host(
      {.service_name = "test", .listen_address = "127.0.0.1:0", .metrics_address = "127.0.0.1:0"});
  REQUIRE(host.Start().ok());
  REQUIRE(host.port() > 0);
  REQUIRE(host.metrics_port() > 0);

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host.port()),
                                     grpc::InsecureChannelCredentials());
  // grpc.health.v1.Health/Check by hand (Debian ships no generated health stubs): an empty
  // HealthCheckRequest, and a response whose field 1 is SERVING (1): bytes 08 01.
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(s); });
  REQUIRE(done.get_future().get().ok());
  std::vector<grpc::Slice> slices;
  REQUIRE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& slice : slices)
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  CHECK(bytes == std::string("\x08\x01", 2));

  std::string metrics = FetchMetrics(host.metrics_port());
  CHECK(metrics.find("sunlight_grpc_requests_total") != std::string::npos);
  CHECK(metrics.find("method=\"/grpc.health.v1.Health/Check\"") != std::string::npos);
  CHECK(metrics.find("sunlight_grpc_request_duration_seconds_bucket") != std::string::npos);
  host.Shutdown();
}

// The value of the unlabelled series `name` in an exposition; -1 when it is not there.
double MetricValue(const std::string& exposition, const std::string& name) {
  size_t at = exposition.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + name.size() + 2));
}

TEST_CASE("a host's /metrics shows the process's CPU, memory, files, threads and start time") {
  ServiceHost host(
      {.service_name = "test", .listen_address = "127.0.0.1:0", .metrics_address = "127.0.0.1:0"});
  REQUIRE(host.Start().ok());
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  std::string metrics = FetchMetrics(host.metrics_port());
  INFO(metrics);
  CHECK(metrics.find("# TYPE process_cpu_seconds_total counter") != std::string::npos);
  CHECK(metrics.find("# TYPE process_resident_memory_bytes gauge") != std::string::npos);
  const double cpu = MetricValue(metrics, "process_cpu_seconds_total");
  CHECK(cpu >= 0);
  CHECK(cpu < 3600);
  const double resident = MetricValue(metrics, "process_resident_memory_bytes");
  CHECK(resident > 1e6);  // a gRPC server is more than a megabyte
  CHECK(resident < 8e9);
  CHECK(MetricValue(metrics, "process_virtual_memory_bytes") >= resident);
  const double fds = MetricValue(metrics, "process_open_fds");
  CHECK(fds >= 3);  // stdin, stdout, stderr at least, and the listening sockets
  CHECK(fds < MetricValue(metrics, "process_max_fds"));
  CHECK(MetricValue(metrics, "process_threads") >= 2);  // this one and gRPC's
  const double started = MetricValue(metrics, "process_start_time_seconds");
  CHECK(started <= now + 1);
  CHECK(started > now - 24 * 3600);
  // Read at each scrape: CPU time only grows.
  CHECK(MetricValue(FetchMetrics(host.metrics_port()), "process_cpu_seconds_total") >= cpu);
  host.Shutdown();
}

TEST_CASE("a port that is taken is reported, not thrown") {
  ServiceHost first({.service_name = "a", .listen_address = "127.0.0.1:0"});
  REQUIRE(first.Start().ok());
  ServiceHost second(
      {.service_name = "b", .listen_address = absl::StrCat("127.0.0.1:", first.port())});
  absl::Status s = second.Start();
  CHECK(s.code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("absl and gRPC statuses convert with the same code and message") {
  grpc::Status g = ToGrpcStatus(absl::InvalidArgumentError("case_id: required"));
  CHECK(g.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(g.error_message() == "case_id: required");
  CHECK(FromGrpcStatus(g).code() == absl::StatusCode::kInvalidArgument);
  CHECK(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace sunlight::server
