// Which address a request comes from when reverse proxies stand in front of the gateway.
//
//   auto proxies = TrustedProxies::Parse({"10.0.0.0/8", "::1"});   // INVALID_ARGUMENT if bad
//   std::string client = proxies->Client(peer, request.Header("x-forwarded-for"));
//
// Only a socket peer that is a trusted proxy is believed: its X-Forwarded-For is read from
// the right (the hop nearest to us) and the first address that is not a trusted proxy is the
// client. From any other peer the header is ignored (anyone can write it), so a client cannot
// choose the address its limits are counted under.
#ifndef SUNLIGHT_SERVICES_GATEWAY_TRUSTED_PROXIES_H_
#define SUNLIGHT_SERVICES_GATEWAY_TRUSTED_PROXIES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sunlight::gateway {

// An IPv4 or IPv6 address in its canonical text ("10.0.0.1", "2001:db8::1"); an IPv4-mapped
// IPv6 address is written as IPv4. Brackets and a port ("[::1]:80", "10.0.0.1:80") are
// dropped. Nothing for text that is not an address.
std::optional<std::string> CanonicalAddress(absl::string_view text);

class TrustedProxies {
 public:
  // Addresses ("10.1.2.3", "::1") and CIDR blocks ("10.0.0.0/8", "fd00::/8"); empty entries
  // are skipped. INVALID_ARGUMENT naming the first entry that is neither.
  static absl::StatusOr<TrustedProxies> Parse(const std::vector<std::string>& entries);

  bool empty() const { return blocks_.empty(); }
  bool Contains(absl::string_view address) const;

  // The client of a request whose socket peer is `peer` (canonical text) and whose
  // X-Forwarded-For header (every occurrence joined with ",") is `forwarded_for`: `peer`
  // unless it is trusted; then the right-most entry that is not trusted. When every entry is
  // trusted, the left-most; when an entry is not an address, the trusted hop to its right
  // (the proxy that passed the garbage on).
  std::string Client(const std::string& peer, absl::string_view forwarded_for) const;

 private:
  struct Block {
    int family = 0;  // AF_INET or AF_INET6
    std::array<uint8_t, 16> bytes{};
    int prefix_bits = 0;
  };
  std::vector<Block> blocks_;
};

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_TRUSTED_PROXIES_H_
