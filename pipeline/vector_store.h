// A persistent vector index in one SQLite file: rows of (collection, id, text, metadata JSON,
// embedding model, vector). Search is brute-force cosine over a collection. That is exact (no
// approximate-index recall loss), needs no dependency beyond SQLite, and is fast enough for the
// intended scale: 10,000 chunks x 384 floats is ~4M multiply-adds, a few milliseconds.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
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

class VectorStore {
public:
    // Creates the file and table if needed; throws std::runtime_error with the path on failure.
    explicit VectorStore(const std::filesystem::path& file);
    ~VectorStore();
    VectorStore(const VectorStore&) = delete;
    VectorStore& operator=(const VectorStore&) = delete;

    // True when (collection, id) is stored with vectors from this model.
    bool contains(const std::string& collection, const std::string& id, const std::string& model);
    // Inserts or replaces, all in one transaction.
    void upsert(const std::string& collection, const std::string& model, const std::vector<StoredChunk>& chunks);
    // Best matches first; only rows embedded by `model` with the query's dimension are compared.
    std::vector<ChunkMatch> search(const std::string& collection, const std::string& model,
                                   const std::vector<float>& query, int top_k);
    int count(const std::string& collection);

private:
    void exec(const std::string& sql);
    sqlite3* db_ = nullptr;
    std::filesystem::path file_;
};

}  // namespace switchyard::pipeline
