#include "pipeline/vector_store.h"

#include "pipeline/pg_vector_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace switchyard::pipeline {

namespace {

// Finalizes on every path, so an exception never leaks a statement (which would keep the db busy).
class Statement {
public:
    Statement(sqlite3* db, const char* sql) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("vector store: ") + sqlite3_errmsg(db));
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    void text(int i, const std::string& s) { sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT); }
    void blob(int i, const std::vector<float>& v) {
        sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size() * sizeof(float)), SQLITE_TRANSIENT);
    }
    void integer(int i, long long v) { sqlite3_bind_int64(stmt_, i, v); }
    bool step() {
        int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw std::runtime_error(std::string("vector store: ") + sqlite3_errmsg(sqlite3_db_handle(stmt_)));
    }
    std::string column_text(int i) {
        auto p = sqlite3_column_text(stmt_, i);
        return p ? reinterpret_cast<const char*>(p) : "";
    }
    std::vector<float> column_vector(int i) {
        std::vector<float> v(sqlite3_column_bytes(stmt_, i) / sizeof(float));
        if (!v.empty()) std::memcpy(v.data(), sqlite3_column_blob(stmt_, i), v.size() * sizeof(float));
        return v;
    }
    long long column_int(int i) { return sqlite3_column_int64(stmt_, i); }
private:
    sqlite3_stmt* stmt_ = nullptr;
};

double norm(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += double(x) * x;
    return std::sqrt(s);
}

}  // namespace

bool is_postgres_url(const std::string& db) {
    return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

std::unique_ptr<VectorIndex> open_vector_index(const std::string& db, const std::filesystem::path& base_dir,
                                               const std::string& store_url) {
    if (is_postgres_url(db)) return std::make_unique<PgVectorStore>(db);
    if (db.empty()) {
        if (store_url.empty())
            throw std::runtime_error("no db: set params.db (a SQLite file or a postgresql:// URL), or configure "
                                     "store: {kind: postgres} to keep the index in the shared store's database");
        return std::make_unique<PgVectorStore>(store_url);
    }
    std::filesystem::path p = db;
    return std::make_unique<VectorStore>(p.is_absolute() || base_dir.empty() ? p : base_dir / p);
}

VectorStore::VectorStore(const std::filesystem::path& file) : file_(file) {
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw std::runtime_error("vector store " + file.string() + ": " + msg);
    }
    // Several nodes (or pipelines) may index into the same file at once.
    sqlite3_busy_timeout(db_, 10000);
    exec("CREATE TABLE IF NOT EXISTS chunks (collection TEXT NOT NULL, id TEXT NOT NULL, text TEXT NOT NULL, "
         "metadata TEXT NOT NULL, model TEXT NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL, "
         "PRIMARY KEY (collection, id))");
}

VectorStore::~VectorStore() { sqlite3_close(db_); }

void VectorStore::exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw std::runtime_error("vector store " + file_.string() + ": " + msg);
    }
}

bool VectorStore::contains(const std::string& collection, const std::string& id, const std::string& model) {
    Statement s(db_, "SELECT 1 FROM chunks WHERE collection = ? AND id = ? AND model = ?");
    s.text(1, collection);
    s.text(2, id);
    s.text(3, model);
    return s.step();
}

std::set<std::string> VectorStore::stored(const std::string& collection, const std::string& model,
                                          const std::vector<std::string>& ids) {
    std::set<std::string> found;
    for (const auto& id : ids)
        if (contains(collection, id, model)) found.insert(id);
    return found;
}

void VectorStore::upsert(const std::string& collection, const std::string& model, const std::vector<StoredChunk>& chunks) {
    exec("BEGIN IMMEDIATE");
    try {
        for (const auto& c : chunks) {
            Statement s(db_, "INSERT OR REPLACE INTO chunks (collection, id, text, metadata, model, dim, vector) VALUES (?, ?, ?, ?, ?, ?, ?)");
            s.text(1, collection);
            s.text(2, c.id);
            s.text(3, c.text);
            s.text(4, c.metadata.dump());
            s.text(5, model);
            s.integer(6, static_cast<long long>(c.vector.size()));
            s.blob(7, c.vector);
            s.step();
        }
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

std::vector<ChunkMatch> VectorStore::search(const std::string& collection, const std::string& model,
                                            const std::vector<float>& query, int top_k) {
    std::vector<ChunkMatch> matches;
    const double qn = norm(query);
    if (qn == 0 || top_k <= 0) return matches;
    Statement s(db_, "SELECT id, text, metadata, vector FROM chunks WHERE collection = ? AND model = ? AND dim = ?");
    s.text(1, collection);
    s.text(2, model);
    s.integer(3, static_cast<long long>(query.size()));
    while (s.step()) {
        auto v = s.column_vector(3);
        double dot = 0;
        for (std::size_t i = 0; i < v.size(); ++i) dot += double(v[i]) * query[i];
        const double vn = norm(v);
        auto metadata = nlohmann::json::parse(s.column_text(2), nullptr, false);
        matches.push_back({s.column_text(0), s.column_text(1), metadata.is_discarded() ? nlohmann::json::object() : metadata,
                           vn == 0 ? 0 : dot / (qn * vn)});
    }
    // Ties broken by id so results (and therefore downstream cache keys) are deterministic.
    auto better = [](const ChunkMatch& a, const ChunkMatch& b) { return a.score != b.score ? a.score > b.score : a.id < b.id; };
    const std::size_t k = std::min<std::size_t>(matches.size(), top_k);
    std::partial_sort(matches.begin(), matches.begin() + k, matches.end(), better);
    matches.resize(k);
    return matches;
}

int VectorStore::count(const std::string& collection) {
    Statement s(db_, "SELECT COUNT(*) FROM chunks WHERE collection = ?");
    s.text(1, collection);
    s.step();
    return static_cast<int>(s.column_int(0));
}

}  // namespace switchyard::pipeline
