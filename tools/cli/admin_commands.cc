#include "admin_commands.h"
#include "cli_output.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/admin/v1/admin.grpc.pb.h"
#include "sunlight/auth/signing_channel.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/server/grpc_status.h"
#include "sunlight/server/restore_fence.h"
#include "sunlight/storage/backup.h"

namespace sunlight::cli {
namespace {

namespace av1 = admin::v1;

}  // namespace

const char kAdminUsage[] =
    R"(operations (each service serves Admin; --<service>=host:port, env SUNLIGHT_<SERVICE>,
default 127.0.0.1:7000 gateway, 7001 intake ... 7006 video; --target=host:port for one service;
calls are for --role=administrator unless another role is given):
  backup SERVICE --backup_dir=D [--keep_last=N]       online backup into D, on the service's machine
  backup SERVICE... --backup_root=R [--keep_last=N]   several into R/<service>, consistent: every
                                                      service's following paused meanwhile, the
                                                      gateway first
  backups SERVICE --backup_dir=D                      its backups, with what each holds
  verify-backup SERVICE --backup_dir=D [--backup_id=N]   re-read every file, check checksums
  restore --backup_dir=D --data_dir=X [--backup_id=N] [--service=S] [--admit=READER,...]
                                                      offline, the service stopped, into an empty X
  restores SERVICE                                    the restores its store went through
  admit-reader SERVICE --reader=R                     let R read SERVICE's stream past its fences
)";

namespace {

// Consumers before their producers: a backup of a consumer is never ahead of a later backup of
// its producers. (The gateway's relay cannot be paused, so it goes first.)
const std::vector<std::string>& DownstreamFirst() {
  static const std::vector<std::string> order = {"gateway",     "notify",   "video", "scoring",
                                                 "supervision", "workflow", "intake"};
  return order;
}

int DefaultPort(const std::string& service) {
  auto& order = DownstreamFirst();
  static const std::vector<int> ports = {7000, 7005, 7006, 7004, 7003, 7002, 7001};
  auto it = std::find(order.begin(), order.end(), service);
  return it == order.end() ? 0 : ports[it - order.begin()];
}

int Report(const grpc::Status& status, const std::string& service) {
  if (status.ok()) return 0;
  std::cerr << "error: " << service << ": " << server::StatusCodeName(status.error_code()) << ": "
            << status.error_message() << "\n";
  return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? 2 : 1;
}

int Fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 2;
}

class Admin {
 public:
  Admin(const AdminCommandContext& context, const std::string& service, bool single)
      : service_(service) {
    std::string upper = service;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    std::string target = context.flag(service, Env("SUNLIGHT_" + upper, ""));
    if (target.empty()) target = absl::StrCat("127.0.0.1:", DefaultPort(service));
    if (single) target = context.flag("target", target);
    stub_ = av1::Admin::NewStub(auth::SigningChannel(target, context.credentials, context.signer,
                                                     context.principal, service));
  }

  template <typename Request, typename Response, typename Method>
  int Call(Method method, const Request& request, Response* response,
           absl::Duration deadline = absl::Minutes(1)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoSeconds(deadline));
    return Report(((*stub_).*method)(&context, request, response), service_);
  }

 private:
  std::string service_;
  std::unique_ptr<av1::Admin::Stub> stub_;
};

int Backup(const AdminCommandContext& context) {
  std::vector<std::string> services = context.positional;
  if (services.empty()) return Fail("backup: name the services to back up");
  for (const auto& s : services) {
    if (DefaultPort(s) == 0) return Fail(absl::StrCat("backup: no service ", s));
  }
  std::sort(services.begin(), services.end(), [](const std::string& a, const std::string& b) {
    auto& order = DownstreamFirst();
    return std::find(order.begin(), order.end(), a) < std::find(order.begin(), order.end(), b);
  });
  uint32_t keep_last = 0;
  if (!absl::SimpleAtoi(context.flag("keep_last", "0"), &keep_last)) {
    return Fail("--keep_last: not a number");
  }
  const std::string root = context.flag("backup_root", "");
  if (services.size() > 1 && root.empty())
    return Fail("backup: several services need --backup_root");
  if (services.size() == 1 && root.empty() && context.flag("backup_dir", "").empty()) {
    return Fail("backup: --backup_dir required");
  }
  std::vector<Admin> admins;
  for (const auto& s : services) admins.emplace_back(context, s, services.size() == 1);
  // Several: pause what each follows, so that their backups agree whatever their order.
  size_t paused = 0;
  int rc = 0;
  if (services.size() > 1) {
    for (; paused < services.size() && rc == 0; ++paused) {
      av1::PauseFollowingResponse response;
      rc = admins[paused].Call(&av1::Admin::Stub::PauseFollowing, av1::PauseFollowingRequest(),
                               &response);
    }
  }
  for (size_t i = 0; i < services.size() && rc == 0; ++i) {
    av1::CreateBackupRequest request;
    request.set_backup_dir(root.empty() ? context.flag("backup_dir", "")
                                        : absl::StrCat(root, "/", services[i]));
    request.set_keep_last(keep_last);
    av1::Backup response;
    rc = admins[i].Call(&av1::Admin::Stub::CreateBackup, request, &response, absl::Hours(1));
    if (rc == 0) {
      std::cerr << services[i] << ": backup " << response.backup_id() << " into "
                << request.backup_dir() << "\n";
      Print(response);
    }
  }
  for (size_t i = 0; i < paused; ++i) {
    av1::ResumeFollowingResponse response;
    int resumed = admins[i].Call(&av1::Admin::Stub::ResumeFollowing, av1::ResumeFollowingRequest(),
                                 &response);
    if (rc == 0) rc = resumed;
  }
  return rc;
}

int Restore(const AdminCommandContext& context) {
  const std::string backup_dir = context.flag("backup_dir", "");
  const std::string data_dir = context.flag("data_dir", "");
  if (backup_dir.empty()) return Fail("restore: --backup_dir required");
  if (data_dir.empty()) return Fail("restore: --data_dir required");
  uint32_t id = 0;
  if (!absl::SimpleAtoi(context.flag("backup_id", "0"), &id)) {
    return Fail("--backup_id: not a number");
  }
  std::vector<std::string> admit =
      absl::StrSplit(context.flag("admit", ""), ',', absl::SkipEmpty());
  umask(077);  // the store is the service's alone
  const absl::Time start = absl::Now();
  auto record = server::RestoreStore(backup_dir, id, data_dir, context.flag("service", ""), admit,
                                     absl::Now());
  if (!record.ok()) {
    std::cerr << "error: restore: " << record.status().ToString() << "\n";
    return record.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::cerr << "restored backup " << record->backup_id() << " into " << data_dir << " in "
            << absl::FormatDuration(absl::Now() - start) << "; stream " << record->stream().stream()
            << " ends at " << record->stream().sequence()
            << ": readers ahead of it are refused until restored or admitted\n";
  Print(*record);
  return 0;
}

}  // namespace

int RunAdminCommand(const std::string& command, const AdminCommandContext& context) {
  if (command == "backup") return Backup(context);
  if (command == "restore") return Restore(context);
  if (command != "backups" && command != "verify-backup" && command != "restores" &&
      command != "admit-reader") {
    return -1;
  }
  if (context.positional.size() != 1 || DefaultPort(context.positional[0]) == 0) {
    return Fail(absl::StrCat(command, ": name one service"));
  }
  Admin admin(context, context.positional[0], true);
  if (command == "backups") {
    av1::ListBackupsRequest request;
    request.set_backup_dir(context.flag("backup_dir", ""));
    av1::ListBackupsResponse response;
    int rc = admin.Call(&av1::Admin::Stub::ListBackups, request, &response);
    if (rc == 0) Print(response);
    return rc;
  }
  if (command == "verify-backup") {
    av1::VerifyBackupRequest request;
    request.set_backup_dir(context.flag("backup_dir", ""));
    uint32_t id = 0;
    if (!absl::SimpleAtoi(context.flag("backup_id", "0"), &id)) {
      return Fail("--backup_id: not a number");
    }
    request.set_backup_id(id);
    av1::VerifyBackupResponse response;
    int rc = admin.Call(&av1::Admin::Stub::VerifyBackup, request, &response, absl::Hours(1));
    if (rc != 0) return rc;
    Print(response);
    return response.intact() ? 0 : 1;
  }
  if (command == "restores") {
    av1::RestoreHistory response;
    int rc = admin.Call(&av1::Admin::Stub::ListRestores, av1::ListRestoresRequest(), &response);
    if (rc == 0) Print(response);
    return rc;
  }
  av1::AdmitReaderRequest request;
  request.set_reader(context.flag("reader", ""));
  av1::RestoreHistory response;
  int rc = admin.Call(&av1::Admin::Stub::AdmitReader, request, &response);
  if (rc == 0) Print(response);
  return rc;
}

}  // namespace sunlight::cli
