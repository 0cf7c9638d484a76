// Live supervision events for the console: the gateway follows supervision's event stream
// and tells each waiting listener (one per open /v1/events:stream response) that the light
// board changed and which alerts were raised.
//
//   LiveEvents live({.supervision_target = "127.0.0.1:7003", .signer = signer});
//   live.Start();
//   auto slot = live.OpenStream(user_id);          // null: the user has too many open
//   LiveEvents::Listener listener;                 // per connection
//   auto changes = live.Wait(&listener, absl::Seconds(15));
//
// Nothing is stored: a listener sees what happens after it started listening (the board is
// always reported as changed on its first wait), and the gateway starts following at the
// stream's end, not from its beginning.
#ifndef SUNLIGHT_SERVICES_GATEWAY_LIVE_EVENTS_H_
#define SUNLIGHT_SERVICES_GATEWAY_LIVE_EVENTS_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/auth/principal.h"
#include "sunlight/events/v1/events.pb.h"
#include "sunlight/supervision/v1/supervision.pb.h"

namespace sunlight::eventlog {
class EventSubscriber;
}

namespace sunlight::gateway {

struct LiveEventsOptions {
  std::string supervision_target;
  // Signs the gateway's service principal for the subscription (null: none).
  std::shared_ptr<const auth::PrincipalSigner> signer;
  // Mutual TLS to supervision; insecure when null.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Alerts kept for listeners that are behind; older ones are skipped.
  size_t max_kept_alerts = 1024;
  // Event streams one user may hold open at once (each holds a connection).
  size_t max_streams_per_user = 4;
};

class LiveEvents {
 public:
  struct Listener {
    uint64_t board_version = UINT64_MAX;  // never seen: the first wait reports the board
    uint64_t next_alert = 0;              // index of the next alert to hand over
    bool started = false;
  };
  struct Changes {
    bool board_changed = false;
    std::vector<supervision::v1::Alert> alerts;
  };

  explicit LiveEvents(LiveEventsOptions options);
  ~LiveEvents();

  // Follows the stream in the background (reconnecting as needed).
  void Start();
  // Wakes every waiting listener and stops following; idempotent.
  void Stop();
  bool stopped() const;

  // Blocks until the board changed or alerts arrived since the listener last looked, the
  // timeout passed, or Stop; returns what changed (nothing on timeout or stop).
  Changes Wait(Listener* listener, absl::Duration timeout);

  // A place for one more open event stream of `user_id`, given back when the last copy of
  // the result is destroyed; null when the user holds max_streams_per_user already. The
  // slots must not outlive this object.
  std::shared_ptr<const void> OpenStream(const std::string& user_id);
  // Event streams open now, of every user.
  size_t open_streams();

  // Applies supervision events (the subscriber's handler; public for tests).
  absl::Status Apply(const std::vector<events::v1::CaseEvent>& events);

 private:
  absl::StatusOr<uint64_t> Cursor();

  LiveEventsOptions options_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;
  uint64_t board_version_ = 0;
  std::deque<supervision::v1::Alert> alerts_;
  uint64_t first_alert_ = 0;  // index of alerts_.front()
  uint64_t cursor_ = 0;
  bool cursor_known_ = false;
  std::unique_ptr<eventlog::EventSubscriber> subscriber_;
  std::mutex streams_mu_;
  std::map<std::string, size_t> streams_per_user_;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_LIVE_EVENTS_H_
