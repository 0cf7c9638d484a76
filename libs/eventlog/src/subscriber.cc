#include "sunlight/eventlog/subscriber.h"

#include <deque>
#include <random>

#include "absl/strings/str_cat.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"

namespace sunlight::eventlog {

using events::v1::CaseEvent;

EventSubscriber::EventSubscriber(SubscriberOptions options, CursorFn cursor, Handler handler)
    : options_(std::move(options)), cursor_(std::move(cursor)), handler_(std::move(handler)) {
  if (!options_.credentials) options_.credentials = grpc::InsecureChannelCredentials();
  channel_ = grpc::CreateChannel(options_.target, options_.credentials);
}

absl::StatusOr<uint64_t> EventSubscriber::ProducerLastSequence(absl::Duration timeout) {
  auto stub = events::v1::EventStream::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (options_.prepare_context) {
    options_.prepare_context(&context, events::v1::GetStreamInfoRequest::descriptor()->full_name());
  }
  events::v1::StreamInfo info;
  grpc::Status status = stub->GetStreamInfo(&context, events::v1::GetStreamInfoRequest(), &info);
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("stream ", options_.stream, " at ", options_.target,
                                               ": ", status.error_message()));
  }
  return info.last_sequence();
}

EventSubscriber::~EventSubscriber() { Stop(); }

void EventSubscriber::Start() {
  thread_ = std::thread([this] { Run(); });
}

void EventSubscriber::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (active_context_ != nullptr) active_context_->TryCancel();
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventSubscriber::Run() {
  auto stub = events::v1::EventStream::NewStub(channel_);
  std::mt19937_64 rng(std::random_device{}());
  absl::Duration backoff = options_.initial_backoff;
  std::string last_reason;
  while (!stopping_) {
    bool made_progress = false;
    absl::Status ended = RunOnce(*stub, &made_progress);
    if (stopping_) break;
    if (made_progress) backoff = options_.initial_backoff;
    // Why the stream stopped, once per change of reason (a refused subscription, an
    // unreachable service), so that operators see a follower that cannot follow.
    if (std::string reason = ended.ToString(); reason != last_reason && !made_progress) {
      LogWarning("subscriber", absl::StrCat("stream ", options_.stream, " at ", options_.target,
                                            ": ", reason, "; trying again"));
      last_reason = std::move(reason);
    }
    double jitter = std::uniform_real_distribution<double>(0.8, 1.2)(rng);
    std::unique_lock lock(mu_);
    stop_cv_.wait_for(lock, absl::ToChronoNanoseconds(backoff * jitter),
                      [this] { return stopping_.load(); });
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status EventSubscriber::RunOnce(events::v1::EventStream::Stub& stub, bool* made_progress) {
  ++connections_;
  absl::StatusOr<uint64_t> cursor = cursor_();
  if (!cursor.ok()) return cursor.status();
  uint64_t expected = *cursor + 1;

  grpc::ClientContext context;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return absl::CancelledError("stopping");
    active_context_ = &context;
  }
  if (options_.prepare_context) {
    options_.prepare_context(&context, events::v1::SubscribeRequest::descriptor()->full_name());
  }
  events::v1::SubscribeRequest request;
  request.set_from_sequence(expected);
  auto reader = stub.Subscribe(&context, request);

  // The reader thread fills a bounded queue; this thread applies what is queued in batches.
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<CaseEvent> queue;
  bool stream_ended = false;
  std::thread receiver([&] {
    CaseEvent event;
    while (reader->Read(&event)) {
      std::unique_lock lock(queue_mu);
      queue_cv.wait(lock, [&] { return queue.size() < kMaxQueued || stream_ended; });
      if (stream_ended) break;  // the consumer gave up on this connection
      queue.push_back(std::move(event));
      queue_cv.notify_all();
    }
    std::lock_guard lock(queue_mu);
    stream_ended = true;
    queue_cv.notify_all();
  });

  absl::Status result = absl::OkStatus();
  std::vector<CaseEvent> batch;
  while (result.ok()) {
    batch.clear();
    {
      std::unique_lock lock(queue_mu);
      queue_cv.wait(lock, [&] { return !queue.empty() || stream_ended; });
      if (queue.empty()) break;  // ended and drained
      while (!queue.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      queue_cv.notify_all();
    }
    for (const CaseEvent& event : batch) {
      if (event.sequence() != expected) {
        result =
            absl::DataLossError(absl::StrCat("stream ", options_.stream, ": expected sequence ",
                                             expected, ", got ", event.sequence()));
        break;
      }
      ++expected;
    }
    if (!result.ok()) break;
    result = handler_(batch);
    if (!result.ok()) break;
    last_handled_ = batch.back().sequence();
    last_handled_occurred_micros_ = absl::ToUnixMicros(FromProto(batch.back().occurred_at()));
    ++batches_;
    events_ += batch.size();
    *made_progress = true;
  }
  // The consumer gave up (a handler error, a gap): cancel the stream. When the stream ended
  // by itself, Finish must report why (a refusal, the producer stopping), not a cancellation.
  if (!result.ok()) context.TryCancel();
  {
    std::lock_guard lock(queue_mu);
    stream_ended = true;
    queue_cv.notify_all();
  }
  receiver.join();
  grpc::Status finish = reader->Finish();
  {
    std::lock_guard lock(mu_);
    active_context_ = nullptr;
  }
  if (!result.ok()) return result;
  return absl::UnavailableError(
      absl::StrCat("stream ", options_.stream, " ended: ", finish.error_message()));
}

std::unique_ptr<EventSubscriber> Follow(const std::string& service,
                                        std::shared_ptr<const auth::PrincipalSigner> signer,
                                        std::shared_ptr<grpc::ChannelCredentials> credentials,
                                        const std::string& target, const std::string& stream,
                                        EventSubscriber::CursorFn cursor,
                                        EventSubscriber::Handler apply) {
  return std::make_unique<EventSubscriber>(
      SubscriberOptions{.target = target,
                        .stream = stream,
                        .credentials = std::move(credentials),
                        .prepare_context = auth::ServiceCallSigner(std::move(signer), stream)},
      std::move(cursor),
      [service, stream, apply = std::move(apply)](const std::vector<events::v1::CaseEvent>& batch) {
        absl::Status s = apply(batch);
        if (!s.ok()) {
          LogError(service, absl::StrCat(stream, " events ", batch.front().sequence(), "..",
                                         batch.back().sequence(), ": ", s.ToString()));
        }
        return s;
      });
}

}  // namespace sunlight::eventlog
