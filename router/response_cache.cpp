#include "router/response_cache.h"

namespace switchyard::router {

bool ResponseCache::bypassed(const json& request) {
    if (!request.contains("metadata") || !request["metadata"].is_object()) return false;
    const json& m = request["metadata"];
    if (!m.contains("cache")) return false;
    const json& v = m["cache"];
    return v == false || v == "false" || v == "bypass" || v == "off";
}

bool ResponseCache::cacheable(const json& request) const {
    if (!spec_.enabled) return false;
    if (!spec_.deterministic_only) return true;
    // Greedy decoding gives the same answer for the same input; sampling does not.
    return request.contains("temperature") && request["temperature"].is_number() && request["temperature"].get<double>() == 0.0;
}

std::string ResponseCache::key(const json& request, const std::string& route, std::size_t start_tier, const std::string& scope) {
    json norm = request;
    for (const char* k : {"stream", "stream_options", "metadata", "user", "store"}) norm.erase(k);
    // nlohmann's objects are ordered maps, so equal requests dump to equal text.
    return route + '\x1f' + std::to_string(start_tier) + '\x1f' + scope + '\x1f' + norm.dump();
}

std::optional<CachedAnswer> ResponseCache::get(const std::string& key, double now) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.expires < now) {
        bytes_ -= it->second.bytes;
        lru_.erase(it->second.lru);
        entries_.erase(it);
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.answer;
}

void ResponseCache::put(const std::string& key, const CachedAnswer& answer, double now) {
    std::lock_guard lock(mu_);
    const std::size_t size = key.size() * 2 + answer.result.content.size() + answer.result.tool_calls.dump().size() +
                             (answer.result.response.is_null() ? 0 : answer.result.response.dump().size()) + 256;
    if (size > spec_.max_bytes) return;
    if (auto it = entries_.find(key); it != entries_.end()) {
        bytes_ -= it->second.bytes;
        lru_.erase(it->second.lru);
        entries_.erase(it);
    }
    lru_.push_front(key);
    Entry e{answer, now + static_cast<double>(spec_.ttl.count()), size, lru_.begin()};
    e.answer.result.streamed_to_client = false;
    entries_.emplace(key, std::move(e));
    bytes_ += size;
    evict_locked();
}

void ResponseCache::evict_locked() {
    while (!lru_.empty() && (entries_.size() > spec_.max_entries || bytes_ > spec_.max_bytes)) {
        auto it = entries_.find(lru_.back());
        bytes_ -= it->second.bytes;
        entries_.erase(it);
        lru_.pop_back();
    }
}

std::size_t ResponseCache::size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

std::size_t ResponseCache::bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
}

}  // namespace switchyard::router
