// Notifications through the real notify binary and a real Kannel (bearerbox, smsbox and
// fakesmsc from the Kannel harness of tests/support): this tool serves a supervision stream
// of red lights, starts the notify binary following it (its store synced on every write, as
// in production) with one contact, and measures
//   BENCH kannel_direct_per_s <n> messages/s       the peer: --messages text messages sent
//                                                  straight to smsbox's sendsms with one
//                                                  KannelSmsChannel in a loop (no delivery
//                                                  reports asked for), until fakesmsc has
//                                                  them all
//   BENCH notifications_per_s <n> messages/s       --messages red lights appended at once →
//                                                  as many text messages, from the first
//                                                  append until the backlog is 0 (every one
//                                                  DELIVERED by its report) and fakesmsc has
//                                                  them all
//   BENCH notify_vs_kannel_direct_ratio <x> x      what the outbox's durability (and the
//                                                  stream, templates and reports) costs
//   BENCH notification_backlog_drain_s <s> s       Kannel killed, --backlog lights queue (every
//                                                  one tried and RETRYING), Kannel restarted
//                                                  on its ports: from Kannel ready again until
//                                                  the backlog is 0 and fakesmsc has them all
// The notify binary runs with --first_backoff=1s --max_backoff=2s, so that a retry is never
// more than 2.4 s away when Kannel comes back, and --deliver_every (default 20ms).
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/events/v1/events.grpc.pb.h"
#include "sunlight/notify/kannel_channel.h"
#include "sunlight/notify/v1/notify.grpc.pb.h"
#include "sunlight/server/config.h"
#include "sunlight/supervision/v1/supervision.pb.h"
#include "sunlight/testing/kannel_harness.h"
#include "sunlight/testing/live_stream.h"
#include "sunlight/testing/loopback_port.h"
#include "sunlight/testing/test_support.h"

namespace sunlight {
namespace {

namespace nv1 = ::sunlight::notify::v1;
namespace sv1 = ::sunlight::supervision::v1;

// A delivery-report receiver for the direct peer: answers 200 to every request and counts
// the "delivered" ones (status=1), as notify's receiver would record them.
class ReportCounter {
 public:
  ReportCounter() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, nullptr, nullptr,
                               &ReportCounter::Answer, this, MHD_OPTION_SOCK_ADDR,
                               reinterpret_cast<sockaddr*>(&address), MHD_OPTION_END);
    if (daemon_ != nullptr) port_ = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
  }
  ~ReportCounter() {
    if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
  }
  bool ok() const { return daemon_ != nullptr; }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/dlr"); }
  uint64_t delivered() const { return delivered_.load(); }

 private:
  static MHD_Result Answer(void* self, MHD_Connection* connection, const char*, const char*,
                           const char*, const char*, size_t*, void**) {
    const char* status = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "status");
    if (status != nullptr && std::string_view(status) == "1") {
      static_cast<ReportCounter*>(self)->delivered_++;
    }
    static char ok[] = "ok\n";
    MHD_Response* response =
        MHD_create_response_from_buffer(sizeof(ok) - 1, ok, MHD_RESPMEM_PERSISTENT);
    MHD_Result queued = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return queued;
  }

  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  std::atomic<uint64_t> delivered_{0};
};

// Case `index` turns red; its responsible person is "wang".
events::v1::CaseEvent RedLight(int64_t index) {
  sv1::LightChanged changed;
  auto* clock = changed.mutable_clock();
  clock->set_clock_id(absl::StrCat("step/c-", index, "/1"));
  clock->set_kind(sv1::CLOCK_KIND_STEP);
  clock->set_case_id(absl::StrCat("c-", index));
  clock->set_case_number(absl::StrFormat("20261201-%06d", index));
  clock->set_department_id("market");
  clock->set_responsible_person("wang");
  *clock->mutable_due() = ToProto(absl::Now() + absl::Hours(24));
  changed.set_from(sv1::LIGHT_YELLOW);
  changed.set_to(sv1::LIGHT_RED);
  events::v1::CaseEvent e;
  e.set_case_id(clock->case_id());
  e.set_type("supervision.light.changed");
  *e.mutable_occurred_at() = ToProto(absl::Now());
  e.mutable_payload()->PackFrom(changed);
  return e;
}

// Polls `probe` every 20 ms until it holds or `within` passes.
template <typename Probe>
bool Eventually(Probe probe, absl::Duration within) {
  for (absl::Time end = absl::Now() + within; absl::Now() < end;) {
    if (probe()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return probe();
}

// Not yet delivered nor dead, or -1 when notify does not answer.
int64_t Backlog(nv1::Notify::Stub& stub) {
  grpc::ClientContext context;
  nv1::ListNotificationsRequest request;
  request.set_limit(1);
  nv1::ListNotificationsResponse response;
  if (!stub.ListNotifications(&context, request, &response).ok()) return -1;
  return static_cast<int64_t>(response.backlog());
}

// How many notifications are in `state` (paging through them all), or -1.
int64_t CountIn(nv1::Notify::Stub& stub, nv1::State state) {
  int64_t count = 0;
  std::string after;
  for (;;) {
    grpc::ClientContext context;
    nv1::ListNotificationsRequest request;
    request.set_state(state);
    request.set_after(after);
    request.set_limit(500);
    nv1::ListNotificationsResponse response;
    if (!stub.ListNotifications(&context, request, &response).ok()) return -1;
    count += response.notifications_size();
    if (response.notifications_size() < 500) return count;
    after = response.notifications(response.notifications_size() - 1).key();
  }
}

int Run(int argc, char** argv) {
  auto config = server::ParseToolFlagsOrExit(
      argc, argv,
      {{"messages", "5000", "red lights (text messages) of the throughput figure and its peer"},
       {"backlog", "10000", "lights queued while Kannel is down"},
       {"notify", "build/services/notify/notify", "the notify binary"},
       {"templates", "data/notify/templates.json", "the template set"},
       {"deliver_every", "20ms", "notify's --deliver_every"},
       {"sync_writes", "true", "notify's --sync_writes"},
       {"data_dir", "", "a scratch directory prefix (required, removed by the caller)"}});
  const int64_t messages = server::IntOrExit(config, "messages");
  const int64_t backlog = server::IntOrExit(config, "backlog");
  const std::string dir = config.Get("data_dir");
  if (dir.empty() || messages <= 0 || backlog <= 0) {
    std::cerr << "notify_bench: --data_dir is required, --messages and --backlog positive\n";
    return 2;
  }
  auto say = [](const std::string& what) { std::cerr << "notify_bench: " << what << "\n"; };

  testing::KannelHarness kannel;
  if (absl::Status started = kannel.Start(); !started.ok()) {
    say(started.ToString());
    return 1;
  }
  // 1. The peers: straight to sendsms, one client in a loop; first asking for delivery
  // reports as notify does (to a receiver that only counts them), then without.
  ReportCounter reports;
  if (!reports.ok()) {
    say("cannot start the report receiver");
    return 1;
  }
  // How many messages fakesmsc must have in all (its log keeps every phase's).
  size_t expected = 0;
  auto direct = [&](bool with_reports, int64_t first) -> double {
    notify::KannelSmsChannel sms({.sendsms_url = kannel.sendsms_url(),
                                  .username = kannel.username(),
                                  .password = kannel.password(),
                                  .dlr_url = with_reports ? reports.url() : ""});
    const uint64_t delivered_before = reports.delivered();
    absl::Time began = absl::Now();
    for (int64_t i = first; i < first + messages; ++i) {
      // A red light's text as the template renders it (UCS-2, one part), of another day's
      // case numbers than the lights below.
      notify::SendResult r =
          sms.Send({.idempotency_key = absl::StrCat("direct-", i),
                    .to = "13812345678",
                    .body = absl::StrFormat("王芳：您负责的环节20261130-%06d已于2026-12-03 "
                                            "17:00超过时限，已亮红灯，请立即办理并说明原因。",
                                            i)});
      if (r.outcome != notify::SendOutcome::kAccepted) {
        say("sendsms did not accept a message: " + r.detail);
        return -1;
      }
    }
    expected += static_cast<size_t>(messages);
    if (!Eventually(
            [&] {
              return kannel.Received().size() >= expected &&
                     (!with_reports ||
                      reports.delivered() - delivered_before >= static_cast<uint64_t>(messages));
            },
            absl::Minutes(20))) {
      say(absl::StrCat("the direct messages did not all arrive: fakesmsc ",
                       kannel.Received().size(), " of ", expected, ", reports ",
                       reports.delivered() - delivered_before, "; ", kannel.LogFiles()));
      return -1;
    }
    return messages / absl::ToDoubleSeconds(absl::Now() - began);
  };
  const double direct_rate = direct(true, 0);
  if (direct_rate < 0) return 1;
  std::cout << absl::StrFormat("BENCH kannel_direct_per_s %.1f messages/s\n", direct_rate);
  const double bare_rate = direct(false, messages);
  if (bare_rate < 0) return 1;
  std::cout << absl::StrFormat("BENCH kannel_direct_no_reports_per_s %.1f messages/s\n", bare_rate);

  // 2. The notify binary following the served stream, synced.
  testing::LiveStream supervision;
  int stream_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &stream_port);
  builder.RegisterService(&supervision);
  auto server = builder.BuildAndStart();
  const std::string password_file = dir + "-kannel.password";
  {
    std::ofstream f(password_file);
    f << kannel.password();
  }
  chmod(password_file.c_str(), 0600);
  const std::string port_file = dir + "-notify.port";
  unlink(port_file.c_str());
  testing::ChildProcess process(
      {config.Get("notify"), "--listen=127.0.0.1:0",
       "--metrics_listen=", "--insecure_development=true",
       "--sync_writes=" + config.Get("sync_writes"), "--data_dir=" + dir + "-notify",
       "--port_file=" + port_file, absl::StrCat("--supervision=127.0.0.1:", stream_port),
       "--templates=" + config.Get("templates"), "--kannel_sendsms_url=" + kannel.sendsms_url(),
       "--kannel_username=" + kannel.username(), "--kannel_password_file=" + password_file,
       // Its own port across Kannel's restart: each report URL names it.
       absl::StrCat("--dlr_listen=127.0.0.1:", testing::UnusedLoopbackPort()),
       "--deliver_every=" + config.Get("deliver_every"), "--report_wait=10m", "--first_backoff=1s",
       "--max_backoff=2s", "--max_attempts=1000"});
  const int port = process.WaitForPortFile(port_file);
  auto fail = [&](const std::string& why) {
    say(why);
    server->Shutdown(std::chrono::system_clock::now());
    return 1;
  };
  if (port == 0) return fail("the notify binary wrote no port");
  auto stub = nv1::Notify::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext context;
    nv1::SetContactRequest request;
    auto* c = request.mutable_contact();
    c->set_person_id("wang");
    c->set_name("王芳");
    c->set_department_id("market");
    c->set_phone("13812345678");
    nv1::Contact out;
    grpc::Status set = stub->SetContact(&context, request, &out);
    if (!set.ok()) return fail("SetContact: " + set.error_message());
  }

  double notify_rate = 0;
  {
    absl::Time began = absl::Now();
    for (int64_t i = 1; i <= messages; ++i) supervision.Append(RedLight(i));
    expected += static_cast<size_t>(messages);
    if (!Eventually([&] { return Backlog(*stub) == 0 && kannel.Received().size() >= expected; },
                    absl::Minutes(20))) {
      return fail(absl::StrCat("not delivered in time: backlog ", Backlog(*stub), ", fakesmsc ",
                               kannel.Received().size(), " of ", expected));
    }
    notify_rate = messages / absl::ToDoubleSeconds(absl::Now() - began);
  }
  std::cout << absl::StrFormat("BENCH notifications_per_s %.1f messages/s\n", notify_rate);
  std::cout << absl::StrFormat("BENCH notify_vs_kannel_direct_ratio %.3f x\n",
                               notify_rate / direct_rate);

  // 3. Kannel down: the backlog queues, every one tried and RETRYING.
  kannel.Kill();
  for (int64_t i = messages + 1; i <= messages + backlog; ++i) supervision.Append(RedLight(i));
  expected += static_cast<size_t>(backlog);
  absl::Time queued_from = absl::Now();
  if (!Eventually([&] { return Backlog(*stub) == backlog; }, absl::Minutes(10))) {
    return fail(absl::StrCat("the backlog did not reach ", backlog, ": ", Backlog(*stub)));
  }
  if (!Eventually([&] { return CountIn(*stub, nv1::STATE_QUEUED) == 0; }, absl::Minutes(10))) {
    return fail("some of the backlog was never tried");
  }
  say(absl::StrFormat("%d lights queued and each tried once in %.1f s; %d RETRYING", backlog,
                      absl::ToDoubleSeconds(absl::Now() - queued_from),
                      CountIn(*stub, nv1::STATE_RETRYING)));
  absl::Time restart_began = absl::Now();
  if (absl::Status restarted = kannel.Restart(); !restarted.ok()) {
    return fail(restarted.ToString());
  }
  absl::Time kannel_up = absl::Now();
  say(absl::StrFormat("Kannel up again in %.2f s",
                      absl::ToDoubleSeconds(kannel_up - restart_began)));
  if (!Eventually([&] { return Backlog(*stub) == 0 && kannel.Received().size() >= expected; },
                  absl::Minutes(20))) {
    return fail(absl::StrCat("the backlog did not drain: ", Backlog(*stub), ", fakesmsc ",
                             kannel.Received().size(), " of ", expected));
  }
  std::cout << absl::StrFormat("BENCH notification_backlog_drain_s %.3f s\n",
                               absl::ToDoubleSeconds(absl::Now() - kannel_up));

  // Exactly once: each case's text message arrived one time.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::map<std::string, int> by_number;
  for (const auto& m : kannel.Received()) {
    size_t at = m.text.find("20261201-");
    if (at != std::string::npos) ++by_number[m.text.substr(at, 15)];
  }
  int64_t twice = 0;
  for (const auto& [number, count] : by_number) twice += count > 1 ? count - 1 : 0;
  say(absl::StrFormat("fakesmsc received %d messages (%d expected): %d cases of %d, %d twice",
                      kannel.Received().size(), expected, by_number.size(), messages + backlog,
                      twice));
  process.Kill(SIGTERM);
  server->Shutdown(std::chrono::system_clock::now());
  return 0;
}

}  // namespace
}  // namespace sunlight

int main(int argc, char** argv) { return sunlight::Run(argc, argv); }
