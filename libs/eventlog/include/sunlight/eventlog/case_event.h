// The one way to build an event for EventLog::Commit (sequence, version and stream are the
// log's to assign).
//
//   events.push_back(NewEvent("intake.case.accepted", record.case_id(), request.actor(),
//                             clock_->Now(), payload));
//   events.push_back(NewEvent("supervision.light.changed", case_id, ServiceActor("supervision"),
//                             now, changed));
#ifndef SUNLIGHT_EVENTLOG_CASE_EVENT_H_
#define SUNLIGHT_EVENTLOG_CASE_EVENT_H_

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "sunlight/common/v1/common.pb.h"
#include "sunlight/events/v1/events.pb.h"

namespace sunlight::eventlog {

// An event of `type` (dotted, e.g. "workflow.step.completed") about `case_id` (empty for
// catalogue and configuration events), caused by `actor` at `at`, carrying `payload`.
events::v1::CaseEvent NewEvent(const std::string& type, const std::string& case_id,
                               const common::v1::Actor& actor, absl::Time at,
                               const google::protobuf::Message& payload);

// The actor of a service's own changes (its scheduler, its derived facts).
common::v1::Actor ServiceActor(const std::string& service);

}  // namespace sunlight::eventlog

#endif  // SUNLIGHT_EVENTLOG_CASE_EVENT_H_
