// Test-only: what a subscriber reads of a running service's event stream
// (sunlight.events.v1.EventStream), for tests that check a real binary's stream after crashes.
//
//   StreamFromStart stream = ReadStreamFromStart(workflow.channel());
//   for (const auto& event : stream.events) ...   // at most stream.last_sequence events
//
// Failures are Catch2 test failures (REQUIRE).
#ifndef SUNLIGHT_TESTING_EVENT_STREAM_H_
#define SUNLIGHT_TESTING_EVENT_STREAM_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "grpcpp/channel.h"
#include "sunlight/events/v1/events.pb.h"

namespace sunlight::testing {

struct StreamFromStart {
  uint64_t last_sequence = 0;  // as the service reported it before the subscription
  std::vector<events::v1::CaseEvent> events;
};

// Asks for the stream's last sequence, subscribes from sequence 1 and reads until it has that
// many events or the stream ends, whichever is first; then cancels the subscription.
StreamFromStart ReadStreamFromStart(const std::shared_ptr<grpc::Channel>& channel);

}  // namespace sunlight::testing

#endif  // SUNLIGHT_TESTING_EVENT_STREAM_H_
