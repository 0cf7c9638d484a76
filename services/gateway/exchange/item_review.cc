// Limits and changes of a pushed item definition (item_review.h).
#include "exchange/item_review.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"

namespace sunlight::gateway {
namespace {

using common::v1::TimeLimit;
using intake::v1::ItemDefinition;

std::string LimitText(const TimeLimit& limit) {
  switch (limit.unit()) {
    case common::v1::LIMIT_UNIT_WORKING_DAYS:
      return absl::StrCat(limit.amount(), " working days");
    case common::v1::LIMIT_UNIT_NATURAL_DAYS:
      return absl::StrCat(limit.amount(), " natural days");
    case common::v1::LIMIT_UNIT_SAME_DAY:
      return "same day";
    default:
      return "";
  }
}

// Whether `limit` certainly ends no later than `bound` from the same start.
bool AtMost(const TimeLimit& limit, const TimeLimit& bound) {
  using common::v1::LIMIT_UNIT_NATURAL_DAYS, common::v1::LIMIT_UNIT_SAME_DAY,
      common::v1::LIMIT_UNIT_WORKING_DAYS;
  if (limit.unit() == LIMIT_UNIT_SAME_DAY) return true;
  if (bound.unit() == LIMIT_UNIT_SAME_DAY) return false;
  if (limit.unit() == bound.unit()) return limit.amount() <= bound.amount();
  // N natural days never outlast N working days; the other way round may.
  return limit.unit() == LIMIT_UNIT_NATURAL_DAYS && bound.unit() == LIMIT_UNIT_WORKING_DAYS &&
         limit.amount() <= bound.amount();
}

absl::Status Bounded(const TimeLimit& limit, const std::string& field, const TimeLimit& bound,
                     const std::string& bound_name) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(limit, field));
  if (AtMost(limit, bound)) return absl::OkStatus();
  return InvalidField(
      field, absl::StrCat(LimitText(limit), " exceeds ", bound_name, " (", LimitText(bound), ")"));
}

std::string MaterialText(const intake::v1::RequiredMaterial& m) {
  return absl::StrCat(m.name(), m.mandatory() ? ", mandatory" : ", optional");
}

std::string StepText(const intake::v1::StepDefinition& s) {
  std::string text = absl::StrCat(intake::v1::StepKind_Name(s.kind()), " \"", s.name(), "\" in ",
                                  s.department_id(), " by ", s.role(), ", ", LimitText(s.limit()));
  if (s.branches_size() > 0) {
    std::vector<std::string> branches;
    for (const auto& b : s.branches()) {
      branches.push_back(absl::StrCat(b.department_id(), " by ", b.role(), ", ",
                                      LimitText(b.limit()), b.lead() ? ", lead" : "",
                                      b.required() ? ", required" : ""));
    }
    absl::StrAppend(&text, "; branches: ", absl::StrJoin(branches, "; "),
                    "; required to pass: ", s.branches_required());
  }
  return text;
}

std::string FeesText(const ItemDefinition& d) {
  std::vector<std::string> fees;
  for (const auto& f : d.fees()) {
    fees.push_back(absl::StrCat(f.name(), " ", f.amount_fen(), " fen (", f.basis(), ")"));
  }
  return absl::StrJoin(fees, "; ");
}

// Entries by code, for comparing lists whose entries have a stable code.
template <typename List, typename Text>
std::map<std::string, std::string> ByCode(const List& list, Text text) {
  std::map<std::string, std::string> out;
  for (const auto& entry : list) out[entry.code()] = text(entry);
  return out;
}

}  // namespace

absl::Status CheckPushedLimits(const ItemDefinition& pushed, const ItemDefinition* in_force) {
  SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(pushed.statutory_limit(), "definition.statutory_limit"));
  if (in_force != nullptr) {
    SUNLIGHT_RETURN_IF_ERROR(Bounded(pushed.statutory_limit(), "definition.statutory_limit",
                                     in_force->statutory_limit(), "the statutory limit in force"));
  }
  const TimeLimit& statutory = pushed.statutory_limit();
  SUNLIGHT_RETURN_IF_ERROR(Bounded(pushed.promised_limit(), "definition.promised_limit", statutory,
                                   "the statutory limit"));
  for (int i = 0; i < pushed.steps_size(); ++i) {
    const auto& step = pushed.steps(i);
    const std::string field = absl::StrCat("definition.steps[", i, "]");
    SUNLIGHT_RETURN_IF_ERROR(
        Bounded(step.limit(), field + ".limit", statutory, "the statutory limit"));
    for (int b = 0; b < step.branches_size(); ++b) {
      SUNLIGHT_RETURN_IF_ERROR(Bounded(step.branches(b).limit(),
                                       absl::StrCat(field, ".branches[", b, "].limit"), statutory,
                                       "the statutory limit"));
    }
  }
  return absl::OkStatus();
}

std::vector<exchange::v1::ItemChange> ItemChanges(const ItemDefinition* in_force,
                                                  const ItemDefinition& pushed) {
  const ItemDefinition none;
  const ItemDefinition& old = in_force != nullptr ? *in_force : none;
  std::vector<exchange::v1::ItemChange> changes;
  auto compare = [&](const std::string& field, const std::string& before,
                     const std::string& after) {
    if (before == after) return;
    exchange::v1::ItemChange change;
    change.set_field(field);
    change.set_in_force(before);
    change.set_pushed(after);
    changes.push_back(std::move(change));
  };
  auto kind = [](const ItemDefinition& d) {
    return d.kind() == 0 ? std::string() : intake::v1::ItemKind_Name(d.kind());
  };
  auto type = [](const ItemDefinition& d) {
    return d.type() == 0 ? std::string() : intake::v1::ItemType_Name(d.type());
  };
  // Intake publishes an unset margin as 1 working day.
  auto margin = [](const ItemDefinition& d) {
    if (d.name().empty()) return std::string();  // no version in force
    return absl::StrCat(std::max<uint32_t>(1, d.warning_margin_working_days()));
  };
  compare("name", old.name(), pushed.name());
  compare("department_id", old.department_id(), pushed.department_id());
  compare("kind", kind(old), kind(pushed));
  compare("type", type(old), type(pushed));
  compare("legal_basis", old.legal_basis(), pushed.legal_basis());
  compare("conditions", old.conditions(), pushed.conditions());
  compare("statutory_limit", LimitText(old.statutory_limit()), LimitText(pushed.statutory_limit()));
  compare("promised_limit", LimitText(old.promised_limit()), LimitText(pushed.promised_limit()));
  compare("warning_margin_working_days", margin(old), margin(pushed));
  for (const auto& [list, before, after] :
       {std::tuple{"required_materials", ByCode(old.required_materials(), MaterialText),
                   ByCode(pushed.required_materials(), MaterialText)},
        std::tuple{"steps", ByCode(old.steps(), StepText), ByCode(pushed.steps(), StepText)}}) {
    std::map<std::string, std::pair<std::string, std::string>> both;
    for (const auto& [code, text] : before) both[code].first = text;
    for (const auto& [code, text] : after) both[code].second = text;
    for (const auto& [code, texts] : both) {
      compare(absl::StrCat(list, "[", code, "]"), texts.first, texts.second);
    }
  }
  // Steps run in order: the same steps in another order are a change too.
  auto order = [](const ItemDefinition& d) {
    std::vector<std::string> codes;
    for (const auto& s : d.steps()) codes.push_back(s.code());
    return codes;
  };
  std::vector<std::string> old_order = order(old), new_order = order(pushed);
  if (old_order != new_order &&
      std::is_permutation(old_order.begin(), old_order.end(), new_order.begin(), new_order.end())) {
    compare("steps (order)", absl::StrJoin(old_order, ", "), absl::StrJoin(new_order, ", "));
  }
  compare("fees", FeesText(old), FeesText(pushed));
  return changes;
}

}  // namespace sunlight::gateway
