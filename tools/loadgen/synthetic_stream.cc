// sunlight_synthetic_stream: serves an "intake" event stream of N synthetic accepted cases,
// generated on the fly, for loading a supervision instance with many open clocks in
// benchmarks (./tools/bench). Case i is accepted at 09:00 on the (i mod 200)-th working day
// after --first_day, for an item with a 2-working-day promised limit (margin 1) and a
// 4-working-day statutory limit, in one of 40 departments. With --events=0 it serves an
// empty stream (a stand-in workflow stream).
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/events/v1/events.grpc.pb.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/server/config.h"
#include "sunlight/server/service_host.h"
#include "tool_flags.h"

namespace {

namespace iv1 = sunlight::intake::v1;
using sunlight::events::v1::CaseEvent;

class SyntheticStream final : public sunlight::events::v1::EventStream::Service {
 public:
  SyntheticStream(uint64_t events, std::vector<absl::Time> days)
      : events_(events), days_(std::move(days)) {}

  CaseEvent Make(uint64_t sequence) const {
    uint64_t i = sequence - 1;
    CaseEvent event;
    event.set_sequence(sequence);
    event.set_stream("intake");
    event.set_case_id(absl::StrFormat("c%012d", i + 1));
    event.set_case_version(2);
    event.set_type("intake.case.accepted");
    event.mutable_actor()->set_id("synthetic-clerk");
    absl::Time accepted = days_[i % days_.size()] + absl::Hours(9);
    *event.mutable_occurred_at() = sunlight::ToProto(accepted);
    iv1::CaseAccepted accepted_payload;
    auto* receipt = accepted_payload.mutable_receipt();
    receipt->set_receipt_number(absl::StrCat("R", i + 1));
    *receipt->mutable_accepted_at() = event.occurred_at();
    auto* item = accepted_payload.mutable_item();
    item->set_version(1);
    auto* definition = item->mutable_definition();
    definition->set_item_code("SYN-001");
    definition->set_name("synthetic licence");
    definition->mutable_promised_limit()->set_amount(2);
    definition->mutable_promised_limit()->set_unit(sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS);
    definition->mutable_statutory_limit()->set_amount(4);
    definition->mutable_statutory_limit()->set_unit(sunlight::common::v1::LIMIT_UNIT_WORKING_DAYS);
    definition->set_warning_margin_working_days(1);
    accepted_payload.set_department_id(absl::StrCat("dept-", i % 40));
    accepted_payload.set_case_number(absl::StrFormat("SYN-%08d", i + 1));
    event.mutable_payload()->PackFrom(accepted_payload);
    return event;
  }

  grpc::Status Subscribe(grpc::ServerContext* context,
                         const sunlight::events::v1::SubscribeRequest* request,
                         grpc::ServerWriter<CaseEvent>* writer) override {
    for (uint64_t s = std::max<uint64_t>(1, request->from_sequence()); s <= events_; ++s) {
      if (!writer->Write(Make(s))) return grpc::Status::OK;
    }
    while (!context->IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return grpc::Status::OK;
  }

  grpc::Status GetStreamInfo(grpc::ServerContext*,
                             const sunlight::events::v1::GetStreamInfoRequest*,
                             sunlight::events::v1::StreamInfo* response) override {
    response->set_stream("intake");
    response->set_last_sequence(events_);
    return grpc::Status::OK;
  }

 private:
  uint64_t events_;
  std::vector<absl::Time> days_;
};

}  // namespace

int main(int argc, char** argv) {
  sunlight::server::BlockTerminationSignals();
  const sunlight::server::Config config = sunlight::server::ParseToolFlagsOrExit(
      argc, argv,
      sunlight::bench::Join({sunlight::bench::ListenFlags(),
                             sunlight::bench::CalendarFlags(),
                             {{"events", "1000000", "number of accepted cases on the stream"},
                              {"first_day", "2026-12-01",
                               "acceptance days are the 200 working days from this date"}}}));
  const int64_t events = sunlight::server::IntOrExit(config, "events");
  auto years = sunlight::calendar::ParseProvisionalYears(config.Get("provisional_years"));
  if (!years.ok()) {
    sunlight::LogError("synthetic", years.status().ToString());
    return 1;
  }
  auto calendar = sunlight::calendar::WorkingCalendar::LoadFile(config.Get("calendar"), *years);
  if (!calendar.ok()) {
    sunlight::LogError("synthetic", calendar.status().ToString());
    return 1;
  }
  absl::CivilDay day;
  if (!absl::ParseCivilTime(config.Get("first_day"), &day)) {
    sunlight::LogError("synthetic", "--first_day: expected YYYY-MM-DD");
    return 1;
  }
  std::vector<absl::Time> days;
  while (days.size() < 200) {
    auto kind = (*calendar)->Classify(day);
    if (!kind.ok()) {
      sunlight::LogError("synthetic", kind.status().ToString());
      return 1;
    }
    if (sunlight::calendar::IsWorkingDay(*kind)) {
      days.push_back(absl::FromCivil(day, (*calendar)->time_zone()));
    }
    ++day;
  }
  SyntheticStream service(static_cast<uint64_t>(events), days);
  return sunlight::server::ServeUntilTerminated({.service_name = "synthetic",
                                                 .listen_address = config.Get("listen"),
                                                 .port_file = config.Get("port_file")},
                                                &service);
}
