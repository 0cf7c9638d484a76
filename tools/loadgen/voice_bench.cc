// The public's voice and the staff's presence through the real scoring binary and gateway:
// this tool serves a month of completed cases (scoring_history.h) as the three event streams,
// answers the gateway's case look-ups by case number as intake would, starts the scoring
// binary (its store synced, as in production) and the gateway in front of it, and measures
//   BENCH evaluations_per_s <n> ratings/s         POST /v1/device/evaluations, one case each,
//                                                 --threads rating devices at once
//   BENCH evaluations_grpc_per_s <n> ratings/s    RateCase straight to scoring (other cases)
//   BENCH evaluations_gateway_vs_grpc_ratio <x> x  what the gateway adds
//   BENCH attendance_events_per_s <n> punches/s   POST /v1/device/punches: a province's day,
//                                                 --staff people with 4 punches each, in
//                                                 batches of --batch from --threads devices
//   BENCH attendance_grpc_per_s <n> punches/s     the same day's punches of as many people
//                                                 again, UploadPunches straight to scoring
//   BENCH attendance_gateway_vs_grpc_ratio <x> x
//   BENCH attendance_retry_batch_ms <ms> ms       a batch uploaded again (all duplicates)
// The staff's posts are set before the binary is restarted with synced writes (setting
// 100,000 posts one synced write at a time would measure the disk, not the service).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "prepared_stream.h"
#include "scoring_history_events.h"
#include "sunlight/calendar/working_calendar.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/scoring/v1/scoring.grpc.pb.h"
#include "sunlight/server/config.h"
#include "sunlight/testing/http_client.h"
#include "sunlight/testing/test_support.h"

namespace sunlight {
namespace {

namespace sc1 = ::sunlight::scoring::v1;
namespace iv1 = ::sunlight::intake::v1;

// Intake as the gateway's case look-up sees it: the history's cases by number.
class HistoryIntake final : public iv1::Intake::Service {
 public:
  explicit HistoryIntake(const std::vector<bench::HistoryCase>* history) : history_(history) {}
  grpc::Status GetCase(grpc::ServerContext*, const iv1::GetCaseRequest* request,
                       iv1::GetCaseResponse* response) override {
    const std::string& number = request->case_number();
    int64_t i = 0;
    if (number.size() != 15 || !absl::SimpleAtoi(number.substr(9), &i) || i < 0 ||
        i >= static_cast<int64_t>(history_->size())) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such case");
    }
    const bench::HistoryCase& c = (*history_)[static_cast<size_t>(i)];
    response->mutable_case_()->set_case_id(c.case_id);
    response->mutable_case_()->set_case_number(number);
    response->mutable_case_()->set_department_id(c.department_id);
    return grpc::Status::OK;
  }

 private:
  const std::vector<bench::HistoryCase>* history_;
};

std::string TokenOf(const absl::StatusOr<testing::HttpReply>& login) {
  if (!login.ok() || login->status != 200) return "";
  size_t at = login->body.find("\"token\":\"");
  if (at == std::string::npos) return "";
  at += 9;
  return login->body.substr(at, login->body.find('"', at) - at);
}

// Runs `work(thread)` on `threads` threads; the seconds they took, or -1 when one failed.
double Timed(int threads, const std::function<bool(int)>& work) {
  std::atomic<bool> failed{false};
  absl::Time started = absl::Now();
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) {
    running.emplace_back([&, t] {
      if (!work(t)) failed = true;
    });
  }
  for (auto& t : running) t.join();
  return failed ? -1 : absl::ToDoubleSeconds(absl::Now() - started);
}

// The body of one batch: people [first, first + people) punch in and out twice on `day`.
std::string PunchBatch(int64_t first, int64_t people, uint64_t first_sequence, absl::CivilDay day,
                       absl::TimeZone zone, absl::Time device_time,
                       sc1::UploadPunchesRequest* grpc) {
  static constexpr int kMinutes[4] = {8 * 60 + 55, 12 * 60 + 2, 13 * 60 + 25, 17 * 60 + 35};
  std::string body =
      absl::StrCat(R"({"device_time":")", absl::FormatTime(absl::RFC3339_sec, device_time, zone),
                   R"(","punches":[)");
  uint64_t sequence = first_sequence;
  for (int64_t p = first; p < first + people; ++p) {
    for (int k = 0; k < 4; ++k) {
      absl::Time at = absl::FromCivil(day, zone) + absl::Minutes(kMinutes[k] + p % 7);
      if (grpc != nullptr) {
        auto* punch = grpc->add_punches();
        punch->set_device_sequence(sequence);
        punch->set_person_id(absl::StrCat("staff-", p));
        *punch->mutable_at() = ToProto(at);
      } else {
        absl::StrAppend(&body, sequence == first_sequence ? "" : ",", R"({"device_sequence":)",
                        sequence, R"(,"person_id":"staff-)", p, R"(","at":")",
                        absl::FormatTime(absl::RFC3339_sec, at, zone), "\"}");
      }
      ++sequence;
    }
  }
  return body + "]}";
}

int Run(int argc, char** argv) {
  auto config = server::ParseToolFlagsOrExit(
      argc, argv,
      {{"cases", "20000", "completed cases in the month (half rated through each leg)"},
       {"departments", "30", "departments"},
       {"staff", "100000", "people with a post (a province)"},
       {"batch", "1000", "punches per upload"},
       {"threads", "4", "devices uploading at once"},
       {"scoring", "build/services/scoring/scoring", "the scoring binary"},
       {"gateway", "build/services/gateway/gateway", "the gateway binary"},
       {"data_dir", "", "a scratch directory prefix (required, removed by the caller)"},
       {"calendar", "data/calendars/cn-mainland.json", "working calendar"}});
  const int64_t cases = server::IntOrExit(config, "cases");
  const int64_t departments = server::IntOrExit(config, "departments");
  const int64_t staff = server::IntOrExit(config, "staff");
  const int64_t batch = std::max<int64_t>(4, server::IntOrExit(config, "batch")) / 4 * 4;
  const int threads = static_cast<int>(server::IntOrExit(config, "threads"));
  auto calendar = calendar::WorkingCalendar::LoadFile(config.Get("calendar"));
  const std::string dir = config.Get("data_dir");
  if (!calendar.ok() || dir.empty()) {
    std::cerr << "voice_bench: --data_dir and a readable --calendar are required\n";
    return 2;
  }
  const absl::TimeZone zone = (*calendar)->time_zone();
  const auto history = bench::ScoringHistory(cases, departments, zone);
  const bench::HistoryStreams streams = bench::HistoryEvents(history, departments);

  bench::PreparedStream intake_stream(&streams.intake), workflow(&streams.workflow),
      supervision(&streams.supervision);
  HistoryIntake intake(&history);
  int ports[3] = {0, 0, 0};
  std::unique_ptr<grpc::Server> servers[3];
  for (int i = 0; i < 3; ++i) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &ports[i]);
    if (i == 0) builder.RegisterService(&intake);
    builder.RegisterService(i == 0   ? static_cast<grpc::Service*>(&intake_stream)
                            : i == 1 ? static_cast<grpc::Service*>(&workflow)
                                     : static_cast<grpc::Service*>(&supervision));
    servers[i] = builder.BuildAndStart();
  }
  auto start_scoring = [&](bool synced) {
    const std::string port_file = dir + "-scoring.port";
    unlink(port_file.c_str());
    auto child = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        config.Get("scoring"), "--listen=127.0.0.1:0", "--metrics_listen=",
        "--insecure_development=true", synced ? "--sync_writes=true" : "--sync_writes=false",
        "--calendar=" + config.Get("calendar"), "--data_dir=" + dir + "-scoring",
        "--port_file=" + port_file, absl::StrCat("--intake=127.0.0.1:", ports[0]),
        absl::StrCat("--workflow=127.0.0.1:", ports[1]),
        absl::StrCat("--supervision=127.0.0.1:", ports[2])});
    int port = child->WaitForPortFile(port_file);
    return std::pair{std::move(child), port};
  };
  auto fail = [&](const std::string& why) {
    std::cerr << "voice_bench: " << why << "\n";
    for (auto& s : servers) s->Shutdown(std::chrono::system_clock::now());
    return 1;
  };

  // 1. Posts for every person, unsynced; then the binary again, synced, caught up.
  auto [setup, setup_port] = start_scoring(false);
  if (setup_port == 0) return fail("the scoring binary wrote no port");
  {
    auto stub = sc1::Scoring::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", setup_port),
                                                          grpc::InsecureChannelCredentials()));
    double s = Timed(threads, [&](int t) {
      for (int64_t p = t; p < 2 * staff; p += threads) {
        sc1::SetStaffAssignmentRequest request;
        request.mutable_actor()->set_id("bench-admin");
        request.mutable_actor()->set_role("administrator");
        auto* a = request.mutable_assignment();
        a->set_person_id(absl::StrCat("staff-", p));
        a->set_department_id(absl::StrCat("dept-", p % departments));
        a->set_window_id(absl::StrCat("W", p % (2 * departments)));
        a->set_effective_from("2026-01-01");
        for (auto [from, to] : {std::pair{"09:00", "12:00"}, std::pair{"13:30", "17:30"}}) {
          auto* h = a->add_hours();
          h->set_start(from);
          h->set_end(to);
        }
        grpc::ClientContext context;
        sc1::StaffAssignment out;
        grpc::Status status = stub->SetStaffAssignment(&context, request, &out);
        if (!status.ok()) {
          std::cerr << "SetStaffAssignment: " << status.error_message() << "\n";
          return false;
        }
      }
      return true;
    });
    if (s < 0) return fail("the posts could not be set");
    std::cerr << "voice_bench: " << 2 * staff << " posts set in " << s << " s\n";
    // The history is of March 2026: its cases stay open to ratings for a year.
    sc1::SetRuleSetRequest rules;
    rules.mutable_actor()->set_id("bench-admin");
    rules.mutable_actor()->set_role("administrator");
    auto* r = rules.mutable_rule_set();
    r->set_jurisdiction("bench");
    r->set_version("bench");
    r->set_effective_from("2026-01");
    r->set_base_centipoints(10000);
    r->set_max_centipoints(12000);
    r->set_appeal_limit_working_days(5);
    r->set_evaluation_window_days(365);
    auto* bad = r->add_deductions();
    bad->set_clause("2.6 差评 bad evaluation");
    bad->set_event("bad_evaluation");
    bad->set_centipoints(200);
    grpc::ClientContext context;
    sc1::RuleSet out;
    grpc::Status set = stub->SetRuleSet(&context, rules, &out);
    if (!set.ok()) return fail("SetRuleSet: " + set.error_message());
  }
  setup->Kill(SIGTERM);
  setup.reset();
  auto [scoring, scoring_port] = start_scoring(true);
  if (scoring_port == 0) return fail("the scoring binary wrote no port");
  auto stub = sc1::Scoring::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", scoring_port),
                                                        grpc::InsecureChannelCredentials()));
  {
    sc1::StatisticsRequest progress;
    progress.set_dimension(sc1::DIMENSION_CENTER);
    progress.set_period(sc1::PERIOD_YEAR);
    progress.set_from_day("2026-01-01");
    progress.set_to_day("2026-12-31");
    bool caught_up = false;
    for (absl::Time t = absl::Now(); !caught_up && absl::Now() - t < absl::Minutes(10);) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      grpc::ClientContext context;
      sc1::StatisticsResponse response;
      if (!stub->GetStatistics(&context, progress, &response).ok()) continue;
      for (const auto& row : response.rows()) {
        caught_up = row.measures().completed() == static_cast<uint64_t>(cases);
      }
    }
    if (!caught_up) return fail("the binary did not catch up with the history");
  }

  // 2. The gateway, with a rating device and the attendance devices.
  const std::string users = dir + "-gateway.users";
  {
    FILE* f = fopen(users.c_str(), "w");
    if (f == nullptr) return fail("cannot write the users file");
    fputs(
        R"({"user":{"user_id":"bench-rater","role":"rating_device"},"password":"patient-bench-pass"})"
        "\n",
        f);
    for (int t = 0; t < threads; ++t) {
      fprintf(
          f,
          R"({"user":{"user_id":"bench-clock-%d","role":"attendance_device"},"password":"patient-bench-pass"})"
          "\n",
          t);
    }
    fclose(f);
  }
  const std::string http_port_file = dir + "-gateway.http-port";
  unlink(http_port_file.c_str());
  testing::ChildProcess gateway({config.Get("gateway"), "--listen=127.0.0.1:0",
                                 "--metrics_listen=", "--insecure_development=true",
                                 "--http_listen=127.0.0.1:0", "--http_port_file=" + http_port_file,
                                 "--port_file=" + dir + "-gateway.port",
                                 "--data_dir=" + dir + "-gateway", "--users_file=" + users,
                                 "--console_dir=", absl::StrCat("--intake=127.0.0.1:", ports[0]),
                                 absl::StrCat("--scoring=127.0.0.1:", scoring_port),
                                 "--public_rate=100000", "--public_burst=100000"});
  const int http_port = gateway.WaitForPortFile(http_port_file);
  if (http_port == 0) return fail("the gateway did not start");
  auto login = [&](const std::string& user) {
    testing::HttpClient client(http_port);
    return TokenOf(client.Send(
        "POST", "/v1/login",
        absl::StrCat(R"({"user_id":")", user, R"(","password":"patient-bench-pass"})")));
  };

  // 3. Ratings: the first half of the cases through the gateway, the second straight to
  // scoring, the same thread count.
  const std::string rater = login("bench-rater");
  if (rater.empty()) return fail("the rating device could not log in");
  const int64_t half = cases / 2;
  double rest_s = Timed(threads, [&](int t) {
    testing::HttpClient client(http_port);
    for (int64_t i = t; i < half; i += threads) {
      auto reply = client.Send(
          "POST", "/v1/device/evaluations",
          absl::StrCat(R"({"case_number":")", bench::HistoryCaseNumber(i), R"(","level":")",
                       i % 9 == 0 ? "DISSATISFIED" : "VERY_SATISFIED", R"(","real_name":true})"),
          rater);
      if (!reply.ok() || reply->status != 201) {
        std::cerr << "POST /v1/device/evaluations: "
                  << (reply.ok() ? reply->body : reply.status().ToString()) << "\n";
        return false;
      }
    }
    return true;
  });
  if (rest_s < 0) return fail("ratings through the gateway failed");
  double grpc_s = Timed(threads, [&](int t) {
    for (int64_t i = half + t; i < cases; i += threads) {
      sc1::RateCaseRequest request;
      request.mutable_actor()->set_id("bench-rater");
      request.mutable_actor()->set_role("rating_device");
      request.set_case_id(history[static_cast<size_t>(i)].case_id);
      request.set_level(i % 9 == 0 ? sc1::DISSATISFIED : sc1::VERY_SATISFIED);
      request.set_real_name(true);
      request.set_channel(sc1::EVALUATION_CHANNEL_DEVICE);
      grpc::ClientContext context;
      sc1::Evaluation out;
      if (!stub->RateCase(&context, request, &out).ok()) return false;
    }
    return true;
  });
  if (grpc_s < 0) return fail("ratings over gRPC failed");
  const double rest_rate = half / rest_s, grpc_rate = (cases - half) / grpc_s;
  std::cout << absl::StrFormat("BENCH evaluations_per_s %.1f ratings/s\n", rest_rate);
  std::cout << absl::StrFormat("BENCH evaluations_grpc_per_s %.1f ratings/s\n", grpc_rate);
  std::cout << absl::StrFormat("BENCH evaluations_gateway_vs_grpc_ratio %.3f x\n",
                               rest_rate / grpc_rate);

  // 4. Punches of the last working day before today: people [0, staff) through the gateway,
  // [staff, 2 staff) straight to scoring.
  absl::CivilDay day = absl::ToCivilDay(absl::Now(), zone) - 1;
  for (int back = 0; back < 14; ++back, --day) {
    auto kind = (*calendar)->Classify(day);
    if (kind.ok() && (*kind == calendar::DayKind::kWorkingDay ||
                      *kind == calendar::DayKind::kMakeUpWorkingDay)) {
      break;
    }
  }
  const int64_t people_per_batch = batch / 4;
  std::vector<std::string> tokens;
  for (int t = 0; t < threads; ++t) tokens.push_back(login(absl::StrCat("bench-clock-", t)));
  for (const auto& token : tokens) {
    if (token.empty()) return fail("an attendance device could not log in");
  }
  std::string first_batch;
  double punch_s = Timed(threads, [&](int t) {
    testing::HttpClient client(http_port);
    for (int64_t first = t * people_per_batch; first < staff; first += threads * people_per_batch) {
      int64_t people = std::min(people_per_batch, staff - first);
      std::string body = PunchBatch(first, people, static_cast<uint64_t>(first) * 4 + 1, day, zone,
                                    absl::Now(), nullptr);
      if (first == 0) first_batch = body;
      auto reply = client.Send("POST", "/v1/device/punches", body, tokens[t]);
      if (!reply.ok() || reply->status != 200) {
        std::cerr << "POST /v1/device/punches: "
                  << (reply.ok() ? reply->body : reply.status().ToString()) << "\n";
        return false;
      }
    }
    return true;
  });
  if (punch_s < 0) return fail("punches through the gateway failed");
  double punch_grpc_s = Timed(threads, [&](int t) {
    for (int64_t first = staff + t * people_per_batch; first < 2 * staff;
         first += threads * people_per_batch) {
      sc1::UploadPunchesRequest request;
      request.mutable_actor()->set_id(absl::StrCat("bench-clock-", t));
      request.mutable_actor()->set_role("attendance_device");
      *request.mutable_device_time() = ToProto(absl::Now());
      PunchBatch(first, std::min(people_per_batch, 2 * staff - first),
                 static_cast<uint64_t>(first) * 4 + 1, day, zone, absl::Now(), &request);
      grpc::ClientContext context;
      sc1::UploadPunchesResponse out;
      grpc::Status status = stub->UploadPunches(&context, request, &out);
      if (!status.ok()) {
        std::cerr << "UploadPunches: " << status.error_message() << "\n";
        return false;
      }
    }
    return true;
  });
  if (punch_grpc_s < 0) return fail("punches over gRPC failed");
  const double punch_rate = 4.0 * staff / punch_s, punch_grpc_rate = 4.0 * staff / punch_grpc_s;
  std::cout << absl::StrFormat("BENCH attendance_events_per_s %.1f punches/s\n", punch_rate);
  std::cout << absl::StrFormat("BENCH attendance_grpc_per_s %.1f punches/s\n", punch_grpc_rate);
  std::cout << absl::StrFormat("BENCH attendance_gateway_vs_grpc_ratio %.3f x\n",
                               punch_rate / punch_grpc_rate);
  {
    testing::HttpClient client(http_port);
    absl::Time t = absl::Now();
    auto reply = client.Send("POST", "/v1/device/punches", first_batch, tokens[0]);
    if (!reply.ok() || reply->status != 200 ||
        reply->body.find(absl::StrCat("\"duplicates\":", batch)) == std::string::npos) {
      return fail("a retried batch was not all duplicates: " +
                  (reply.ok() ? reply->body : reply.status().ToString()));
    }
    std::cout << absl::StrFormat("BENCH attendance_retry_batch_ms %.3f ms\n",
                                 absl::ToDoubleMilliseconds(absl::Now() - t));
  }
  gateway.Kill(SIGTERM);
  scoring->Kill(SIGTERM);
  for (auto& s : servers) s->Shutdown(std::chrono::system_clock::now());
  return 0;
}

}  // namespace
}  // namespace sunlight

int main(int argc, char** argv) { return sunlight::Run(argc, argv); }
