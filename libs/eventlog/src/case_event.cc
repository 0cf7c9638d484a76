#include "sunlight/eventlog/case_event.h"

#include "sunlight/base/proto_time.h"

namespace sunlight::eventlog {

events::v1::CaseEvent NewEvent(const std::string& type, const std::string& case_id,
                               const common::v1::Actor& actor, absl::Time at,
                               const google::protobuf::Message& payload) {
  events::v1::CaseEvent event;
  event.set_case_id(case_id);
  event.set_type(type);
  *event.mutable_actor() = actor;
  *event.mutable_occurred_at() = ToProto(at);
  event.mutable_payload()->PackFrom(payload);
  return event;
}

common::v1::Actor ServiceActor(const std::string& service) {
  common::v1::Actor actor;
  actor.set_id(service);
  return actor;
}

}  // namespace sunlight::eventlog
