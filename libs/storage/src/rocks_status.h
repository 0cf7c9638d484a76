// RocksDB statuses as absl::Status, for the storage library's sources (private).
#ifndef SUNLIGHT_STORAGE_SRC_ROCKS_STATUS_H_
#define SUNLIGHT_STORAGE_SRC_ROCKS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace sunlight::storage {

// OK, or `what: <RocksDB's message>` with the matching code: kNotFound, kDataLoss for
// corruption, kUnavailable for busy or timed out, kInvalidArgument, kInternal otherwise.
inline absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return absl::UnavailableError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  return absl::InternalError(msg);
}

}  // namespace sunlight::storage

#endif  // SUNLIGHT_STORAGE_SRC_ROCKS_STATUS_H_
