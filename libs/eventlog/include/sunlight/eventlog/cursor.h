// A consumer's position in another service's stream, kept in the consumer's own store.
//
//   storage::WriteBatch batch;
//   batch.Put("steps", key, derived);                    // what the event produced
//   PutCursor(batch, "intake", event.sequence());         // ... and the cursor, atomically
//   SUNLIGHT_RETURN_IF_ERROR(store->Write(batch));
#ifndef SUNLIGHT_EVENTLOG_CURSOR_H_
#define SUNLIGHT_EVENTLOG_CURSOR_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "sunlight/storage/store.h"

namespace sunlight::eventlog {

// Adds "the consumer has applied `stream` up to `sequence`" to `batch`.
void PutCursor(storage::WriteBatch& batch, std::string_view stream, uint64_t sequence);

// The last sequence of `stream` the consumer committed; 0 when it never did.
absl::StatusOr<uint64_t> ReadCursor(const storage::Store& store, std::string_view stream);

}  // namespace sunlight::eventlog

#endif  // SUNLIGHT_EVENTLOG_CURSOR_H_
