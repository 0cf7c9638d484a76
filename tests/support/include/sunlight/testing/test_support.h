// Helpers shared by tests: scratch directories and child processes.
//
//   ScratchDir dir("intake");                  // removed when it goes out of scope
//   ChildProcess intake({binary, "--port_file=" + dir.path() + "/port"});
//   int port = intake.WaitForPortFile(dir.path() + "/port");
//   intake.Kill(SIGKILL);
#ifndef SUNLIGHT_TESTING_TEST_SUPPORT_H_
#define SUNLIGHT_TESTING_TEST_SUPPORT_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace sunlight::testing {

// A fresh directory under the system temp dir, removed on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A child process started with execv; killed (SIGKILL) on destruction if still running.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  pid_t pid() const { return pid_; }
  // Polls for a port file (written by ServiceHost) until `timeout`; returns 0 on timeout.
  int WaitForPortFile(const std::string& path, absl::Duration timeout = absl::Seconds(30));
  // Sends `signal` and waits for the process to end; returns its wait status.
  int Kill(int signal);

 private:
  pid_t pid_ = -1;
};

}  // namespace sunlight::testing

#endif  // SUNLIGHT_TESTING_TEST_SUPPORT_H_
