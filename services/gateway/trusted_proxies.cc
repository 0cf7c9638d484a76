#include "trusted_proxies.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sunlight::gateway {

namespace {

// The binary form of an address: family and bytes (4 or 16); IPv4-mapped IPv6 as IPv4.
struct Binary {
  int family = 0;
  std::array<uint8_t, 16> bytes{};
};

std::optional<Binary> ParseBinary(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() > 2 && text.front() == '[') {  // "[v6]" or "[v6]:port"
    size_t close = text.find(']');
    if (close == absl::string_view::npos) return std::nullopt;
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // "v4:port"
    text = text.substr(0, text.find(':'));
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string z(text);
  Binary out;
  if (inet_pton(AF_INET, z.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET;
    return out;
  }
  if (inet_pton(AF_INET6, z.c_str(), out.bytes.data()) != 1) return std::nullopt;
  out.family = AF_INET6;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out.bytes.data(), kMapped, sizeof kMapped) == 0) {
    std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
    std::memset(out.bytes.data() + 4, 0, 12);
    out.family = AF_INET;
  }
  return out;
}

std::string Text(const Binary& address) {
  char text[INET6_ADDRSTRLEN] = {0};
  inet_ntop(address.family, address.bytes.data(), text, sizeof text);
  return text;
}

}  // namespace

std::optional<std::string> CanonicalAddress(absl::string_view text) {
  std::optional<Binary> binary = ParseBinary(text);
  if (!binary.has_value()) return std::nullopt;
  return Text(*binary);
}

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& entries) {
  TrustedProxies proxies;
  for (const std::string& raw : entries) {
    absl::string_view entry = absl::StripAsciiWhitespace(raw);
    if (entry.empty()) continue;
    std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(entry, '/');
    // A block is an address with an optional prefix length; no brackets or ports here.
    std::optional<Binary> address =
        parts.first.find_first_of("[]") == absl::string_view::npos &&
                (parts.first.find(':') == absl::string_view::npos ||
                 std::count(parts.first.begin(), parts.first.end(), ':') > 1)
            ? ParseBinary(parts.first)
            : std::nullopt;
    if (!address.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("trusted proxy \"", entry, "\" is not an address or CIDR block"));
    }
    const int max_bits = address->family == AF_INET ? 32 : 128;
    int bits = max_bits;
    if (entry.find('/') != absl::string_view::npos &&
        (!absl::SimpleAtoi(parts.second, &bits) || bits < 0 || bits > max_bits)) {
      return absl::InvalidArgumentError(
          absl::StrCat("trusted proxy \"", entry, "\": prefix length not in 0..", max_bits));
    }
    proxies.blocks_.push_back({address->family, address->bytes, bits});
  }
  return proxies;
}

bool TrustedProxies::Contains(absl::string_view text) const {
  if (blocks_.empty()) return false;
  std::optional<Binary> address = ParseBinary(text);
  if (!address.has_value()) return false;
  for (const Block& block : blocks_) {
    if (block.family != address->family) continue;
    int whole = block.prefix_bits / 8, rest = block.prefix_bits % 8;
    if (std::memcmp(block.bytes.data(), address->bytes.data(), whole) != 0) continue;
    if (rest != 0) {
      uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
      if ((block.bytes[whole] & mask) != (address->bytes[whole] & mask)) continue;
    }
    return true;
  }
  return false;
}

std::string TrustedProxies::Client(const std::string& peer, absl::string_view forwarded_for) const {
  if (forwarded_for.empty() || !Contains(peer)) return peer;
  std::vector<absl::string_view> hops = absl::StrSplit(forwarded_for, ',');
  std::string client = peer;
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    if (absl::StripAsciiWhitespace(*hop).empty()) continue;
    std::optional<std::string> address = CanonicalAddress(*hop);
    if (!address.has_value()) return client;  // garbage: the trusted hop that passed it on
    client = *address;
    if (!Contains(client)) return client;
  }
  return client;
}

}  // namespace sunlight::gateway
