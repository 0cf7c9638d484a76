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

}  // namespace sunlight::gateway
