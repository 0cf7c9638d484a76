// The audit log's group commit: concurrent appends share synced writes and still form one
// unbroken chain.
#include "audit_log.h"

#include <thread>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "gateway.h"
#include "sunlight/storage/key_encoding.h"
#include "sunlight/testing/test_support.h"

namespace sunlight::gateway {
namespace {

TEST_CASE("concurrent audit appends are numbered without a gap and chain in order") {
  testing::ScratchDir dir("audit-group-commit");
  auto key = auth::HmacSigner::FromKey("audit key of at least thirty-two bytes").value();
  auto store = storage::Store::Open({.path = dir.Sub("gateway"),
                                     .column_families = GatewayColumnFamilies(),
                                     .sync_writes = true})
                   .value();
  auto log = AuditLog::Open(store.get(), key, "").value();
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> sequences(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        v1::AuditEntry entry;
        entry.set_user_id(absl::StrCat("clerk-", t));
        entry.set_action(absl::StrCat("POST /v1/cases #", i));
        auto appended = log->Append(entry);
        if (appended.ok()) sequences[t].push_back(appended->sequence());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<bool> seen(kThreads * kEach + 1, false);
  for (const auto& mine : sequences) {
    REQUIRE(mine.size() == kEach);
    for (size_t i = 1; i < mine.size(); ++i) CHECK(mine[i] > mine[i - 1]);  // each in order
    for (uint64_t s : mine) {
      REQUIRE(s >= 1);
      REQUIRE(s <= kThreads * kEach);
      CHECK_FALSE(seen[s]);
      seen[s] = true;
    }
  }
  auto verified = log->Verify();
  REQUIRE(verified.ok());
  INFO(verified->problem());
  CHECK(verified->intact());
  // Reopened, the log goes on from the last entry written.
  log.reset();
  auto reopened = AuditLog::Open(store.get(), key, "").value();
  auto next = reopened->Append(v1::AuditEntry());
  REQUIRE(next.ok());
  CHECK(next->sequence() == kThreads * kEach + 1);
  CHECK(reopened->Verify()->intact());
}

}  // namespace
}  // namespace sunlight::gateway
