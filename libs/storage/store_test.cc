#include "sunlight/storage/store.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "sunlight/storage/key_encoding.h"

namespace sunlight::storage {
namespace {

std::string TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("sunlight-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST_CASE("a written batch is read back after reopening") {
  std::string dir = TempDir("store-reopen");
  {
    auto store = Store::Open({.path = dir, .column_families = {"cases", "index"}});
    REQUIRE(store.ok());
    WriteBatch batch;
    batch.Put("cases", "c1", "one");
    batch.Put("index", "i1", "");
    REQUIRE((*store)->Write(batch).ok());
  }
  auto store = Store::Open({.path = dir, .column_families = {"cases", "index"}});
  REQUIRE(store.ok());
  auto value = (*store)->Get("cases", "c1");
  REQUIRE(value.ok());
  REQUIRE(value->has_value());
  CHECK(**value == "one");
  auto missing = (*store)->Get("cases", "c2");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
  std::filesystem::remove_all(dir);
}

TEST_CASE("a batch naming an unknown column family applies nothing") {
  std::string dir = TempDir("store-unknown-cf");
  auto store = Store::Open({.path = dir, .column_families = {"cases"}});
  REQUIRE(store.ok());
  WriteBatch batch;
  batch.Put("cases", "c1", "one");
  batch.Put("nope", "x", "y");
  absl::Status s = (*store)->Write(batch);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  auto value = (*store)->Get("cases", "c1");
  REQUIRE(value.ok());
  CHECK_FALSE(value->has_value());
  CHECK((*store)->Get("nope", "x").status().code() == absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

TEST_CASE("scans respect bounds and direction, and Last finds the greatest key") {
  std::string dir = TempDir("store-scan");
  auto store = Store::Open({.path = dir, .column_families = {"events"}});
  REQUIRE(store.ok());
  WriteBatch batch;
  for (uint64_t i = 1; i <= 10; ++i) batch.Put("events", EncodeU64(i), std::to_string(i));
  REQUIRE((*store)->Write(batch).ok());

  std::vector<std::string> seen;
  auto collect = [&](std::string_view, std::string_view v) {
    seen.emplace_back(v);
    return true;
  };
  REQUIRE((*store)->Scan("events", EncodeU64(3), EncodeU64(6), collect).ok());
  CHECK(seen == std::vector<std::string>{"3", "4", "5"});
  seen.clear();
  REQUIRE((*store)->Scan("events", EncodeU64(3), EncodeU64(6), collect, true).ok());
  CHECK(seen == std::vector<std::string>{"5", "4", "3"});

  auto last = (*store)->Last("events");
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  CHECK(DecodeU64((*last)->first) == 10);
  auto empty = Store::Open({.path = dir + "-empty", .column_families = {"events"}});
  REQUIRE(empty.ok());
  auto none = (*empty)->Last("events");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(dir + "-empty");
}

TEST_CASE("deletes in a batch remove keys") {
  std::string dir = TempDir("store-delete");
  auto store = Store::Open({.path = dir, .column_families = {"cases"}});
  REQUIRE(store.ok());
  WriteBatch put;
  put.Put("cases", "a", "1");
  REQUIRE((*store)->Write(put).ok());
  WriteBatch del;
  del.Delete("cases", "a");
  REQUIRE((*store)->Write(del).ok());
  auto value = (*store)->Get("cases", "a");
  REQUIRE(value.ok());
  CHECK_FALSE(value->has_value());
  std::filesystem::remove_all(dir);
}

TEST_CASE("an empty path is an invalid argument") {
  CHECK(Store::Open({}).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sunlight::storage
