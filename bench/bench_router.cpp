// Router decision latency: how long choosing a tier takes, per request, on this machine.
//   rules:      extract_features + RoutePolicy::decide over a realistic rule set (regex,
//               keywords, length, tools, task), for every prompt of the test split
//   classifier: embedding the prompt with the local embedding model + kNN classify, i.e. the
//               whole learned decision a request pays for, and classify alone
//
//   learned:    embedding + the learned router's logistic model (router/learned_router.h), the
//               whole decision a request to `auto` pays for (--router FILE; dataset prompts)
//
//   bench_router --config switchyard.yaml --index models/tasks.index.json
//                --prompts router/examples/tasks_test.jsonl [--rounds 50]
//   bench_router --config switchyard.yaml --router router/auto.router.json --dataset eval/datasets/ladder_test.jsonl
//   bench_router --config switchyard.yaml --lengths all-minilm-l6-v2     (embedding CPU time by input tokens)
//   bench_router --config switchyard.yaml --truncate 1024,256,128 [--router router/auto.router.json --dataset ...]
//                (shorter embedding inputs: CPU time, classifier accuracy, learned decisions kept)
//   bench_router --config switchyard.yaml --router router/auto.router.json --dataset ... --concurrency 4
//                (N threads deciding at once: one embedding at a time vs concurrent calls combined)
// Prints a JSON object with p50/p99 in microseconds.
#include "config/config.h"
#include "engine/model_pool.h"
#include "router/classifier.h"
#include "router/learned_router.h"
#include "eval/dataset.h"
#include "router/policy.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <optional>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace switchyard;
using Clock = std::chrono::steady_clock;

namespace {

const char* kRules = R"(
models:
  - {name: small, file: s.gguf}
routes:
  - name: auto
    tiers: [{name: small, model: small}, {name: medium, model: small}, {name: large, model: small}]
    rules:
      - {name: tools, tools: true, tier: large}
      - {name: images, images: true, tier: large}
      - {name: proofs, regex: "\\b(prove|derive|theorem|lemma)\\b", tier: large}
      - {name: code, regex: "```|\\bdef |\\bclass |#include", tier: medium}
      - {name: keywords, keywords: [refactor, algorithm, architecture, optimise, optimize], tier: large}
      - {name: triage, task: classify, tier: small}
      - {name: long, min_chars: 4000, tier: large}
)";

// CPU time of the calling thread: other processes on a busy machine do not inflate it. An
// embedding the model runs on several threads costs the caller only its share, so the modes that
// time embeddings report wall time beside it.
double thread_cpu_us() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

// The user prompt of each case of a ladder dataset (what the learned router decides on).
std::vector<std::string> dataset_prompts(const std::string& dataset) {
    std::vector<std::string> texts;
    for (const auto& c : eval::read_dataset(dataset))
        texts.push_back(router::extract_features(nlohmann::json{{"messages", c.messages}}, "").prompt);
    return texts;
}

}  // namespace

int run(int argc, char** argv) {
    std::string config = "switchyard.yaml", index_path = "models/tasks.index.json", prompts = "router/examples/tasks_test.jsonl";
    int rounds = 50;
    std::string router_path, dataset, embed_model;
    bool lengths = false;
    std::string examples_path = "router/examples/tasks.jsonl";
    int concurrency = 1;                 // --concurrency N (with --router): N deciding threads
    std::vector<std::size_t> truncate;   // --truncate 1024,256,128: text_for_embedding budgets
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--config") config = argv[i + 1];
        else if (a == "--index") index_path = argv[i + 1];
        else if (a == "--prompts") prompts = argv[i + 1];
        else if (a == "--rounds") rounds = std::stoi(argv[i + 1]);
        else if (a == "--router") router_path = argv[i + 1];
        else if (a == "--dataset") dataset = argv[i + 1];
        else if (a == "--lengths") { lengths = true; embed_model = argv[i + 1]; }
        else if (a == "--examples") examples_path = argv[i + 1];
        else if (a == "--concurrency") concurrency = std::stoi(argv[i + 1]);
        else if (a == "--truncate") {
            std::string list = argv[i + 1];
            for (std::size_t pos = 0; pos < list.size();) {
                auto comma = list.find(',', pos);
                truncate.push_back(std::stoul(list.substr(pos, comma - pos)));
                pos = comma == std::string::npos ? list.size() : comma + 1;
            }
        }
    }
    if (lengths) {
        // CPU time of one embedding by input length (tokens), the best of --rounds tries: where
        // the decision's time goes as prompts get longer.
        Config cfg = load_config(config);
        ModelPool pool(cfg);
        ModelLease lease = pool.acquire(embed_model);
        int tokens = 0;
        lease->embed({"warm up"}, tokens);
        std::printf("{\"embed_model\": \"%s\", \"by_tokens\": [", embed_model.c_str());
        const char* sep = "";
        for (int words : {8, 16, 32, 64, 128, 192, 256, 384}) {
            std::string text;
            for (int w = 0; w < words; ++w) text += w % 7 == 0 ? "route " : w % 3 == 0 ? "model " : "the ";
            double best = 1e18;
            for (int r = 0; r < std::max(3, rounds / 10); ++r) {
                const double c0 = thread_cpu_us();
                lease->embed({text}, tokens);
                best = std::min(best, thread_cpu_us() - c0);
            }
            std::printf("%s{\"tokens\": %d, \"cpu_us\": %.0f}", sep, tokens, best);
            sep = ", ";
        }
        std::printf("]}\n");
        return 0;
    }
    if (!truncate.empty()) {
        // What shorter embedding inputs (text_for_embedding's character budget) buy and cost:
        // per budget, the decision's CPU time on new prompts, the classifier's accuracy on the
        // test split with an index trained at that budget, and (--router) how many of the learned
        // router's decisions stay those of the full 1,024-character input. A fresh embedder per
        // budget: its cache starts empty.
        Config cfg = load_config(config);
        ModelPool pool(cfg);
        auto budgets = truncate;
        auto train_examples = router::read_examples_jsonl(examples_path);
        auto test = router::read_examples_jsonl(prompts);
        std::optional<router::LearnedRouterModel> model;
        std::vector<std::string> texts;
        if (!router_path.empty()) {
            model = router::LearnedRouterModel::load(router_path);
            texts = dataset_prompts(dataset);
        }
        std::vector<bool> full_decisions;
        std::printf("[");
        for (std::size_t b = 0; b < budgets.size(); ++b) {
            const std::size_t budget = budgets[b];
            auto base = router::pool_embedder(pool, "all-minilm-l6-v2");
            base({"warm up"});
            router::Embedder embed = [&base, budget](const std::vector<std::string>& in) {
                std::vector<std::string> cut;
                for (const auto& t : in) cut.push_back(router::text_for_embedding(t, budget));
                return base(cut);
            };
            auto index = router::train(train_examples, embed, "all-minilm-l6-v2");
            std::vector<double> cpu_us, wall_us;
            int correct = 0;
            for (const auto& e : test) {
                const double c0 = thread_cpu_us();
                const auto t0 = Clock::now();
                auto c = router::classify(index, embed({e.prompt}).front(), 7);
                wall_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
                cpu_us.push_back(thread_cpu_us() - c0);
                correct += c.task_class == e.task_class;
            }
            // Wall time too: an embedding on several threads costs the caller's thread only its share.
            std::printf("%s{\"max_chars\": %zu, \"classifier\": {\"accuracy\": %.3f, \"cpu_p50_us\": %.0f, \"cpu_p99_us\": %.0f, "
                        "\"wall_p50_us\": %.0f, \"wall_p99_us\": %.0f}",
                        b ? ", " : "", budget, double(correct) / test.size(), percentile(cpu_us, 0.5), percentile(cpu_us, 0.99),
                        percentile(wall_us, 0.5), percentile(wall_us, 0.99));
            if (model) {
                std::vector<double> lcpu;
                std::size_t same = 0, cheap = 0;
                for (std::size_t i = 0; i < texts.size(); ++i) {
                    const double c0 = thread_cpu_us();
                    const bool small = model->predict(embed({texts[i]}).front(), texts[i]) >= model->threshold;
                    lcpu.push_back(thread_cpu_us() - c0);
                    if (b == 0) full_decisions.push_back(small);
                    same += full_decisions[i] == small;
                    cheap += small;
                }
                std::printf(", \"learned\": {\"same_decision_as_first\": %.3f, \"share_to_small\": %.3f, \"cpu_p50_us\": %.0f, \"cpu_p99_us\": %.0f}",
                            double(same) / texts.size(), double(cheap) / texts.size(), percentile(lcpu, 0.5), percentile(lcpu, 0.99));
            }
            std::printf("}\n");
            std::fflush(stdout);
        }
        std::printf("]\n");
        return 0;
    }
    if (!router_path.empty() && concurrency > 1) {
        // N threads deciding at once (requests to `auto` arriving together), each decision on a
        // new prompt: "serial" holds a lock around each embedding (one call at a time, how
        // LoadedModel::embed behaved before it combined concurrent calls), "combined" lets the
        // model batch the calls that meet. Alternated twice; a fresh embedding cache each run.
        auto model = router::LearnedRouterModel::load(router_path);
        Config cfg = load_config(config);
        ModelPool pool(cfg);
        const std::vector<std::string> texts = dataset_prompts(dataset);
        router::pool_embedder(pool, model.embed_model)({"warm up"});
        std::vector<bool> reference;
        std::printf("[");
        for (int run = 0; run < 4; ++run) {
            const bool serial = run % 2 == 0;
            auto embed = router::pool_embedder(pool, model.embed_model);
            std::mutex one_at_a_time;
            std::atomic<std::size_t> next{0};
            std::vector<double> wall_us(texts.size());
            std::vector<char> small(texts.size());
            timespec c0{}, c1{};
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
            const auto t0 = Clock::now();
            std::vector<std::thread> workers;
            for (int w = 0; w < concurrency; ++w)
                workers.emplace_back([&] {
                    for (std::size_t i; (i = next++) < texts.size();) {
                        const auto s0 = Clock::now();
                        std::vector<float> vec;
                        if (serial) {
                            std::lock_guard lock(one_at_a_time);
                            vec = embed({texts[i]}).front();
                        } else {
                            vec = embed({texts[i]}).front();
                        }
                        small[i] = model.predict(vec, texts[i]) >= model.threshold;
                        wall_us[i] = std::chrono::duration<double, std::micro>(Clock::now() - s0).count();
                    }
                });
            for (auto& w : workers) w.join();
            const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
            const double cpu_us = ((c1.tv_sec - c0.tv_sec) * 1e6 + (c1.tv_nsec - c0.tv_nsec) / 1e3) / texts.size();
            std::size_t same = 0;
            if (reference.empty()) reference.assign(small.begin(), small.end());
            for (std::size_t i = 0; i < texts.size(); ++i) same += reference[i] == static_cast<bool>(small[i]);
            std::printf("%s{\"mode\": \"%s\", \"threads\": %d, \"decisions_per_s\": %.1f, \"cpu_us_per_decision\": %.0f,"
                        " \"p50_us\": %.0f, \"p99_us\": %.0f, \"same_decision_as_first_run\": %.4f}\n",
                        run ? ", " : "", serial ? "serial" : "combined", concurrency, texts.size() / seconds, cpu_us,
                        percentile(wall_us, 0.5), percentile(wall_us, 0.99), double(same) / texts.size());
            std::fflush(stdout);
        }
        std::printf("]\n");
        return 0;
    }
    if (!router_path.empty()) {
        auto model = router::LearnedRouterModel::load(router_path);
        Config cfg = load_config(config);
        ModelPool pool(cfg);
        // A hashed-n-gram router needs no model: its "embedding" is computed inside predict.
        router::Embedder embed = model.needs_embedding() ? router::pool_embedder(pool, model.embed_model)
                                                          : router::Embedder([](const std::vector<std::string>& t) {
                                                                return std::vector<std::vector<float>>(t.size());
                                                            });
        embed({"warm up"});  // the first call loads the model
        const std::vector<std::string> texts = dataset_prompts(dataset);
        std::vector<double> full_us, predict_us, cpu_us;
        std::size_t cheap = 0;
        for (const auto& t : texts) {
            auto t0 = Clock::now();
            const double c0 = thread_cpu_us();
            auto vec = embed({t}).front();
            auto t1 = Clock::now();
            cheap += model.predict(vec, t) >= model.threshold;
            auto t2 = Clock::now();
            cpu_us.push_back(thread_cpu_us() - c0);
            full_us.push_back(std::chrono::duration<double, std::micro>(t2 - t0).count());
            predict_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
        }
        std::printf("{\"prompts\": %zu, \"learned\": {\"embed_model\": \"%s\", \"p50_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f,"
                    " \"cpu_p50_us\": %.1f, \"cpu_p99_us\": %.1f,"
                    " \"predict_only_p50_us\": %.2f, \"predict_only_p99_us\": %.2f, \"share_to_small\": %.3f}}\n",
                    texts.size(), model.embed_model.c_str(), percentile(full_us, 0.5), percentile(full_us, 0.99),
                    percentile(full_us, 1.0), percentile(cpu_us, 0.5), percentile(cpu_us, 0.99),
                    percentile(predict_us, 0.5), percentile(predict_us, 0.99), double(cheap) / texts.size());
        return 0;
    }
    auto examples = router::read_examples_jsonl(prompts);
    Config rules_cfg = parse_config(kRules, ".", "bench-rules.yaml");
    router::RoutePolicy policy(rules_cfg.routes[0]);
    std::vector<nlohmann::json> bodies;
    for (const auto& e : examples)
        bodies.push_back({{"model", "auto"}, {"messages", nlohmann::json::array({{{"role", "system"}, {"content", "You are helpful."}},
                                                                                  {{"role", "user"}, {"content", e.prompt}}})}});
    std::vector<double> rules_us;
    std::size_t to_large = 0;
    for (int r = 0; r < rounds; ++r)
        for (const auto& b : bodies) {
            auto t0 = Clock::now();
            auto d = policy.decide(router::extract_features(b, ""));
            rules_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
            to_large += d.tier == 2;
        }

    Config cfg = load_config(config);
    auto index = router::ClassifierIndex::load(index_path);
    ModelPool pool(cfg);
    auto embed = router::pool_embedder(pool, index.embed_model);
    embed({"warm up"});  // the first call loads the model
    std::vector<double> full_us, classify_us, cpu_us;
    for (const auto& e : examples) {
        auto t0 = Clock::now();
        const double c0 = thread_cpu_us();
        auto vec = embed({e.prompt}).front();
        auto t1 = Clock::now();
        auto c = router::classify(index, vec, 7);
        auto t2 = Clock::now();
        cpu_us.push_back(thread_cpu_us() - c0);
        full_us.push_back(std::chrono::duration<double, std::micro>(t2 - t0).count());
        classify_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
        (void)c;
    }
    // The same prompts again: their embeddings come from the cache (router/embedding_cache.h).
    std::vector<double> repeated_us;
    for (const auto& e : examples) {
        auto t0 = Clock::now();
        auto c = router::classify(index, embed({e.prompt}).front(), 7);
        repeated_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        (void)c;
    }
    std::printf("{\"repeated_prompts\": {\"p50_us\": %.1f, \"p99_us\": %.1f}, ", percentile(repeated_us, 0.5), percentile(repeated_us, 0.99));
    std::printf("\"prompts\": %zu, \"rules\": {\"decisions\": %zu, \"p50_us\": %.2f, \"p99_us\": %.2f, \"share_to_large\": %.3f},"
                " \"classifier\": {\"embed_model\": \"%s\", \"examples\": %zu, \"p50_us\": %.1f, \"p99_us\": %.1f,"
                " \"cpu_p50_us\": %.1f, \"cpu_p99_us\": %.1f,"
                " \"classify_only_p50_us\": %.1f, \"classify_only_p99_us\": %.1f}}\n",
                examples.size(), rules_us.size(), percentile(rules_us, 0.5), percentile(rules_us, 0.99),
                double(to_large) / rules_us.size(), index.embed_model.c_str(), index.examples.size(),
                percentile(full_us, 0.5), percentile(full_us, 0.99), percentile(cpu_us, 0.5), percentile(cpu_us, 0.99),
                percentile(classify_us, 0.5), percentile(classify_us, 0.99));
    return 0;
}

// Every mode reports a failure (an unreadable config, index or dataset, a model that will not
// load) the same way: one line on stderr and exit status 1.
int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_router: %s\n", e.what());
        return 1;
    }
}
