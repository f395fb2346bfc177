#pragma once
// A bounded map from string keys to values that forgets the least recently
// used entry when full. For results of pure, costly functions on the request
// path (a session token's decryption, a DSN's parse and instance key): the
// same client sends the same strings on every request, and the cache spares
// redoing the work. Whatever must be checked per request (expiry, ended
// sessions, revocation) stays outside, with the caller.
//
// Not thread-safe: the owner locks.

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace mcpgw::policies {

// `Hash`: of the keys; the default unless all keys share a property a
// cheaper hash can rely on (UnsealedIdHash).
template <typename Value, typename Hash = std::hash<std::string_view>>
class LruCache {
 public:
  // At most `capacity` entries (at least one).
  explicit LruCache(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}
  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  // The value for `key`, now the most recently used; null when absent. Valid
  // until the next Put or Erase.
  const Value* Find(std::string_view key) {
    const auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);
    return &it->second->second;
  }

  // Stores `value` for `key` (replacing any), evicting the least recently
  // used entry when the cache is full.
  void Put(std::string key, Value value) {
    if (const auto it = index_.find(key); it != index_.end()) {
      it->second->second = std::move(value);
      entries_.splice(entries_.begin(), entries_, it->second);
      return;
    }
    if (entries_.size() >= capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
    entries_.emplace_front(std::move(key), std::move(value));
    // The index's keys view the list's strings: list nodes never move.
    index_.emplace(entries_.front().first, entries_.begin());
  }

  void Erase(std::string_view key) {
    const auto it = index_.find(key);
    if (it == index_.end()) return;
    const auto entry = it->second;
    index_.erase(it);
    entries_.erase(entry);
  }

  // Removes every entry for which `drop(key, value)` holds.
  template <typename Predicate>
  void EraseIf(Predicate drop) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (drop(std::string_view(it->first), it->second)) {
        index_.erase(std::string_view(it->first));
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void Clear() {
    index_.clear();
    entries_.clear();
  }

  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  using Entry = std::pair<std::string, Value>;
  std::size_t capacity_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string_view, typename std::list<Entry>::iterator,
                     Hash>
      index_;
};

}  // namespace mcpgw::policies
