#include "pipeline/pg_vector_store.h"

#include "store/pg_conn.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>

namespace switchyard::pipeline {

struct PgVectorStore::Shared {
    explicit Shared(const std::string& url) : pool(url, 4, std::chrono::milliseconds(10000)), where(redact_url(url)) {}
    PgPool pool;
    std::string where;
    bool pgvector = false;
};

namespace {

constexpr const char* kLockKey = "7301201718";  // the store's migrations use ...17; any other constant

// One pool per URL: nodes open the index on every run, and a connection costs a few ms.
std::shared_ptr<PgVectorStore::Shared> shared_for(const std::string& url) {
    static std::mutex mu;
    static std::map<std::string, std::shared_ptr<PgVectorStore::Shared>> pools;
    std::lock_guard lock(mu);
    if (auto it = pools.find(url); it != pools.end()) return it->second;
    auto shared = std::make_shared<PgVectorStore::Shared>(url);
    try {
        shared->pool.with_retry([&](PgConn& c) {
            c.exec("BEGIN");
            try {
                // Replicas opening a fresh database together: CREATE TABLE IF NOT EXISTS alone can
                // still collide on the catalog, so it runs under a transaction-scoped lock.
                c.exec(std::string("SELECT pg_advisory_xact_lock(") + kLockKey + ")");
                c.exec("CREATE TABLE IF NOT EXISTS switchyard_chunks (collection TEXT NOT NULL, id TEXT NOT NULL, "
                       "text TEXT NOT NULL, metadata TEXT NOT NULL, model TEXT NOT NULL, dim INTEGER NOT NULL, "
                       "vec REAL[] NOT NULL, norm DOUBLE PRECISION NOT NULL, PRIMARY KEY (collection, id))");
                shared->pgvector = c.exec("SELECT 1 FROM pg_extension WHERE extname = 'vector'").rows() == 1;
                c.exec("COMMIT");
            } catch (...) {
                try { c.exec("ROLLBACK"); } catch (...) {}
                throw;
            }
            return 0;
        });
    } catch (const std::exception& e) {
        // Not cached: the next run tries again (the database may be starting).
        throw std::runtime_error(std::string("vector store: ") + e.what());
    }
    pools[url] = shared;
    return shared;
}

double norm(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += double(x) * x;
    return std::sqrt(s);
}

// A float array as PostgreSQL text: {..} for real[], [..] for pgvector. %.9g round-trips a float.
std::string float_array(const std::vector<float>& v, char open, char close) {
    std::string out(1, open);
    char buf[32];
    for (std::size_t i = 0; i < v.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%s%.9g", i ? "," : "", double(v[i]));
        out += buf;
    }
    return out + close;
}

std::string text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += i ? ",\"" : "\"";
        for (char ch : items[i]) {
            if (ch == '"' || ch == '\\') out += '\\';
            out += ch;
        }
        out += '"';
    }
    return out + "}";
}

}  // namespace

PgVectorStore::PgVectorStore(const std::string& url) : shared_(shared_for(url)) {}
PgVectorStore::~PgVectorStore() = default;

bool PgVectorStore::uses_pgvector() const { return shared_->pgvector; }

std::set<std::string> PgVectorStore::stored(const std::string& collection, const std::string& model,
                                            const std::vector<std::string>& ids) {
    std::set<std::string> found;
    if (ids.empty()) return found;
    auto r = shared_->pool.with_retry([&](PgConn& c) {
        return c.exec("SELECT id FROM switchyard_chunks WHERE collection = $1 AND model = $2 AND id = ANY($3::text[])",
                      {collection, model, text_array(ids)});
    });
    for (int i = 0; i < r.rows(); ++i) found.insert(r.text(i, 0));
    return found;
}

void PgVectorStore::upsert(const std::string& collection, const std::string& model, const std::vector<StoredChunk>& chunks) {
    // Idempotent (ON CONFLICT), so a transaction cut by a lost connection is safely run again.
    shared_->pool.with_retry([&](PgConn& c) {
        c.exec("BEGIN");
        try {
            for (const auto& ch : chunks)
                c.exec("INSERT INTO switchyard_chunks (collection, id, text, metadata, model, dim, vec, norm) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7::real[], $8) ON CONFLICT (collection, id) DO UPDATE SET "
                       "text = EXCLUDED.text, metadata = EXCLUDED.metadata, model = EXCLUDED.model, dim = EXCLUDED.dim, "
                       "vec = EXCLUDED.vec, norm = EXCLUDED.norm",
                       {collection, ch.id, ch.text, ch.metadata.dump(), model, std::to_string(ch.vector.size()),
                        float_array(ch.vector, '{', '}'), pg_num(norm(ch.vector))});
            c.exec("COMMIT");
        } catch (...) {
            try { c.exec("ROLLBACK"); } catch (...) {}
            throw;
        }
        return 0;
    });
}

std::vector<ChunkMatch> PgVectorStore::search(const std::string& collection, const std::string& model,
                                              const std::vector<float>& query, int top_k) {
    std::vector<ChunkMatch> matches;
    const double qn = norm(query);
    if (qn == 0 || top_k <= 0) return matches;
    // A zero stored vector scores 0, as in SQLite (pgvector's distance would be NaN, which sorts first).
    const std::string score = shared_->pgvector
        ? "CASE WHEN norm = 0 THEN 0::float8 ELSE 1 - (vec::vector <=> $4::vector) END"
        : "CASE WHEN norm = 0 THEN 0::float8 ELSE (SELECT sum(a::float8 * b::float8) FROM unnest(vec, $4::real[]) AS t(a, b)) / (norm * $6::float8) END";
    const std::string sql = "SELECT id, text, metadata, " + score + " AS score FROM switchyard_chunks "
                            "WHERE collection = $1 AND model = $2 AND dim = $3 ORDER BY score DESC, id COLLATE \"C\" LIMIT $5";
    const std::string q = shared_->pgvector ? float_array(query, '[', ']') : float_array(query, '{', '}');
    std::vector<std::string> params = {collection, model, std::to_string(query.size()), q, std::to_string(top_k)};
    if (!shared_->pgvector) params.push_back(pg_num(qn));   // an unused parameter would be an error
    auto r = shared_->pool.with_retry([&](PgConn& c) { return c.exec(sql, params); });
    for (int i = 0; i < r.rows(); ++i) {
        auto metadata = nlohmann::json::parse(r.text(i, 2), nullptr, false);
        matches.push_back({r.text(i, 0), r.text(i, 1), metadata.is_discarded() ? nlohmann::json::object() : metadata, r.real(i, 3)});
    }
    return matches;
}

int PgVectorStore::count(const std::string& collection) {
    auto r = shared_->pool.with_retry([&](PgConn& c) {
        return c.exec("SELECT count(*) FROM switchyard_chunks WHERE collection = $1", {collection});
    });
    return static_cast<int>(r.integer(0, 0));
}

}  // namespace switchyard::pipeline
