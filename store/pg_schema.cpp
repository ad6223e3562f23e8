#include "store/pg_schema.h"

namespace switchyard {
namespace {

// migrations[i] takes the schema from version i to i + 1. Append only; never edit a shipped step.
const char* const kMigrations[] = {
    // 1: the request log, feedback and tier bumps (as in the SQLite store), bump resets (so
    // rating windows restart after a reset on every replica) and the spend counter: one event
    // per priced call (its id makes a retried batch harmless) rolled into per-key UTC days.
    R"sql(
CREATE TABLE requests (
  id TEXT PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, api_key TEXT, endpoint TEXT, model_requested TEXT, model TEXT,
  route TEXT, trace TEXT, models_tried TEXT, escalations INTEGER, task_class TEXT, status INTEGER,
  prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER, latency_ms DOUBLE PRECISION,
  ttft_ms DOUBLE PRECISION, cost DOUBLE PRECISION, finish_reason TEXT, error TEXT, prompt TEXT, answer TEXT, tier TEXT);
CREATE INDEX requests_ts ON requests(ts);
CREATE INDEX requests_route ON requests(route, task_class, tier);
CREATE TABLE feedback (
  request_id TEXT NOT NULL REFERENCES requests(id), ts DOUBLE PRECISION NOT NULL, rating TEXT NOT NULL, correction TEXT);
CREATE INDEX feedback_request ON feedback(request_id);
CREATE INDEX feedback_ts ON feedback(ts);
CREATE TABLE tier_bumps (
  route TEXT NOT NULL, task_class TEXT NOT NULL, from_tier TEXT, to_tier TEXT NOT NULL,
  down_rate DOUBLE PRECISION, ratings INTEGER, ts DOUBLE PRECISION NOT NULL, reset_ts DOUBLE PRECISION);
CREATE TABLE bump_resets (route TEXT NOT NULL, task_class TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL);
CREATE TABLE spend_events (id TEXT PRIMARY KEY, api_key TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL, amount DOUBLE PRECISION NOT NULL);
CREATE TABLE spend_daily (api_key TEXT NOT NULL, day DOUBLE PRECISION NOT NULL, amount DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (api_key, day));
)sql",
    // 2: the response cache's persisted entries (store/cache_store.h), shared by the replicas.
    R"sql(
CREATE TABLE response_cache (
  key TEXT PRIMARY KEY, route TEXT NOT NULL, scope TEXT NOT NULL, value TEXT NOT NULL,
  bytes BIGINT NOT NULL, expires DOUBLE PRECISION NOT NULL, used DOUBLE PRECISION NOT NULL);
CREATE INDEX response_cache_used ON response_cache(used);
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kPgSchemaVersion);

constexpr const char* kLockKey = "7301201717";  // any constant; shared by every Switchyard

}  // namespace

int pg_migrate(PgConn& conn, const std::string& where) {
    conn.exec("BEGIN");
    try {
        conn.exec("SELECT pg_advisory_xact_lock(" + std::string(kLockKey) + ")");
        conn.exec("CREATE TABLE IF NOT EXISTS switchyard_schema (version INTEGER NOT NULL)");
        auto r = conn.exec("SELECT version FROM switchyard_schema");
        int found = r.rows() ? static_cast<int>(r.integer(0, 0)) : 0;
        if (!r.rows()) conn.exec("INSERT INTO switchyard_schema (version) VALUES (0)");
        if (found > kPgSchemaVersion)
            throw std::runtime_error("store: the database at " + where + " has schema version " + std::to_string(found) +
                                     ", newer than this switchyard knows (" + std::to_string(kPgSchemaVersion) +
                                     "); run a newer switchyard or restore a matching database");
        for (int v = found; v < kPgSchemaVersion; ++v) {
            conn.exec(kMigrations[v]);
            conn.exec("UPDATE switchyard_schema SET version = $1", {std::to_string(v + 1)});
        }
        conn.exec("COMMIT");
        return found;
    } catch (...) {
        try { conn.exec("ROLLBACK"); } catch (...) {}
        throw;
    }
}

}  // namespace switchyard
