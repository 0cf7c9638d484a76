// What the files of the Scoring class share: its unit of work (Mutation).
#ifndef SUNLIGHT_SERVICES_SCORING_SCORING_INTERNAL_H_
#define SUNLIGHT_SERVICES_SCORING_SCORING_INTERNAL_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "scoring_measures.h"
#include "scoring_rules.h"
#include "scoring_store.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/scoring/scoring.h"
#include "sunlight/storage/proto_record.h"

namespace sunlight::scoring {

using events::v1::CaseEvent;

// One write: the records it changed (loaded once), the aggregates it touched, the batch and
// the events it produces.
class Scoring::Mutation {
 public:
  Mutation(const storage::Store* store, absl::Time now) : store_(store), now(now) {}

  // The record of `case_id` (a new one when the store has none); marked changed.
  absl::StatusOr<v1::CaseRecord*> Record(const std::string& case_id) {
    auto it = records.find(case_id);
    if (it != records.end()) return &it->second;
    SUNLIGHT_ASSIGN_OR_RETURN(auto stored,
                              storage::LoadProto<v1::CaseRecord>(*store_, store::kCases, case_id));
    v1::CaseRecord& record = records[case_id];
    if (stored.has_value()) {
      loaded[case_id] = stored->SerializeAsString();
      record = *std::move(stored);
    } else {
      record.set_case_id(case_id);
    }
    return &record;
  }

  // The aggregate at `key`, loaded once.
  absl::StatusOr<v1::Measures*> Aggregate(const std::string& key) {
    auto it = aggregates.find(key);
    if (it != aggregates.end()) return &it->second;
    SUNLIGHT_ASSIGN_OR_RETURN(auto stored,
                              storage::LoadProto<v1::Measures>(*store_, store::kMeasures, key));
    v1::Measures& m = aggregates[key];
    if (stored.has_value()) m = *std::move(stored);
    return &m;
  }

  // The occurrence at `key` (OccurrenceKey) as this write leaves it so far, loaded once: empty
  // when none is stored. The caller sets it to what it stages, so that a second look within
  // the same write sees the first.
  absl::StatusOr<v1::Occurrence*> StoredOccurrence(const std::string& key) {
    auto it = occurrences.find(key);
    if (it != occurrences.end()) return &it->second;
    SUNLIGHT_ASSIGN_OR_RETURN(
        auto stored, storage::LoadProto<v1::Occurrence>(*store_, store::kOccurrences, key));
    v1::Occurrence& o = occurrences[key];
    if (stored.has_value()) o = *std::move(stored);
    return &o;
  }

  std::map<std::string, v1::CaseRecord> records;
  std::map<std::string, std::string> loaded;  // bytes of each record as stored
  std::map<std::string, v1::Measures> aggregates;
  std::map<std::string, v1::Occurrence> occurrences;  // by OccurrenceKey
  storage::WriteBatch batch;
  std::vector<CaseEvent> events;
  const storage::Store* store_;
  const absl::Time now;
};

}  // namespace sunlight::scoring

#endif  // SUNLIGHT_SERVICES_SCORING_SCORING_INTERNAL_H_
