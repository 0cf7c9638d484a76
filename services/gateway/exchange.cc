#include "exchange.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/base/log.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/eventlog/cursor.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/server/service_host.h"

namespace sunlight::gateway {
namespace {

using events::v1::CaseEvent;
using exchange::v1::ExchangeRecord;

std::string CursorName(const std::string& stream) { return absl::StrCat("exchange/", stream); }

}  // namespace

const std::vector<std::string>& ExchangeRelay::SourceStreams() {
  static const std::vector<std::string> kStreams = {"intake", "workflow", "supervision"};
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
                                  &options_.supervision_target};
  for (size_t i = 0; i < SourceStreams().size(); ++i) {
    const std::string stream = SourceStreams()[i];
    auto subscriber = std::make_unique<eventlog::EventSubscriber>(
        eventlog::SubscriberOptions{
            .target = *targets[i],
            .stream = stream,
            .prepare_context = auth::ServiceCallHook(options_.signer, "gateway")},
        [this, stream] { return Cursor(stream); },
        [this, stream](const std::vector<CaseEvent>& batch) {
          absl::Status s = Relay(stream, batch);
          if (!s.ok()) LogError("exchange", absl::StrCat(stream, ": ", s.ToString()));
          return s;
        });
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
    MaskPersonalData(record.mutable_event());
    CaseEvent wrapper;
    wrapper.set_case_id(event.case_id());
    wrapper.set_type(event.type());
    *wrapper.mutable_actor() = event.actor();
    *wrapper.mutable_occurred_at() = event.occurred_at();
    wrapper.mutable_payload()->PackFrom(record);
    records.push_back(std::move(wrapper));
  }
  if (records.empty()) return absl::OkStatus();
  storage::WriteBatch batch;
  eventlog::PutCursor(batch, CursorName(stream), last);
  return log_->Commit(std::move(batch), std::move(records)).status();
}

absl::StatusOr<std::vector<Platform>> LoadPlatforms(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read platforms file ", path));
  std::vector<Platform> platforms;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    google::protobuf::Struct entry;
    if (!google::protobuf::util::JsonStringToMessage(line, &entry).ok() ||
        !entry.fields().contains("platform_id") || !entry.fields().contains("certificate_cn")) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": want {\"platform_id\":..,\"certificate_cn\":..}"));
    }
    platforms.push_back({entry.fields().at("platform_id").string_value(),
                         entry.fields().at("certificate_cn").string_value()});
  }
  return platforms;
}

ExchangeService::ExchangeService(ExchangeRelay* relay, std::vector<Platform> platforms,
                                 prometheus::Registry* registry)
    : relay_(relay),
      intake_channel_(
          grpc::CreateChannel(relay->options().intake_target, grpc::InsecureChannelCredentials())) {
  for (auto& p : platforms) platform_by_cn_[p.certificate_cn] = p.platform_id;
  if (registry != nullptr) {
    lag_ = &prometheus::BuildGauge()
                .Name("sunlight_exchange_platform_lag_records")
                .Help(
                    "Records relayed to the exchange that a platform has not been sent yet "
                    "(since the gateway started)")
                .Register(*registry);
    lag_thread_ = std::thread([this] {
      std::unique_lock lock(lag_mu_);
      while (!lag_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_lag_; })) {
        UpdateLag();
      }
    });
  }
}

ExchangeService::~ExchangeService() {
  {
    std::lock_guard lock(lag_mu_);
    stop_lag_ = true;
  }
  lag_cv_.notify_all();
  if (lag_thread_.joinable()) lag_thread_.join();
}

void ExchangeService::UpdateLag() {
  uint64_t last = relay_->log().last_sequence();
  std::lock_guard lock(sent_mu_);
  for (const auto& [platform, sent] : last_sent_) {
    lag_->Add({{"platform", platform}}).Set(static_cast<double>(last - std::min(last, sent)));
  }
}

absl::StatusOr<std::string> ExchangeService::PlatformOf(const grpc::ServerContext* context) const {
  auto auth = context->auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("a client certificate is required");
  }
  for (const auto& cn : auth->FindPropertyValues("x509_common_name")) {
    auto it = platform_by_cn_.find(std::string(cn.data(), cn.size()));
    if (it != platform_by_cn_.end()) return it->second;
  }
  return absl::PermissionDeniedError("the client certificate is not a registered platform's");
}

grpc::Status ExchangeService::Subscribe(grpc::ServerContext* context,
                                        const exchange::v1::SubscribeRequest* request,
                                        grpc::ServerWriter<ExchangeRecord>* writer) {
  auto platform = PlatformOf(context);
  if (!platform.ok()) return server::ToGrpcStatus(platform.status());
  const eventlog::EventLog& log = relay_->log();
  if (request->after_position() > log.last_sequence()) {
    return grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                        absl::StrCat("after_position: ", request->after_position(),
                                     " is beyond the last position ", log.last_sequence()));
  }
  {
    std::lock_guard lock(sent_mu_);
    last_sent_[*platform] = request->after_position();
  }
  LogInfo("exchange", absl::StrCat(*platform, " subscribes after ", request->after_position()));
  uint64_t next = request->after_position() + 1;
  std::vector<CaseEvent> page;
  while (!context->IsCancelled() && !shutting_down_) {
    page.clear();
    if (absl::Status s = log.Read(next, 256, &page); !s.ok()) return server::ToGrpcStatus(s);
    if (page.empty()) {
      log.WaitForSequence(next, absl::Now() + absl::Milliseconds(200));
      continue;
    }
    for (const CaseEvent& wrapper : page) {
      ExchangeRecord record;
      if (!wrapper.payload().UnpackTo(&record)) {
        return grpc::Status(grpc::StatusCode::DATA_LOSS,
                            absl::StrCat("exchange record ", wrapper.sequence(), " unreadable"));
      }
      record.set_position(wrapper.sequence());
      if (!writer->Write(record)) return grpc::Status::OK;  // the platform went away
      next = wrapper.sequence() + 1;
    }
    std::lock_guard lock(sent_mu_);
    last_sent_[*platform] = next - 1;
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "exchange closing");
}

grpc::Status ExchangeService::GetExchangeInfo(grpc::ServerContext* context,
                                              const exchange::v1::GetExchangeInfoRequest*,
                                              exchange::v1::ExchangeInfo* response) {
  auto platform = PlatformOf(context);
  if (!platform.ok()) return server::ToGrpcStatus(platform.status());
  response->set_platform_id(*platform);
  response->set_last_position(relay_->log().last_sequence());
  return grpc::Status::OK;
}

grpc::Status ExchangeService::PushItem(grpc::ServerContext* context,
                                       const exchange::v1::PushItemRequest* request,
                                       exchange::v1::PushItemResponse* response) {
  auto platform = PlatformOf(context);
  if (!platform.ok()) return server::ToGrpcStatus(platform.status());
  if (request->definition().item_code().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "definition.item_code: required");
  }
  // Published in intake by the platform, through the gateway's own service principal.
  auth::v1::Principal principal;
  principal.set_user_id(absl::StrCat("platform:", *platform));
  principal.set_name(*platform);
  principal.set_role(auth::kService);
  *principal.mutable_expires_at() = ToProto(absl::Now() + absl::Minutes(1));
  intake::v1::PublishItemVersionRequest publish;
  publish.mutable_actor()->set_id(principal.user_id());
  publish.mutable_actor()->set_name(principal.name());
  publish.mutable_actor()->set_role(principal.role());
  *publish.mutable_definition() = request->definition();
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (relay_->options().signer != nullptr) {
    auth::AttachPrincipal(&call, relay_->options().signer->SignPrincipal(principal));
  }
  intake::v1::ItemVersion published;
  grpc::Status s =
      intake::v1::Intake::NewStub(intake_channel_)->PublishItemVersion(&call, publish, &published);
  if (!s.ok()) return s;
  LogInfo("exchange", absl::StrCat(*platform, " pushed ", published.definition().item_code(),
                                   " version ", published.version()));
  response->set_item_code(published.definition().item_code());
  response->set_version(published.version());
  return grpc::Status::OK;
}

}  // namespace sunlight::gateway
