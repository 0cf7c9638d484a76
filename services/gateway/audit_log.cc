#include "audit_log.h"

#include <openssl/sha.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight::gateway {
namespace {

constexpr char kHeadKey[] = "head";

std::string Deterministic(const google::protobuf::Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

}  // namespace

std::string AuditLog::Hash(const v1::AuditEntry& entry) {
  v1::AuditEntry content = entry;
  content.clear_hash();
  std::string bytes = Deterministic(content);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(storage::Store* store) {
  std::unique_ptr<AuditLog> log(new AuditLog(store));
  SUNLIGHT_ASSIGN_OR_RETURN(auto head, store->Get(kAuditHeadFamily, kHeadKey));
  if (head.has_value()) {
    v1::AuditEntry last;
    if (!last.ParseFromString(*head)) return absl::DataLossError("unreadable audit head");
    log->last_sequence_ = last.sequence();
    log->last_hash_ = last.hash();
  }
  return log;
}

absl::StatusOr<v1::AuditEntry> AuditLog::Append(v1::AuditEntry entry) {
  std::lock_guard lock(mu_);
  entry.set_sequence(last_sequence_ + 1);
  entry.set_previous_hash(last_hash_);
  entry.set_hash(Hash(entry));
  std::string bytes = entry.SerializeAsString();
  storage::WriteBatch batch;
  batch.Put(kAuditFamily, storage::EncodeU64(entry.sequence()), bytes);
  batch.Put(kAuditHeadFamily, kHeadKey, bytes);
  SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  last_sequence_ = entry.sequence();
  last_hash_ = entry.hash();
  return entry;
}

absl::StatusOr<v1::VerifyAuditChainResponse> AuditLog::Verify() const {
  v1::VerifyAuditChainResponse result;
  result.set_intact(true);
  uint64_t expected = 1;
  std::string previous;
  auto fail = [&](uint64_t sequence, std::string problem) {
    result.set_intact(false);
    result.set_first_bad_sequence(sequence);
    result.set_problem(std::move(problem));
  };
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kAuditFamily, "", "", [&](std::string_view key, std::string_view value) {
        v1::AuditEntry entry;
        if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          fail(expected, "entry cannot be read");
          return false;
        }
        if (key != storage::EncodeU64(entry.sequence())) {
          fail(expected,
               absl::StrCat("entry stored under another sequence than its own ", entry.sequence()));
          return false;
        }
        if (entry.sequence() != expected) {
          fail(expected, absl::StrCat("entry ", expected, " is missing"));
          return false;
        }
        if (entry.previous_hash() != previous) {
          fail(expected, "link to the previous entry does not match");
          return false;
        }
        if (entry.hash() != Hash(entry)) {
          fail(expected, "content does not match its hash");
          return false;
        }
        previous = entry.hash();
        result.set_entries(expected);
        ++expected;
        return true;
      }));
  if (!result.intact()) return result;
  SUNLIGHT_ASSIGN_OR_RETURN(auto head, store_->Get(kAuditHeadFamily, kHeadKey));
  v1::AuditEntry last;
  if (head.has_value() && !last.ParseFromString(*head)) {
    fail(expected, "head cannot be read");
  } else if (last.sequence() != result.entries() || last.hash() != previous) {
    fail(result.entries() + 1, absl::StrCat("the log ends at entry ", result.entries(),
                                            " but its head is entry ", last.sequence()));
  }
  result.set_head_hash(previous);
  return result;
}

absl::StatusOr<v1::ListAuditEntriesResponse> AuditLog::List(
    const v1::ListAuditEntriesRequest& request) const {
  uint32_t limit = request.page_size() == 0 ? 100 : request.page_size();
  if (limit > 1000) return absl::InvalidArgumentError("page_size: must be at most 1000");
  v1::ListAuditEntriesResponse response;
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(
      kAuditFamily, storage::EncodeU64(std::max<uint64_t>(1, request.from_sequence())), "",
      [&](std::string_view, std::string_view value) {
        if (!response.add_entries()->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          error = absl::DataLossError("unreadable audit entry");
          return false;
        }
        return static_cast<uint32_t>(response.entries_size()) < limit;
      }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  return response;
}

}  // namespace sunlight::gateway
