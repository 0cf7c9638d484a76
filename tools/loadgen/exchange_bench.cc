// sunlight_exchange_bench: records per second a platform receives through the provincial
// exchange's mutual-TLS stream. Waits until the edge has relayed at least --min_records, then
// subscribes from the beginning and reads up to the last position relayed when it started.
//
//   sunlight_exchange_bench --target=localhost:7010 --ca=ca.crt --cert=p.crt --key=p.key
//
// Prints "BENCH exchange_events_per_s <n> records/s". With --ceiling (a grpc_echo_server over
// mutual TLS with the same CA), also the ceiling: a bare gRPC server stream of as many
// messages of the records' mean size, "BENCH grpc_stream_msgs_per_s", and the exchange's
// share of it, "BENCH exchange_vs_stream_ratio". With --event_stream (a service, called as the
// gateway with --key_file and the --tls_* flags), a service's own event stream read from its
// beginning: "BENCH event_stream_events_per_s" and its share of the ceiling,
// "BENCH event_stream_vs_stream_ratio".
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "caller.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/bench/v1/echo.grpc.pb.h"
#include "sunlight/events/v1/events.grpc.pb.h"
#include "sunlight/exchange/v1/exchange.grpc.pb.h"
#include "sunlight/server/config.h"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  const sunlight::server::Config config = sunlight::server::ParseToolFlagsOrExit(
      argc, argv,
      sunlight::bench::Join(
          {sunlight::bench::SecurityFlags(),
           {{"target", "localhost:7010", "the exchange (host must match the server certificate)"},
            {"ca", "", "CA certificate (PEM) of the exchange's server certificate"},
            {"cert", "", "the platform's client certificate (PEM)"},
            {"key", "", "the platform's private key (PEM)"},
            {"min_records", "10000", "wait until the edge has relayed at least this many"},
            {"wait", "120s", "longest wait for min_records"},
            {"ceiling", "", "a grpc_echo_server (mutual TLS) to measure the bare stream against"},
            {"event_stream", "", "a service whose event stream to read as well (with --ceiling)"},
            {"stream_audience", "intake", "the service behind --event_stream"}}}));
  const int64_t min_records = sunlight::server::IntOrExit(config, "min_records");
  const absl::Duration wait = sunlight::server::DurationOrExit(config, "wait");
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadFile(config.Get("ca"));
  tls.pem_cert_chain = ReadFile(config.Get("cert"));
  tls.pem_private_key = ReadFile(config.Get("key"));
  auto stub = sunlight::exchange::v1::Exchange::NewStub(
      grpc::CreateChannel(config.Get("target"), grpc::SslCredentials(tls)));

  uint64_t last = 0;
  absl::Time give_up = absl::Now() + wait;
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    sunlight::exchange::v1::ExchangeInfo info;
    grpc::Status s = stub->GetExchangeInfo(&context, {}, &info);
    if (s.ok()) last = info.last_position();
    if (s.ok() && last >= static_cast<uint64_t>(min_records)) break;
    if (absl::Now() > give_up) {
      std::cerr << "exchange: "
                << (s.ok() ? "only " + std::to_string(last) + " records" : s.error_message())
                << "\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }

  grpc::ClientContext context;
  sunlight::exchange::v1::SubscribeRequest request;
  request.set_after_position(0);
  absl::Time start = absl::Now();
  auto reader = stub->Subscribe(&context, request);
  sunlight::exchange::v1::ExchangeRecord record;
  uint64_t received = 0, expected = 1, bytes = 0;
  while (received < last && reader->Read(&record)) {
    bytes += record.ByteSizeLong();
    if (record.position() != expected) {
      std::cerr << "position " << record.position() << " where " << expected << " was due\n";
      return 1;
    }
    ++expected;
    ++received;
  }
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  context.TryCancel();
  (void)reader->Finish();
  if (received < last) {
    std::cerr << "the stream ended after " << received << " of " << last << " records\n";
    return 1;
  }
  std::cout << absl::StrFormat("BENCH exchange_events_per_s %.1f records/s\n",
                               static_cast<double>(received) / seconds);
  std::cerr << absl::StrFormat("exchange: %d records in order over mutual TLS in %.2f s\n",
                               received, seconds);
  if (config.Get("ceiling").empty()) return 0;

  auto echo = sunlight::bench::v1::Echo::NewStub(
      grpc::CreateChannel(config.Get("ceiling"), grpc::SslCredentials(tls)));
  sunlight::bench::v1::StreamRequest ceiling;
  // At least 200,000 messages, so that the ceiling is measured over seconds, not moments.
  ceiling.set_count(static_cast<uint32_t>(std::max<uint64_t>(received, 200'000)));
  const uint64_t mean = bytes / received;
  ceiling.set_payload_bytes(static_cast<uint32_t>(mean > 3 ? mean - 3 : 0));  // tag + length
  grpc::ClientContext ceiling_context;
  absl::Time ceiling_start = absl::Now();
  auto messages = echo->Stream(&ceiling_context, ceiling);
  sunlight::bench::v1::EchoMessage message;
  uint64_t streamed = 0;
  while (messages->Read(&message)) ++streamed;
  grpc::Status finished = messages->Finish();
  double ceiling_seconds = absl::ToDoubleSeconds(absl::Now() - ceiling_start);
  if (!finished.ok() || streamed != ceiling.count()) {
    std::cerr << "ceiling: " << streamed << " of " << ceiling.count() << " messages, "
              << finished.error_message() << "\n";
    return 1;
  }
  double exchange_rate = static_cast<double>(received) / seconds;
  double ceiling_rate = static_cast<double>(streamed) / ceiling_seconds;
  std::cout << absl::StrFormat("BENCH grpc_stream_msgs_per_s %.1f msgs/s\n", ceiling_rate);
  std::cout << absl::StrFormat("BENCH exchange_vs_stream_ratio %.3f x\n",
                               exchange_rate / ceiling_rate);
  std::cerr << absl::StrFormat("ceiling: %d messages of %d bytes over mutual TLS in %.2f s\n",
                               streamed, mean, ceiling_seconds);
  if (config.Get("event_stream").empty()) return 0;

  // The service's event stream, as the gateway reads it (a principal signed per call).
  const sunlight::bench::Caller caller = sunlight::bench::CallerOrExit(config);
  auto events = sunlight::events::v1::EventStream::NewStub(caller.Channel(
      config.Get("event_stream"), sunlight::bench::PrincipalOf("service:gateway", "service"), -1,
      config.Get("stream_audience")));
  grpc::ClientContext info_context;
  sunlight::events::v1::StreamInfo info;
  grpc::Status got = events->GetStreamInfo(&info_context, {}, &info);
  if (!got.ok() || info.last_sequence() == 0) {
    std::cerr << "event stream: " << (got.ok() ? "empty" : got.error_message()) << "\n";
    return 1;
  }
  grpc::ClientContext stream_context;
  sunlight::events::v1::SubscribeRequest from_start;
  from_start.set_from_sequence(1);
  absl::Time stream_start = absl::Now();
  auto event_reader = events->Subscribe(&stream_context, from_start);
  sunlight::events::v1::CaseEvent event;
  uint64_t events_read = 0, event_bytes = 0;
  while (events_read < info.last_sequence() && event_reader->Read(&event)) {
    ++events_read;
    event_bytes += event.ByteSizeLong();
  }
  double stream_seconds = absl::ToDoubleSeconds(absl::Now() - stream_start);
  stream_context.TryCancel();
  (void)event_reader->Finish();
  if (events_read < info.last_sequence()) {
    std::cerr << "event stream ended after " << events_read << " of " << info.last_sequence()
              << " events\n";
    return 1;
  }
  double event_rate = static_cast<double>(events_read) / stream_seconds;
  std::cout << absl::StrFormat("BENCH event_stream_events_per_s %.1f events/s\n", event_rate);
  std::cout << absl::StrFormat("BENCH event_stream_vs_stream_ratio %.3f x\n",
                               event_rate / ceiling_rate);
  std::cerr << absl::StrFormat("event stream: %d events of %d bytes on average in %.2f s\n",
                               events_read, event_bytes / events_read, stream_seconds);
  return 0;
}
