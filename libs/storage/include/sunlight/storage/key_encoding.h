// The one key encoder: big-endian, order-preserving composite keys for RocksDB.
//
//   std::string key = KeyBuilder().AddString("dept-042").AddU64(submitted_micros).Build();
//   KeyReader r(key);
//   std::string dept; uint64_t micros;
//   if (!r.ReadString(&dept) || !r.ReadU64(&micros)) { /* corrupt key */ }
//
// Byte-wise comparison of encoded keys orders them like the tuples they encode: integers
// are fixed-width big-endian (signed ones with the sign bit flipped), strings are escaped
// (0x00 -> 0x00 0xFF) and terminated with 0x00 0x01 so a prefix sorts first.
#ifndef SUNLIGHT_STORAGE_KEY_ENCODING_H_
#define SUNLIGHT_STORAGE_KEY_ENCODING_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace sunlight::storage {

class KeyBuilder {
 public:
  KeyBuilder& AddU64(uint64_t v);
  KeyBuilder& AddI64(int64_t v);
  KeyBuilder& AddString(std::string_view s);
  // The encoded key so far; a valid prefix for range scans.
  const std::string& key() const { return key_; }
  std::string Build() && { return std::move(key_); }
  std::string Build() const& { return key_; }

 private:
  std::string key_;
};

// Decodes a key written by KeyBuilder, component by component. Each Read returns false
// (and leaves the output untouched) when the remaining bytes do not hold that component.
class KeyReader {
 public:
  explicit KeyReader(std::string_view key) : rest_(key) {}
  bool ReadU64(uint64_t* v);
  bool ReadI64(int64_t* v);
  bool ReadString(std::string* s);
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

// The fixed-width big-endian form of v (8 bytes) and back; DecodeU64 needs 8 bytes.
std::string EncodeU64(uint64_t v);
uint64_t DecodeU64(std::string_view bytes);

// The smallest key greater than every key starting with `prefix` (for upper bounds);
// empty when no such key exists (prefix of all 0xFF).
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace sunlight::storage

#endif  // SUNLIGHT_STORAGE_KEY_ENCODING_H_
