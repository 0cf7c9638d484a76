#include "sunlight/storage/key_encoding.h"

#include <catch2/catch.hpp>

namespace sunlight::storage {
namespace {

TEST_CASE("encoded unsigned integers sort like the integers") {
  std::vector<uint64_t> values = {0, 1, 255, 256, 65535, 1ULL << 40, ~0ULL};
  for (size_t i = 1; i < values.size(); ++i) {
    CHECK(KeyBuilder().AddU64(values[i - 1]).key() < KeyBuilder().AddU64(values[i]).key());
  }
}

TEST_CASE("encoded signed integers sort like the integers") {
  std::vector<int64_t> values = {INT64_MIN, -1000, -1, 0, 1, 1000, INT64_MAX};
  for (size_t i = 1; i < values.size(); ++i) {
    CHECK(KeyBuilder().AddI64(values[i - 1]).key() < KeyBuilder().AddI64(values[i]).key());
  }
}

TEST_CASE("a string component sorts before its extensions and round-trips NUL bytes") {
  std::string a = KeyBuilder().AddString("ab").AddU64(~0ULL).Build();
  std::string b = KeyBuilder().AddString("abc").AddU64(0).Build();
  CHECK(a < b);
  std::string with_nul("x\0y", 3);
  std::string key = KeyBuilder().AddString(with_nul).AddI64(-7).Build();
  KeyReader r(key);
  std::string s;
  int64_t v = 0;
  REQUIRE(r.ReadString(&s));
  REQUIRE(r.ReadI64(&v));
  CHECK(s == with_nul);
  CHECK(v == -7);
  CHECK(r.done());
}

TEST_CASE("a truncated key is reported, not misread") {
  std::string key = KeyBuilder().AddString("dept").Build();
  key.pop_back();
  KeyReader r(key);
  std::string s;
  CHECK_FALSE(r.ReadString(&s));
  uint64_t v = 0;
  KeyReader short_reader("abc");
  CHECK_FALSE(short_reader.ReadU64(&v));
}

TEST_CASE("prefix successor bounds a prefix scan") {
  CHECK(PrefixSuccessor("ab") == "ac");
  CHECK(PrefixSuccessor(std::string("a\xFF", 2)) == "b");
  CHECK(PrefixSuccessor(std::string("\xFF\xFF", 2)).empty());
}

}  // namespace
}  // namespace sunlight::storage
