// What every command of the CLI shares: defaults from the environment and JSON output.
#ifndef SUNLIGHT_TOOLS_CLI_CLI_OUTPUT_H_
#define SUNLIGHT_TOOLS_CLI_CLI_OUTPUT_H_

#include <cstdlib>
#include <iostream>
#include <string>

#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"

namespace sunlight::cli {

// $name, or `fallback` when it is not set.
inline std::string Env(const std::string& name, const std::string& fallback) {
  const char* v = std::getenv(name.c_str());
  return v ? v : fallback;
}

// `message` as indented JSON with the protos' field names, on standard output.
inline void Print(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options).ok();
  std::cout << json;
}

}  // namespace sunlight::cli

#endif  // SUNLIGHT_TOOLS_CLI_CLI_OUTPUT_H_
