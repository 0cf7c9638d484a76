#include "sunlight/storage/paging.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight::storage {

absl::StatusOr<Page> ReadPage(uint32_t page_size, const std::string& page_token,
                              std::string_view prefix) {
  Page page;
  if (page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page.page_size: must be at most ", kMaxPageSize));
  }
  if (page_size > 0) page.size = page_size;
  page.lower = std::string(prefix);
  if (!page_token.empty()) {
    std::string token;
    if (!absl::WebSafeBase64Unescape(page_token, &token) ||
        token.compare(0, prefix.size(), prefix) != 0) {
      return absl::InvalidArgumentError("page.page_token: not a token from this listing");
    }
    token.push_back('\0');  // the first key after the token's
    page.lower = std::move(token);
  }
  return page;
}

std::string NextPageToken(std::string_view last_key) {
  return absl::WebSafeBase64Escape(absl::string_view(last_key.data(), last_key.size()));
}

absl::StatusOr<std::string> ScanPage(
    const Store& store, std::string_view family, std::string_view prefix, const Page& page,
    const std::function<absl::StatusOr<bool>(std::string_view key, std::string_view value)>&
        visit) {
  uint32_t counted = 0;
  size_t examined = 0;
  std::string last_key;
  bool more = false;
  absl::Status error;
  std::string upper = !page.upper.empty() ? page.upper
                      : prefix.empty()    ? std::string()
                                          : PrefixSuccessor(std::string(prefix));
  absl::Status scanned =
      store.Scan(family, page.lower, upper, [&](std::string_view key, std::string_view value) {
        if (counted >= page.size || (page.max_examined > 0 && examined >= page.max_examined)) {
          more = true;
          return false;
        }
        ++examined;
        absl::StatusOr<bool> added = visit(key, value);
        if (!added.ok()) {
          error = added.status();
          return false;
        }
        if (*added) ++counted;
        last_key = std::string(key);
        return true;
      });
  if (!scanned.ok()) return scanned;
  if (!error.ok()) return error;
  return more ? NextPageToken(last_key) : std::string();
}

}  // namespace sunlight::storage
