// A map for state keyed by what clients send (addresses, case numbers, user ids): a hard
// size, least recently used entries evicted first, and every entry forgotten `ttl` after it
// was last touched. Memory stays bounded whatever a client sends. Not thread-safe: the owner
// locks.
//
//   BoundedMap<Backoff> backoff(/*capacity=*/100000, absl::Hours(24));
//   Backoff& b = backoff.Touch(key, now);        // found or fresh, now most recent
//   if (const Backoff* seen = backoff.Find(key, now)) ...
#ifndef SUNLIGHT_BASE_BOUNDED_MAP_H_
#define SUNLIGHT_BASE_BOUNDED_MAP_H_

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace sunlight {

template <typename Value>
class BoundedMap {
 public:
  BoundedMap(size_t capacity, absl::Duration ttl) : capacity_(capacity), ttl_(ttl) {}

  // The entry of `key`, a default Value when absent or expired; it becomes the most recent.
  // Evicts the least recently used entry when full.
  Value& Touch(std::string_view key, absl::Time now) {
    Expire(now);
    auto found = index_.find(key);
    if (found != index_.end()) {
      entries_.splice(entries_.begin(), entries_, found->second);
      found->second->touched = now;
      return found->second->value;
    }
    if (entries_.size() >= capacity_) {
      index_.erase(entries_.back().key);
      entries_.pop_back();
      ++evicted_;
    }
    entries_.push_front(Entry{std::string(key), Value(), now});
    index_.emplace(entries_.front().key, entries_.begin());
    return entries_.front().value;
  }

  // The entry of `key` when present and not expired; does not make it more recent.
  const Value* Find(std::string_view key, absl::Time now) const {
    auto found = index_.find(key);
    if (found == index_.end() || now - found->second->touched >= ttl_) return nullptr;
    return &found->second->value;
  }
  Value* FindMutable(std::string_view key, absl::Time now) {
    return const_cast<Value*>(std::as_const(*this).Find(key, now));
  }

  void Erase(std::string_view key) {
    auto found = index_.find(key);
    if (found == index_.end()) return;
    entries_.erase(found->second);
    index_.erase(found);
  }

  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }
  // How many entries were pushed out by newer ones before they expired.
  uint64_t evicted() const { return evicted_; }

 private:
  struct Entry {
    std::string key;
    Value value;
    absl::Time touched;
  };
  // Drops expired entries from the old end.
  void Expire(absl::Time now) {
    while (!entries_.empty() && now - entries_.back().touched >= ttl_) {
      index_.erase(entries_.back().key);
      entries_.pop_back();
    }
  }

  size_t capacity_;
  absl::Duration ttl_;
  std::list<Entry> entries_;  // most recent first
  absl::flat_hash_map<std::string_view, typename std::list<Entry>::iterator> index_;
  uint64_t evicted_ = 0;
};

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_BOUNDED_MAP_H_
