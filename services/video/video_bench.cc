// The video service's figures on this machine, each beside its anchor in the same run:
//  - N simultaneous RTSP streams of a 1080p H.264 movie (GStreamer's RTSP server, one session
//    per camera) recorded by the service in process, its CPU per stream; then the same N
//    streams recorded by `ffmpeg -rtsp_transport tcp -i … -c copy -f segment`, one process
//    each, their CPU per stream; the ratio of the two;
//  - the time from a camera coming back to its recording again (default backoff);
//  - 3-minute clips of 1080p recordings through the Video gRPC service (2 MiB chunks), p95.
//
//   video_bench --movie=m.mp4 --work=DIR [--streams=64] [--seconds=20] [--clips=20]
//
// Prints "BENCH <name> <value> <unit>" lines.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sunlight/base/clock.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/testing/rtsp_test_server.h"
#include "sunlight/testing/test_support.h"
#include "sunlight/video/segment_writer.h"
#include "sunlight/video/video.h"
#include "sunlight/video/video_grpc_service.h"

extern "C" {
#include <libavformat/avformat.h>
}

namespace {

using namespace sunlight::video;
namespace st = ::sunlight::testing;

absl::Duration OwnCpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
}

// utime + stime of a child from /proc/<pid>/stat.
absl::Duration ProcessCpu(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  size_t close = line.rfind(')');
  if (close == std::string::npos) return absl::ZeroDuration();
  std::vector<std::string> fields = absl::StrSplit(line.substr(close + 2), ' ');
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::ZeroDuration();
  }
  return absl::Seconds(static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK));
}

struct Bench {
  std::string movie, work;
  int streams = 64;
  absl::Duration window = absl::Seconds(20);
  int clips = 20;
};

std::unique_ptr<sunlight::storage::Store> OpenStore(const std::string& path) {
  std::vector<std::string> families = VideoColumnFamilies();
  for (auto& f : sunlight::eventlog::ColumnFamilies()) families.push_back(f);
  auto store = sunlight::storage::Store::Open({.path = path, .column_families = families});
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(store);
}

std::unique_ptr<Video> OpenVideo(sunlight::storage::Store* store, const sunlight::Clock* clock,
                                 const std::string& recordings, bool record) {
  VideoOptions options;
  options.recordings_dir = recordings;
  options.record = record;
  options.segment_duration = absl::Seconds(10);
  auto video = Video::Open(store, nullptr, clock, nullptr, options);
  if (!video.ok()) {
    std::fprintf(stderr, "%s\n", video.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(video);
}

void AddCamera(Video& video, const std::string& id, const std::string& url) {
  v1::UpsertCameraRequest request;
  request.mutable_actor()->set_id("bench");
  request.mutable_camera()->set_camera_id(id);
  request.mutable_camera()->set_name(id);
  request.mutable_camera()->set_rtsp_url(url);
  request.mutable_camera()->set_enabled(true);
  if (auto added = video.UpsertCamera(request); !added.ok()) {
    std::fprintf(stderr, "%s\n", added.status().ToString().c_str());
    std::exit(1);
  }
}

int Recording(Video& video) {
  int n = 0;
  absl::StatusOr<v1::ListCamerasResponse> cameras = video.ListCameras({});
  if (!cameras.ok()) return 0;
  for (const v1::Camera& camera : cameras->cameras()) {
    n += camera.status().state() == v1::CAMERA_STATE_RECORDING ? 1 : 0;
  }
  return n;
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  for (absl::Time until = absl::Now() + timeout; absl::Now() < until;) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return done();
}

// Ours: the service records every stream; CPU of this process over the window.
double OursPerStreamPct(const Bench& b, const std::string& url, int* recorded) {
  sunlight::SystemClock clock;
  auto store = OpenStore(b.work + "/ours-store");
  auto video = OpenVideo(store.get(), &clock, b.work + "/ours", true);
  (void)video->Start();
  for (int i = 0; i < b.streams; ++i) AddCamera(*video, absl::StrCat("cam-", i), url);
  WaitFor([&] { return Recording(*video) == b.streams; }, absl::Seconds(60));
  const absl::Duration before = OwnCpu();
  absl::SleepFor(b.window);
  const absl::Duration used = OwnCpu() - before;
  *recorded = Recording(*video);
  video->Stop();
  return 100 * absl::FDivDuration(used, b.window) / b.streams;
}

// The anchor: one ffmpeg per stream, stream copy into segments.
double FfmpegPerStreamPct(const Bench& b, const std::string& url) {
  std::vector<std::unique_ptr<st::ChildProcess>> ffmpegs;
  for (int i = 0; i < b.streams; ++i) {
    const std::string dir = absl::StrCat(b.work, "/ffmpeg-", i);
    std::filesystem::create_directories(dir);
    ffmpegs.push_back(std::make_unique<st::ChildProcess>(std::vector<std::string>{
        "/usr/bin/ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-c",
        "copy", "-f", "segment", "-segment_time", "10", "-reset_timestamps", "1", "-segment_format",
        "mp4", dir + "/%05d.mp4"}));
  }
  absl::SleepFor(absl::Seconds(5));  // connected and past their start-up
  std::vector<absl::Duration> before;
  for (auto& f : ffmpegs) before.push_back(ProcessCpu(f->pid()));
  absl::SleepFor(b.window);
  absl::Duration used;
  for (size_t i = 0; i < ffmpegs.size(); ++i) used += ProcessCpu(ffmpegs[i]->pid()) - before[i];
  for (auto& f : ffmpegs) f->Kill(SIGTERM);
  return 100 * absl::FDivDuration(used, b.window) / b.streams;
}

double ReconnectSeconds(const Bench& b, st::RtspTestServer& server) {
  sunlight::SystemClock clock;
  auto store = OpenStore(b.work + "/reconnect-store");
  auto video = OpenVideo(store.get(), &clock, b.work + "/reconnect", true);
  (void)video->Start();
  AddCamera(*video, "cam-r", server.url());
  WaitFor([&] { return Recording(*video) == 1; }, absl::Seconds(30));
  server.Kill();
  WaitFor([&] { return Recording(*video) == 0; }, absl::Seconds(15));
  absl::SleepFor(absl::Seconds(3));
  if (!server.Start().ok()) return -1;
  const absl::Time back = absl::Now();
  if (!WaitFor([&] { return Recording(*video) == 1; }, absl::Seconds(60))) return -1;
  const double seconds = absl::ToDoubleSeconds(absl::Now() - back);
  video->Stop();
  return seconds;
}

// The movie replayed `loops` times as camera `camera_id` from `start` (a fake clock in step).
void RecordLoops(const std::string& movie, const std::string& directory, absl::Time start,
                 int loops) {
  sunlight::FakeClock clock(start);
  SegmentWriter writer({.camera_id = "cam-clip", .directory = directory}, clock,
                       [](const SegmentInfo&) {});
  for (int loop = 0; loop < loops; ++loop) {
    AVFormatContext* input = nullptr;
    if (avformat_open_input(&input, movie.c_str(), nullptr, nullptr) != 0 ||
        avformat_find_stream_info(input, nullptr) < 0) {
      std::fprintf(stderr, "cannot read %s\n", movie.c_str());
      std::exit(1);
    }
    AVStream* stream = input->streams[0];
    (void)writer.Begin(*stream->codecpar, stream->time_base);
    AVPacket* packet = av_packet_alloc();
    const double frame =
        stream->avg_frame_rate.num > 0 ? av_q2d(av_inv_q(stream->avg_frame_rate)) : 0.04;
    while (av_read_frame(input, packet) >= 0) {
      (void)writer.Write(*packet);
      clock.Advance(absl::Seconds(frame));
      av_packet_unref(packet);
    }
    av_packet_free(&packet);
    avformat_close_input(&input);
  }
  (void)writer.Close();
}

double ClipP95Ms(const Bench& b, int64_t* clip_bytes) {
  const absl::Time start = absl::FromUnixSeconds(1764727200);  // 2025-12-03 02:00 UTC
  const std::string recordings = b.work + "/clips";
  sunlight::SystemClock clock;
  {
    auto store = OpenStore(b.work + "/clips-store");
    auto video = OpenVideo(store.get(), &clock, recordings, false);
    AddCamera(*video, "cam-clip", "rtsp://127.0.0.1:1/none");
  }
  RecordLoops(b.movie, recordings + "/cam-clip", start, 3);  // >= 3 min + the offsets
  auto store = OpenStore(b.work + "/clips-store");
  auto video = OpenVideo(store.get(), &clock, recordings, false);  // indexes the files
  VideoGrpcService service(video.get());
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.SetMaxSendMessageSize(8 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(8 << 20);
  auto stub = v1::Video::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(), args));
  std::vector<double> ms;
  for (int i = 0; i < b.clips; ++i) {
    // A new range each time: every clip is assembled, none comes from the cache.
    v1::GetClipRequest request;
    request.set_camera_id("cam-clip");
    *request.mutable_from() = sunlight::ToProto(start + absl::Seconds(i));
    *request.mutable_to() = sunlight::ToProto(start + absl::Seconds(i) + absl::Minutes(3));
    const absl::Time began = absl::Now();
    int64_t received = 0;
    for (int64_t total = 1; received < total;) {
      request.set_offset(received);
      grpc::ClientContext context;
      v1::ClipChunk chunk;
      grpc::Status status = stub->GetClip(&context, request, &chunk);
      if (!status.ok()) {
        std::fprintf(stderr, "GetClip: %s\n", status.error_message().c_str());
        std::exit(1);
      }
      received += static_cast<int64_t>(chunk.data().size());
      total = chunk.total_bytes();
    }
    *clip_bytes = received;
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - began));
  }
  server->Shutdown();
  std::sort(ms.begin(), ms.end());
  return ms[std::min(ms.size() - 1, static_cast<size_t>(0.95 * ms.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  Bench b;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    int64_t n = 0;
    if (absl::ConsumePrefix(&arg, "--movie=")) {
      b.movie = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--work=")) {
      b.work = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--streams=") && absl::SimpleAtoi(arg, &n) && n > 0) {
      b.streams = static_cast<int>(n);
    } else if (absl::ConsumePrefix(&arg, "--seconds=") && absl::SimpleAtoi(arg, &n) && n > 0) {
      b.window = absl::Seconds(n);
    } else if (absl::ConsumePrefix(&arg, "--clips=") && absl::SimpleAtoi(arg, &n) && n > 0) {
      b.clips = static_cast<int>(n);
    } else {
      std::fprintf(stderr,
                   "usage: video_bench --movie=FILE --work=DIR [--streams=64] [--seconds=20] "
                   "[--clips=20]\n");
      return 2;
    }
  }
  if (b.movie.empty() || b.work.empty()) return 2;
  st::RtspTestServer server({.source = b.movie});
  if (absl::Status started = server.Start(); !started.ok()) {
    std::fprintf(stderr, "%s\n", started.ToString().c_str());
    return 1;
  }
  int recorded = 0;
  const double ours = OursPerStreamPct(b, server.url(), &recorded);
  std::printf("BENCH video_streams_recorded %d of_%d\n", recorded, b.streams);
  std::printf("BENCH video_cpu_per_stream_pct %.3f %%\n", ours);
  std::fflush(stdout);
  const double ffmpeg = FfmpegPerStreamPct(b, server.url());
  std::printf("BENCH video_ffmpeg_cpu_per_stream_pct %.3f %%\n", ffmpeg);
  std::printf("BENCH video_cpu_vs_ffmpeg_ratio %.3f x\n", ffmpeg > 0 ? ours / ffmpeg : 0);
  std::fflush(stdout);
  std::printf("BENCH video_reconnect_s %.2f s\n", ReconnectSeconds(b, server));
  std::fflush(stdout);
  int64_t clip_bytes = 0;
  const double p95 = ClipP95Ms(b, &clip_bytes);
  std::printf("BENCH video_clip_p95_ms %.0f ms\n", p95);
  std::printf("BENCH video_clip_bytes %lld bytes\n", static_cast<long long>(clip_bytes));
  return 0;
}
