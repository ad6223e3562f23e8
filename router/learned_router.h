// A router learned from outcomes (RouteLLM / RouterBench style, from the user's own data): a
// logistic regression over the prompt's sentence embedding (or, input "hashed_ngrams", hashed
// word uni- and bigrams: no model, microseconds) plus a few cheap text features predicts
// P(the cheaper tier's answer is good enough | prompt). A route sends the request to
// its cheaper tier when that probability reaches the threshold, else to its larger tier.
//
// Why logistic regression: with a few hundred labelled prompts a linear model on a good
// embedding is what the data supports (RouteLLM's matrix-factorisation and BERT routers need far
// more), it trains in well under a second, its output is a calibrated-enough probability to put
// a threshold on, and a decision is one dot product after the embedding.
//
// Training (fit_logistic) and threshold choice (choose_threshold) are pure functions here;
// reading outcome tables and the request log is the CLI's job (cli/router_fit.cpp).
#pragma once

#include "config/routing_config.h"
#include "router/classifier.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchyard {
struct Config;
}

namespace switchyard::router {

struct LearnedRouterError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Cheap features of the prompt text, computed in microseconds: length, digits, numbers, lines,
// code markers, question marks, JSON/format words. Their names go into the router file.
std::vector<float> cheap_features(const std::string& prompt);
const std::vector<std::string>& cheap_feature_names();

// The "hashed_ngrams" input: lower-cased words, digit runs as <numN> (N = length, capped at 4)
// and punctuation marks, as unigrams and adjacent bigrams, FNV-1a hashed into `dims` buckets,
// counted and L2-normalised (the same scale as a sentence embedding).
std::vector<float> hashed_ngrams(const std::string& prompt, int dims);
inline constexpr int kHashedNgramDims = 1024;

struct LearnedRouterModel {
    std::string input = "embedding";         // "embedding" (embed_model's vectors) or "hashed_ngrams"
    std::string embed_model;                 // the embedding model the vectors came from ("" for hashed_ngrams)
    int dims = 0;                            // embedding size (or hash buckets)
    std::vector<std::string> feature_names;  // cheap features, after the embedding
    std::vector<float> feature_mean, feature_scale;  // standardisation of the cheap features
    std::vector<float> weights;              // dims + cheap features
    float bias = 0;
    float threshold = 0.5f;                  // P(cheap ok) >= threshold: the cheaper tier answers
    std::string small, large;                // outcome-table names of the two models it was fitted on
    nlohmann::json info;                     // how it was fitted: target, validation numbers (for people)

    bool needs_embedding() const { return input == "embedding"; }
    // P(the cheaper tier is good enough) for an L2-normalised embedding of text_for_embedding(prompt)
    // (ignored, and may be empty, when the input is hashed_ngrams).
    float predict(const std::vector<float>& embedding, const std::string& prompt) const;

    // JSON {"format": "switchyard-learned-router", "version": 1, "input": ..., ...}. Throws LearnedRouterError.
    void save(const std::filesystem::path& path) const;
    static LearnedRouterModel load(const std::filesystem::path& path);
};

struct TrainingExample {
    std::vector<float> embedding;
    std::string prompt;
    bool cheap_ok = false;                   // the label
};

struct FitOptions {
    float l2 = 1e-3f;                        // weight decay (per example)
    int epochs = 400;                        // full-batch Adam steps
    float learning_rate = 0.05f;
    bool balance = true;                     // weight the classes equally (labels are often 80/20)
};

// Fits weights, bias and the feature standardisation. Throws LearnedRouterError on an empty set,
// one-class labels, or embeddings of inconsistent size.
LearnedRouterModel fit_logistic(const std::vector<TrainingExample>& examples, const FitOptions& o = {});

// One validation prompt: the predicted probability and both tiers' scores (large may be unknown).
struct ValidationRow {
    float p = 0;
    double small_score = 0;
    std::optional<double> large_score;
};

struct ThresholdChoice {
    float threshold = 0.5f;
    double large_share = 0;                  // on the validation rows
    double quality = -1, large_quality = -1; // routed / always-large mean score (-1: large unknown)
    double quality_fraction = -1;            // quality / large_quality
    bool met = true;                         // false: no threshold reaches the target (most conservative used)
};

// target_quality (fraction of always-large, e.g. 0.97): the threshold with the smallest large
// share whose routed quality reaches target_quality * always-large on the rows with both scores.
// max_large_share (0..1): the lowest threshold that sends at most that share to the large tier.
// Exactly one of the two must be >= 0. Throws LearnedRouterError when target_quality is asked
// but no row has the large tier's score.
ThresholdChoice choose_threshold(const std::vector<ValidationRow>& rows, double target_quality, double max_large_share);

// Area under the ROC curve of p against the cheap_ok labels (0.5 = no signal); -1 when one class.
double roc_auc(const std::vector<float>& p, const std::vector<bool>& labels);

// The learned router of one route: the loaded model, with tier indices resolved.
class RouteLearnedRouter {
public:
    // Throws LearnedRouterError: unreadable file, unknown embedding model or not an embedding model.
    RouteLearnedRouter(const RouteSpec& route, const Config& config);
    const std::string& embed_model() const { return model_.embed_model; }   // "" when no embedding is needed
    const LearnedRouterModel& model() const { return model_; }
    struct Pick {
        std::size_t tier = 0;
        float p = 0;
        nlohmann::json trace;
    };
    Pick decide(const std::vector<float>& embedding, const std::string& prompt) const;

private:
    LearnedRouterModel model_;
    float threshold_ = 0.5f;
    std::size_t small_ = 0, large_ = 0;
    std::string small_name_, large_name_, file_name_;
};

}  // namespace switchyard::router
