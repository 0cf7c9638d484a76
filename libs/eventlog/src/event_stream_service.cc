#include "sunlight/eventlog/event_stream_service.h"

#include <algorithm>

namespace sunlight::eventlog {

using events::v1::CaseEvent;

grpc::Status EventStreamService::Subscribe(grpc::ServerContext* context,
                                           const events::v1::SubscribeRequest* request,
                                           grpc::ServerWriter<CaseEvent>* writer) {
  auto reader = auth::AuthorizeCall(authorizer_, context, *request);
  if (!reader.ok()) {
    return grpc::Status(static_cast<grpc::StatusCode>(reader.status().code()),
                        std::string(reader.status().message()));
  }
  if (admission_) {
    if (absl::Status admitted = admission_(*reader, request->from_sequence()); !admitted.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(admitted.code()),
                          std::string(admitted.message()));
    }
  }
  absl::Status s = TailLog(
      *log_, request->from_sequence(), [&] { return context->IsCancelled() || shutting_down_; },
      [&](const CaseEvent& event) {
        // A failed write: the client went away.
        return writer->Write(event) ? absl::OkStatus() : absl::CancelledError();
      });
  if (absl::IsUnavailable(s)) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "event stream closing");
  }
  if (!s.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, std::string(s.message()));
  return grpc::Status::OK;
}

grpc::Status EventStreamService::GetStreamInfo(grpc::ServerContext* context,
                                               const events::v1::GetStreamInfoRequest* request,
                                               events::v1::StreamInfo* response) {
  if (grpc::Status s = auth::CheckCall(authorizer_, context, *request); !s.ok()) return s;
  response->set_stream(log_->stream());
  response->set_last_sequence(log_->last_sequence());
  return grpc::Status::OK;
}

auth::MethodPolicy StreamMethodPolicy(const std::vector<std::string>& readers) {
  auth::MethodRule rule{.audiences = auth::kAdministrators, .services = {}};
  rule.services.insert(readers.begin(), readers.end());
  return {{events::v1::SubscribeRequest::descriptor()->full_name(), rule},
          {events::v1::GetStreamInfoRequest::descriptor()->full_name(), rule}};
}

}  // namespace sunlight::eventlog
