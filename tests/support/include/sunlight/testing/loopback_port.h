// TCP ports on 127.0.0.1 for test servers that take their port on the command line only
// (aiosmtpd, for one); servers that can write a port file should bind port 0 instead.
//
//   int port = UnusedLoopbackPort();
//   ChildProcess smtpd({"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l",
//                       "127.0.0.1:" + std::to_string(port)});
//   REQUIRE(WaitForLoopbackListener(port));
#ifndef SUNLIGHT_TESTING_LOOPBACK_PORT_H_
#define SUNLIGHT_TESTING_LOOPBACK_PORT_H_

#include "absl/time/time.h"

namespace sunlight::testing {

// A port the OS just handed out for 127.0.0.1 (bound to port 0, then closed), so nothing
// listens on it: another process could take it before the caller does, which the kernel's
// choice of ports makes unlikely. 0 when no socket could be bound.
int UnusedLoopbackPort();

// Whether something accepts TCP connections on 127.0.0.1:`port` before `timeout`; each probe
// connection is closed at once.
bool WaitForLoopbackListener(int port, absl::Duration timeout = absl::Seconds(15));

}  // namespace sunlight::testing

#endif  // SUNLIGHT_TESTING_LOOPBACK_PORT_H_
