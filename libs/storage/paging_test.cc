#include "sunlight/storage/paging.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "sunlight/storage/tuple_key.h"

namespace sunlight::storage {
namespace {

using Index = TupleKey<std::string, uint64_t>;

std::unique_ptr<Store> IndexStore() {
  auto dir =
      std::filesystem::temp_directory_path() / ("sunlight-paging-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto store = Store::Open({.path = dir.string(), .column_families = {"index"}});
  REQUIRE(store.ok());
  WriteBatch batch;
  for (uint64_t i = 1; i <= 7; ++i) batch.Put("index", Index::Encode("market", i), "");
  batch.Put("index", Index::Encode("tax", 1), "");
  REQUIRE((*store)->Write(batch).ok());
  return *std::move(store);
}

TEST_CASE("pages walk a range once each, the last one without a token, filtered entries aside") {
  auto store = IndexStore();
  const std::string prefix = Index::Prefix("market");
  std::vector<uint64_t> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = ReadPage(3, token, prefix);
    REQUIRE(page.ok());
    auto next = ScanPage(*store, "index", prefix, *page,
                         [&](std::string_view key, std::string_view) -> absl::StatusOr<bool> {
                           uint64_t n = std::get<1>(*Index::Decode(key));
                           if (n == 4) return false;  // filtered out: does not count
                           seen.push_back(n);
                           return true;
                         });
    REQUIRE(next.ok());
    token = *next;
    ++pages;
  } while (!token.empty());
  CHECK(seen == std::vector<uint64_t>{1, 2, 3, 5, 6, 7});  // never "tax", nothing twice
  CHECK(pages == 2);
}

TEST_CASE("page requests are checked: size and a token from another range") {
  CHECK(ReadPage(0, "", "p")->size == kDefaultPageSize);
  CHECK(ReadPage(501, "", "p").status().message() == "page.page_size: must be at most 500");
  auto other = ReadPage(10, NextPageToken(Index::Encode("tax", 1)), Index::Prefix("market"));
  CHECK(other.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(other.status().message() == "page.page_token: not a token from this listing");
  CHECK(ReadPage(10, "%%%", "p").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a visit's error ends the scan with that error") {
  auto store = IndexStore();
  auto page = ReadPage(10, "", Index::Prefix("market"));
  REQUIRE(page.ok());
  auto result = ScanPage(*store, "index", Index::Prefix("market"), *page,
                         [](std::string_view, std::string_view) -> absl::StatusOr<bool> {
                           return absl::DataLossError("unreadable");
                         });
  CHECK(result.status().code() == absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sunlight::storage
