// `switchyard router fit`: learns the route's learned router (router/learned_router.h) from
// per-prompt outcomes: tables written by `switchyard eval run` (outcomes.jsonl or records.jsonl),
// and/or rated requests and corrections in the SQLite request log (--from-log). The label is
// "the cheaper tier's answer was good enough"; the weight decay and the threshold (for a stated
// target) are chosen by K-fold cross-validation, and everything they were chosen on is written
// into the router file's "info".
#include "cli/commands.h"

#include "config/config.h"
#include "engine/model_pool.h"
#include "eval/dataset.h"
#include "router/learned_router.h"
#include "router/policy.h"
#include "store/request_log.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

namespace switchyard::cli {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Row {
    std::string id, task_class, prompt;
    std::map<std::string, double> scores;    // model (or policy label) -> score 0..1
};

// The text the router sees at serve time for these messages (router::extract_features).
std::string prompt_of(const json& messages) {
    return router::extract_features(json{{"messages", messages}}, "").prompt;
}

// Reads an outcome table ({"id","class","outcomes":{M:{"score"}}}, optional meta line) or an
// `eval run` records.jsonl ({"case_id","policy","score","ok"}); merges into rows by id.
void read_table(const std::string& file, std::map<std::string, Row>& rows, std::vector<std::string>& order, json& meta) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(file + ": cannot open outcome table");
    std::string line;
    int n = 0, used = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        json j;
        try { j = json::parse(line); } catch (const std::exception& e) {
            throw std::runtime_error(file + ":" + std::to_string(n) + ": not valid JSON: " + e.what());
        }
        if (!j.is_object()) throw std::runtime_error(file + ":" + std::to_string(n) + ": expected a JSON object");
        if (j.contains("meta")) { if (meta.is_null()) meta = j["meta"]; continue; }
        std::string id = j.contains("case_id") ? j.value("case_id", "") : j.value("id", "");
        if (id.empty()) throw std::runtime_error(file + ":" + std::to_string(n) + ": row without an id");
        auto [it, fresh] = rows.try_emplace(id);
        if (fresh) order.push_back(id);
        Row& r = it->second;
        r.id = id;
        if (r.task_class.empty()) r.task_class = j.value("class", j.value("task_class", ""));
        if (j.contains("prompt") && j["prompt"].is_string()) r.prompt = j["prompt"];
        if (j.contains("outcomes") && j["outcomes"].is_object()) {
            for (const auto& [model, o] : j["outcomes"].items())
                if (o.is_object() && o.contains("score") && o["score"].is_number()) r.scores[model] = o["score"].get<double>();
        } else if (j.contains("policy") && j.contains("score")) {
            if (!j.value("ok", true)) continue;   // a failed call says nothing about the model's answer
            r.scores[j.value("policy", "")] = j.value("score", 0.0);
        } else {
            throw std::runtime_error(file + ":" + std::to_string(n) + ": neither an outcome row (\"outcomes\") nor an eval record (\"policy\", \"score\")");
        }
        ++used;
    }
    if (used == 0) throw std::runtime_error(file + ": empty outcome table (no rows)");
}

// Rated answers from the request log: up = 1, down (with or without a correction) = 0, scored
// for the model that answered. Needs log.content: true for the prompts.
int read_log(const Config& cfg, std::map<std::string, Row>& rows, std::vector<std::string>& order, int& no_prompt) {
    if (cfg.log_path.empty()) throw std::runtime_error(cfg.source.string() + " has no log.path: there is no request log to read");
    RequestLog log(cfg.log_path);
    LogFilter all;
    all.limit = 1000000;
    int used = 0;
    for (const auto& e : log.query(all)) {
        if (e.status != 200 || e.model.empty()) continue;
        auto fb = log.feedback_for(e.id);
        if (fb.empty()) continue;
        if (e.prompt.empty()) { ++no_prompt; continue; }
        json messages;
        try { messages = json::parse(e.prompt); } catch (...) { messages = json::array({{{"role", "user"}, {"content", e.prompt}}}); }
        const auto& last = fb.back();  // the latest rating counts
        Row& r = rows["log:" + e.id];
        if (r.id.empty()) order.push_back("log:" + e.id);
        r.id = "log:" + e.id;
        r.task_class = e.task_class;
        r.prompt = messages.is_array() ? prompt_of(messages) : e.prompt;
        r.scores[e.model] = last.rating == "up" && last.correction.empty() ? 1.0 : 0.0;
        ++used;
    }
    return used;
}

std::uint64_t fnv(const std::string& s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) { h ^= c; h *= 1099511628211ull; }
    return h;
}

std::string names_of(const std::set<std::string>& s) {
    std::string out;
    for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
    return out.empty() ? "(none)" : out;
}

// The input and weight decay with the best out-of-fold AUC. Row i with fold[i] >= 0 is predicted
// by a model fitted on every row outside its fold (rows with fold -1 are always in training), so
// each such row gets an out-of-fold probability; those of the winning pair are kept in `oof`.
struct CvChoice {
    std::string input;
    float l2 = 0;
    double auc = -2;
    std::vector<float> oof;
    json tried = json::array();   // every pair with its AUC, for the router file's info
};

CvChoice cross_validate(const std::map<std::string, std::vector<router::TrainingExample>>& inputs, const std::vector<int>& fold,
                        int folds, const std::vector<float>& decays) {
    CvChoice best;
    std::vector<bool> labels;
    const auto& any = inputs.begin()->second;
    for (std::size_t i = 0; i < fold.size(); ++i) if (fold[i] >= 0) labels.push_back(any[i].cheap_ok);
    for (const auto& [input, examples] : inputs) {
        for (float l2 : decays) {
            router::FitOptions fo;
            fo.l2 = l2;
            std::vector<float> oof(fold.size(), 0.0f);
            for (int f = 0; f < folds; ++f) {
                std::vector<router::TrainingExample> part;
                for (std::size_t i = 0; i < fold.size(); ++i) if (fold[i] != f) part.push_back(examples[i]);
                bool both = false;
                for (const auto& e : part) both |= e.cheap_ok != part.front().cheap_ok;
                if (!both) throw std::runtime_error("a cross-validation fold has one label only; give more outcomes or fewer --folds");
                const auto m = router::fit_logistic(part, fo);   // input "embedding": predicts on the vector given
                for (std::size_t i = 0; i < fold.size(); ++i)
                    if (fold[i] == f) oof[i] = m.predict(examples[i].embedding, examples[i].prompt);
            }
            std::vector<float> p;
            for (std::size_t i = 0; i < fold.size(); ++i) if (fold[i] >= 0) p.push_back(oof[i]);
            const double auc = router::roc_auc(p, labels);
            best.tried.push_back({{"input", input}, {"l2", l2}, {"cv_auc", auc}});
            if (auc > best.auc + 1e-9) { best.auc = auc; best.l2 = l2; best.input = input; best.oof = std::move(oof); }
        }
    }
    return best;
}

}  // namespace

int cmd_router_fit(const CommonOptions& common, const RouterFitOptions& o) {
    try {
        if ((o.target_quality >= 0) == (o.max_large_share >= 0))
            throw std::invalid_argument("give exactly one target: --target-quality F (fraction of always-large quality, e.g. 0.97) or --max-large-share F");
        if (o.target_quality > 1.5 || o.max_large_share > 1) throw std::invalid_argument("targets are fractions: --target-quality 0.97, --max-large-share 0.3");
        if (o.outcomes.empty() && !o.from_log) throw std::invalid_argument("give --outcomes FILE (from `switchyard eval run`) and/or --from-log");
        if (o.folds < 2 || o.folds > 20) throw std::invalid_argument("--folds must be between 2 and 20");
        if (o.l2 < 0) throw std::invalid_argument("--l2 must be positive (0: chosen by cross-validation)");
        Config cfg = load_config(common.config);
        std::map<std::string, Row> rows;
        std::vector<std::string> order;
        json meta;
        for (const auto& f : o.outcomes) read_table(f, rows, order, meta);
        int log_rows = 0, no_prompt = 0;
        if (o.from_log) {
            log_rows = read_log(cfg, rows, order, no_prompt);
            std::printf("request log: %d rated requests%s\n", log_rows,
                        no_prompt ? (" (" + std::to_string(no_prompt) + " more without a logged prompt: set log.content: true)").c_str() : "");
        }
        if (rows.empty()) throw std::runtime_error("no outcome rows to learn from");
        // Prompts by case id from the datasets the outcomes were measured on.
        for (const auto& d : o.datasets)
            for (const auto& c : eval::read_dataset(d))
                if (auto it = rows.find(c.id); it != rows.end() && it->second.prompt.empty()) it->second.prompt = prompt_of(c.messages);
        std::string small = o.small, large = o.large;
        if (small.empty() && meta.is_object()) small = meta.value("small", "");
        if (large.empty() && meta.is_object()) large = meta.value("large", "");
        std::set<std::string> known;
        for (const auto& [id, r] : rows) for (const auto& [m, s] : r.scores) known.insert(m);
        if (small.empty() || large.empty()) throw std::invalid_argument("name the tiers: --small NAME --large NAME (the table has: " + names_of(known) + ")");
        if (!known.count(small)) throw std::invalid_argument("unknown tier '" + small + "' for --small: the outcome table has " + names_of(known));
        if (!known.count(large)) throw std::invalid_argument("unknown tier '" + large + "' for --large: the outcome table has " + names_of(known));
        if (small == large) throw std::invalid_argument("--small and --large are both '" + small + "'");

        // Rows the label can be computed for.
        std::vector<const Row*> usable, missing_prompt;
        for (const auto& id : order) {
            const Row& r = rows[id];
            if (!r.scores.count(small)) continue;
            if (r.prompt.empty()) { missing_prompt.push_back(&r); continue; }
            usable.push_back(&r);
        }
        if (!missing_prompt.empty() && usable.empty())
            throw std::invalid_argument("the outcome rows carry no prompts (e.g. '" + missing_prompt.front()->id + "'): give --dataset FILE with the cases they were measured on");
        if (usable.empty()) throw std::runtime_error("no row has an outcome for '" + small + "'");
        bool all_have_large = true, any_large = false;
        for (const auto* r : usable) { all_have_large &= r->scores.count(large) > 0; any_large |= r->scores.count(large) > 0; }
        std::string label = o.label;
        if (label == "auto") label = all_have_large ? "relative" : "absolute";
        if (label == "relative" && !all_have_large)
            throw std::invalid_argument("--label relative needs the large tier's outcome on every row; some have none (use --label absolute)");
        auto cheap_ok = [&](const Row& r) {
            const double s = r.scores.at(small);
            return label == "relative" ? s + 1e-9 >= r.scores.at(large) : s + 1e-9 >= o.good_score;
        };
        // Cross-validation: the rows that judge a threshold (where some rows have both tiers'
        // outcomes, only those; else, with ratings from the log, which are per answer, any row)
        // are dealt into K folds, stratified by label and ordered by a hash of the id (deterministic,
        // independent of the table's order). Each fold's rows are predicted by a model fitted on
        // everything else, so every such row gets an out-of-fold probability: the input and weight
        // decay are the pair with the best out-of-fold AUC, and the threshold is chosen on those
        // probabilities. The router that ships is then fitted on all rows with that input and decay.
        std::vector<int> fold(usable.size(), -1);   // -1: training only (no large outcome to judge with)
        std::vector<std::size_t> by_label[2];
        for (std::size_t i = 0; i < usable.size(); ++i)
            if (!(any_large && !usable[i]->scores.count(large))) by_label[cheap_ok(*usable[i]) ? 1 : 0].push_back(i);
        const int folds = o.folds;
        for (auto& group : by_label) {
            std::sort(group.begin(), group.end(), [&](std::size_t a, std::size_t b) {
                const auto &ia = usable[a]->id, &ib = usable[b]->id;
                return fnv(ia) != fnv(ib) ? fnv(ia) < fnv(ib) : ia < ib;
            });
            for (std::size_t k = 0; k < group.size(); ++k) fold[group[k]] = static_cast<int>(k % folds);
        }
        std::size_t n_val = 0;
        for (int f : fold) n_val += f >= 0;
        int pos = 0;
        for (const auto* r : usable) pos += cheap_ok(*r);
        if (pos == 0 || pos == static_cast<int>(usable.size()))
            throw std::runtime_error(std::string("every label is '") + (pos ? "cheap tier good enough" : "cheap tier not good enough") +
                                     "': one class, nothing to learn (add prompts where the other outcome happened)");
        if (n_val < static_cast<std::size_t>(2 * folds))
            throw std::runtime_error("too few rows to cross-validate: " + std::to_string(usable.size()) + " rows (" + std::to_string(pos) +
                                     " where '" + small + "' was good enough), " + std::to_string(n_val) + " to judge a threshold with, " +
                                     std::to_string(folds) + " folds; give more outcomes (both labels) or fewer --folds");
        std::printf("%zu rows with an outcome for '%s' (%zu skipped without a prompt); label: %s; %d where '%s' was good enough; "
                    "cross-validation: %d folds over %zu rows\n",
                    usable.size(), small.c_str(), missing_prompt.size(), label.c_str(), pos, small.c_str(), folds, n_val);

        // Inputs: the prompt's sentence embedding and/or its hashed word n-grams (no model; a
        // decision in microseconds). --features auto cross-validates both and keeps the better.
        bool has_embedding_model = !o.embed_model.empty();
        for (const auto& m : cfg.models) has_embedding_model |= m.kind == ModelKind::embedding;
        // auto without an embedding model configured: the hashed n-grams alone.
        const bool want_embedding = o.features == "embedding" || (o.features == "auto" && has_embedding_model);
        const bool want_hashed = o.features != "embedding";
        std::map<std::string, std::vector<router::TrainingExample>> inputs;
        std::string embed_name;
        double embed_s = 0;
        if (want_embedding) {
            const ModelSpec& em = embedding_model(cfg, o.embed_model);
            embed_name = em.name;
            ModelPool pool(cfg);
            auto embed = router::pool_embedder(pool, em.name);
            const auto t0 = Clock::now();
            auto& ex = inputs["embedding"];
            for (std::size_t i = 0; i < usable.size(); i += router::kEmbedBatch) {
                std::vector<std::string> batch;
                for (std::size_t k = i; k < std::min(usable.size(), i + router::kEmbedBatch); ++k) batch.push_back(usable[k]->prompt);
                auto vecs = embed(batch);
                for (std::size_t k = 0; k < vecs.size(); ++k) ex.push_back({std::move(vecs[k]), usable[i + k]->prompt, cheap_ok(*usable[i + k])});
            }
            embed_s = std::chrono::duration<double>(Clock::now() - t0).count();
        }
        if (want_hashed) {
            auto& ex = inputs["hashed_ngrams"];
            for (const auto* r : usable) ex.push_back({router::hashed_ngrams(r->prompt, router::kHashedNgramDims), r->prompt, cheap_ok(*r)});
        }

        const auto t1 = Clock::now();
        // Candidate decays: strong (close to the label's priors) to weak (the input's detail);
        // with a few hundred rows and hundreds of inputs which one generalises is an empirical question.
        const std::vector<float> decays = o.l2 > 0 ? std::vector<float>{static_cast<float>(o.l2)} : std::vector<float>{1e-1f, 1e-2f, 1e-3f, 1e-4f, 1e-5f};
        const auto cv = cross_validate(inputs, fold, folds, decays);
        router::FitOptions fo;
        fo.l2 = cv.l2;
        auto model = router::fit_logistic(inputs.at(cv.input), fo);
        const double fit_s = std::chrono::duration<double>(Clock::now() - t1).count();
        model.input = cv.input;
        model.embed_model = cv.input == "embedding" ? embed_name : "";
        model.small = small;
        model.large = large;

        std::vector<router::ValidationRow> vrows;
        for (std::size_t i = 0; i < usable.size(); ++i) {
            if (fold[i] < 0) continue;
            router::ValidationRow v;
            v.p = cv.oof[i];
            v.small_score = usable[i]->scores.at(small);
            if (auto it = usable[i]->scores.find(large); it != usable[i]->scores.end()) v.large_score = it->second;
            vrows.push_back(v);
        }
        auto choice = router::choose_threshold(vrows, o.target_quality, o.max_large_share);
        model.threshold = choice.threshold;
        json sources = json::array();   // file names only: the router file ships, the paths it was made from do not
        for (const auto& f : o.outcomes) sources.push_back(std::filesystem::path(f).filename().string());
        json target = o.target_quality >= 0 ? json{{"target_quality", o.target_quality}} : json{{"max_large_share", o.max_large_share}};
        // val_*: measured on the out-of-fold probabilities of the rows that judge a threshold.
        model.info = {{"target", target}, {"target_met", choice.met}, {"label", label}, {"good_score", o.good_score},
                      {"train_rows", usable.size()}, {"train_small_ok", pos}, {"cv_folds", folds}, {"input", cv.input}, {"l2", cv.l2}, {"tried", cv.tried},
                      {"val_rows", n_val}, {"val_auc", cv.auc},
                      {"val_large_share", choice.large_share}, {"sources", sources}, {"from_log_rows", log_rows}};
        if (choice.quality >= 0)
            model.info.update({{"val_quality", choice.quality}, {"val_large_quality", choice.large_quality}, {"val_quality_fraction", choice.quality_fraction}});
        model.save(o.out);
        if (want_embedding) std::printf("embedded %zu prompts with %s in %.1f s; ", usable.size(), embed_name.c_str(), embed_s);
        std::printf("cross-validated %zu inputs x %zu decays and fitted in %.2f s: input %s, l2 %g\n", inputs.size(), decays.size(), fit_s,
                    cv.input.c_str(), double(cv.l2));
        std::printf("validation (out-of-fold): AUC %.3f; threshold %.3f -> large-tier share %.1f%%", cv.auc, choice.threshold, 100 * choice.large_share);
        if (choice.quality >= 0)
            std::printf(", quality %.3f vs always-large %.3f (%.1f%%)", choice.quality, choice.large_quality, 100 * choice.quality_fraction);
        std::printf("\n%swrote %s\n", choice.met ? "" : "warning: no threshold reaches the target on the validation rows; the most conservative one is used\n",
                    o.out.c_str());
        return 0;
    } catch (const ConfigError& e) {
        std::cerr << "switchyard: config error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: router fit: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace switchyard::cli
