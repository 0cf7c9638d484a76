#include "sunlight/eventlog/cursor.h"

#include "absl/strings/str_cat.h"
#include "sunlight/eventlog/event_log.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight::eventlog {

void PutCursor(storage::WriteBatch& batch, std::string_view stream, uint64_t sequence) {
  batch.Put(kCursorsColumnFamily, storage::KeyBuilder().AddString(stream).Build(),
            storage::EncodeU64(sequence));
}

absl::StatusOr<uint64_t> ReadCursor(const storage::Store& store, std::string_view stream) {
  auto value = store.Get(kCursorsColumnFamily, storage::KeyBuilder().AddString(stream).Build());
  if (!value.ok()) return value.status();
  if (!value->has_value()) return 0;
  if ((*value)->size() != 8) {
    return absl::DataLossError(
        absl::StrCat("cursor of stream ", std::string(stream), " is malformed"));
  }
  return storage::DecodeU64(**value);
}

}  // namespace sunlight::eventlog
