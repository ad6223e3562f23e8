// The learned router classifier: index building, kNN voting, persistence and example parsing
// with a fake deterministic embedder; then the real MiniLM model on the shipped example sets.
#include "config/config.h"
#include "engine/model_pool.h"
#include "router/classifier.h"
#include "router/embedding_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include <unistd.h>

using namespace switchyard;
using namespace switchyard::router;

namespace {

// Hashed bag of words: texts sharing words get similar vectors, which is all the logic needs.
std::vector<float> bag_of_words(const std::string& text, int dims = 64) {
    std::vector<float> v(dims, 0.0f);
    std::string word;
    auto flush = [&] {
        if (word.empty()) return;
        std::uint32_t h = 2166136261u;
        for (char ch : word) h = (h ^ static_cast<unsigned char>(ch)) * 16777619u;
        v[h % dims] += 1;
        word.clear();
    };
    for (char ch : text + " ") {
        if (std::isalnum(static_cast<unsigned char>(ch))) word += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        else flush();
    }
    return v;
}

struct FakeEmbedder {
    std::vector<std::size_t> batches;
    Embedder fn() {
        return [this](const std::vector<std::string>& texts) {
            batches.push_back(texts.size());
            std::vector<std::vector<float>> out;
            for (const auto& t : texts) out.push_back(bag_of_words(t));
            return out;
        };
    }
};

std::filesystem::path temp_file(const std::string& name, const std::string& content = "") {
    auto p = std::filesystem::temp_directory_path() / ("switchyard-classifier-" + std::to_string(::getpid()) + "-" + name);
    if (!content.empty() || !std::filesystem::exists(p)) std::ofstream(p, std::ios::binary) << content;
    return p;
}

std::string error_of(const std::function<void()>& f) {
    try { f(); } catch (const std::exception& e) { return e.what(); }
    return "(no error)";
}

std::vector<float> unit(std::vector<float> v) {
    double n = 0;
    for (float x : v) n += x * x;
    for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
    return v;
}

// Two classes in 3 dimensions with hand-placed examples, so vote shares can be computed by hand.
ClassifierIndex hand_index() {
    ClassifierIndex ix;
    ix.embed_model = "fake";
    ix.dims = 3;
    ix.classes = {"a", "b"};
    ix.examples = {unit({1, 0, 0}), unit({1, 1, 0}), unit({0, 0, 1})};
    ix.example_class = {0, 0, 1};
    ix.centroids = {unit({1 + 0.7071f, 0.7071f, 0}), unit({0, 0, 1})};
    return ix;
}

std::vector<LabelledExample> small_set() {
    std::vector<LabelledExample> ex;
    const char* code[] = {"write a python function to sort a list", "fix this python function bug",
                          "write a function in javascript", "refactor this function code"};
    const char* math[] = {"what is 12 times 7", "compute 15 plus 20", "what is 100 divided by 4", "calculate 3 times 9 plus 2"};
    for (auto* c : code) ex.push_back({c, "code"});
    for (auto* m : math) ex.push_back({m, "arithmetic"});
    return ex;
}


// The shipped MiniLM embedding model as a config entry (the tests that use it skip when the file
// is absent: scripts/fetch-models.sh fetches it).
const std::filesystem::path kMiniLmFile = std::filesystem::path(SWITCHYARD_SOURCE_DIR) / "models" / "all-minilm-l6-v2-f16.gguf";
ModelSpec minilm_spec(int parallel) {
    ModelSpec m;
    m.name = "all-minilm-l6-v2";
    m.file = kMiniLmFile;
    m.kind = ModelKind::embedding;
    m.context_size = 512;
    m.parallel = parallel;
    return m;
}

}  // namespace

TEST(Classifier, TrainBatchesAndNormalises) {
    std::vector<LabelledExample> ex;
    for (int i = 0; i < 150; ++i) ex.push_back({"prompt number " + std::to_string(i) + (i % 2 ? " odd" : " even"), i % 3 ? "x" : "y"});
    FakeEmbedder fake;
    auto ix = train(ex, fake.fn(), "fake-model");
    EXPECT_EQ(fake.batches, (std::vector<std::size_t>{64, 64, 22}));
    EXPECT_EQ(ix.embed_model, "fake-model");
    EXPECT_EQ(ix.dims, 64);
    EXPECT_EQ(ix.classes, (std::vector<std::string>{"y", "x"}));  // order of first appearance
    ASSERT_EQ(ix.examples.size(), 150u);
    EXPECT_EQ(ix.example_class[0], 0);
    EXPECT_EQ(ix.example_class[1], 1);
    for (const auto& v : ix.examples) {
        double n = 0;
        for (float x : v) n += x * x;
        EXPECT_NEAR(n, 1.0, 1e-5);
    }
    ASSERT_EQ(ix.centroids.size(), 2u);
}

TEST(Classifier, TrainRejectsBadEmbedders) {
    auto ex = small_set();
    EXPECT_NE(error_of([&] { train({}, FakeEmbedder().fn()); }).find("no examples"), std::string::npos);
    Embedder short_batch = [](const std::vector<std::string>&) { return std::vector<std::vector<float>>{{1, 0}}; };
    EXPECT_NE(error_of([&] { train(ex, short_batch); }).find("returned 1 vectors for 8 texts"), std::string::npos);
    Embedder ragged = [](const std::vector<std::string>& t) {
        std::vector<std::vector<float>> out;
        for (std::size_t i = 0; i < t.size(); ++i) out.push_back(std::vector<float>(i == 3 ? 5 : 4, 1.0f));
        return out;
    };
    EXPECT_NE(error_of([&] { train(ex, ragged); }).find("example 4: embedding has 5 dimensions, expected 4"), std::string::npos);
    Embedder zero = [](const std::vector<std::string>& t) { return std::vector<std::vector<float>>(t.size(), std::vector<float>(4, 0.0f)); };
    EXPECT_NE(error_of([&] { train(ex, zero); }).find("zero vector"), std::string::npos);
}

TEST(Classifier, WeightedVoteAndConfidence) {
    auto ix = hand_index();
    // q is closest to b's single example but near both of a's: a's two votes outweigh it.
    auto q = unit({0.6f, 0.3f, 0.75f});
    float s0 = 0.6f * 1, s1 = (0.6f + 0.3f) / std::sqrt(2.0f), s2 = 0.75f;
    float n = std::sqrt(0.6f * 0.6f + 0.3f * 0.3f + 0.75f * 0.75f);
    s0 /= n, s1 /= n, s2 /= n;
    auto c = classify(ix, q, 3);
    EXPECT_EQ(c.task_class, "a");
    EXPECT_EQ(c.method, "knn");
    EXPECT_NEAR(c.confidence, (s0 + s1) / (s0 + s1 + s2), 1e-5);
    ASSERT_EQ(c.scores.size(), 2u);
    EXPECT_EQ(c.scores[0].first, "a");
    EXPECT_NEAR(c.scores[0].second + c.scores[1].second, 1.0, 1e-5);
    // With one neighbour, b's example is nearest: confidence is then total.
    auto c1 = classify(ix, q, 1);
    EXPECT_EQ(c1.task_class, "b");
    EXPECT_FLOAT_EQ(c1.confidence, 1.0f);
    // k beyond the example count means every example votes.
    EXPECT_NEAR(classify(ix, q, 50).confidence, c.confidence, 1e-6);
}

TEST(Classifier, TieGoesToNearerCentroidAndNoNeighboursFallBack) {
    ClassifierIndex ix;
    ix.dims = 2;
    ix.classes = {"left", "right"};
    ix.examples = {unit({1, 1}), unit({1, -1})};
    ix.example_class = {0, 1};
    ix.centroids = {unit({1, 2}), unit({1, -0.1f})};  // "right" as a whole lies nearer to +x
    auto c = classify(ix, {1, 0}, 2);
    EXPECT_EQ(c.method, "knn+centroid");
    EXPECT_EQ(c.task_class, "right");
    EXPECT_NEAR(c.confidence, 0.5, 1e-6);
    // Opposite to every example: no neighbour votes, the centroids decide.
    auto far = classify(ix, {-1, 0}, 2);
    EXPECT_EQ(far.method, "centroid");
    EXPECT_NE(error_of([&] { classify(ix, {1, 0, 0}); }).find("embedding has 3 dimensions; the index expects 2"), std::string::npos);
}

TEST(Classifier, FakeEmbedderSeparatesClasses) {
    FakeEmbedder fake;
    auto embed = fake.fn();
    auto ix = train(small_set(), embed, "fake");
    EXPECT_EQ(classify(ix, embed({"write a function that reverses a list"})[0], 3).task_class, "code");
    EXPECT_EQ(classify(ix, embed({"what is 8 times 9"})[0], 3).task_class, "arithmetic");
    auto ev = evaluate(ix, {{"write a javascript function", "code"}, {"what is 2 plus 2", "arithmetic"}, {"hello", "greeting"}}, embed, 3);
    EXPECT_EQ(ev.total, 3);
    EXPECT_EQ(ev.correct, 2);  // the unknown label counts as a miss
    EXPECT_EQ(ev.confusion.back()[0] + ev.confusion.back()[1], 1);
}

TEST(Classifier, SaveLoadRoundTrip) {
    FakeEmbedder fake;
    auto ix = train(small_set(), fake.fn(), "fake");
    auto path = temp_file("index.json");
    ix.save(path);
    auto back = ClassifierIndex::load(path);
    EXPECT_EQ(back.embed_model, "fake");
    EXPECT_EQ(back.dims, ix.dims);
    EXPECT_EQ(back.classes, ix.classes);
    EXPECT_EQ(back.example_class, ix.example_class);
    ASSERT_EQ(back.examples.size(), ix.examples.size());
    for (std::size_t i = 0; i < ix.examples.size(); ++i)
        for (int d = 0; d < ix.dims; ++d) EXPECT_NEAR(back.examples[i][d], ix.examples[i][d], 2e-6);
    auto q = bag_of_words("compute 7 times 6");
    EXPECT_EQ(classify(back, unit(q)).task_class, classify(ix, unit(q)).task_class);
    EXPECT_NEAR(classify(back, unit(q)).confidence, classify(ix, unit(q)).confidence, 1e-5);
    std::filesystem::remove(path);
}

TEST(Classifier, LoadRejectsBrokenIndexes) {
    auto load = [](const std::string& text) { return error_of([&] { ClassifierIndex::load(temp_file("bad.json", text)); }); };
    EXPECT_NE(error_of([] { ClassifierIndex::load("/nonexistent/ix.json"); }).find("cannot open"), std::string::npos);
    EXPECT_NE(load("{oops").find("not valid JSON"), std::string::npos);
    EXPECT_NE(load(R"({"format": "other"})").find("not a classifier index"), std::string::npos);
    std::string head = R"({"format": "switchyard-classifier", "version": 1, "embed_model": "m", "dims": 2, "classes": ["a"], "centroids": [[1, 0]], )";
    EXPECT_NE(load(head + R"("example_class": [0, 0], "examples": [[1, 0], [1, 0, 0]]})").find("examples[1]: expected an array of 2 numbers"), std::string::npos);
    EXPECT_NE(load(head + R"("example_class": [3], "examples": [[1, 0]]})").find("example_class[0] = 3"), std::string::npos);
    EXPECT_NE(load(head + R"("example_class": [0], "examples": [[0, 0]]})").find("examples[0]: zero vector"), std::string::npos);
    EXPECT_EQ(load(head + R"("example_class": [0], "examples": [[3, 4]]})"), "(no error)");
    std::filesystem::remove(temp_file("bad.json"));
}

TEST(Classifier, ReadExamplesWithLineNumbers) {
    auto good = temp_file("good.jsonl", "{\"prompt\": \"fix this\", \"class\": \"grammar_fix\", \"source\": \"x\"}\r\n\n  \n{\"prompt\": \"2+2?\", \"class\": \"arithmetic\"}\n");
    auto ex = read_examples_jsonl(good);
    ASSERT_EQ(ex.size(), 2u);
    EXPECT_EQ(ex[1].prompt, "2+2?");
    EXPECT_EQ(ex[0].task_class, "grammar_fix");
    auto err = [](const std::string& text) { return error_of([&] { read_examples_jsonl(temp_file("bad.jsonl", text)); }); };
    const std::string ok = "{\"prompt\": \"a\", \"class\": \"b\"}\n";
    EXPECT_NE(err(ok + ok + "{\"prompt\": \"a\", \"class\": }\n").find("bad.jsonl:3: not valid JSON"), std::string::npos);
    EXPECT_NE(err(ok + "[1, 2]\n").find("bad.jsonl:2: expected a JSON object, got array"), std::string::npos);
    EXPECT_NE(err(ok + "\n{\"prompt\": \"a\"}\n").find("bad.jsonl:3: missing \"class\""), std::string::npos);
    EXPECT_NE(err("{\"prompt\": 5, \"class\": \"b\"}\n").find(":1: \"prompt\" must be a non-empty string"), std::string::npos);
    EXPECT_NE(err("{\"prompt\": \"a\", \"class\": \"\"}\n").find(":1: \"class\" must be a non-empty string"), std::string::npos);
    EXPECT_NE(err("\n\n").find("no examples"), std::string::npos);
    EXPECT_NE(error_of([] { read_examples_jsonl("/nonexistent.jsonl"); }).find("cannot open examples file"), std::string::npos);
    std::filesystem::remove(good);
    std::filesystem::remove(temp_file("bad.jsonl"));
}

TEST(Classifier, TextForEmbeddingKeepsHeadAndTail) {
    EXPECT_EQ(text_for_embedding("short prompt"), "short prompt");
    std::string body(5000, 'x');
    std::string prompt = "Summarise this: " + body + " Thanks, in three bullets.";
    auto t = text_for_embedding(prompt, 300);
    EXPECT_LE(t.size(), 300u + 5);
    EXPECT_EQ(t.rfind("Summarise this: ", 0), 0u);
    EXPECT_NE(t.find("in three bullets."), std::string::npos);
    // Multi-byte characters are never cut in half.
    std::string accents;
    for (int i = 0; i < 400; ++i) accents += "\xc3\xa9";  // é
    auto u = text_for_embedding(accents, 101);
    for (std::size_t i = 0; i < u.size();) {
        if (u[i] == '\n' || u[i] == '.') { ++i; continue; }
        ASSERT_EQ(static_cast<unsigned char>(u[i]), 0xc3u) << "at " << i;
        i += 2;
    }
}

TEST(Classifier, RouteClassifierMapsClassesToTiers) {
    FakeEmbedder fake;
    auto embed = fake.fn();
    auto ix = train(small_set(), embed, "emb");
    auto dir = std::filesystem::temp_directory_path() / ("switchyard-rc-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    ix.save(dir / "ix.json");
    const std::string models = "models:\n  - {name: small, file: s.gguf}\n  - {name: big, file: b.gguf}\n  - {name: emb, file: e.gguf, kind: embedding}\n";
    auto route = [&](const std::string& classifier) {
        return models + "routes:\n  - name: auto\n    tiers: [{name: small, model: small}, {name: large, model: big}]\n    classifier: " + classifier + "\n";
    };
    auto cfg = parse_config(route("{index: ix.json, min_confidence: 0.6, classes: {code: large, arithmetic: small}}"), dir, "r.yaml");
    RouteClassifier rc(cfg.routes[0], cfg);
    EXPECT_EQ(rc.embed_model(), "emb");
    auto pick = rc.decide(embed({"write a python function"})[0]);
    ASSERT_TRUE(pick.tier.has_value());
    EXPECT_EQ(*pick.tier, 1u);
    EXPECT_EQ(pick.trace["class"], "code");
    EXPECT_EQ(pick.trace["tier"], "large");
    // Words of both classes split the vote: below min_confidence the classifier abstains.
    auto strict = parse_config(route("{index: ix.json, min_confidence: 0.99, classes: {code: large, arithmetic: small}}"), dir, "r.yaml");
    auto unsure = RouteClassifier(strict.routes[0], strict).decide(unit(bag_of_words("python times")));
    EXPECT_LT(unsure.classification.confidence, 0.99f);
    EXPECT_FALSE(unsure.tier.has_value());
    EXPECT_EQ(unsure.trace["abstain"], "confidence below min_confidence");
    auto only_code = parse_config(route("{index: ix.json, min_confidence: 0, classes: {code: large}}"), dir, "r.yaml");
    auto unmapped = RouteClassifier(only_code.routes[0], only_code).decide(embed({"what is 6 times 7"})[0]);
    EXPECT_FALSE(unmapped.tier.has_value());
    EXPECT_EQ(unmapped.trace["abstain"], "class 'arithmetic' is not mapped to a tier");

    auto bad_class = parse_config(route("{index: ix.json, classes: {poetry: large}}"), dir, "r.yaml");
    EXPECT_NE(error_of([&] { RouteClassifier(bad_class.routes[0], bad_class); }).find("class 'poetry' is not in"), std::string::npos);
    auto missing = parse_config(route("{index: nope.json, classes: {code: large}}"), dir, "r.yaml");
    EXPECT_NE(error_of([&] { RouteClassifier(missing.routes[0], missing); }).find("route 'auto': classifier: "), std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST(Classifier, ConfigParsing) {
    const std::string base = "models:\n  - {name: small, file: s.gguf}\n  - {name: big, file: b.gguf}\nroutes:\n  - name: auto\n"
                             "    tiers: [{name: small, model: small}, {name: large, model: big}]\n";
    auto cfg = parse_config(base + "    classifier: {index: ix/tasks.json, k: 5, classes: {grammar_fix: small, open_reasoning: large}}\n", "/etc/sy", "r.yaml");
    ASSERT_TRUE(cfg.routes[0].classifier.has_value());
    const auto& c = *cfg.routes[0].classifier;
    EXPECT_EQ(c.index, std::filesystem::path("/etc/sy/ix/tasks.json"));
    EXPECT_FLOAT_EQ(c.min_confidence, 0.5f);
    EXPECT_EQ(c.k, 5);
    EXPECT_EQ(c.classes.at("open_reasoning"), "large");
    EXPECT_FALSE(parse_config(base, "/c", "r.yaml").routes[0].classifier.has_value());
    auto err = [&](const std::string& classifier) { return error_of([&] { parse_config(base + "    classifier: " + classifier + "\n", "/c", "r.yaml"); }); };
    EXPECT_NE(err("{index: a.json, classes: {code: huge}}").find("routes[0].classifier.classes.code: unknown tier 'huge'"), std::string::npos);
    EXPECT_NE(err("{classes: {code: small}}").find("missing required key 'index'"), std::string::npos);
    EXPECT_NE(err("{index: a.json}").find("routes[0].classifier.classes: expected a mapping"), std::string::npos);
    EXPECT_NE(err("{index: a.json, min_confidence: 2, classes: {code: small}}").find("must be between 0 and 1"), std::string::npos);
    EXPECT_NE(err("{index: a.json, treshold: 1, classes: {code: small}}").find("unknown key 'treshold'"), std::string::npos);
}

// The real embedding model on the shipped example sets: trained on tasks.jsonl, evaluated on
// the held-out tasks_test.jsonl (different templates and fillers).
TEST(Classifier, RealMiniLmHeldOutAccuracy) {
    const std::filesystem::path src = SWITCHYARD_SOURCE_DIR;
    if (!std::filesystem::exists(kMiniLmFile)) GTEST_SKIP() << kMiniLmFile << " not present (scripts/fetch-models.sh fetches it)";
    Config cfg;
    const ModelSpec m = minilm_spec(8);
    cfg.models.push_back(m);
    ModelPool pool(cfg);
    auto embed = pool_embedder(pool, m.name);
    auto train_set = read_examples_jsonl(src / "router/examples/tasks.jsonl");
    auto test_set = read_examples_jsonl(src / "router/examples/tasks_test.jsonl");
    auto t0 = std::chrono::steady_clock::now();
    auto ix = train(train_set, embed, m.name);
    double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(ix.dims, 384);
    auto ev = evaluate(ix, test_set, embed);
    auto us = ev.classify_us;
    std::sort(us.begin(), us.end());
    std::printf("[ MiniLM  ] trained on %zu prompts in %.2f s; held-out accuracy %.3f (%d/%d); classify p50 %.1f us, p99 %.1f us\n",
                train_set.size(), train_s, ev.accuracy(), ev.correct, ev.total, us[us.size() / 2], us[us.size() * 99 / 100]);
    for (std::size_t a = 0; a < ix.classes.size(); ++a)
        for (std::size_t p = 0; p < ix.classes.size(); ++p)
            if (a != p && ev.confusion[a][p]) std::printf("[ MiniLM  ]   %s -> %s: %d\n", ix.classes[a].c_str(), ix.classes[p].c_str(), ev.confusion[a][p]);
    // The same lookups over a 10x larger index (4200 examples), the size the latency budget is for.
    ClassifierIndex big = ix;
    for (int copy = 0; copy < 9; ++copy)
        for (std::size_t i = 0; i < ix.examples.size(); ++i) {
            big.examples.push_back(ix.examples[i]);
            big.example_class.push_back(ix.example_class[i]);
        }
    auto big_ev = evaluate(big, test_set, embed);
    std::sort(big_ev.classify_us.begin(), big_ev.classify_us.end());
    std::printf("[ MiniLM  ] classify over %zu examples: p50 %.1f us, p99 %.1f us\n", big.examples.size(),
                big_ev.classify_us[big_ev.classify_us.size() / 2], big_ev.classify_us[big_ev.classify_us.size() * 99 / 100]);
    RecordProperty("held_out_accuracy", std::to_string(ev.accuracy()));
    EXPECT_GE(ev.accuracy(), 0.8);
}

// Concurrent embed() calls are combined into shared batches (engine/loaded_model.cpp): each
// caller still gets its own vectors, in its order, with its token count; with parallel: 1 (one
// sequence per batch) the combined results are bit-identical to calls made one at a time.
TEST(LoadedModel, ConcurrentEmbedCallsAreCombinedAndEachGetsItsOwnVectors) {
    if (!std::filesystem::exists(kMiniLmFile)) GTEST_SKIP() << kMiniLmFile << " not present (scripts/fetch-models.sh fetches it)";
    const std::vector<std::string> texts = {
        "Fix the typo: teh cat sat on the mat.", "prove that 1 = 1", "Summarise the history of Rome in two sentences.",
        "Write a Python function that reverses a linked list.", "Translate 'good morning' into French.",
        "What is the capital of Australia?", "Classify this review as positive or negative: great phone, bad battery.",
        "Extract every date from: the meeting moved from 3 May to 12 June 2025."};
    for (int parallel : {8, 1}) {
        Config cfg;
        const ModelSpec m = minilm_spec(parallel);
        cfg.models.push_back(m);
        ModelPool pool(cfg);
        ModelLease lease = pool.acquire(m.name);
        std::vector<std::vector<float>> alone;
        std::vector<int> alone_tokens;
        for (const auto& t : texts) {
            int n = 0;
            alone.push_back(lease->embed({t}, n).front());
            alone_tokens.push_back(n);
        }
        // 6 threads, each embedding a rotating pair of texts 10 times: calls meet and combine.
        std::vector<std::thread> threads;
        std::vector<std::string> failures[6];
        for (int w = 0; w < 6; ++w)
            threads.emplace_back([&, w] {
                for (int r = 0; r < 10; ++r) {
                    const std::size_t a = (w + r) % texts.size(), b = (w * 3 + r + 1) % texts.size();
                    int n = 0;
                    auto got = lease->embed({texts[a], texts[b]}, n);
                    if (got.size() != 2 || n != alone_tokens[a] + alone_tokens[b]) { failures[w].push_back("size or token count"); continue; }
                    for (auto [k, i] : {std::pair{0, a}, std::pair{1, b}}) {
                        double dot = 0, diff = 0;
                        for (std::size_t d = 0; d < got[k].size(); ++d) {
                            dot += double(got[k][d]) * alone[i][d];
                            diff = std::max(diff, std::abs(double(got[k][d]) - alone[i][d]));
                        }
                        if (dot < 0.99999) failures[w].push_back("not the vector of '" + texts[i] + "'");
                        if (parallel == 1 && diff != 0) failures[w].push_back("parallel 1 changed bits of '" + texts[i] + "'");
                    }
                }
            });
        for (auto& t : threads) t.join();
        for (auto& f : failures) EXPECT_TRUE(f.empty()) << "parallel " << parallel << ": " << f.front();
    }
}

// Cached embeddings belong to one version of the model file: replacing or rewriting it empties
// the cache, so a new model never answers with the old model's vectors.
TEST(EmbeddingCache, ForgetsVectorsWhenTheModelFileChanges) {
    const auto dir = std::filesystem::temp_directory_path() / ("sy-embcache-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = dir / "model.gguf";
    { std::ofstream(file) << "version 1"; }
    EmbeddingCache cache(file, 2);
    cache.put("hello", {1.0f, 0.0f});
    auto hit = cache.get("hello");
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(*hit, (std::vector<float>{1.0f, 0.0f}));
    EXPECT_FALSE(cache.get("other").has_value());

    { std::ofstream(file) << "version 2, longer"; }   // rewritten in place
    EXPECT_FALSE(cache.get("hello").has_value());
    EXPECT_EQ(cache.size(), 0u);

    cache.put("hello", {0.0f, 1.0f});
    ASSERT_TRUE(cache.get("hello").has_value());
    const auto replacement = dir / "model.gguf.new";   // replaced by rename: same size, new inode
    { std::ofstream(replacement) << "version 2, LONGER"; }
    std::filesystem::rename(replacement, file);
    EXPECT_FALSE(cache.get("hello").has_value());

    cache.put("a", {1});
    cache.put("b", {2});
    ASSERT_TRUE(cache.get("a").has_value());   // a is now the most recent
    cache.put("c", {3});                       // evicts b, the least recently used
    EXPECT_TRUE(cache.get("a").has_value());
    EXPECT_FALSE(cache.get("b").has_value());
    EXPECT_TRUE(cache.get("c").has_value());

    std::filesystem::remove(file);             // no file: nothing is served or stored
    EXPECT_FALSE(cache.get("a").has_value());
    cache.put("d", {4});
    EXPECT_EQ(cache.size(), 0u);
    std::filesystem::remove_all(dir);
}
