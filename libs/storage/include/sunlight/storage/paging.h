// Paged listings over a key range: the one way to read a page request and to hand out the
// next page's token. A token is the last key of the page, base64url-encoded, and is only
// accepted within the range it came from.
//
//   SUNLIGHT_ASSIGN_OR_RETURN(Page page, ReadPage(request.page().page_size(),
//                                                 request.page().page_token(), prefix));
//   SUNLIGHT_ASSIGN_OR_RETURN(std::string next, ScanPage(*store, kIndex, prefix, page,
//       [&](std::string_view key, std::string_view value) -> absl::StatusOr<bool> {
//         ... add an item; return true when it counts towards the page
//       }));
//   response.set_next_page_token(next);
#ifndef SUNLIGHT_STORAGE_PAGING_H_
#define SUNLIGHT_STORAGE_PAGING_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sunlight/storage/store.h"

namespace sunlight::storage {

inline constexpr uint32_t kDefaultPageSize = 50;
inline constexpr uint32_t kMaxPageSize = 500;

struct Page {
  uint32_t size = kDefaultPageSize;
  // First key to read: the range's prefix, or just after the token's key. A listing may move
  // it later (a lower bound of its own).
  std::string lower;
  // First key not to read; empty: the end of the prefix's range.
  std::string upper;
  // Most entries one page examines, counted or not (0: no bound): a filter that skips much
  // hands back a short page with a token rather than scanning without bound.
  size_t max_examined = 0;
};

// The page a request asks for over the keys that start with `prefix`: size 0 is the default
// (50); over 500 is INVALID_ARGUMENT "page.page_size: ..."; a token that is not from this
// range is INVALID_ARGUMENT "page.page_token: not a token from this listing".
absl::StatusOr<Page> ReadPage(uint32_t page_size, const std::string& page_token,
                              std::string_view prefix);

// The token of the page that follows `last_key`.
std::string NextPageToken(std::string_view last_key);

// Visits the entries of `family` under `prefix` from `page.lower` to `page.upper`, until
// `page.size` entries counted (visit returned true for them), `page.max_examined` were
// visited, or the range ends; a visit error ends the scan with that error. Returns the next
// page's token, "" when there is none.
absl::StatusOr<std::string> ScanPage(
    const Store& store, std::string_view family, std::string_view prefix, const Page& page,
    const std::function<absl::StatusOr<bool>(std::string_view key, std::string_view value)>& visit);

}  // namespace sunlight::storage

#endif  // SUNLIGHT_STORAGE_PAGING_H_
