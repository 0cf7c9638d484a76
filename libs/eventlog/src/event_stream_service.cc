#include "sunlight/eventlog/event_stream_service.h"

#include <algorithm>

namespace sunlight::eventlog {

using events::v1::CaseEvent;

grpc::Status EventStreamService::Subscribe(grpc::ServerContext* context,
                                           const events::v1::SubscribeRequest* request,
                                           grpc::ServerWriter<CaseEvent>* writer) {
  if (authorizer_ != nullptr) {
    if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  }
  uint64_t next = std::max<uint64_t>(1, request->from_sequence());
  std::vector<CaseEvent> page;
  while (!context->IsCancelled() && !shutting_down_) {
    page.clear();
    absl::Status s = log_->Read(next, kPageSize, &page);
    if (!s.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, std::string(s.message()));
    if (page.empty()) {
      // Wake at least every 200 ms to notice cancellation and shutdown.
      log_->WaitForSequence(next, absl::Now() + absl::Milliseconds(200));
      continue;
    }
    for (const CaseEvent& event : page) {
      if (!writer->Write(event)) return grpc::Status::OK;  // the client went away
      next = event.sequence() + 1;
    }
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "event stream closing");
}

grpc::Status EventStreamService::GetStreamInfo(grpc::ServerContext* context,
                                               const events::v1::GetStreamInfoRequest* request,
                                               events::v1::StreamInfo* response) {
  if (authorizer_ != nullptr) {
    if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  }
  response->set_stream(log_->stream());
  response->set_last_sequence(log_->last_sequence());
  return grpc::Status::OK;
}

auth::MethodPolicy StreamMethodPolicy() {
  const uint32_t readers = auth::kServices | auth::kAdministrators;
  return {{events::v1::SubscribeRequest::descriptor()->full_name(), readers},
          {events::v1::GetStreamInfoRequest::descriptor()->full_name(), readers}};
}

}  // namespace sunlight::eventlog
