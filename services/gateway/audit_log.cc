#include "audit_log.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/unknown_field_set.h"
#include "sunlight/base/log.h"
#include "sunlight/base/message_text.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/base/utf8.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight::gateway {
namespace {

namespace pb = ::google::protobuf;

constexpr char kHeadKey[] = "head";
constexpr char kRepairHint[] =
    "stop the gateway and repair the log, keeping every entry: gateway "
    "--data_dir=<its data directory> --repair_audit_log=true (docs/security.md)";

std::string Deterministic(const pb::Message& message) {
  std::string bytes;
  pb::io::StringOutputStream stream(&bytes);
  pb::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

std::string Sha256(const std::string& bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

// The bytes of an entry that cannot be read (a text field that is not UTF-8), as a readable
// entry that keeps them in `unreadable_original`; DATA_LOSS when they are not even protobuf
// wire data.
absl::StatusOr<v1::AuditEntry> Readable(absl::string_view stored) {
  pb::UnknownFieldSet fields;
  if (!fields.ParseFromArray(stored.data(), static_cast<int>(stored.size()))) {
    return absl::DataLossError("audit entry is not protobuf wire data");
  }
  const pb::Descriptor* d = v1::AuditEntry::descriptor();
  for (int i = 0; i < fields.field_count(); ++i) {
    pb::UnknownField* field = fields.mutable_field(i);
    const pb::FieldDescriptor* known = d->FindFieldByNumber(field->number());
    if (known != nullptr && known->type() == pb::FieldDescriptor::TYPE_STRING &&
        field->type() == pb::UnknownField::TYPE_LENGTH_DELIMITED) {
      *field->mutable_length_delimited() =
          PrintableText(field->length_delimited(), AuditLog::kMaxTextBytes);
    }
  }
  std::string bytes;
  v1::AuditEntry entry;
  if (!fields.SerializeToString(&bytes) || !entry.ParseFromString(bytes)) {
    return absl::DataLossError("audit entry cannot be made readable");
  }
  entry.set_unreadable_original(std::string(stored));
  return entry;
}

constexpr uint32_t kKeyedChain = 2;

// The hash an entry stored as `stored` was written with: over the bytes without the hash
// (keyed when the bytes say chain_version 2).
std::string OriginalHash(absl::string_view stored, const auth::HmacSigner& key) {
  pb::UnknownFieldSet fields;
  if (!fields.ParseFromArray(stored.data(), static_cast<int>(stored.size()))) return "";
  bool keyed = false;
  for (int i = 0; i < fields.field_count(); ++i) {
    const pb::UnknownField& f = fields.field(i);
    keyed |= f.number() == v1::AuditEntry::kChainVersionFieldNumber &&
             f.type() == pb::UnknownField::TYPE_VARINT && f.varint() == kKeyedChain;
  }
  fields.DeleteByNumber(v1::AuditEntry::kHashFieldNumber);
  std::string bytes;
  if (!fields.SerializeToString(&bytes)) return "";
  return keyed ? key.Mac(bytes) : Sha256(bytes);
}

}  // namespace

std::string AuditLog::Hash(const v1::AuditEntry& entry, const auth::HmacSigner& key) {
  v1::AuditEntry content = entry;
  content.clear_hash();
  const std::string bytes = Deterministic(content);
  return entry.chain_version() == kKeyedChain ? key.Mac(bytes) : Sha256(bytes);
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    storage::Store* store, std::shared_ptr<const auth::HmacSigner> key, std::string checkpoint_file,
    std::shared_ptr<const auth::SigningKey> checkpoint_signer) {
  if (key == nullptr) return absl::InvalidArgumentError("audit key: required");
  std::unique_ptr<AuditLog> log(new AuditLog(store, std::move(key), std::move(checkpoint_file),
                                             std::move(checkpoint_signer)));
  SUNLIGHT_ASSIGN_OR_RETURN(auto head, store->Get(kAuditHeadFamily, kHeadKey));
  if (head.has_value()) {
    v1::AuditEntry last;
    if (!last.ParseFromString(*head)) {
      return absl::DataLossError(absl::StrCat(
          "the audit log's head (its last entry) cannot be read: an entry written before the "
          "gateway checked request text holds bytes that are not UTF-8. The gateway does not "
          "start over an audit log it cannot read; ",
          kRepairHint));
    }
    log->last_sequence_ = log->assigned_sequence_ = last.sequence();
    log->last_hash_ = log->assigned_hash_ = last.hash();
  }
  // A checkpoint file that does not verify is reported by Verify, not a reason not to start.
  if (auto checkpoints = log->ReadCheckpoints(); !checkpoints.ok()) {
    LogError("gateway", checkpoints.status().ToString());
  } else if (!checkpoints->empty()) {
    log->last_checkpoint_ = checkpoints->back().sequence();
  }
  return log;
}

absl::StatusOr<std::vector<uint64_t>> AuditLog::Repair(storage::Store* store,
                                                       std::shared_ptr<const auth::HmacSigner> key,
                                                       absl::Time now) {
  std::vector<uint64_t> repaired;
  storage::WriteBatch batch;
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(
      store->Scan(kAuditFamily, "", "", [&](std::string_view key, std::string_view value) {
        v1::AuditEntry entry;
        if (entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
        auto readable = Readable(absl::string_view(value.data(), value.size()));
        if (!readable.ok()) {
          error = absl::DataLossError(absl::StrCat(
              "audit entry under key ",
              PrintableText(absl::BytesToHexString(absl::string_view(key.data(), key.size()))),
              ": ", readable.status().message()));
          return false;
        }
        batch.Put(kAuditFamily, key, readable->SerializeAsString());
        repaired.push_back(readable->sequence());
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  // The head is a copy of the entry it names. It is rewritten only when it cannot be read, or
  // names an entry just repaired, and then as that entry made readable: never from the last
  // entry found, so a log cut short at its end still shows it (Verify compares the two).
  SUNLIGHT_ASSIGN_OR_RETURN(auto head, store->Get(kAuditHeadFamily, kHeadKey));
  if (head.has_value()) {
    v1::AuditEntry stored_head;
    if (!stored_head.ParseFromString(*head)) {
      SUNLIGHT_ASSIGN_OR_RETURN(v1::AuditEntry readable, Readable(*head));
      batch.Put(kAuditHeadFamily, kHeadKey, readable.SerializeAsString());
    } else if (std::find(repaired.begin(), repaired.end(), stored_head.sequence()) !=
               repaired.end()) {
      SUNLIGHT_ASSIGN_OR_RETURN(
          auto entry, store->Get(kAuditFamily, storage::EncodeU64(stored_head.sequence())));
      if (entry.has_value()) {
        SUNLIGHT_ASSIGN_OR_RETURN(v1::AuditEntry readable, Readable(*entry));
        batch.Put(kAuditHeadFamily, kHeadKey, readable.SerializeAsString());
      }
    }
  }
  if (batch.empty()) return repaired;
  SUNLIGHT_RETURN_IF_ERROR(store->Write(batch));

  // The repair is itself in the chain.
  SUNLIGHT_ASSIGN_OR_RETURN(auto log, Open(store, std::move(key)));
  v1::AuditEntry record;
  *record.mutable_at() = ToProto(now);
  record.set_user_id("system:repair_audit_log");
  record.set_action("repair_audit_log");
  record.set_target(repaired.empty() ? "head"
                                     : absl::StrCat("entries ", absl::StrJoin(repaired, ", ")));
  SUNLIGHT_RETURN_IF_ERROR(log->Append(std::move(record)).status());
  return repaired;
}

struct AuditLog::Pending {
  std::string bytes;
  uint64_t sequence = 0;
  std::string hash;
  bool done = false;
  absl::Status status;
};

absl::StatusOr<v1::AuditEntry> AuditLog::Append(v1::AuditEntry entry) {
  SanitizeMessageText(&entry, kMaxTextBytes);
  std::unique_lock lock(mu_);
  entry.set_sequence(assigned_sequence_ + 1);
  entry.set_previous_hash(assigned_hash_);
  entry.set_chain_version(kKeyedChain);
  entry.set_hash(Hash(entry, *key_));
  Pending self{
      .bytes = entry.SerializeAsString(), .sequence = entry.sequence(), .hash = entry.hash()};
  // Never commit what cannot be read back: it would break the chain for good.
  v1::AuditEntry check;
  if (!check.ParseFromString(self.bytes) || check.hash() != entry.hash()) {
    return absl::InternalError("audit entry would not read back; not written");
  }
  assigned_sequence_ = self.sequence;
  assigned_hash_ = self.hash;
  queue_.push_back(&self);
  while (!self.done && writing_) written_.wait(lock);
  if (self.done) {
    if (!self.status.ok()) return self.status;
    return entry;
  }
  // This caller writes its own entry and every entry queued with it, in order.
  writing_ = true;
  std::vector<Pending*> group;
  group.swap(queue_);
  lock.unlock();
  storage::WriteBatch batch;
  for (const Pending* pending : group) {
    batch.Put(kAuditFamily, storage::EncodeU64(pending->sequence), pending->bytes);
  }
  batch.Put(kAuditHeadFamily, kHeadKey, group.back()->bytes);
  absl::Status status = store_->Write(batch);
  lock.lock();
  if (status.ok()) {
    last_sequence_ = group.back()->sequence;
    last_hash_ = group.back()->hash;
  } else {
    // What was queued meanwhile chains onto entries that were not written.
    group.insert(group.end(), queue_.begin(), queue_.end());
    queue_.clear();
    assigned_sequence_ = last_sequence_;
    assigned_hash_ = last_hash_;
  }
  for (Pending* pending : group) {
    pending->status = status;
    pending->done = true;
  }
  writing_ = false;
  written_.notify_all();
  lock.unlock();
  if (!status.ok()) return status;
  return entry;
}

absl::StatusOr<v1::VerifyAuditChainResponse> AuditLog::Verify(
    const std::vector<v1::AuditCheckpoint>& given) const {
  v1::VerifyAuditChainResponse result;
  result.set_intact(true);
  uint64_t expected = 1;
  std::string previous;
  bool keyed_seen = false;
  auto fail = [&](uint64_t sequence, std::string problem) {
    if (!result.intact()) return;  // the first problem is the one reported
    result.set_intact(false);
    result.set_first_bad_sequence(sequence);
    result.set_problem(std::move(problem));
  };
  // What the checkpoints say each checkpointed entry's hash is.
  auto own = ReadCheckpoints();
  if (!own.ok()) fail(0, std::string(own.status().message()));
  std::vector<v1::AuditCheckpoint> checkpoints = own.ok() ? *own : given;
  if (own.ok()) checkpoints.insert(checkpoints.end(), given.begin(), given.end());
  absl::flat_hash_map<uint64_t, const v1::AuditCheckpoint*> wanted;
  uint64_t last_checkpointed = 0;
  for (const auto& c : checkpoints) {
    wanted[c.sequence()] = &c;
    last_checkpointed = std::max(last_checkpointed, c.sequence());
  }
  result.set_checkpoints_checked(static_cast<uint32_t>(checkpoints.size()));
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kAuditFamily, "", "", [&](std::string_view key, std::string_view value) {
        v1::AuditEntry entry;
        if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          fail(expected, absl::StrCat("entry cannot be read; ", kRepairHint));
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
        const bool repaired = !entry.unreadable_original().empty();
        if (repaired) {
          // A repaired entry is checked against the bytes it was written as.
          auto again = Readable(entry.unreadable_original());
          if (!again.ok() || again->SerializeAsString() != entry.SerializeAsString()) {
            fail(expected, "repaired entry does not match the bytes it was stored as");
            return false;
          }
        }
        if (entry.hash() !=
            (repaired ? OriginalHash(entry.unreadable_original(), *key_) : Hash(entry, *key_))) {
          fail(expected, "content does not match its hash");
          return false;
        }
        if (entry.chain_version() == kKeyedChain) {
          keyed_seen = true;
        } else if (keyed_seen) {
          fail(expected, "an unkeyed entry after keyed ones (a chain rewritten without the key)");
          return false;
        }
        if (auto c = wanted.find(expected);
            c != wanted.end() && c->second->head_hash() != entry.hash()) {
          fail(expected, absl::StrCat("entry ", expected, " is not the one checkpointed at ",
                                      absl::FormatTime(FromProto(c->second->at())),
                                      " (the log was rewritten)"));
          return false;
        }
        if (repaired) result.add_repaired_sequences(entry.sequence());
        previous = entry.hash();
        result.set_entries(expected);
        ++expected;
        return true;
      }));
  if (!result.intact()) return result;
  if (result.entries() == 0) {
    fail(1, "the audit log is empty");
  } else if (last_checkpointed > result.entries()) {
    fail(result.entries() + 1,
         absl::StrCat("the log ends at entry ", result.entries(), " but entry ", last_checkpointed,
                      " was checkpointed (the log was truncated or wiped)"));
  }
  if (!result.intact()) return result;
  SUNLIGHT_ASSIGN_OR_RETURN(auto head, store_->Get(kAuditHeadFamily, kHeadKey));
  v1::AuditEntry last;
  if (head.has_value() && !last.ParseFromString(*head)) {
    fail(expected, absl::StrCat("head cannot be read; ", kRepairHint));
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
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(kAuditFamily, storage::EncodeU64(std::max<uint64_t>(1, request.from_sequence())),
                   "", [&](std::string_view, std::string_view value) {
                     v1::AuditEntry* entry = response.add_entries();
                     if (!entry->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                       // Not repaired yet: shown readable and marked, as the repair will store it.
                       auto readable = Readable(absl::string_view(value.data(), value.size()));
                       if (!readable.ok()) {
                         error = readable.status();
                         return false;
                       }
                       *entry = *std::move(readable);
                     }
                     return static_cast<uint32_t>(response.entries_size()) < limit;
                   }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  return response;
}

}  // namespace sunlight::gateway
