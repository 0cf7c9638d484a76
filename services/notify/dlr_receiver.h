// The HTTP endpoint Kannel reports deliveries to (KannelSmsChannel's dlr_url): GET
// /v1/sms/dlr?key=…&status=…&answer=… on a listener of its own (libmicrohttpd), each report
// handed to the outbox. A report that does not parse gets 400 naming the parameter; an
// unknown key 404; anything else 200. Only Kannel should reach it: bind it to loopback or the
// SMS gateway's network.
#ifndef SUNLIGHT_SERVICES_NOTIFY_DLR_RECEIVER_H_
#define SUNLIGHT_SERVICES_NOTIFY_DLR_RECEIVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sunlight/notify/outbox.h"

struct MHD_Daemon;

namespace sunlight::notify {

class DlrReceiver {
 public:
  // Listens on `address` ("127.0.0.1:0" for any free port).
  static absl::StatusOr<std::unique_ptr<DlrReceiver>> Start(const std::string& address,
                                                            Outbox* outbox);
  ~DlrReceiver();
  int port() const { return port_; }
  // What to give KannelSmsChannel as dlr_url, for a host Kannel reaches this one by.
  std::string Url(const std::string& host) const;

 private:
  explicit DlrReceiver(Outbox* outbox) : outbox(outbox) {}

 public:  // for the request handler in dlr_receiver.cc
  Outbox* const outbox;

 private:
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

}  // namespace sunlight::notify

#endif  // SUNLIGHT_SERVICES_NOTIFY_DLR_RECEIVER_H_
