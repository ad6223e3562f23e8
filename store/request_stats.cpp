#include "store/request_stats.h"

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

namespace switchyard {
namespace {

struct Db {
    sqlite3* db = nullptr;
    explicit Db(const std::filesystem::path& file) {
        int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
        if (rc != SQLITE_OK) {
            std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
            sqlite3_close(db);
            throw std::runtime_error("request log: cannot read " + file.filename().string() + ": " + msg);
        }
        sqlite3_busy_timeout(db, 2000);
    }
    ~Db() { sqlite3_close(db); }
};

struct Query {
    sqlite3_stmt* s = nullptr;
    sqlite3* db;
    Query(sqlite3* d, const char* sql) : db(d) {
        if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("request log stats: ") + sqlite3_errmsg(db));
    }
    ~Query() { sqlite3_finalize(s); }
    bool step() {
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw std::runtime_error(std::string("request log stats: ") + sqlite3_errmsg(db));
    }
    std::string text(int i) const {
        auto* t = sqlite3_column_text(s, i);
        return t ? reinterpret_cast<const char*>(t) : "";
    }
};

// Per (route, tier, model): the requests and what their answers were rated.
constexpr const char* kTierSql = R"sql(
SELECT COALESCE(r.route, ''), COALESCE(r.tier, ''), COALESCE(r.model, ''), COUNT(*),
       SUM(CASE WHEN r.status >= 400 THEN 1 ELSE 0 END), SUM(COALESCE(r.prompt_tokens, 0)),
       SUM(COALESCE(r.completion_tokens, 0)), SUM(COALESCE(r.cost, 0)),
       SUM(COALESCE(f.up, 0)), SUM(COALESCE(f.down, 0))
FROM requests r
LEFT JOIN (SELECT request_id, SUM(rating = 'up') AS up, SUM(rating = 'down') AS down FROM feedback GROUP BY request_id) f
  ON f.request_id = r.id
WHERE r.ts >= ?1 AND r.endpoint IN ('/v1/chat/completions', '/v1/completions', '/v1/embeddings')
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
)sql";

constexpr const char* kTimingSql = R"sql(
SELECT model, latency_ms, ttft_ms, completion_tokens FROM requests
WHERE ts >= ?1 AND status = 200 AND model IS NOT NULL AND model != ''
  AND endpoint IN ('/v1/chat/completions', '/v1/completions', '/v1/embeddings')
ORDER BY ts DESC LIMIT ?2
)sql";

}  // namespace

LogStats read_log_stats(const std::filesystem::path& log_file, double since, int max_samples) {
    Db db(log_file);
    LogStats out;
    out.since = since;
    {
        Query q(db.db, kTierSql);
        sqlite3_bind_double(q.s, 1, since);
        while (q.step()) {
            TierUsage t;
            t.route = q.text(0);
            t.tier = q.text(1);
            t.model = q.text(2);
            t.requests = sqlite3_column_int64(q.s, 3);
            t.errors = sqlite3_column_int64(q.s, 4);
            t.prompt_tokens = sqlite3_column_int64(q.s, 5);
            t.completion_tokens = sqlite3_column_int64(q.s, 6);
            t.cost = sqlite3_column_double(q.s, 7);
            t.up = sqlite3_column_int64(q.s, 8);
            t.down = sqlite3_column_int64(q.s, 9);
            out.requests += t.requests;
            out.errors += t.errors;
            out.cost += t.cost;
            out.tiers.push_back(std::move(t));
        }
    }
    std::map<std::string, ModelTimings> models;
    {
        Query q(db.db, kTimingSql);
        sqlite3_bind_double(q.s, 1, since);
        sqlite3_bind_int(q.s, 2, max_samples);
        while (q.step()) {
            auto& m = models[q.text(0)];
            m.model = q.text(0);
            ++m.requests;
            double latency = sqlite3_column_double(q.s, 1), ttft = sqlite3_column_double(q.s, 2);
            m.latency_ms.push_back(latency);
            if (ttft >= 0) {
                m.ttft_ms.push_back(ttft);
                m.completion_tokens += sqlite3_column_int64(q.s, 3);
                m.generation_s += std::max(0.0, latency - ttft) / 1000.0;
            }
        }
    }
    for (auto& [name, m] : models) {
        std::sort(m.latency_ms.begin(), m.latency_ms.end());
        std::sort(m.ttft_ms.begin(), m.ttft_ms.end());
        out.models.push_back(std::move(m));
    }
    return out;
}

}  // namespace switchyard
