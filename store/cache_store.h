// The response cache's entries in the request log's database (table `response_cache`: the SQLite
// file, or the PostgreSQL store), so cached answers survive a restart (router/response_cache.h keeps the hot ones in memory). Rows
// are keyed by a SHA-256 of the normalised request, never the prompt itself; they hold the answer,
// the route and the caller's key name. Expired rows are never returned and are deleted as they
// are met; beyond max_entries or max_bytes the least recently used rows go. Thread-safe.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
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

// Where persisted cache rows live: the SQLite log file, or the PostgreSQL store's database.
class CacheStore {
public:
    virtual ~CacheStore() = default;
    // The row's value if present and not expired at `now` (an expired row is deleted); its
    // expiry time in *expires.
    virtual std::optional<std::string> get(const std::string& key, double now, double* expires = nullptr) = 0;
    virtual void put(const CacheRow& row, double now) = 0;
    virtual std::size_t size() = 0;
};

class SqliteCacheStore : public CacheStore {
public:
    // Throws std::runtime_error with the path when the file cannot be opened.
    SqliteCacheStore(const std::filesystem::path& file, std::size_t max_entries, std::size_t max_bytes);
    ~SqliteCacheStore() override;
    SqliteCacheStore(const SqliteCacheStore&) = delete;
    SqliteCacheStore& operator=(const SqliteCacheStore&) = delete;
    std::optional<std::string> get(const std::string& key, double now, double* expires = nullptr) override;
    void put(const CacheRow& row, double now) override;
    std::size_t size() override;

private:
    void evict_locked(double now);
    std::mutex mu_;
    sqlite3* db_ = nullptr;
    std::size_t max_entries_, max_bytes_;
};

// The table `response_cache` of the PostgreSQL store (schema migration 2), shared by replicas:
// an answer one replica cached is a hit on the others. Connections from a small pool of its own.
class PgPool;
class PgCacheStore : public CacheStore {
public:
    PgCacheStore(const std::string& url, std::size_t max_entries, std::size_t max_bytes);
    ~PgCacheStore() override;
    std::optional<std::string> get(const std::string& key, double now, double* expires = nullptr) override;
    void put(const CacheRow& row, double now) override;
    std::size_t size() override;

private:
    std::unique_ptr<PgPool> pool_;
    std::size_t max_entries_, max_bytes_;
};

}  // namespace switchyard
