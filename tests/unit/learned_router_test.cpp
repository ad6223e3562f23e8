// The learned router's pure parts: fitting, threshold choice, AUC, the file format, the config
// block and route aliases. Embeddings here are synthetic unit vectors (the model is tested on
// real MiniLM embeddings end to end in tests/e2e/test_ladder.py).
#include "config/config.h"
#include "router/learned_router.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

using namespace switchyard;
using namespace switchyard::router;

namespace {

std::vector<float> unit(std::vector<float> v) {
    double n = 0;
    for (float x : v) n += x * x;
    for (auto& x : v) x = static_cast<float>(x / std::sqrt(n));
    return v;
}

// Two clusters in 8 dimensions: "easy" prompts near e0 (the cheap tier is fine), "hard" near e1.
std::vector<TrainingExample> clusters(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0, 0.3f);
    std::vector<TrainingExample> out;
    for (int i = 0; i < n; ++i) {
        const bool easy = i % 2 == 0;
        std::vector<float> v(8);
        for (auto& x : v) x = noise(rng);
        v[easy ? 0 : 1] += 1.5f;
        out.push_back({unit(v), easy ? "Reply with the label only." : "What is 317 * 48? Reply with the number only.", easy});
    }
    return out;
}

std::string error_of(const std::function<void()>& f) {
    try { f(); } catch (const std::exception& e) { return e.what(); }
    return "";
}

}  // namespace

TEST(LearnedRouter, FitsSeparableDataAndRoundTripsThroughItsFile) {
    auto train = clusters(200, 1), test = clusters(100, 2);
    auto m = fit_logistic(train);
    m.embed_model = "minilm";
    std::vector<float> p;
    std::vector<bool> y;
    for (const auto& e : test) { p.push_back(m.predict(e.embedding, e.prompt)); y.push_back(e.cheap_ok); }
    EXPECT_GT(roc_auc(p, y), 0.95);
    auto path = std::filesystem::temp_directory_path() / "learned_router_test.json";
    m.threshold = 0.42f;
    m.save(path);
    auto back = LearnedRouterModel::load(path);
    EXPECT_EQ(back.dims, 8);
    EXPECT_FLOAT_EQ(back.threshold, 0.42f);
    EXPECT_NEAR(back.predict(test[0].embedding, test[0].prompt), p[0], 1e-5);
    std::filesystem::remove(path);
}

TEST(LearnedRouter, RefusesWhatItCannotLearnFrom) {
    EXPECT_NE(error_of([] { fit_logistic({}); }).find("no training examples"), std::string::npos);
    auto one = clusters(10, 3);
    for (auto& e : one) e.cheap_ok = true;
    EXPECT_NE(error_of([&] { fit_logistic(one); }).find("one class"), std::string::npos);
    auto ragged = clusters(10, 4);
    ragged[3].embedding.pop_back();
    EXPECT_NE(error_of([&] { fit_logistic(ragged); }).find("different sizes"), std::string::npos);
    auto bad = std::filesystem::temp_directory_path() / "learned_router_bad.json";
    std::ofstream(bad) << R"({"format": "switchyard-classifier"})";
    EXPECT_NE(error_of([&] { LearnedRouterModel::load(bad); }).find("not a learned router file"), std::string::npos);
    EXPECT_NE(error_of([] { LearnedRouterModel::load("/nonexistent/r.json"); }).find("router fit"), std::string::npos);
    std::filesystem::remove(bad);
}

TEST(LearnedRouter, ChoosesTheCheapestThresholdThatKeepsTheTargetQuality) {
    // p, small score, large score. Sending the first three to small loses nothing; the fourth loses 1.
    std::vector<ValidationRow> rows = {{0.9f, 1, 1.0}, {0.8f, 0, 0.0}, {0.7f, 1, 1.0}, {0.6f, 0, 1.0}, {0.2f, 0, 1.0}};
    auto c = choose_threshold(rows, 1.0, -1);
    EXPECT_TRUE(c.met);
    EXPECT_FLOAT_EQ(c.threshold, 0.7f);            // small for p >= 0.7
    EXPECT_DOUBLE_EQ(c.large_share, 0.4);
    EXPECT_DOUBLE_EQ(c.quality_fraction, 1.0);
    auto loose = choose_threshold(rows, 0.75, -1);  // 3 of 4 large-quality points: one more may go small
    EXPECT_LT(loose.large_share, c.large_share);
    auto capped = choose_threshold(rows, -1, 0.2);
    EXPECT_LE(capped.large_share, 0.2);
    EXPECT_FLOAT_EQ(capped.threshold, 0.6f);
    std::vector<ValidationRow> no_large = {{0.5f, 1, std::nullopt}};
    EXPECT_NE(error_of([&] { choose_threshold(no_large, 0.97, -1); }).find("max-large-share"), std::string::npos);
    EXPECT_NO_THROW(choose_threshold(no_large, -1, 0.5));
}

TEST(LearnedRouter, RouteBlockAndAliasesAreParsedAndChecked) {
    const std::string base = "models:\n  - {name: s, file: s.gguf}\n  - {name: l, file: l.gguf}\n  - {name: e, file: e.gguf, kind: embedding}\n";
    auto cfg = parse_config(base + "routes:\n  - name: auto\n    aliases: [default]\n    tiers: [{name: small, model: s}, {name: large, model: l}]\n"
                                   "    router: {file: r.json, small: small, large: large, threshold: 0.3}\n", "/c", "c.yaml");
    ASSERT_TRUE(cfg.routes[0].learned.has_value());
    EXPECT_EQ(cfg.routes[0].learned->file, std::filesystem::path("/c/r.json"));
    EXPECT_FLOAT_EQ(*cfg.routes[0].learned->threshold, 0.3f);
    EXPECT_EQ(cfg.find_route("default"), cfg.find_route("auto"));
    auto err = [&](const std::string& routes) { return error_of([&] { parse_config(base + routes, "/c", "c.yaml"); }); };
    EXPECT_NE(err("routes:\n  - name: a\n    tiers: [{name: small, model: s}, {name: large, model: l}]\n    router: {file: r.json, large: huge}\n")
                  .find("unknown tier 'huge'"), std::string::npos);
    EXPECT_NE(err("routes:\n  - name: a\n    aliases: [s]\n    tiers: [{model: s}]\n").find("already a model name"), std::string::npos);
    EXPECT_NE(err("routes:\n  - name: a\n    tiers: [{model: s}]\n    router: {file: r.json}\n").find("at least two tiers"), std::string::npos);
}

TEST(LearnedRouter, CheapFeaturesSeeCodeAndNumbers) {
    auto plain = cheap_features("Classify this message.");
    auto code = cheap_features("What does this print?\n```python\nprint(3 * 4)\n```");
    ASSERT_EQ(plain.size(), cheap_feature_names().size());
    EXPECT_GT(code[4], plain[4]);   // code markers
    EXPECT_GT(code[2], plain[2]);   // numbers
}

TEST(LearnedRouter, HashedNgramsAreDeterministicUnitVectorsOfWordsAndNumberShapes) {
    const auto a = hashed_ngrams("What is 274 * 8? Reply with the number only.", kHashedNgramDims);
    ASSERT_EQ(a.size(), std::size_t(kHashedNgramDims));
    double norm = 0;
    for (float x : a) norm += double(x) * x;
    EXPECT_NEAR(norm, 1.0, 1e-5);
    EXPECT_EQ(a, hashed_ngrams("What is 274 * 8? Reply with the number only.", kHashedNgramDims));
    // Case is ignored and numbers count by their length, not their value: 274 and 913 look alike.
    EXPECT_EQ(a, hashed_ngrams("WHAT is 913 * 5? reply with the NUMBER only.", kHashedNgramDims));
    EXPECT_NE(a, hashed_ngrams("What is 2740 * 8? Reply with the number only.", kHashedNgramDims));
    EXPECT_NE(a, hashed_ngrams("Summarise this text in one sentence.", kHashedNgramDims));
    const auto empty = hashed_ngrams("", 16);
    EXPECT_EQ(empty, std::vector<float>(16, 0.0f));
}

TEST(LearnedRouter, AHashedNgramRouterNeedsNoEmbeddingAndRoundTrips) {
    // "easy" prompts share words the "hard" ones lack: the hashed input separates them.
    std::vector<TrainingExample> ex;
    for (int i = 0; i < 40; ++i) {
        const bool easy = i % 2 == 0;
        const std::string p = easy ? "Summarise this short note number " + std::to_string(i) : "Prove the theorem about primes case " + std::to_string(i);
        ex.push_back({hashed_ngrams(p, kHashedNgramDims), p, easy});
    }
    auto m = fit_logistic(ex);
    m.input = "hashed_ngrams";
    EXPECT_FALSE(m.needs_embedding());
    EXPECT_GT(m.predict({}, "Summarise this short note please"), 0.5f);
    EXPECT_LT(m.predict({}, "Prove the theorem for all primes"), 0.5f);
    const auto path = std::filesystem::temp_directory_path() / "sy_hashed_router_test.json";
    m.save(path);
    const auto back = LearnedRouterModel::load(path);
    EXPECT_EQ(back.input, "hashed_ngrams");
    EXPECT_EQ(back.embed_model, "");
    EXPECT_FLOAT_EQ(back.predict({1.0f, 2.0f}, "Summarise this short note please"), m.predict({}, "Summarise this short note please"))
        << "the embedding argument is ignored";
    std::filesystem::remove(path);
}
