// Exact-match response cache: a finished answer is kept under its normalised request (the
// chat body without stream options and metadata), the route, the tier the request starts on
// and the caller's key, so a repeated request is answered without running a model. Only
// deterministic requests (temperature 0) are cached unless `cache.deterministic_only: false`;
// entries expire after `cache.ttl` and the least recently used go beyond max_entries/max_bytes.
// A request bypasses it with `X-Switchyard-Cache: bypass` or `metadata.cache: false`.
#pragma once

#include "config/config.h"
#include "providers/provider.h"

#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace switchyard::router {

using json = nlohmann::json;

struct CachedAnswer {
    providers::ProviderResult result;
    std::string tier, provider, model;
    std::size_t tier_index = 0;
};

class ResponseCache {
public:
    explicit ResponseCache(CacheSpec spec) : spec_(spec) {}
    bool enabled() const { return spec_.enabled; }
    // Whether the request may be served from / stored in the cache at all.
    bool cacheable(const json& request) const;
    static bool bypassed(const json& request);     // metadata.cache == false
    static std::string key(const json& request, const std::string& route, std::size_t start_tier, const std::string& scope);
    std::optional<CachedAnswer> get(const std::string& key, double now);
    void put(const std::string& key, const CachedAnswer& answer, double now);
    std::size_t size() const;
    std::size_t bytes() const;

private:
    struct Entry {
        CachedAnswer answer;
        double expires = 0;
        std::size_t bytes = 0;
        std::list<std::string>::iterator lru;
    };
    void evict_locked();
    CacheSpec spec_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> lru_;
    std::size_t bytes_ = 0;
};

}  // namespace switchyard::router
