#include "sunlight/storage/key_encoding.h"

namespace sunlight::storage {

std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return out;
}

uint64_t DecodeU64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

KeyBuilder& KeyBuilder::AddU64(uint64_t v) {
  key_ += EncodeU64(v);
  return *this;
}

KeyBuilder& KeyBuilder::AddI64(int64_t v) {
  return AddU64(static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

KeyBuilder& KeyBuilder::AddString(std::string_view s) {
  for (char c : s) {
    key_.push_back(c);
    if (c == '\0') key_.push_back('\xFF');
  }
  key_.push_back('\0');
  key_.push_back('\x01');
  return *this;
}

bool KeyReader::ReadU64(uint64_t* v) {
  if (rest_.size() < 8) return false;
  *v = DecodeU64(rest_);
  rest_.remove_prefix(8);
  return true;
}

bool KeyReader::ReadI64(int64_t* v) {
  uint64_t u;
  if (!ReadU64(&u)) return false;
  *v = static_cast<int64_t>(u ^ (uint64_t{1} << 63));
  return true;
}

bool KeyReader::ReadString(std::string* s) {
  std::string out;
  for (size_t i = 0; i < rest_.size(); ++i) {
    if (rest_[i] != '\0') {
      out.push_back(rest_[i]);
      continue;
    }
    if (i + 1 >= rest_.size()) return false;
    if (rest_[i + 1] == '\xFF') {
      out.push_back('\0');
      ++i;
    } else if (rest_[i + 1] == '\x01') {
      rest_.remove_prefix(i + 2);
      *s = std::move(out);
      return true;
    } else {
      return false;
    }
  }
  return false;
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    if (static_cast<uint8_t>(out.back()) != 0xFF) {
      out.back() = static_cast<char>(static_cast<uint8_t>(out.back()) + 1);
      return out;
    }
    out.pop_back();
  }
  return out;
}

}  // namespace sunlight::storage
