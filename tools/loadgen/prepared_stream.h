// A benchmark's event stream served from memory: the history, then an idle tail until the
// subscriber leaves (what a following service sees of a producer that has gone quiet).
#ifndef SUNLIGHT_TOOLS_LOADGEN_PREPARED_STREAM_H_
#define SUNLIGHT_TOOLS_LOADGEN_PREPARED_STREAM_H_

#include <chrono>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "sunlight/events/v1/events.grpc.pb.h"

namespace sunlight::bench {

// One stream of prepared events: history, then an idle tail until the subscriber leaves.
class PreparedStream final : public events::v1::EventStream::Service {
 public:
  explicit PreparedStream(const std::vector<events::v1::CaseEvent>* events) : events_(events) {}

  grpc::Status Subscribe(grpc::ServerContext* context, const events::v1::SubscribeRequest* request,
                         grpc::ServerWriter<events::v1::CaseEvent>* writer) override {
    for (size_t i = request->from_sequence() > 0 ? request->from_sequence() - 1 : 0;
         i < events_->size(); ++i) {
      if (!writer->Write((*events_)[i])) return grpc::Status::OK;
    }
    while (!context->IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return grpc::Status::OK;
  }
  grpc::Status GetStreamInfo(grpc::ServerContext*, const events::v1::GetStreamInfoRequest*,
                             events::v1::StreamInfo* info) override {
    info->set_last_sequence(events_->size());
    return grpc::Status::OK;
  }

 private:
  const std::vector<events::v1::CaseEvent>* events_;
};

}  // namespace sunlight::bench

#endif  // SUNLIGHT_TOOLS_LOADGEN_PREPARED_STREAM_H_
