#include "sunlight/testing/service_process.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace sunlight::testing {

ServiceProcess::ServiceProcess(const ScratchDir& dir, const std::string& name,
                               const std::string& binary, std::vector<std::string> args,
                               std::vector<std::string> other_port_files)
    : name_(name),
      port_file_(dir.Sub(name + ".port")),
      other_port_files_(std::move(other_port_files)) {
  argv_ = {binary, "--listen=127.0.0.1:0", "--metrics_listen=", "--data_dir=" + dir.Sub(name),
           "--port_file=" + port_file_};
  for (std::string& arg : args) argv_.push_back(std::move(arg));
}

absl::Status ServiceProcess::Start() {
  process_.reset();
  port_ = 0;
  other_ports_.clear();
  channel_.reset();
  std::remove(port_file_.c_str());
  for (const std::string& file : other_port_files_) std::remove(file.c_str());
  process_ = std::make_unique<ChildProcess>(argv_);
  int port = process_->WaitForPortFile(port_file_);
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat(name_, " (", argv_[0], ") wrote no port to ", port_file_));
  }
  for (const std::string& file : other_port_files_) {
    int other = process_->WaitForPortFile(file);
    if (other <= 0) {
      return absl::UnavailableError(absl::StrCat(name_, " wrote no port to ", file));
    }
    other_ports_[file] = other;
  }
  port_ = port;
  channel_ = grpc::CreateChannel(target(), grpc::InsecureChannelCredentials());
  return absl::OkStatus();
}

absl::Status ServiceProcess::Restart(int signal) {
  Kill(signal);
  return Start();
}

int ServiceProcess::Kill(int signal) { return process_ == nullptr ? -1 : process_->Kill(signal); }

std::string ServiceProcess::target() const { return absl::StrCat("127.0.0.1:", port_); }

int ServiceProcess::port(const std::string& other_port_file) const {
  auto it = other_ports_.find(other_port_file);
  return it == other_ports_.end() ? 0 : it->second;
}

}  // namespace sunlight::testing
