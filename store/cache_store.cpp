#include "store/cache_store.h"

#include "store/pg_conn.h"
#include "store/sqlite_db.h"

namespace switchyard {

namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS response_cache (
  key TEXT PRIMARY KEY, route TEXT NOT NULL, scope TEXT NOT NULL, value TEXT NOT NULL,
  bytes INTEGER NOT NULL, expires REAL NOT NULL, used REAL NOT NULL);
CREATE INDEX IF NOT EXISTS response_cache_used ON response_cache(used);
)sql";

constexpr const char* kWho = "response cache store";

struct Stmt : sqlite::Stmt {
    Stmt(sqlite3* d, const std::string& sql) : sqlite::Stmt(d, sql, kWho) {}
};

}  // namespace

SqliteCacheStore::SqliteCacheStore(const std::filesystem::path& file, std::size_t max_entries, std::size_t max_bytes)
    : max_entries_(max_entries), max_bytes_(max_bytes) {
    db_ = sqlite::open(file, kWho, kSchema);
}

SqliteCacheStore::~SqliteCacheStore() {
    if (db_) sqlite3_close(db_);
}

std::optional<std::string> SqliteCacheStore::get(const std::string& key, double now, double* expires_out) {
    std::lock_guard lock(mu_);
    Stmt st(db_, "SELECT value, expires FROM response_cache WHERE key = ?");
    st.text(1, key);
    if (!st.step()) return std::nullopt;
    const double expires = sqlite3_column_double(st.s, 1);
    if (expires < now) {
        Stmt del(db_, "DELETE FROM response_cache WHERE key = ?");
        del.text(1, key);
        del.step();
        return std::nullopt;
    }
    if (expires_out) *expires_out = expires;
    auto* t = sqlite3_column_text(st.s, 0);
    std::string value = t ? reinterpret_cast<const char*>(t) : "";
    Stmt touch(db_, "UPDATE response_cache SET used = ? WHERE key = ?");
    sqlite3_bind_double(touch.s, 1, now);
    touch.text(2, key);
    touch.step();
    return value;
}

void SqliteCacheStore::put(const CacheRow& row, double now) {
    std::lock_guard lock(mu_);
    const std::size_t bytes = row.key.size() + row.route.size() + row.scope.size() + row.value.size();
    if (bytes > max_bytes_) return;
    Stmt st(db_, "INSERT OR REPLACE INTO response_cache (key, route, scope, value, bytes, expires, used) VALUES (?, ?, ?, ?, ?, ?, ?)");
    st.text(1, row.key);
    st.text(2, row.route);
    st.text(3, row.scope);
    st.text(4, row.value);
    sqlite3_bind_int64(st.s, 5, static_cast<sqlite3_int64>(bytes));
    sqlite3_bind_double(st.s, 6, row.expires);
    sqlite3_bind_double(st.s, 7, now);
    st.step();
    evict_locked(now);
}

// Expired rows first, then the least recently used until both bounds hold.
void SqliteCacheStore::evict_locked(double now) {
    {
        Stmt st(db_, "DELETE FROM response_cache WHERE expires < ?");
        sqlite3_bind_double(st.s, 1, now);
        st.step();
    }
    for (;;) {
        Stmt st(db_, "SELECT count(*), coalesce(sum(bytes), 0) FROM response_cache");
        st.step();
        const auto n = static_cast<std::size_t>(sqlite3_column_int64(st.s, 0));
        const auto total = static_cast<std::size_t>(sqlite3_column_int64(st.s, 1));
        if (n <= max_entries_ && total <= max_bytes_) return;
        // A batch at a time: a lowered bound on a big table does not take a query per row.
        const std::size_t over = n > max_entries_ ? n - max_entries_ : 1;
        Stmt del(db_, "DELETE FROM response_cache WHERE key IN (SELECT key FROM response_cache ORDER BY used ASC LIMIT ?)");
        sqlite3_bind_int64(del.s, 1, static_cast<sqlite3_int64>(over));
        del.step();
    }
}

std::size_t SqliteCacheStore::size() {
    std::lock_guard lock(mu_);
    Stmt st(db_, "SELECT count(*) FROM response_cache");
    st.step();
    return static_cast<std::size_t>(sqlite3_column_int64(st.s, 0));
}

// ---- PostgreSQL ---------------------------------------------------------------------------

PgCacheStore::PgCacheStore(const std::string& url, std::size_t max_entries, std::size_t max_bytes)
    : pool_(std::make_unique<PgPool>(url, 2, std::chrono::milliseconds(2000))), max_entries_(max_entries), max_bytes_(max_bytes) {}

PgCacheStore::~PgCacheStore() = default;

std::optional<std::string> PgCacheStore::get(const std::string& key, double now, double* expires_out) {
    return pool_->with_retry([&](PgConn& c) -> std::optional<std::string> {
        auto r = c.exec("SELECT value, expires FROM response_cache WHERE key = $1", {key});
        if (!r.rows()) return std::nullopt;
        const double expires = r.real(0, 1);
        if (expires < now) {
            c.exec("DELETE FROM response_cache WHERE key = $1 AND expires < $2", {key, pg_num(now)});
            return std::nullopt;
        }
        if (expires_out) *expires_out = expires;
        std::string value = r.text(0, 0);
        c.exec("UPDATE response_cache SET used = $1 WHERE key = $2", {pg_num(now), key});
        return value;
    });
}

void PgCacheStore::put(const CacheRow& row, double now) {
    const std::size_t bytes = row.key.size() + row.route.size() + row.scope.size() + row.value.size();
    if (bytes > max_bytes_) return;
    pool_->with_retry([&](PgConn& c) {
        c.exec("INSERT INTO response_cache (key, route, scope, value, bytes, expires, used) VALUES ($1, $2, $3, $4, $5, $6, $7) "
               "ON CONFLICT (key) DO UPDATE SET route = $2, scope = $3, value = $4, bytes = $5, expires = $6, used = $7",
               {row.key, row.route, row.scope, row.value, std::to_string(bytes), pg_num(row.expires), pg_num(now)});
        c.exec("DELETE FROM response_cache WHERE expires < $1", {pg_num(now)});
        // Bounds as in SQLite: the least recently used rows go until both hold. Replicas evicting
        // at once may remove a few rows more than needed; that only costs hits.
        for (;;) {
            auto r = c.exec("SELECT count(*), coalesce(sum(bytes), 0) FROM response_cache");
            const auto n = static_cast<std::size_t>(r.integer(0, 0));
            const auto total = static_cast<std::size_t>(r.integer(0, 1));
            if (n <= max_entries_ && total <= max_bytes_) return 0;
            const std::size_t over = n > max_entries_ ? n - max_entries_ : 1;
            c.exec("DELETE FROM response_cache WHERE key IN (SELECT key FROM response_cache ORDER BY used ASC LIMIT $1)",
                   {std::to_string(over)});
        }
    });
}

std::size_t PgCacheStore::size() {
    return pool_->with_retry([](PgConn& c) { return static_cast<std::size_t>(c.exec("SELECT count(*) FROM response_cache").integer(0, 0)); });
}

}  // namespace switchyard
