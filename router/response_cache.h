// Exact-match response cache: a finished answer is kept under its normalised request (the
// chat body without stream options and metadata), the route, the tier the request starts on
// and the caller's key, so a repeated request is answered without running a model. Only
// deterministic requests (temperature 0) are cached unless `cache.deterministic_only: false`;
// entries expire after `cache.ttl` and the least recently used go beyond max_entries/max_bytes.
// A request bypasses it with `X-Switchyard-Cache: bypass` or `metadata.cache: false`.
// With a request log (log.path) and `cache.persist` (the default), every entry is also written to
// the log's SQLite file (store/cache_store.h, under a SHA-256 of the key), and a request that
// misses in memory is looked up there: the cache survives restarts, with the same TTL and bounds.
#pragma once

#include "config/config.h"
#include "providers/provider.h"
#include "store/cache_store.h"

#include <filesystem>
#include <functional>
#include <memory>

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
    std::string source = "memory";   // where a hit came from: memory | database | semantic
};

// A cached answer as stored in the database, and back (nullopt for a row it cannot read).
std::string serialize_answer(const CachedAnswer& a);
std::optional<CachedAnswer> deserialize_answer(const std::string& text);

class ResponseCache {
public:
    // `db_file`: the request log's SQLite file; `pg_url`: the PostgreSQL store's database, used
    // instead when set (both empty, or persist off: memory only). Throws std::runtime_error when
    // the file cannot be opened.
    explicit ResponseCache(CacheSpec spec, const std::filesystem::path& db_file = {}, const std::string& pg_url = {});
    bool enabled() const { return spec_.enabled; }
    bool persistent() const { return store_ != nullptr; }
    const CacheSpec& spec() const { return spec_; }
    // Whether the request may be served from / stored in the cache at all.
    bool cacheable(const json& request) const;
    static bool bypassed(const json& request);     // metadata.cache == false
    static std::string key(const json& request, const std::string& route, std::size_t start_tier, const std::string& scope);
    std::optional<CachedAnswer> get(const std::string& key, double now);
    void put(const std::string& key, const CachedAnswer& answer, double now);
    // The database side (blocking: the router runs these on its blocking pool). load() is for a
    // key get() missed; a row found is kept in memory too.
    std::optional<CachedAnswer> load(const std::string& key, double now);
    // The write as a job to run later, anywhere: it owns what it needs (the store included), so it
    // may outlive the cache. Empty when not persistent.
    std::function<void()> persist_job(const std::string& key, const CachedAnswer& answer, double now) const;
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
    void put_until(const std::string& key, const CachedAnswer& answer, double now, double expires);
    CacheSpec spec_;
    std::shared_ptr<CacheStore> store_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> lru_;
    std::size_t bytes_ = 0;
};

}  // namespace switchyard::router
