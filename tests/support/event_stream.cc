#include "sunlight/testing/event_stream.h"

#include <catch2/catch.hpp>

#include "grpcpp/grpcpp.h"
#include "sunlight/events/v1/events.grpc.pb.h"

namespace sunlight::testing {

StreamFromStart ReadStreamFromStart(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = events::v1::EventStream::NewStub(channel);
  StreamFromStart stream;
  grpc::ClientContext info_context;
  events::v1::StreamInfo info;
  REQUIRE(stub->GetStreamInfo(&info_context, events::v1::GetStreamInfoRequest(), &info).ok());
  stream.last_sequence = info.last_sequence();
  grpc::ClientContext context;
  events::v1::SubscribeRequest request;
  request.set_from_sequence(1);
  auto reader = stub->Subscribe(&context, request);
  events::v1::CaseEvent event;
  while (stream.events.size() < stream.last_sequence && reader->Read(&event)) {
    stream.events.push_back(event);
  }
  context.TryCancel();
  (void)reader->Finish();
  return stream;
}

}  // namespace sunlight::testing
