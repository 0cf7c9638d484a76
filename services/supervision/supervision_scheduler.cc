// The scheduler: firing due transitions, loading clocks ahead, delivering alerts.
#include "supervision_internal.h"

#include "sunlight/base/log.h"

namespace sunlight::supervision {

absl::StatusOr<size_t> Supervision::FireDue(size_t max) {
  std::lock_guard lock(write_mu_);
  Mutation m(this, clock_->Now());
  std::string upper = store::ScheduleEnd(m.now);
  std::vector<std::pair<std::string, std::string>> due;  // (entry key, clock id)
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(store::kSchedule, schedule_floor_, upper,
                                        [&](std::string_view key, std::string_view) {
                                          auto entry = store::DecodeScheduleKey(key);
                                          if (!entry.has_value()) {
                                            error = absl::DataLossError("malformed schedule key");
                                            return false;
                                          }
                                          due.emplace_back(std::string(key), *std::move(entry));
                                          return due.size() < max;
                                        }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  size_t changed = 0;
  std::vector<absl::Time> instants;  // of the transitions, for their delay
  std::set<std::string> seen;
  const std::string& calendar_version = m.calendar->versioned_name();
  const std::string& rule_version = m.rules.version();
  for (const auto& [key, id] : due) {
    if (!seen.insert(id).second) continue;
    if (auto p = prepared_.find(id); p != prepared_.end()) {
      m.Preload(id, std::move(p->second));
      prepared_.erase(p);
    }
    SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(id));
    if (clock == nullptr) {
      m.batch.Delete(store::kSchedule, key);  // an entry whose clock is gone
      continue;
    }
    // Re-check against the facts as of now. Facts, calendar and rule changes re-plan a
    // clock when they happen, so only a clock inside an open pause (whose instants move
    // with time) or one planned under another calendar or rule set needs it here.
    if (clock->paused() || clock->calendar_version() != calendar_version ||
        clock->rule_version() != rule_version || !clock->has_red_at()) {
      SUNLIGHT_RETURN_IF_ERROR(Plan(m, *clock));
    }
    if (!clock->has_red_at()) continue;
    absl::Time yellow = FromProto(clock->yellow_at());
    absl::Time red = FromProto(clock->red_at());
    if (Finished(*clock)) {
      if (clock->light() >= v1::LIGHT_YELLOW && yellow < red) {
        RaiseLightAlert(m, *clock, v1::LIGHT_YELLOW, yellow);
      }
      if (clock->light() == v1::LIGHT_RED) RaiseLightAlert(m, *clock, v1::LIGHT_RED, red);
      continue;
    }
    if (clock->paused()) continue;
    v1::Light target = LightAt(m.now, yellow, red);
    if (target <= clock->light()) continue;
    if (clock->light() < v1::LIGHT_YELLOW && yellow < red) {
      RaiseLightAlert(m, *clock, v1::LIGHT_YELLOW, yellow);
    }
    if (target == v1::LIGHT_RED) RaiseLightAlert(m, *clock, v1::LIGHT_RED, red);
    instants.push_back(target == v1::LIGHT_RED ? red : yellow);
    clock->set_light(target);
    *clock->mutable_light_changed_at() = ToProto(m.now);
    ++changed;
  }
  // The next pass starts at the first entry this one leaves in place: one its clock still
  // implies, or the first one it did not reach. Commit lowers the floor again for entries
  // it writes before it.
  std::string floor = due.size() < max ? upper : due.back().first;
  std::map<std::string, std::vector<std::string>> kept;  // clock id -> its entries now
  for (const auto& [key, id] : due) {
    if (key >= floor) break;
    auto it = kept.find(id);
    if (it == kept.end()) {
      SUNLIGHT_ASSIGN_OR_RETURN(v1::Clock * clock, m.GetClock(id));
      it = kept.emplace(id, clock == nullptr ? std::vector<std::string>{} : ScheduleEntries(*clock))
               .first;
    }
    if (std::find(it->second.begin(), it->second.end(), key) != it->second.end()) floor = key;
  }
  schedule_floor_ = std::move(floor);
  if (absl::Status status = Commit(m); !status.ok()) {
    schedule_floor_.clear();  // nothing was written: every entry is still there
    prepared_floor_.clear();
    return status;
  }
  metrics_.transitions_fired.Increment(static_cast<double>(changed));
  const absl::Time committed = clock_->Now();
  for (absl::Time instant : instants) {
    gauges_.fire_delay.Observe(std::max(0.0, absl::ToDoubleSeconds(committed - instant)));
  }
  return changed;
}

absl::StatusOr<size_t> Supervision::PrepareDue(absl::Duration horizon, size_t max_loads) {
  std::lock_guard lock(write_mu_);
  std::string upper = store::ScheduleEnd(clock_->Now() + horizon);
  std::vector<std::string> ids;
  absl::Status error;
  // Entries before prepared_floor_ were looked at by an earlier call (a tick re-scanning the
  // whole horizon cost more than the firing); Commit lowers it for every entry it adds.
  std::string next = std::max(schedule_floor_, prepared_floor_);
  SUNLIGHT_RETURN_IF_ERROR(
      store_->Scan(store::kSchedule, next, upper, [&](std::string_view key, std::string_view) {
        if (ids.size() >= max_loads || prepared_.size() + ids.size() >= kMaxPrepared) {
          next = std::string(key);
          return false;
        }
        next = std::string(key);
        next.push_back('\0');
        auto entry = store::DecodeScheduleKey(key);
        if (!entry.has_value()) {
          error = absl::DataLossError("malformed schedule key");
          return false;
        }
        const std::string& id = *entry;
        if (!prepared_.contains(id) && (ids.empty() || ids.back() != id)) ids.push_back(id);
        return true;
      }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  prepared_floor_ = std::move(next);
  size_t loaded = 0;
  for (const auto& id : ids) {
    if (prepared_.contains(id)) continue;
    SUNLIGHT_ASSIGN_OR_RETURN(auto stored,
                              storage::LoadProto<v1::Clock>(*store_, store::kClocks, id));
    if (!stored.has_value()) continue;
    prepared_.emplace(id, *std::move(stored));
    ++loaded;
  }
  return loaded;
}

absl::StatusOr<size_t> Supervision::DeliverAlerts(AlertSink& sink, size_t max) {
  std::lock_guard lock(delivery_mu_);
  std::vector<std::pair<std::string, v1::Alert>> pending;
  absl::Status error;
  SUNLIGHT_RETURN_IF_ERROR(store_->Scan(
      store::kOutbox, outbox_floor_, "", [&](std::string_view key, std::string_view value) {
        auto alert = storage::ParseProto<v1::Alert>(value, store::kOutbox, key);
        if (!alert.ok()) {
          error = alert.status();
          return false;
        }
        pending.emplace_back(std::string(key), *std::move(alert));
        return pending.size() < max;
      }));
  SUNLIGHT_RETURN_IF_ERROR(error);
  storage::WriteBatch delivered;
  size_t count = 0;
  absl::Status failure;
  for (const auto& [key, alert] : pending) {
    failure = sink.Deliver(alert);
    if (!failure.ok()) break;
    delivered.Delete(store::kOutbox, key);
    ++count;
  }
  if (!delivered.empty()) {
    // Only what the sink holds durably leaves the outbox.
    SUNLIGHT_RETURN_IF_ERROR(sink.Flush());
    SUNLIGHT_RETURN_IF_ERROR(store_->Write(delivered));
    metrics_.alerts_delivered.Increment(static_cast<double>(count));
    // Outbox keys are alert numbers, written in order under write_mu_: nothing new can
    // sort before the last one delivered.
    outbox_floor_ = pending[count - 1].first;
  }
  if (!failure.ok()) return failure;
  return count;
}

void Supervision::RunScheduler(absl::Duration prepare_ahead) {
  while (true) {
    auto fired = FireDue();
    if (!fired.ok()) {
      LogError("supervision", absl::StrCat("firing: ", fired.status().ToString()));
      return;
    }
    if (*fired < kFireBatch) break;  // drained
  }
  // Clocks falling due in the next seconds are loaded now, not at their instant.
  if (prepare_ahead <= absl::ZeroDuration()) return;
  if (auto prepared = PrepareDue(prepare_ahead); !prepared.ok()) {
    LogWarning("supervision", absl::StrCat("preparing: ", prepared.status().ToString()));
  }
}

void Supervision::RunAlertDelivery(AlertSink& sink) {
  if (auto delivered = DeliverAlerts(sink); !delivered.ok()) {
    LogWarning("supervision",
               absl::StrCat("alert delivery (will retry): ", delivered.status().ToString()));
  }
}

}  // namespace sunlight::supervision
