// A real service binary on port 0 with its store in a scratch directory: the one way tests
// start, kill and restart the binaries.
//
//   ScratchDir dir("intake-crash");
//   ServiceProcess intake(dir, "intake", SUNLIGHT_INTAKE_BINARY, {"--calendar=..."});
//   REQUIRE(intake.Start().ok());
//   auto stub = v1::Intake::NewStub(intake.channel());
//   intake.Kill();                   // SIGKILL
//   REQUIRE(intake.Start().ok());    // the same flags on the same data
//
// Every start runs `binary --listen=127.0.0.1:0 --metrics_listen= --data_dir=<dir>/<name>
// --port_file=<dir>/<name>.port <args...>`. A binary that writes more port files (the
// gateway's --http_port_file) names them in `other_port_files`: they are removed before each
// start and waited for after it, and port(file) reads them.
#ifndef SUNLIGHT_TESTING_SERVICE_PROCESS_H_
#define SUNLIGHT_TESTING_SERVICE_PROCESS_H_

#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/channel.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::testing {

class ServiceProcess {
 public:
  // Does not start the binary yet. `dir` must outlive the process's use of it.
  ServiceProcess(const ScratchDir& dir, const std::string& name, const std::string& binary,
                 std::vector<std::string> args = {},
                 std::vector<std::string> other_port_files = {});
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;
  ~ServiceProcess() = default;  // a process still running is killed (SIGKILL)

  // Starts the binary (one still running from an earlier start is killed first, SIGKILL)
  // after removing stale port files, and waits up to 30 s for every port file. On error
  // (UNAVAILABLE: the process ended or wrote no port in time) port() is 0.
  absl::Status Start();
  // Stops the process with `signal` (as an operator would: SIGTERM) and starts it again with
  // the same flags on the same data.
  absl::Status Restart(int signal = SIGTERM);
  // Adds a flag for the next Start or Restart (an address known only once another process
  // has started).
  void AddFlag(std::string flag) { argv_.push_back(std::move(flag)); }
  // Sends `signal` and waits for the process to end; returns its wait status, -1 if it was
  // not running. port(), target() and channel() keep naming the ended process.
  int Kill(int signal = SIGKILL);

  // The gRPC port of the last start, "127.0.0.1:<port>" and a channel to it.
  int port() const { return port_; }
  std::string target() const;
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // The port read from one of `other_port_files` at the last start; 0 for any other file.
  int port(const std::string& other_port_file) const;

 private:
  std::string name_;
  std::vector<std::string> argv_;
  std::string port_file_;
  std::vector<std::string> other_port_files_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  std::map<std::string, int> other_ports_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace sunlight::testing

#endif  // SUNLIGHT_TESTING_SERVICE_PROCESS_H_
