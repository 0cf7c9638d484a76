#include "sunlight/testing/rtsp_test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "sunlight/testing/loopback_port.h"

namespace sunlight::testing {

RtspTestServer::RtspTestServer(RtspTestServerOptions options) : options_(std::move(options)) {}

RtspTestServer::~RtspTestServer() { Kill(); }

absl::Status RtspTestServer::Start() {
  Kill();
  if (port_ == 0) port_ = UnusedLoopbackPort();
  process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
      "/usr/bin/python3", SUNLIGHT_RTSP_TEST_SERVER_SCRIPT, absl::StrCat("--port=", port_),
      "--source=" + options_.source, absl::StrCat("--key_interval=", options_.key_interval)});
  if (!WaitForLoopbackListener(port_)) {
    return absl::UnavailableError(absl::StrCat("the RTSP test server did not listen on ", port_));
  }
  return absl::OkStatus();
}

void RtspTestServer::Kill(int signal) {
  if (process_ == nullptr) return;
  if (signal != SIGCONT) ::kill(process_->pid(), SIGCONT);  // a paused server must see it
  process_->Kill(signal);
  process_.reset();
}

void RtspTestServer::Pause() {
  if (process_ != nullptr) ::kill(process_->pid(), SIGSTOP);
}

void RtspTestServer::Resume() {
  if (process_ != nullptr) ::kill(process_->pid(), SIGCONT);
}

std::string RtspTestServer::url() const {
  return absl::StrCat("rtsp://127.0.0.1:", port_, "/camera");
}

RtspGarbageServer::RtspGarbageServer() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 8) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      ::pipe2(wake_, O_CLOEXEC) != 0) {
    return;  // port() stays 0
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

RtspGarbageServer::~RtspGarbageServer() {
  if (thread_.joinable()) {
    (void)!::write(wake_[1], "x", 1);
    thread_.join();
  }
  for (int fd : {listener_, wake_[0], wake_[1]}) {
    if (fd >= 0) ::close(fd);
  }
}

std::string RtspGarbageServer::url() const {
  return absl::StrCat("rtsp://127.0.0.1:", port_, "/camera");
}

void RtspGarbageServer::Serve() {
  static constexpr char kGarbage[] = "\x16\x03\x01\x02\x00 \xff\xfe this is not RTSP\r\n\r\n";
  while (true) {
    pollfd fds[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 || (fds[1].revents & POLLIN) != 0) return;
    int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    (void)!::send(connection, kGarbage, sizeof(kGarbage) - 1, MSG_NOSIGNAL);
    ::close(connection);
  }
}

}  // namespace sunlight::testing
