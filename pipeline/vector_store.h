// A persistent vector index: rows of (collection, id, text, metadata JSON, embedding model,
// vector). `VectorIndex` is what the index/retrieve nodes use; `VectorStore` keeps it in one
// SQLite file, `PgVectorStore` (pg_vector_store.h) in a PostgreSQL database that replicas share.
// Search is brute-force cosine over a collection. That is exact (no approximate-index recall
// loss), needs no dependency beyond the database, and is fast enough for the intended scale:
// 10,000 chunks x 384 floats is ~4M multiply-adds, a few milliseconds.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

struct sqlite3;

namespace switchyard::pipeline {

struct StoredChunk {
    std::string id;
    std::string text;
    nlohmann::json metadata = nlohmann::json::object();
    std::vector<float> vector;
};

struct ChunkMatch {
    std::string id;
    std::string text;
    nlohmann::json metadata;
    double score = 0;   // cosine similarity
};

class VectorIndex {
public:
    virtual ~VectorIndex() = default;
    // The ids among `ids` already stored in (collection) with vectors from this model.
    virtual std::set<std::string> stored(const std::string& collection, const std::string& model,
                                         const std::vector<std::string>& ids) = 0;
    // Inserts or replaces, all in one transaction.
    virtual void upsert(const std::string& collection, const std::string& model, const std::vector<StoredChunk>& chunks) = 0;
    // Best matches first, ties broken by id; only rows embedded by `model` with the query's
    // dimension are compared. A zero query or top_k <= 0 finds nothing.
    virtual std::vector<ChunkMatch> search(const std::string& collection, const std::string& model,
                                           const std::vector<float>& query, int top_k) = 0;
    virtual int count(const std::string& collection) = 0;
};

// The index nodes' `db`: a postgresql:// (or postgres://) URL opens PostgreSQL; empty means the
// configured store's PostgreSQL (`store_url`, "" when the store is not PostgreSQL: an error);
// anything else is a SQLite file (relative to base_dir). Throws std::runtime_error.
std::unique_ptr<VectorIndex> open_vector_index(const std::string& db, const std::filesystem::path& base_dir,
                                               const std::string& store_url);
bool is_postgres_url(const std::string& db);

class VectorStore : public VectorIndex {
public:
    // Creates the file and table if needed; throws std::runtime_error with the path on failure.
    explicit VectorStore(const std::filesystem::path& file);
    ~VectorStore();
    VectorStore(const VectorStore&) = delete;
    VectorStore& operator=(const VectorStore&) = delete;

    // True when (collection, id) is stored with vectors from this model.
    bool contains(const std::string& collection, const std::string& id, const std::string& model);
    std::set<std::string> stored(const std::string& collection, const std::string& model,
                                 const std::vector<std::string>& ids) override;
    void upsert(const std::string& collection, const std::string& model, const std::vector<StoredChunk>& chunks) override;
    std::vector<ChunkMatch> search(const std::string& collection, const std::string& model,
                                   const std::vector<float>& query, int top_k) override;
    int count(const std::string& collection) override;

private:
    void exec(const std::string& sql);
    sqlite3* db_ = nullptr;
    std::filesystem::path file_;
};

}  // namespace switchyard::pipeline
