// RTSP cameras for tests: GStreamer's RTSP server in a child process (rtsp_test_server.py,
// python3-gi with gir1.2-gst-rtsp-server-1.0), and a TCP server that answers with garbage.
//
//   RtspTestServer camera({.key_interval = 25});
//   REQUIRE(camera.Start().ok());
//   record(camera.url());          // rtsp://127.0.0.1:<port>/camera
//   camera.Kill();                 // SIGKILL: the camera goes offline
//   REQUIRE(camera.Start().ok());  // back, on the same port
//   camera.Pause();                // SIGSTOP: the connection stays open, nothing arrives
//
//   RtspGarbageServer wrong_port;  // accepts, writes bytes that are not RTSP, closes
//   Open(wrong_port.url());
#ifndef SUNLIGHT_TESTING_RTSP_TEST_SERVER_H_
#define SUNLIGHT_TESTING_RTSP_TEST_SERVER_H_

#include <csignal>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::testing {

struct RtspTestServerOptions {
  // "pattern": a live 320x240 25 frames/s H.264 test pattern; "audio": a live audio-only
  // stream; otherwise the path of an MP4 file with H.264 video (played once).
  std::string source = "pattern";
  // Frames between two keyframes of the pattern.
  int key_interval = 25;
};

class RtspTestServer {
 public:
  explicit RtspTestServer(RtspTestServerOptions options = {});
  ~RtspTestServer();  // a server still running is killed

  // Starts the server (on the port of the last start, if any) and waits until it accepts
  // connections; UNAVAILABLE if it does not within 15 s.
  absl::Status Start();
  // Sends `signal` and waits for the server to end.
  void Kill(int signal = SIGKILL);
  // SIGSTOP / SIGCONT: a camera that hangs with its connections open.
  void Pause();
  void Resume();

  int port() const { return port_; }
  std::string url() const;

 private:
  RtspTestServerOptions options_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// A server on 127.0.0.1 (port 0) that writes bytes that are not RTSP to every connection and
// closes it: a camera address that points at the wrong service.
class RtspGarbageServer {
 public:
  RtspGarbageServer();
  ~RtspGarbageServer();
  RtspGarbageServer(const RtspGarbageServer&) = delete;
  RtspGarbageServer& operator=(const RtspGarbageServer&) = delete;

  int port() const { return port_; }
  std::string url() const;

 private:
  void Serve();

  int listener_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};  // a pipe: writing to it ends Serve
  std::thread thread_;
};

}  // namespace sunlight::testing

#endif  // SUNLIGHT_TESTING_RTSP_TEST_SERVER_H_
