// The gRPC side of an event log: sunlight.events.v1.EventStream.
//
//   EventStreamService stream_service(log.get());
//   builder.RegisterService(&stream_service);
//
// Subscribe reads every event from the store by sequence number, first the history and then,
// as new commits arrive, the live tail, so the hand-over has no gap and no duplicate. Each
// stream holds at most one read page (TailLog's, 256 events) in memory and blocks in Write while
// the client's flow-control window is full: a slow subscriber costs a thread, not memory.
#ifndef SUNLIGHT_EVENTLOG_EVENT_STREAM_SERVICE_H_
#define SUNLIGHT_EVENTLOG_EVENT_STREAM_SERVICE_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

#include "sunlight/auth/authorizer.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/events/v1/events.grpc.pb.h"

namespace sunlight::eventlog {

class EventStreamService final : public events::v1::EventStream::Service {
 public:
  // `authorizer` null: every caller may read the stream (tests).
  explicit EventStreamService(const EventLog* log, const auth::Authorizer* authorizer = nullptr)
      : log_(log), authorizer_(authorizer) {}

  // Ends every open Subscribe stream promptly (used before server shutdown).
  void Shutdown() { shutting_down_ = true; }

  // Decides, once a subscription's caller is authorized, whether it may read from
  // `from_sequence` (its principal is empty when the authorizer does not enforce); a non-OK
  // status refuses the subscription with it. ServiceMain fences a restored stream with it
  // (server/restore_fence.h). Set before serving.
  using Admission =
      std::function<absl::Status(const auth::v1::Principal& reader, uint64_t from_sequence)>;
  void set_admission(Admission admission) { admission_ = std::move(admission); }

  grpc::Status Subscribe(grpc::ServerContext* context, const events::v1::SubscribeRequest* request,
                         grpc::ServerWriter<events::v1::CaseEvent>* writer) override;
  grpc::Status GetStreamInfo(grpc::ServerContext* context,
                             const events::v1::GetStreamInfoRequest* request,
                             events::v1::StreamInfo* response) override;

 private:
  const EventLog* log_;
  const auth::Authorizer* authorizer_;
  Admission admission_;
  std::atomic<bool> shutting_down_{false};
};

// Who may read an event stream: the services named (each consumer of it) and administrators.
// Merge it into the policy of the service's Authorizer.
auth::MethodPolicy StreamMethodPolicy(const std::vector<std::string>& readers);

}  // namespace sunlight::eventlog

#endif  // SUNLIGHT_EVENTLOG_EVENT_STREAM_SERVICE_H_
