// The learned router classifier: a prompt's embedding (the local sentence-embedding model, e.g.
// all-MiniLM-L6-v2) is compared with labelled example prompts, and its k nearest neighbours vote
// on its task class (grammar_fix, code, ...); a route maps each class to a tier.
//
// kNN over stored examples rather than a trained linear head: adding a few examples for a class
// that is misrouted fixes it after one re-embedding, with no training loop, and the vote share is
// an honest confidence. Class centroids break exact ties and serve when there are no neighbours.
// Embedding is injected (Embedder), so the logic is tested with a fake embedder and the real
// model alike.
#pragma once

#include "config/routing_config.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace switchyard {
class ModelPool;
struct Config;
}

namespace switchyard::router {

struct ClassifierError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct LabelledExample {
    std::string prompt;
    std::string task_class;
};

// Embeds a batch of texts (at most kEmbedBatch per call), one vector per text, in order.
using Embedder = std::function<std::vector<std::vector<float>>(const std::vector<std::string>&)>;
inline constexpr std::size_t kEmbedBatch = 64;

struct ClassifierIndex {
    std::string embed_model;                       // the embedding model the vectors came from
    int dims = 0;
    std::vector<std::string> classes;              // in order of first appearance in the examples
    std::vector<std::vector<float>> centroids;     // per class, L2-normalised mean of its examples
    std::vector<std::vector<float>> examples;      // L2-normalised
    std::vector<int> example_class;                // index into classes, per example

    // JSON ({"format": "switchyard-classifier", "version": 1, ...}). Throws ClassifierError.
    void save(const std::filesystem::path& path) const;
    static ClassifierIndex load(const std::filesystem::path& path);
};

// Embeds every example (in batches of <= kEmbedBatch) and builds the index. Throws
// ClassifierError on an empty set, an embedder that returns the wrong count or inconsistent
// dimensions, or a zero vector.
ClassifierIndex train(const std::vector<LabelledExample>& examples, const Embedder& embed,
                      const std::string& embed_model = "");

struct Classification {
    std::string task_class;
    float confidence = 0;       // the winner's share of the neighbours' similarity-weighted vote
    std::string method;         // "knn", "knn+centroid" (tie broken by centroids) or "centroid"
    std::vector<std::pair<std::string, float>> scores;  // vote share per class, best first
};

// `embedding` must have index.dims values and be L2-normalised (LoadedModel::embed's are).
// Cost: one dot product per example plus a k-element insertion sort; no allocation per example.
Classification classify(const ClassifierIndex& index, const std::vector<float>& embedding, int k = 7);

// One JSON object per line: {"prompt": "...", "class": "..."}; blank lines are skipped, other
// keys are ignored. Throws ClassifierError naming the file and line.
std::vector<LabelledExample> read_examples_jsonl(const std::filesystem::path& path);

// The text that is embedded for a prompt: whole when short; otherwise its head and tail, where
// instructions usually sit ("Summarise this: ..." / "... Fix the grammar above."), so long
// prompts fit the embedding model's context and the instruction is not drowned by the payload.
std::string text_for_embedding(const std::string& prompt, std::size_t max_chars = 1024);

// Embeds with a model of the pool (acquired per call, so the pool's keep-alive and eviction
// apply), through text_for_embedding. Inputs still too long for the model's context are
// shortened and retried instead of failing. The vectors of the last kEmbeddingCacheEntries
// distinct texts are kept (router/embedding_cache.h: emptied when the model file changes), so a
// repeated prompt costs a lookup instead of a model run. Blocking.
inline constexpr std::size_t kEmbeddingCacheEntries = 1024;   // ~1.6 MB at 384 dimensions
Embedder pool_embedder(ModelPool& pool, const std::string& model);

struct Evaluation {
    int total = 0;
    int correct = 0;
    double accuracy() const { return total ? double(correct) / total : 0; }
    // confusion[actual][predicted], indices into the index's classes (+1 row/col for unknown labels)
    std::vector<std::vector<int>> confusion;
    std::vector<double> classify_us;  // classify() time per example, embedding excluded
};
// Classifies every example; labels the index does not know count as misses.
Evaluation evaluate(const ClassifierIndex& index, const std::vector<LabelledExample>& examples,
                    const Embedder& embed, int k = 7);

// The classifier of one route: the loaded index checked against the route's class -> tier map.
// decide() returns the tier to start at, or nullopt when the classifier abstains (confidence
// below min_confidence, or a class the route does not map); the trace says why either way.
class RouteClassifier {
public:
    // Throws ClassifierError: unreadable index, a mapped class the index lacks, an embedding
    // model that is not configured (or is not an embedding model).
    RouteClassifier(const RouteSpec& route, const Config& config);
    const std::string& embed_model() const { return index_.embed_model; }
    const ClassifierIndex& index() const { return index_; }
    struct Pick {
        std::optional<std::size_t> tier;
        Classification classification;
        nlohmann::json trace;
    };
    Pick decide(const std::vector<float>& embedding) const;

private:
    ClassifierSpec spec_;
    std::vector<std::string> tier_names_;
    ClassifierIndex index_;
};

}  // namespace switchyard::router
