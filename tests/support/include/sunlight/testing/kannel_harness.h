// A real Kannel for tests: bearerbox with a fake SMSC, smsbox with one sendsms user, and
// kannel-extras' fakesmsc as the operator side, each a child process with its own log file
// in a scratch directory, on ports from the OS.
//
//   KannelHarness kannel;
//   REQUIRE(kannel.Start().ok());                 // the message names the log files
//   … send to kannel.sendsms_url() as kannel.username() / kannel.password() …
//   auto got = kannel.WaitForReceived(1);         // what the operator side was handed
//   CHECK((*got)[0].text == "您好");
//   kannel.Kill();                                // sendsms now refuses connections
//   REQUIRE(kannel.Restart().ok());               // the same ports and kannel.conf again
//
// The fake SMSC confirms every message at once, so each one with a dlr-mask brings an
// "SMSC accepted" (8, answer "ACK/") and a "delivered" (1) report, in no fixed order.
// The sendsms user refuses receivers starting with kDeniedPrefix ("1700"): smsbox answers
// 400 "Number(s) has/have been denied by white- and/or black-lists." (a permanent refusal).
#ifndef SUNLIGHT_TESTING_KANNEL_HARNESS_H_
#define SUNLIGHT_TESTING_KANNEL_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::testing {

// One message as fakesmsc printed it on arrival.
struct OperatorMessage {
  std::string from;
  std::string to;
  // fakesmsc's name for the coding: "text" (7-bit), "data" (8-bit), "ucs-2", "udh".
  std::string type;
  // The text as UTF-8: UCS-2 decoded, "data" URL-decoded, "text" as printed.
  std::string text;
};

class KannelHarness {
 public:
  // Receivers starting with this are refused by the sendsms user (its black-list-regex).
  static constexpr char kDeniedPrefix[] = "1700";

  KannelHarness();
  // Kills whatever still runs (SIGKILL) and removes the directory.
  ~KannelHarness();
  KannelHarness(const KannelHarness&) = delete;
  KannelHarness& operator=(const KannelHarness&) = delete;

  // Writes kannel.conf, starts bearerbox, smsbox and fakesmsc and waits (up to `timeout`)
  // until smsbox is connected, the fake SMSC is online and sendsms answers. On failure
  // returns UNAVAILABLE (DEADLINE_EXCEEDED when it ran out of time) with what was missing
  // and the log file paths, and leaves the processes to the destructor.
  //
  // The four ports come from UnusedLoopbackPort (Kannel has no "port 0"), so another
  // process could take one in between; the message then says which did not come up.
  absl::Status Start(absl::Duration timeout = absl::Seconds(30));

  // "http://127.0.0.1:<port>/cgi-bin/sendsms".
  std::string sendsms_url() const;
  const std::string& username() const { return username_; }
  const std::string& password() const { return password_; }
  // The sender of messages sent without `from`.
  const std::string& default_sender() const { return default_sender_; }
  // The scratch directory: kannel.conf, and bearerbox.log, smsbox.log, fakesmsc.log.
  const std::string& dir() const { return dir_.path(); }
  // The log file paths, for a failure message.
  std::string LogFiles() const;

  // What fakesmsc received so far, in order of arrival.
  std::vector<OperatorMessage> Received() const;
  // Polls Received() until it holds at least `count` messages; DEADLINE_EXCEEDED (with the
  // count and the log paths) when `timeout` passes first.
  absl::StatusOr<std::vector<OperatorMessage>> WaitForReceived(
      size_t count, absl::Duration timeout = absl::Seconds(15));

  // Graceful: SIGTERM to smsbox, bearerbox and fakesmsc in turn, waiting for each
  // (bearerbox takes about three seconds to shut down).
  void Stop();
  // At once: SIGKILL to all three.
  void Kill();
  // After Stop or Kill (kills whatever still runs first): starts the three again with the
  // same kannel.conf, on the same ports, and waits as Start does. What fakesmsc received
  // before stays in Received() (its log is appended to); messages Kannel held when it was
  // killed, and their pending delivery reports (dlr-storage is internal), are lost.
  // FAILED_PRECONDITION before Start.
  absl::Status Restart(absl::Duration timeout = absl::Seconds(30));

 private:
  // Starts bearerbox, then WaitUntilReady starts the others.
  absl::Status Launch(absl::Time deadline);
  absl::Status WaitUntilReady(absl::Time deadline);
  void StartSmsbox();
  void StartFakeSmsc();

  ScratchDir dir_;
  std::string username_ = "sunlight";
  std::string password_ = "kannel-test";
  std::string default_sender_ = "10690000";
  std::string admin_password_ = "kannel-admin";
  int admin_port_ = 0;
  int smsbox_port_ = 0;
  int smsc_port_ = 0;
  int sendsms_port_ = 0;
  std::unique_ptr<ChildProcess> bearerbox_;
  std::unique_ptr<ChildProcess> smsbox_;
  std::unique_ptr<ChildProcess> fakesmsc_;
};

}  // namespace sunlight::testing

#endif  // SUNLIGHT_TESTING_KANNEL_HARNESS_H_
