// Reading the platforms file (platforms.h).
#include "exchange/platforms.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "sunlight/base/log.h"

namespace sunlight::gateway {

bool Platform::Receives(const exchange::v1::ExchangeRecord& record) const {
  if (!record.department_id().empty()) return departments.contains(record.department_id());
  return record.event().case_id().empty();
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
    auto field = [&](const char* name) -> const google::protobuf::Value* {
      auto it = entry.fields().find(name);
      return it == entry.fields().end() ? nullptr : &it->second;
    };
    auto text = [&](const char* name) {
      const google::protobuf::Value* value = field(name);
      return value == nullptr ? std::string() : value->string_value();
    };
    auto bad = [&](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", what));
    };
    if (!google::protobuf::util::JsonStringToMessage(line, &entry).ok() ||
        text("platform_id").empty() ||
        text("certificate_subject").empty() == text("certificate_san").empty()) {
      return bad(
          "want {\"platform_id\":..,\"certificate_subject\":..} or {\"platform_id\":..,"
          "\"certificate_san\":..} (a common name alone does not identify a platform)");
    }
    Platform platform{
        text("platform_id"), text("certificate_subject"), text("certificate_san"), {}, {}};
    for (const auto& [name, into] :
         {std::pair{"departments", &platform.departments}, std::pair{"items", &platform.items}}) {
      const google::protobuf::Value* list = field(name);
      if (list == nullptr) continue;
      if (!list->has_list_value()) return bad(absl::StrCat(name, ": want a list of strings"));
      for (const auto& value : list->list_value().values()) {
        if (value.string_value().empty()) {
          return bad(absl::StrCat(name, ": want a list of non-empty strings"));
        }
        into->insert(value.string_value());
      }
    }
    if (platform.departments.empty()) {
      LogWarning("exchange", absl::StrCat(path, ":", number, ": platform ", platform.platform_id,
                                          " lists no departments: it receives no case records"));
    }
    platforms.push_back(std::move(platform));
  }
  return platforms;
}

}  // namespace sunlight::gateway
