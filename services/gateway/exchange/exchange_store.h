// The provincial exchange's column families in the gateway's store (besides its event log
// "exchange", libs/eventlog's families) and the codecs of their keys.
#ifndef SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_EXCHANGE_STORE_H_
#define SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_EXCHANGE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight::gateway::exchange_store {

// Push number (big-endian, so in arrival order) -> exchange.v1.StagedPush.
inline constexpr char kPushes[] = "exchange_pushes";
// Case id -> the case's department, as first named by a relayed event (the relay's filter).
inline constexpr char kCaseDepartments[] = "exchange_case_departments";

inline std::string PushId(uint64_t number) { return absl::StrCat("p", number); }
inline std::string PushKey(uint64_t number) { return storage::KeyBuilder().AddU64(number).Build(); }
// The number of "p<number>"; nullopt when it is not a push id.
inline std::optional<uint64_t> PushNumber(const std::string& push_id) {
  uint64_t number = 0;
  if (push_id.size() < 2 || push_id.size() > 21 || push_id[0] != 'p' ||
      !absl::SimpleAtoi(push_id.substr(1), &number) || number == 0 || PushId(number) != push_id) {
    return std::nullopt;
  }
  return number;
}

}  // namespace sunlight::gateway::exchange_store

#endif  // SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_EXCHANGE_STORE_H_
