// Consuming another service's event stream, resumably.
//
// The consumer owns its cursor: it stores "last applied sequence" in its own store, in the
// same write batch as whatever it derived from the event (see cursor.h). The subscriber
// asks for the cursor on every (re)connect, so after a crash or a disconnect it resumes
// exactly after the last event whose effects were committed.
//
//   EventSubscriber subscriber(
//       {.target = "localhost:7001", .stream = "intake"},
//       [&] { return ReadCursor(*store, "intake"); },
//       [&](const std::vector<CaseEvent>& batch) { return ApplyAndCommitWithCursor(batch); });
//
// Events are handed over in batches: a reader thread receives them into a bounded queue
// (kMaxQueued events; the stream's flow control holds the producer back beyond that) and
// the handler gets everything queued, up to `max_batch`, so a consumer can commit many
// events and its cursor in one synced write.
//   subscriber.Start();
//   ...
//   subscriber.Stop();
#ifndef SUNLIGHT_EVENTLOG_SUBSCRIBER_H_
#define SUNLIGHT_EVENTLOG_SUBSCRIBER_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/auth/principal.h"
#include "sunlight/events/v1/events.grpc.pb.h"

namespace sunlight::eventlog {

struct SubscriberOptions {
  // Address of the producing service, e.g. "127.0.0.1:7001".
  std::string target;
  // Stream name, for logs and metrics.
  std::string stream;
  // Credentials for the channel; insecure when null.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Called on every call's context (Subscribe, and GetStreamInfo for the lag) with the
  // call's request type's full name, e.g. to attach a freshly signed principal for it
  // (auth::ServiceCallSigner). Optional.
  std::function<void(grpc::ClientContext*, const std::string& method)> prepare_context;
  // Reconnect backoff: doubles from initial to max, with +-20% jitter; reset after an event.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // Most events handed to the handler at once.
  size_t max_batch = 256;
};

class EventSubscriber {
 public:
  // Returns the last sequence number whose effects the consumer has committed (0: none).
  using CursorFn = std::function<absl::StatusOr<uint64_t>()>;
  // Applies a batch of consecutive events (in sequence order, never empty) and commits the
  // cursor (the last event's sequence) with their effects, atomically. A non-OK status makes
  // the subscriber reconnect (after backoff) from the cursor CursorFn then returns.
  using Handler = std::function<absl::Status(const std::vector<events::v1::CaseEvent>&)>;

  static constexpr size_t kMaxQueued = 1024;

  EventSubscriber(SubscriberOptions options, CursorFn cursor, Handler handler);
  ~EventSubscriber();  // Stops.

  // Starts the background thread. Call once.
  void Start();
  // Cancels the stream and joins the thread. Idempotent.
  void Stop();

  // Number of (re)connections attempted so far.
  uint64_t connections() const { return connections_.load(); }
  // Last sequence handled successfully in this process (0 before the first event).
  uint64_t last_handled() const { return last_handled_.load(); }
  // When the last event handled occurred (the producer's clock); InfinitePast before any.
  absl::Time last_handled_occurred_at() const {
    return absl::FromUnixMicros(last_handled_occurred_micros_.load());
  }
  // Batches and events handed to the handler and applied, in this process.
  uint64_t batches() const { return batches_.load(); }
  uint64_t events() const { return events_.load(); }
  const SubscriberOptions& options() const { return options_; }

  // The producer's last sequence (GetStreamInfo), for the consumer's lag; a call of its own
  // with a deadline of `timeout`.
  absl::StatusOr<uint64_t> ProducerLastSequence(absl::Duration timeout = absl::Seconds(2));

 private:
  void Run();
  // One connection: returns why it ended.
  absl::Status RunOnce(events::v1::EventStream::Stub& stub, bool* made_progress);

  SubscriberOptions options_;
  CursorFn cursor_;
  Handler handler_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> connections_{0};
  std::atomic<uint64_t> last_handled_{0};
  std::atomic<int64_t> last_handled_occurred_micros_{INT64_MIN};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> events_{0};
  std::shared_ptr<grpc::Channel> channel_;  // made once, shared by the stream and GetStreamInfo
  std::mutex mu_;
  grpc::ClientContext* active_context_ = nullptr;  // guarded by mu_
  std::condition_variable stop_cv_;
};

// The one way a service follows another's stream: a subscriber (not started) whose calls
// carry `service`'s principal, signed for the producer of `stream` (none without a signer),
// over `credentials` (insecure when null), and whose handler errors are logged, with the
// batch's sequences, before it reconnects from the cursor.
std::unique_ptr<EventSubscriber> Follow(const std::string& service,
                                        std::shared_ptr<const auth::PrincipalSigner> signer,
                                        std::shared_ptr<grpc::ChannelCredentials> credentials,
                                        const std::string& target, const std::string& stream,
                                        EventSubscriber::CursorFn cursor,
                                        EventSubscriber::Handler apply);

}  // namespace sunlight::eventlog

#endif  // SUNLIGHT_EVENTLOG_SUBSCRIBER_H_
