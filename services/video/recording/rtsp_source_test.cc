#include "sunlight/video/rtsp_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "catch2/catch.hpp"
#include "sunlight/testing/loopback_port.h"
#include "sunlight/testing/rtsp_test_server.h"

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace sunlight::video {
namespace {

using ::sunlight::testing::RtspGarbageServer;
using ::sunlight::testing::RtspTestServer;
using ::sunlight::testing::UnusedLoopbackPort;

// A socket that listens but never accepts: connections complete (the kernel's backlog) and
// then nothing is ever said.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    url_ = "rtsp://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/camera";
  }
  ~SilentServer() { ::close(fd_); }
  const std::string& url() const { return url_; }

 private:
  int fd_ = -1;
  std::string url_;
};

TEST_CASE("an RTSP camera opens with its H.264 stream and gives packets") {
  RtspTestServer camera;
  REQUIRE(camera.Start().ok());
  auto source = RtspSource::Open({.url = camera.url()}, nullptr);
  REQUIRE(source.ok());
  CHECK((*source)->codec_parameters().codec_id == AV_CODEC_ID_H264);
  CHECK((*source)->codec_parameters().width == 320);
  AVPacket* packet = av_packet_alloc();
  for (int i = 0; i < 30; ++i) REQUIRE((*source)->Read(packet).ok());
  av_packet_free(&packet);
}

TEST_CASE("an address where nothing listens is a camera that cannot be reached") {
  auto source = RtspSource::Open(
      {.url = "rtsp://127.0.0.1:" + std::to_string(UnusedLoopbackPort()) + "/camera"}, nullptr);
  REQUIRE(source.status().code() == absl::StatusCode::kUnavailable);
  CHECK(source.status().message().find("refused") != std::string::npos);
}

TEST_CASE("a server that answers garbage does not speak RTSP") {
  RtspGarbageServer garbage;
  auto source = RtspSource::Open({.url = garbage.url()}, nullptr);
  REQUIRE(source.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(source.status().message().find("does not speak RTSP") != std::string::npos);
}

TEST_CASE("an audio-only stream has no video to record") {
  RtspTestServer microphone({.source = "audio"});
  REQUIRE(microphone.Start().ok());
  auto source = RtspSource::Open({.url = microphone.url()}, nullptr);
  REQUIRE(source.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(source.status().message().find("no video") != std::string::npos);
  CHECK(source.status().message().find("pcm_mulaw") != std::string::npos);
}

TEST_CASE("only rtsp addresses are opened") {
  for (const char* url : {"file:///etc/passwd", "http://127.0.0.1/", "/dev/zero", ""}) {
    CHECK(RtspSource::Open({.url = url}, nullptr).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("a server that never answers times out and a stop ends the wait at once") {
  SilentServer silent;
  absl::Time started = absl::Now();
  auto timed_out =
      RtspSource::Open({.url = silent.url(), .connect_timeout = absl::Seconds(1)}, nullptr);
  CHECK(timed_out.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(absl::Now() - started < absl::Seconds(3));

  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  started = absl::Now();
  auto stopped =
      RtspSource::Open({.url = silent.url(), .connect_timeout = absl::Seconds(30)}, &stop);
  stopper.join();
  CHECK(stopped.status().code() == absl::StatusCode::kCancelled);
  CHECK(absl::Now() - started < absl::Seconds(2));
}

TEST_CASE("credentials are not shown in the camera's address") {
  CHECK(UrlWithoutCredentials("rtsp://admin:secret@10.0.0.7:554/stream1") ==
        "rtsp://10.0.0.7:554/stream1");
  CHECK(UrlWithoutCredentials("rtsp://10.0.0.7/a@b") == "rtsp://10.0.0.7/a@b");
}

}  // namespace
}  // namespace sunlight::video
