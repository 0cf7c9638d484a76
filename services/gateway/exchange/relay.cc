// The relay: four streams into the exchange log, masked, cursors in the same batch.
#include "exchange/relay.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "exchange/exchange_store.h"
#include "personal_data.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/base/utf8.h"
#include "sunlight/eventlog/case_event.h"
#include "sunlight/eventlog/cursor.h"
#include "sunlight/exchange/v1/exchange.pb.h"
#include "sunlight/intake/v1/intake.pb.h"
#include "sunlight/scoring/v1/scoring.pb.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/workflow/v1/workflow.pb.h"

namespace sunlight::gateway {
namespace {

using events::v1::CaseEvent;
using exchange::v1::ExchangeRecord;

std::string CursorName(const std::string& stream) { return absl::StrCat("exchange/", stream); }

// The department an event's payload names for itself or its case; "" when it names none.
std::string NamedDepartment(const CaseEvent& event) {
  const google::protobuf::Any& payload = event.payload();
  auto named = [&]<typename T>(T message, auto department) -> std::optional<std::string> {
    if (!payload.Is<T>() || !payload.UnpackTo(&message)) return std::nullopt;
    return department(message);
  };
  for (auto department : {
           named(intake::v1::DepartmentUpserted(),
                 [](const auto& m) { return m.department().department_id(); }),
           named(intake::v1::WindowUpserted(),
                 [](const auto& m) { return m.window().department_id(); }),
           named(intake::v1::ItemVersionPublished(),
                 [](const auto& m) { return m.item().definition().department_id(); }),
           named(intake::v1::CaseSubmitted(),
                 [](const auto& m) { return m.case_().department_id(); }),
           named(intake::v1::CaseAccepted(), [](const auto& m) { return m.department_id(); }),
           named(workflow::v1::ProcessStarted(),
                 [](const auto& m) { return m.process().department_id(); }),
           named(supervision::v1::LightChanged(),
                 [](const auto& m) { return m.clock().department_id(); }),
           named(supervision::v1::AlertRaised(),
                 [](const auto& m) { return m.alert().department_id(); }),
           named(supervision::v1::NoticeChanged(),
                 [](const auto& m) { return m.notice().department_id(); }),
           named(scoring::v1::AppealChanged(),
                 [](const auto& m) { return m.appeal().department_id(); }),
           named(scoring::v1::EvaluationChanged(),
                 [](const auto& m) { return m.evaluation().department_id(); }),
           named(scoring::v1::ComplaintChanged(),
                 [](const auto& m) { return m.complaint().department_id(); }),
           named(scoring::v1::StaffAssignmentChanged(),
                 [](const auto& m) { return m.assignment().department_id(); }),
           named(scoring::v1::CorrectionChanged(),
                 [](const auto& m) { return m.correction().department_id(); }),
       }) {
    if (department.has_value()) return *department;
  }
  return "";
}

// What of the scoring stream the province receives: published sheets (every department's
// points, as the public sees them: without the case numbers behind them, which belong to
// their departments' platforms), rule sets, appeals, and to their departments' platforms the
// evaluations, complaints (without contacts) and attendance posts and corrections. Drafts and
// rejected versions are the center's own until published: false, not relayed.
bool ShapeScoringEvent(CaseEvent& event) {
  if (event.type() == "scoring.sheet.drafted" || event.type() == "scoring.sheet.rejected") {
    return false;
  }
  scoring::v1::SheetChanged changed;
  if (event.payload().Is<scoring::v1::SheetChanged>() && event.payload().UnpackTo(&changed)) {
    for (auto& score : *changed.mutable_sheet()->mutable_scores()) {
      for (auto& line : *score.mutable_lines()) line.clear_cases();
    }
    event.mutable_payload()->PackFrom(changed);
  }
  return true;
}

}  // namespace

const std::vector<std::string>& ExchangeRelay::SourceStreams() {
  static const std::vector<std::string> kStreams = {"intake", "workflow", "supervision", "scoring"};
  return kStreams;
}

absl::StatusOr<std::unique_ptr<ExchangeRelay>> ExchangeRelay::Open(storage::Store* store,
                                                                   ExchangeOptions options) {
  auto log = eventlog::EventLog::Open(store, kLogName);
  if (!log.ok()) return log.status();
  return std::unique_ptr<ExchangeRelay>(
      new ExchangeRelay(store, std::move(options), *std::move(log)));
}

ExchangeRelay::~ExchangeRelay() { Stop(); }

void ExchangeRelay::Start() {
  const std::string* targets[] = {&options_.intake_target, &options_.workflow_target,
                                  &options_.supervision_target, &options_.scoring_target};
  for (size_t i = 0; i < SourceStreams().size(); ++i) {
    const std::string stream = SourceStreams()[i];
    if (targets[i]->empty()) continue;
    auto subscriber = eventlog::Follow(
        "gateway", options_.signer, options_.credentials, *targets[i], stream,
        [this, stream] { return Cursor(stream); },
        [this, stream](const std::vector<CaseEvent>& batch) { return Relay(stream, batch); });
    subscriber->Start();
    subscribers_.push_back(std::move(subscriber));
  }
}

void ExchangeRelay::Stop() {
  for (auto& subscriber : subscribers_) subscriber->Stop();
  subscribers_.clear();
}

absl::StatusOr<uint64_t> ExchangeRelay::Cursor(const std::string& stream) const {
  return eventlog::ReadCursor(*store_, CursorName(stream));
}

absl::Status ExchangeRelay::Relay(const std::string& stream, const std::vector<CaseEvent>& events) {
  std::lock_guard lock(relay_mu_);
  auto cursor = Cursor(stream);
  if (!cursor.ok()) return cursor.status();
  uint64_t last = *cursor;
  std::vector<CaseEvent> records;
  storage::WriteBatch batch;
  absl::flat_hash_map<std::string, std::string> named;
  for (const CaseEvent& event : events) {
    if (event.sequence() <= last) continue;  // relayed before this reconnect
    if (event.sequence() != last + 1) {
      return absl::DataLossError(absl::StrCat(stream, " event ", event.sequence(),
                                              " does not follow ", last, "; reconnecting"));
    }
    last = event.sequence();
    ExchangeRecord record;
    record.set_record_id(absl::StrCat(stream, "/", event.sequence()));
    record.set_version(event.case_version() > 0 ? event.case_version() : 1);
    record.set_source_stream(stream);
    record.set_source_sequence(event.sequence());
    *record.mutable_event() = event;
    if (stream == "scoring" && !ShapeScoringEvent(*record.mutable_event())) continue;
    // A payload this build cannot read could hold anything personal: the record is dropped.
    if (MaskPersonalData(record.mutable_event()).dropped_payloads > 0) {
      LogError("exchange", absl::StrCat(stream, " event ", event.sequence(), " of type ",
                                        event.type(), ": unknown payload, not relayed"));
      continue;
    }
    SUNLIGHT_ASSIGN_OR_RETURN(std::string department, DepartmentOf(event, named, batch));
    record.set_department_id(std::move(department));
    CaseEvent wrapper;
    wrapper.set_case_id(event.case_id());
    wrapper.set_type(event.type());
    *wrapper.mutable_actor() = event.actor();
    *wrapper.mutable_occurred_at() = event.occurred_at();
    wrapper.mutable_payload()->PackFrom(record);
    records.push_back(std::move(wrapper));
  }
  // Also when nothing was relayed (all skipped): the cursor moves past what was read.
  if (last == *cursor) return absl::OkStatus();
  eventlog::PutCursor(batch, CursorName(stream), last);
  return log_->Commit(std::move(batch), std::move(records)).status();
}

absl::StatusOr<std::string> ExchangeRelay::DepartmentOf(
    const CaseEvent& event, absl::flat_hash_map<std::string, std::string>& named,
    storage::WriteBatch& batch) const {
  std::string department = NamedDepartment(event);
  if (event.case_id().empty()) return department;
  // A case keeps the first department named for it (its owning department): later events
  // (a joint branch's step clock, say) do not move it.
  if (auto it = named.find(event.case_id()); it != named.end()) return it->second;
  SUNLIGHT_ASSIGN_OR_RETURN(auto stored,
                            store_->Get(exchange_store::kCaseDepartments, event.case_id()));
  if (stored.has_value()) return *std::move(stored);
  if (department.empty()) {
    LogWarning("exchange",
               absl::StrCat(PrintableText(event.type()), " event ", event.sequence(),
                            " of a case of unknown department: relayed to no platform"));
    return department;
  }
  named[event.case_id()] = department;
  batch.Put(exchange_store::kCaseDepartments, event.case_id(), department);
  return department;
}

absl::Status ExchangeRelay::PublishAuditCheckpoint(const v1::AuditCheckpoint& checkpoint) {
  std::lock_guard lock(relay_mu_);
  CaseEvent event =
      eventlog::NewEvent("gateway.audit.checkpoint", "", eventlog::ServiceActor("gateway"),
                         FromProto(checkpoint.at()), checkpoint);
  event.set_stream("audit");
  event.set_sequence(checkpoint.sequence());
  ExchangeRecord record;
  record.set_record_id(absl::StrCat("audit/", checkpoint.sequence()));
  record.set_version(1);
  record.set_source_stream("audit");
  record.set_source_sequence(checkpoint.sequence());
  *record.mutable_event() = event;
  CaseEvent wrapper;
  wrapper.set_type(event.type());
  *wrapper.mutable_actor() = event.actor();
  *wrapper.mutable_occurred_at() = event.occurred_at();
  wrapper.mutable_payload()->PackFrom(record);
  return log_->Commit(storage::WriteBatch(), {std::move(wrapper)}).status();
}

}  // namespace sunlight::gateway
