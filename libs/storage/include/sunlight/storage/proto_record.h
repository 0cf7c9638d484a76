// Stored protobuf records: the one way to load one, with DATA_LOSS naming what is unreadable.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(std::optional<v1::Clock> clock,
//                             LoadProto<v1::Clock>(*store, kClocks, clock_id));
//   SUNLIGHT_ASSIGN_OR_RETURN(v1::Case record, ParseProto<v1::Case>(bytes, "cases", case_id));
//   SUNLIGHT_RETURN_IF_ERROR(ScanProtos<v1::Hold>(*store, kHolds, "", "",
//                                                 [&](auto key, v1::Hold hold) { ...; return true;
//                                                 }));
#ifndef SUNLIGHT_STORAGE_PROTO_RECORD_H_
#define SUNLIGHT_STORAGE_PROTO_RECORD_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "sunlight/storage/store.h"

namespace sunlight::storage {

// The record stored as `bytes`; DATA_LOSS "unreadable <family> record <key>" when it does not
// parse (the key is shown in hex: keys are binary).
template <typename T>
absl::StatusOr<T> ParseProto(std::string_view bytes, std::string_view family,
                             std::string_view key) {
  T message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(
        absl::StrCat("unreadable ", absl::string_view(family.data(), family.size()), " record ",
                     absl::BytesToHexString(absl::string_view(key.data(), key.size()))));
  }
  return message;
}

// The record at `key`, std::nullopt when absent; DATA_LOSS when it does not parse.
template <typename T>
absl::StatusOr<std::optional<T>> LoadProto(const Store& store, std::string_view family,
                                           std::string_view key) {
  absl::StatusOr<std::optional<std::string>> bytes = store.Get(family, key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<T>();
  absl::StatusOr<T> message = ParseProto<T>(**bytes, family, key);
  if (!message.ok()) return message.status();
  return std::optional<T>(*std::move(message));
}

// Calls visit(key, record) for each record in [lower, upper) of `family` (see Store::Scan),
// in key order or reversed, until it returns false; DATA_LOSS at the first record that does
// not parse, and the scan stops there.
template <typename T>
absl::Status ScanProtos(const Store& store, std::string_view family, std::string_view lower,
                        std::string_view upper,
                        const std::function<bool(std::string_view key, T record)>& visit,
                        bool reverse = false) {
  absl::Status parsed = absl::OkStatus();
  absl::Status scanned = store.Scan(
      family, lower, upper,
      [&](std::string_view key, std::string_view bytes) {
        absl::StatusOr<T> record = ParseProto<T>(bytes, family, key);
        if (!record.ok()) {
          parsed = record.status();
          return false;
        }
        return visit(key, *std::move(record));
      },
      reverse);
  if (!scanned.ok()) return scanned;
  return parsed;
}

}  // namespace sunlight::storage

#endif  // SUNLIGHT_STORAGE_PROTO_RECORD_H_
