// The vector index in PostgreSQL (pipeline/vector_store.h's VectorIndex), so that replicas on one
// database share what index nodes stored. Table switchyard_chunks (created on first use, under
// an advisory lock): the SQLite store's columns, with the vector as real[] and its norm.
//
// Search is exact and runs in the database, so only top_k rows cross the wire:
// - with the pgvector extension installed in the database (CREATE EXTENSION vector), by its
//   cosine distance operator on the stored array cast to `vector` (float4 arithmetic; no ANN
//   index, so no recall loss);
// - without it, by a dot product over unnest() in float8 that matches the SQLite store's scores
//   bit for bit (same operands, same order of additions; norms computed here the same way).
// Ties are broken by id in byte order (COLLATE "C"), as in SQLite, so results are deterministic.
#pragma once

#include "pipeline/vector_store.h"

#include <memory>
#include <string>

namespace switchyard::pipeline {

class PgVectorStore : public VectorIndex {
public:
    // Connects (connections are pooled per URL for the life of the process) and creates the table
    // if needed. Throws std::runtime_error naming the server without its password.
    explicit PgVectorStore(const std::string& url);
    ~PgVectorStore() override;

    std::set<std::string> stored(const std::string& collection, const std::string& model,
                                 const std::vector<std::string>& ids) override;
    void upsert(const std::string& collection, const std::string& model, const std::vector<StoredChunk>& chunks) override;
    std::vector<ChunkMatch> search(const std::string& collection, const std::string& model,
                                   const std::vector<float>& query, int top_k) override;
    int count(const std::string& collection) override;
    bool uses_pgvector() const;   // decided when the URL was first opened in this process

    struct Shared;
private:
    std::shared_ptr<Shared> shared_;
};

}  // namespace switchyard::pipeline
