// The dashboard's aggregates (store/request_stats.h) from the PostgreSQL store: the SQLite
// queries of request_stats.cpp in PostgreSQL's dialect, over every replica's requests.
#include "store/pg_store.h"

#include <algorithm>
#include <map>

namespace switchyard {
namespace {

constexpr const char* kTierSql = R"sql(
SELECT COALESCE(r.route, ''), COALESCE(r.tier, ''), COALESCE(r.model, ''), COUNT(*),
       SUM(CASE WHEN r.status >= 400 THEN 1 ELSE 0 END), SUM(COALESCE(r.prompt_tokens, 0)),
       SUM(COALESCE(r.completion_tokens, 0)), SUM(COALESCE(r.cost, 0)),
       SUM(COALESCE(f.up, 0)), SUM(COALESCE(f.down, 0))
FROM requests r
LEFT JOIN (SELECT request_id, SUM(CASE WHEN rating = 'up' THEN 1 ELSE 0 END) AS up,
                  SUM(CASE WHEN rating = 'down' THEN 1 ELSE 0 END) AS down FROM feedback GROUP BY request_id) f
  ON f.request_id = r.id
WHERE r.ts >= $1 AND r.endpoint IN ('/v1/chat/completions', '/v1/completions', '/v1/embeddings')
GROUP BY 1, 2, 3
ORDER BY COALESCE(r.route, '') COLLATE "C", COALESCE(r.tier, '') COLLATE "C", COALESCE(r.model, '') COLLATE "C"
)sql";

constexpr const char* kTimingSql = R"sql(
SELECT model, latency_ms, ttft_ms, completion_tokens FROM requests
WHERE ts >= $1 AND status = 200 AND model IS NOT NULL AND model != ''
  AND endpoint IN ('/v1/chat/completions', '/v1/completions', '/v1/embeddings')
ORDER BY ts DESC LIMIT $2
)sql";

}  // namespace

LogStats PgStore::log_stats(double since, int max_samples) {
    flush();   // this replica's requests that just ended may still be queued
    LogStats out;
    out.since = since;
    auto tiers = pool_.with_retry([&](PgConn& c) { return c.exec(kTierSql, {pg_num(since)}); });
    for (int i = 0; i < tiers.rows(); ++i) {
        TierUsage t;
        t.route = tiers.text(i, 0);
        t.tier = tiers.text(i, 1);
        t.model = tiers.text(i, 2);
        t.requests = tiers.integer(i, 3);
        t.errors = tiers.integer(i, 4);
        t.prompt_tokens = tiers.integer(i, 5);
        t.completion_tokens = tiers.integer(i, 6);
        t.cost = tiers.real(i, 7);
        t.up = tiers.integer(i, 8);
        t.down = tiers.integer(i, 9);
        out.requests += t.requests;
        out.errors += t.errors;
        out.cost += t.cost;
        out.tiers.push_back(std::move(t));
    }
    auto timings = pool_.with_retry([&](PgConn& c) { return c.exec(kTimingSql, {pg_num(since), std::to_string(max_samples)}); });
    std::map<std::string, ModelTimings> models;
    for (int i = 0; i < timings.rows(); ++i) {
        auto& m = models[timings.text(i, 0)];
        m.model = timings.text(i, 0);
        ++m.requests;
        // NULL ttft (not streamed) reads as 0 from the text; the SQLite store writes -1 there.
        const double latency = timings.real(i, 1), ttft = timings.text(i, 2).empty() ? -1 : timings.real(i, 2);
        m.latency_ms.push_back(latency);
        if (ttft >= 0) {
            m.ttft_ms.push_back(ttft);
            m.completion_tokens += timings.integer(i, 3);
            m.generation_s += std::max(0.0, latency - ttft) / 1000.0;
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
