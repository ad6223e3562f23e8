// `switchyard router train` and `switchyard router classify`: build the learned router
// classifier's index from labelled prompts with the configured embedding model, and try it.
#include "cli/commands.h"

#include "config/config.h"
#include "engine/model_pool.h"
#include "router/classifier.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>

namespace switchyard::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

void print_evaluation(const router::ClassifierIndex& ix, const router::Evaluation& ev, const std::string& file) {
    std::printf("\nheld-out %s: accuracy %.3f (%d/%d)\n", file.c_str(), ev.accuracy(), ev.correct, ev.total);
    std::printf("classify() latency, embedding excluded: p50 %.1f us, p99 %.1f us\n",
                percentile(ev.classify_us, 0.5), percentile(ev.classify_us, 0.99));
    const std::size_t n = ix.classes.size();
    std::vector<std::string> names = ix.classes;
    names.push_back("(unknown)");
    // Rows: actual class; columns: predicted, abbreviated to their first 6 characters.
    std::printf("\nconfusion (rows actual, columns predicted):\n%-16s", "");
    for (std::size_t c = 0; c < n; ++c) std::printf(" %6.6s", names[c].c_str());
    std::printf("  recall\n");
    for (std::size_t a = 0; a <= n; ++a) {
        int row = 0;
        for (int x : ev.confusion[a]) row += x;
        if (row == 0) continue;
        std::printf("%-16.16s", names[a].c_str());
        for (std::size_t p = 0; p < n; ++p) std::printf(" %6d", ev.confusion[a][p]);
        std::printf("  %5.2f\n", a < n ? double(ev.confusion[a][a]) / row : 0.0);
    }
    std::vector<std::pair<int, std::string>> mistakes;
    for (std::size_t a = 0; a <= n; ++a)
        for (std::size_t p = 0; p < n; ++p)
            if (a != p && ev.confusion[a][p] > 0) mistakes.emplace_back(ev.confusion[a][p], names[a] + " -> " + names[p]);
    std::sort(mistakes.rbegin(), mistakes.rend());
    if (!mistakes.empty()) {
        std::printf("most frequent confusions:");
        for (std::size_t i = 0; i < std::min<std::size_t>(5, mistakes.size()); ++i)
            std::printf("%s %s (%d)", i ? "," : "", mistakes[i].second.c_str(), mistakes[i].first);
        std::printf("\n");
    }
}

}  // namespace

const ModelSpec& embedding_model(const Config& cfg, const std::string& wanted) {
    if (!wanted.empty()) {
        const ModelSpec* m = cfg.find_model(wanted);
        if (!m) throw std::runtime_error("embedding model '" + wanted + "' is not in " + cfg.source.string());
        if (m->kind != ModelKind::embedding) throw std::runtime_error("'" + wanted + "' is a chat model; --embed-model needs a model with kind: embedding");
        return *m;
    }
    if (const ModelSpec* m = cfg.find_model("all-minilm-l6-v2"); m && m->kind == ModelKind::embedding) return *m;
    for (const auto& m : cfg.models) if (m.kind == ModelKind::embedding) return m;
    throw std::runtime_error(cfg.source.string() + " has no model with kind: embedding to embed prompts with");
}

int cmd_router_train(const CommonOptions& common, const RouterTrainOptions& o) {
    try {
        Config cfg = load_config(common.config);
        const ModelSpec& model = embedding_model(cfg, o.embed_model);
        auto examples = router::read_examples_jsonl(o.examples);
        std::vector<router::LabelledExample> test;
        if (!o.test.empty()) test = router::read_examples_jsonl(o.test);  // fail before the slow part

        std::map<std::string, int> counts;
        for (const auto& e : examples) ++counts[e.task_class];
        std::printf("%zu examples in %zu classes from %s:\n", examples.size(), counts.size(), o.examples.c_str());
        for (const auto& [cls, n] : counts) std::printf("  %-20s %5d\n", cls.c_str(), n);

        ModelPool pool(cfg);
        auto embed = router::pool_embedder(pool, model.name);
        auto t0 = Clock::now();
        auto index = router::train(examples, embed, model.name);
        const double embed_s = seconds_since(t0);
        index.save(o.out);
        std::printf("embedded with %s (%d dims) in %.2f s (%.1f ms per prompt)\nwrote %s\n", model.name.c_str(), index.dims,
                    embed_s, 1000 * embed_s / examples.size(), o.out.c_str());
        if (!test.empty()) print_evaluation(index, router::evaluate(index, test, embed, o.k), o.test);
        return 0;
    } catch (const ConfigError& e) {
        std::cerr << "switchyard: config error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: router train: " << e.what() << "\n";
        return 1;
    }
}

int cmd_router_classify(const CommonOptions& common, const std::string& index_path, const std::string& prompt, int k) {
    try {
        auto index = router::ClassifierIndex::load(index_path);
        Config cfg = load_config(common.config);
        const ModelSpec& model = embedding_model(cfg, index.embed_model);
        ModelPool pool(cfg);
        auto embed = router::pool_embedder(pool, model.name);
        embed({"warm up"});  // so the embedding time below excludes loading the model
        auto t0 = Clock::now();
        auto vec = embed({prompt}).front();
        const double embed_ms = 1000 * seconds_since(t0);
        t0 = Clock::now();
        auto c = router::classify(index, vec, k);
        const double classify_us = 1e6 * seconds_since(t0);
        std::printf("%s (confidence %.2f, %s)\n", c.task_class.c_str(), c.confidence, c.method.c_str());
        for (const auto& [cls, share] : c.scores)
            if (share > 0) std::printf("  %-20s %.2f\n", cls.c_str(), share);
        std::fprintf(stderr, "[embedding %.1f ms with %s, classify %.0f us over %zu examples]\n", embed_ms, model.name.c_str(),
                     classify_us, index.examples.size());
        return 0;
    } catch (const ConfigError& e) {
        std::cerr << "switchyard: config error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: router classify: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace switchyard::cli
