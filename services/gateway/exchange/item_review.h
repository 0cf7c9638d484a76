// Reviewing an item definition pushed by a platform: the limits it may set, and what it
// changes against the version in force (shown to the administrator who decides).
#ifndef SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_ITEM_REVIEW_H_
#define SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_ITEM_REVIEW_H_

#include <vector>

#include "absl/status/status.h"
#include "sunlight/exchange/v1/exchange.pb.h"
#include "sunlight/intake/v1/intake.pb.h"

namespace sunlight::gateway {

// OK when every limit of `pushed` is bounded by a statutory limit: its statutory limit by
// the one in force (`in_force`, null for a new item: the law sets it, a platform may
// shorten it but not lengthen it), its promised limit and every step's and branch's limit
// by its own statutory limit. A limit in other units than its bound is accepted only where
// it is certainly shorter (same day; N natural days against N working days). Otherwise
// INVALID_ARGUMENT naming the field ("definition.promised_limit: ... exceeds ...").
absl::Status CheckPushedLimits(const intake::v1::ItemDefinition& pushed,
                               const intake::v1::ItemDefinition* in_force);

// What `pushed` changes against `in_force` (null: everything it sets is new), field by
// field, in words: name, department, kind, type, legal basis, conditions, limits, warning
// margin, materials and steps by code, fees.
std::vector<exchange::v1::ItemChange> ItemChanges(const intake::v1::ItemDefinition* in_force,
                                                  const intake::v1::ItemDefinition& pushed);

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_EXCHANGE_ITEM_REVIEW_H_
