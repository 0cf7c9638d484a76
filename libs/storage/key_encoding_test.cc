#include "sunlight/storage/key_encoding.h"

#include "sunlight/storage/tuple_key.h"

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

namespace sunlight::storage {
namespace {

TEST_CASE("a typed key encodes, prefixes and decodes its components in order") {
  using Queue = TupleKey<std::string, int64_t, std::string>;
  std::string early = Queue::Encode("market", -5, "c1/1");
  std::string late = Queue::Encode("market", 7, "c1/0");
  CHECK(early < late);  // tuple order
  CHECK(early == KeyBuilder().AddString("market").AddI64(-5).AddString("c1/1").Build());
  std::string prefix = Queue::Prefix("market");
  CHECK(early.compare(0, prefix.size(), prefix) == 0);
  CHECK(Queue::Prefix("market", int64_t{-5}) ==
        KeyBuilder().AddString("market").AddI64(-5).Build());
  auto parts = Queue::Decode(late);
  REQUIRE(parts.has_value());
  CHECK(*parts == std::make_tuple(std::string("market"), int64_t{7}, std::string("c1/0")));
  CHECK_FALSE(Queue::Decode(prefix).has_value());      // too short
  CHECK_FALSE(Queue::Decode(late + "x").has_value());  // bytes after the last component
  using Numbered = TupleKey<std::string, uint64_t>;
  CHECK(Numbered::Decode(Numbered::Encode("c1", 42)) ==
        std::make_tuple(std::string("c1"), uint64_t{42}));
}

}  // namespace
}  // namespace sunlight::storage
