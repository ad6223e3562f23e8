// index / retrieve: write chunks into a persistent vector store, and find the chunks nearest to a
// query. `db` is a SQLite file (relative to the pipeline file) or a postgresql:// URL; without it,
// the configured store's PostgreSQL (store: {kind: postgres}), so replicas share one index.
//
// Caching and side effects: both nodes are never answered from the node cache, because their
// result depends on the database, which the cache cannot see (it may have been deleted, or
// another pipeline may have written to it). index is made cheap to re-run instead: each chunk's
// id is a hash of its text and metadata, and chunks already stored with the same embedding model
// are not embedded again, so a re-run is an idempotent upsert that only embeds what is new.
// Their outputs are deterministic for the same database state, so nodes downstream of retrieve
// still get cache hits when nothing changed.
#include "pipeline/cache.h"
#include "pipeline/nodes/nodes.h"
#include "pipeline/vector_store.h"

namespace switchyard::pipeline::nodes {

namespace {

std::vector<ParamSpec> store_params() {
    return {{"db", ParamKind::string, false, false,
             "SQLite file of the vector store, or a postgresql:// URL (default: the store's PostgreSQL)"},
            {"collection", ParamKind::string, false, false, "name of the chunk collection"},
            {"model", ParamKind::string, true, true, "embedding model"}};
}

std::string collection_of(const NodeContext& ctx) {
    if (ctx.has_input("collection")) return ctx.text_input("collection");
    auto c = ctx.string_param("collection");
    if (c.empty()) throw NodeError("no collection: set params.collection or wire the collection input");
    return c;
}

std::unique_ptr<VectorIndex> open_index(const NodeContext& ctx) {
    try {
        return open_vector_index(ctx.string_param("db"), ctx.base_dir, ctx.store_url);
    } catch (const NodeError&) {
        throw;
    } catch (const std::exception& e) {
        throw NodeError(e.what());
    }
}

NodeOutputs run_index(NodeContext& ctx) {
    const auto& chunks = ctx.input("chunks");
    const json metadata = ctx.has_input("metadata") ? ctx.input("metadata") : json::object();
    // A list is one metadata object per chunk (e.g. page_chunks' file and page); an object is shared.
    const bool per_chunk = metadata.is_array();
    if (per_chunk && metadata.size() != chunks.size())
        throw NodeError("metadata is a list of " + std::to_string(metadata.size()) + " but there are " +
                        std::to_string(chunks.size()) + " chunks (a list needs one object per chunk)");
    if (!per_chunk && !metadata.is_object()) throw NodeError("metadata must be an object, or a list of one object per chunk");
    const std::string collection = collection_of(ctx), model = ctx.string_param("model");
    const auto batch_size = static_cast<std::size_t>(std::max<long long>(1, ctx.int_param("batch_size", 16)));
    auto store = open_index(ctx);
    json ids = json::array();
    std::vector<StoredChunk> all;
    std::vector<std::string> all_ids;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        const json& meta = per_chunk ? metadata[i] : metadata;
        if (!meta.is_object()) throw NodeError("metadata[" + std::to_string(i) + "] is not an object");
        StoredChunk c{stable_hash({{"text", chunks[i]}, {"metadata", meta}}), chunks[i].get<std::string>(), meta, {}};
        c.metadata["chunk"] = i;
        ids.push_back(c.id);
        all_ids.push_back(c.id);
        all.push_back(std::move(c));
    }
    // One query for the whole list (a round trip per chunk would dominate with PostgreSQL).
    const auto present = store->stored(collection, model, all_ids);
    std::vector<StoredChunk> missing;
    for (auto& c : all)
        if (!present.count(c.id)) missing.push_back(std::move(c));
    for (std::size_t start = 0; start < missing.size(); start += batch_size) {
        if (ctx.cancelled.load()) throw NodeError("cancelled while indexing");
        std::vector<StoredChunk> batch(missing.begin() + start, missing.begin() + std::min(missing.size(), start + batch_size));
        std::vector<std::string> texts;
        for (const auto& c : batch) texts.push_back(c.text);
        auto vectors = ctx.services.embed(model, texts);
        if (vectors.size() != batch.size()) throw NodeError("embedding model returned the wrong number of vectors");
        for (std::size_t i = 0; i < batch.size(); ++i) batch[i].vector = std::move(vectors[i]);
        store->upsert(collection, model, batch);
    }
    return {{"collection", collection}, {"ids", ids}, {"added", static_cast<int>(missing.size())}};
}

NodeOutputs run_retrieve(NodeContext& ctx) {
    const std::string collection = collection_of(ctx), model = ctx.string_param("model");
    auto vectors = ctx.services.embed(model, {ctx.text_input("query")});
    if (vectors.size() != 1) throw NodeError("embedding model returned no vector for the query");
    auto found = open_index(ctx)->search(collection, model, vectors[0], static_cast<int>(ctx.int_param("top_k", 4)));
    const double min_score = ctx.number_param("min_score", -1.0);
    json chunks = json::array(), matches = json::array();
    std::string context;
    for (const auto& m : found) {
        if (m.score < min_score) continue;
        chunks.push_back(m.text);
        matches.push_back({{"id", m.id}, {"text", m.text}, {"score", m.score}, {"metadata", m.metadata}});
        context += (context.empty() ? "" : "\n\n") + m.text;
    }
    return {{"chunks", chunks}, {"matches", matches}, {"context", context}};
}

}  // namespace

NodeType index_node() {
    NodeType t;
    t.name = "index";
    t.description = "Embeds chunks and stores them in a vector store, SQLite or PostgreSQL (idempotent upsert)";
    t.params = store_params();
    t.params.push_back({"batch_size", ParamKind::integer, false, false, "texts per embedding call (default 16)"});
    t.signature = [](const json&) {
        NodeSignature s;
        s.inputs = {{"chunks", ValueType::list_of(ValueKind::text)},
                    {"metadata", ValueType::of(ValueKind::json), false},
                    {"collection", ValueType::of(ValueKind::text), false}};
        s.outputs = {{"collection", ValueType::of(ValueKind::text)}, {"ids", ValueType::list_of(ValueKind::text)},
                     {"added", ValueType::of(ValueKind::json)}};
        return s;
    };
    t.cacheable = [](const json&) { return false; };
    t.run = run_index;
    return t;
}

NodeType retrieve_node() {
    NodeType t;
    t.name = "retrieve";
    t.description = "Finds the top_k chunks nearest to a query (exact cosine) in a vector store";
    t.params = store_params();
    t.params.push_back({"top_k", ParamKind::integer, false, false, "how many chunks (default 4)"});
    t.params.push_back({"min_score", ParamKind::number, false, false, "drop matches below this cosine similarity"});
    t.signature = [](const json&) {
        NodeSignature s;
        // Wiring `collection` to index.collection also makes retrieve wait for the index node.
        s.inputs = {{"query", ValueType::of(ValueKind::text)}, {"collection", ValueType::of(ValueKind::text), false}};
        s.outputs = {{"chunks", ValueType::list_of(ValueKind::text)}, {"matches", ValueType::of(ValueKind::json)},
                     {"context", ValueType::of(ValueKind::text)}};
        return s;
    };
    t.cacheable = [](const json&) { return false; };
    t.run = run_retrieve;
    return t;
}

}  // namespace switchyard::pipeline::nodes
