// Test-only: an event stream (sunlight.events.v1.EventStream) that serves what the test
// appends, numbered from 1, and waits for more: a producer service stood in for by the test,
// for a consumer binary under test to follow.
//
//   testing::LiveStream supervision;
//   builder.RegisterService(&supervision);           // on a grpc::ServerBuilder
//   supervision.Append(event);                        // the follower receives it
#ifndef SUNLIGHT_TESTING_LIVE_STREAM_H_
#define SUNLIGHT_TESTING_LIVE_STREAM_H_

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "sunlight/events/v1/events.grpc.pb.h"

namespace sunlight::testing {

class LiveStream final : public events::v1::EventStream::Service {
 public:
  // Appends `e` with the next sequence number.
  void Append(events::v1::CaseEvent e) {
    std::lock_guard lock(mu_);
    e.set_sequence(events_.size() + 1);
    events_.push_back(std::move(e));
  }
  grpc::Status Subscribe(grpc::ServerContext* context, const events::v1::SubscribeRequest* request,
                         grpc::ServerWriter<events::v1::CaseEvent>* writer) override {
    size_t next = request->from_sequence() > 0 ? request->from_sequence() - 1 : 0;
    while (!context->IsCancelled()) {
      std::vector<events::v1::CaseEvent> batch;
      {
        std::lock_guard lock(mu_);
        for (; next < events_.size(); ++next) batch.push_back(events_[next]);
      }
      for (const auto& e : batch) {
        if (!writer->Write(e)) return grpc::Status::OK;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return grpc::Status::OK;
  }
  grpc::Status GetStreamInfo(grpc::ServerContext*, const events::v1::GetStreamInfoRequest*,
                             events::v1::StreamInfo* info) override {
    std::lock_guard lock(mu_);
    info->set_last_sequence(events_.size());
    return grpc::Status::OK;
  }

 private:
  std::mutex mu_;
  std::vector<events::v1::CaseEvent> events_;
};

}  // namespace sunlight::testing

#endif  // SUNLIGHT_TESTING_LIVE_STREAM_H_
