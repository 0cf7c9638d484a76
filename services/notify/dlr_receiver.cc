// Kannel's delivery reports over HTTP (dlr_receiver.h).
#include "dlr_receiver.h"

#include <arpa/inet.h>
#include <microhttpd.h>

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sunlight/notify/kannel_channel.h"

namespace sunlight::notify {

namespace {

MHD_Result Collect(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* params = static_cast<std::map<std::string, std::string>*>(cls);
  if (key != nullptr) (*params)[key] = value == nullptr ? "" : value;
  return MHD_YES;
}

MHD_Result Reply(MHD_Connection* connection, unsigned status, const std::string& text) {
  MHD_Response* response = MHD_create_response_from_buffer(
      text.size(), const_cast<char*>(text.data()), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(response, "Content-Type", "text/plain; charset=utf-8");
  MHD_Result result = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return result;
}

MHD_Result Handle(void* cls, MHD_Connection* connection, const char* url, const char* method,
                  const char*, const char*, size_t* upload_size, void**) {
  auto* receiver = static_cast<DlrReceiver*>(cls);
  if (std::string(method) != "GET") return Reply(connection, 405, "GET only\n");
  if (std::string(url) != "/v1/sms/dlr") return Reply(connection, 404, "not found\n");
  if (*upload_size != 0) return Reply(connection, 400, "no body expected\n");
  std::map<std::string, std::string> params;
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &Collect, &params);
  auto report = ParseDeliveryReport(params);
  if (!report.ok()) return Reply(connection, 400, std::string(report.status().message()) + "\n");
  absl::Status applied = receiver->outbox->ApplyDeliveryReport(
      report->idempotency_key, report->delivered, report->final,
      absl::StrCat(report->status, " ", report->answer));
  if (applied.code() == absl::StatusCode::kNotFound) return Reply(connection, 404, "unknown key\n");
  if (!applied.ok()) return Reply(connection, 503, std::string(applied.message()) + "\n");
  return Reply(connection, 200, "ok\n");
}

}  // namespace

absl::StatusOr<std::unique_ptr<DlrReceiver>> DlrReceiver::Start(const std::string& address,
                                                                Outbox* outbox) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("dlr_listen: host:port, not ", address));
  }
  sockaddr_in bind{};
  bind.sin_family = AF_INET;
  bind.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.substr(0, colon).c_str(), &bind.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("dlr_listen: an IPv4 host, not ", address));
  }
  std::unique_ptr<DlrReceiver> receiver(new DlrReceiver(outbox));
  receiver->daemon_ = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, nullptr, nullptr, &Handle,
      receiver.get(), MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&bind),
      MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
  if (receiver->daemon_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("dlr_listen: cannot listen on ", address));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(receiver->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  receiver->port_ = info == nullptr ? port : info->port;
  return receiver;
}

DlrReceiver::~DlrReceiver() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

std::string DlrReceiver::Url(const std::string& host) const {
  return absl::StrCat("http://", host, ":", port_, "/v1/sms/dlr");
}

}  // namespace sunlight::notify
