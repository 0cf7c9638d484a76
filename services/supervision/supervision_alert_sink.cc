// The file alert sink: one JSON line per alert, synced on Flush.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "google/protobuf/util/json_util.h"
#include "supervision_internal.h"

namespace sunlight::supervision {

absl::StatusOr<std::unique_ptr<FileAlertSink>> FileAlertSink::Open(const std::string& path) {
  std::unique_ptr<FileAlertSink> sink(new FileAlertSink(path));
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    v1::Alert alert;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (google::protobuf::util::JsonStringToMessage(line, &alert, options).ok()) {
      sink->delivered_.insert(alert.alert_id());
    }
  }
  return sink;
}

absl::Status FileAlertSink::Deliver(const v1::Alert& alert) {
  std::lock_guard lock(mu_);
  if (delivered_.contains(alert.alert_id())) return absl::OkStatus();
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(alert, &json, options).ok()) {
    return absl::InternalError("alert: cannot encode as JSON");
  }
  json.push_back('\n');
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("alert file ", path_, ": cannot open"));
  bool ok = ::write(fd, json.data(), json.size()) == static_cast<ssize_t>(json.size());
  ::close(fd);
  if (!ok) return absl::UnavailableError(absl::StrCat("alert file ", path_, ": write failed"));
  delivered_.insert(alert.alert_id());
  return absl::OkStatus();
}

absl::Status FileAlertSink::Flush() {
  std::lock_guard lock(mu_);
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("alert file ", path_, ": cannot open"));
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return absl::UnavailableError(absl::StrCat("alert file ", path_, ": sync failed"));
  return absl::OkStatus();
}

}  // namespace sunlight::supervision
