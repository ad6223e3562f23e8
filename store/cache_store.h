// The response cache's entries in the request log's SQLite file (table `response_cache`), so
// cached answers survive a restart (router/response_cache.h keeps the hot ones in memory). Rows
// are keyed by a SHA-256 of the normalised request, never the prompt itself; they hold the answer,
// the route and the caller's key name. Expired rows are never returned and are deleted as they
// are met; beyond max_entries or max_bytes the least recently used rows go. Thread-safe.
#pragma once

#include <cstddef>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

struct sqlite3;

namespace switchyard {

struct CacheRow {
    std::string key;        // hex SHA-256 of the cache key
    std::string route;      // route/endpoint, for inspection and purges
    std::string scope;      // the caller's key name ("" = anonymous)
    std::string value;      // JSON: the cached answer
    double expires = 0;     // unix seconds
};

class CacheStore {
public:
    // Throws std::runtime_error with the path when the file cannot be opened.
    CacheStore(const std::filesystem::path& file, std::size_t max_entries, std::size_t max_bytes);
    ~CacheStore();
    CacheStore(const CacheStore&) = delete;
    CacheStore& operator=(const CacheStore&) = delete;

    // The row's value if present and not expired at `now` (an expired row is deleted); its
    // expiry time in *expires.
    std::optional<std::string> get(const std::string& key, double now, double* expires = nullptr);
    void put(const CacheRow& row, double now);
    std::size_t size();

private:
    void evict_locked(double now);
    std::mutex mu_;
    sqlite3* db_ = nullptr;
    std::size_t max_entries_, max_bytes_;
};

}  // namespace switchyard
