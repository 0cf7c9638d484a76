// Reading the platforms file (platforms.h).
#include "exchange/platforms.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace sunlight::gateway {

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
    auto text = [&](const char* field) {
      auto it = entry.fields().find(field);
      return it == entry.fields().end() ? std::string() : it->second.string_value();
    };
    if (!google::protobuf::util::JsonStringToMessage(line, &entry).ok() ||
        text("platform_id").empty() ||
        text("certificate_subject").empty() == text("certificate_san").empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", number,
          ": want {\"platform_id\":..,\"certificate_subject\":..} or {\"platform_id\":..,"
          "\"certificate_san\":..} (a common name alone does not identify a platform)"));
    }
    platforms.push_back(
        {text("platform_id"), text("certificate_subject"), text("certificate_san")});
  }
  return platforms;
}

}  // namespace sunlight::gateway
