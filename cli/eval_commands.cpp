// `switchyard eval run | offline | from-log`: the evaluation harness (eval/README.md).
#include "cli/commands.h"

#include "config/config.h"
#include "eval/dataset.h"
#include "eval/from_log.h"
#include "eval/metrics.h"
#include "eval/offline.h"
#include "eval/report.h"
#include "eval/result_cache.h"
#include "eval/runner.h"
#include "store/open_store.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

namespace switchyard::cli {

namespace fs = std::filesystem;
using namespace switchyard::eval;

namespace {

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p);
    if (!out) throw std::runtime_error("cannot write " + p.string());
    out << text;
}

void write_reports(const fs::path& dir, const Report& report, const std::vector<PlotPoint>& points) {
    fs::create_directories(dir);
    write_file(dir / "report.md", markdown_report(report));
    write_file(dir / "report.json", json_report(report).dump(2) + "\n");
    write_file(dir / "curve.svg", svg_plot(report.title, report.sweep ? &*report.sweep : nullptr, points));
}

// "MODEL=IN:OUT" in USD per 1M tokens.
std::pair<std::string, std::pair<double, double>> parse_price(const std::string& arg) {
    const auto eq = arg.find('='), colon = arg.find(':', eq == std::string::npos ? 0 : eq);
    if (eq == std::string::npos || colon == std::string::npos) throw std::invalid_argument("--price wants MODEL=INPUT:OUTPUT (USD per 1M tokens), got '" + arg + "'");
    return {arg.substr(0, eq), {std::stod(arg.substr(eq + 1, colon - eq - 1)), std::stod(arg.substr(colon + 1))}};
}

// The first N cases taking classes in turn, so a small slice still covers every task class.
std::vector<EvalCase> balanced_slice(const std::vector<EvalCase>& cases, int limit) {
    if (limit <= 0 || limit >= static_cast<int>(cases.size())) return cases;
    std::map<std::string, std::vector<const EvalCase*>> by_class;
    for (const auto& c : cases) by_class[c.task_class].push_back(&c);
    std::vector<EvalCase> out;
    for (std::size_t round = 0; static_cast<int>(out.size()) < limit; ++round)
        for (auto& [cls, list] : by_class)
            if (round < list.size() && static_cast<int>(out.size()) < limit) out.push_back(*list[round]);
    return out;
}

// The cascade sweep from a run: per case, the small and large baselines' outcomes, scored by
// how unsure the small model was (minus its mean token logprob).
OutcomeTable table_from_records(const std::vector<Record>& records, const std::string& small, const std::string& large) {
    OutcomeTable t;
    t.small = small;
    t.large = large;
    t.cascade = true;
    t.score_name = "-mean token logprob of the small answer; cascade min_mean_logprob = -threshold";
    std::map<std::string, OutcomeRow> rows;
    std::vector<std::string> order;
    for (const auto& r : records) {
        if (r.policy != small && r.policy != large) continue;
        auto [it, fresh] = rows.try_emplace(r.case_id);
        if (fresh) order.push_back(r.case_id);
        it->second.id = r.case_id;
        it->second.task_class = r.task_class;
        it->second.models[r.policy] = {r.score, r.cost, r.latency_ms, r.prompt_tokens, r.completion_tokens};
        if (r.policy == small && r.has_logprob) it->second.router_score = -r.mean_logprob;
    }
    for (const auto& id : order)
        if (rows[id].models.size() == 2) t.rows.push_back(rows[id]);
    return t;
}

}  // namespace

int cmd_eval_run(const CommonOptions& common, const EvalRunOptions& o) {
    try {
        Config cfg = load_config(common.config);
        auto cases = balanced_slice(read_dataset(o.dataset), o.limit);
        std::vector<PolicySpec> policies;
        for (const auto& p : o.policies) policies.push_back(parse_policy(p));
        if (policies.empty()) throw std::invalid_argument("give at least one --policy LABEL=ROUTE_OR_MODEL");
        std::set<std::string> labels;
        for (const auto& p : policies)
            if (!labels.insert(p.label).second) throw std::invalid_argument("two policies are labelled '" + p.label + "'");
        std::vector<PolicySpec> judges;
        std::set<std::string> judge_names;
        for (const auto& c : cases)
            if (c.reference.checker == "judge" && judge_names.insert(c.reference.judge_model).second)
                judges.push_back({c.reference.judge_model, c.reference.judge_model, "", ""});
        resolve_policies(cfg, policies, judges);
        RunOptions ro;
        ro.concurrency = o.concurrency;
        ro.max_tokens = o.max_tokens;
        ro.progress = !o.no_progress;
        for (const auto& p : o.prices) ro.prices.insert(parse_price(p));
        std::unique_ptr<ResultCache> cache;
        if (!o.no_cache) {
            fs::path dir = o.cache_dir;
            if (dir.empty()) dir = fs::path(std::getenv("HOME") ? std::getenv("HOME") : ".") / ".cache/switchyard/eval";
            cache = std::make_unique<ResultCache>(dir);
        }
        std::fprintf(stderr, "%zu cases x %zu policies, concurrency %d%s\n", cases.size(), policies.size(), ro.concurrency,
                     cache ? (", cache " + std::to_string(cache->size()) + " entries").c_str() : ", no cache");
        RunStats stats;
        std::vector<Record> records;
        {
            EvalHost host(cfg);
            records = run_eval(host, cases, policies, judges, ro, cache.get(), stats);
        }

        Report report;
        report.title = "Switchyard eval: " + fs::path(o.dataset).filename().string();
        report.reference = labels.count(o.reference) ? o.reference : "";
        std::set<std::string> large_models;
        for (const auto& r : records) if (r.policy == o.reference && r.ok) large_models.insert(r.model);
        report.summaries = summarize(records, report.reference, large_models);
        std::string pol;
        for (const auto& p : policies) pol += (pol.empty() ? "" : ", ") + ("`" + p.label + "` = `" + p.target + "`");
        report.notes.push_back("Dataset `" + o.dataset + "`, " + std::to_string(cases.size()) + " cases; policies " + pol +
                               "; config `" + common.config + "`" + (o.max_tokens > 0 ? "; max_tokens " + std::to_string(o.max_tokens) : "") + ".");
        char buf[200];
        std::snprintf(buf, sizeof buf, "%d model calls, %d answers from the cache, %d judge calls, %d errors, %.1f s.", stats.calls,
                      stats.cached, stats.judge_calls, stats.errors, stats.seconds);
        report.notes.push_back(buf);
        if (labels.count(o.small) && labels.count(o.reference) && o.small != o.reference) {
            OutcomeTable t = table_from_records(records, o.small, o.reference);
            if (!t.rows.empty()) {
                report.sweep = sweep(t);
                report.table = t;
                fs::create_directories(o.out);
                write_outcomes(fs::path(o.out) / "outcomes.jsonl", t);
            }
        }
        std::vector<PlotPoint> points;
        for (const auto& s : report.summaries) if (s.task_class.empty()) points.push_back({s.policy, s.large_share, s.quality});
        write_reports(o.out, report, points);
        {
            std::ofstream rec(fs::path(o.out) / "records.jsonl");
            for (const auto& r : records) rec << record_to_json(r).dump() << "\n";
        }
        std::printf("%-12s %5s %8s %9s %8s %10s %9s %9s %6s\n", "policy", "n", "quality", "of-large", "large%", "cost", "p50", "p95", "errors");
        for (const auto& s : report.summaries) {
            if (!s.task_class.empty()) continue;
            char frac[16] = "n/a";
            if (s.quality_fraction >= 0) std::snprintf(frac, sizeof frac, "%.1f%%", 100 * s.quality_fraction);
            std::printf("%-12s %5d %8.3f %9s %7.1f%% %10.6f %7.0fms %7.0fms %6d\n", s.policy.c_str(), s.n, s.quality, frac,
                        100 * s.large_share, s.total_cost, s.p50_ms, s.p95_ms, s.errors);
        }
        if (report.sweep && report.sweep->gap) std::printf("cascade sweep APGR %.3f\n", report.sweep->apgr);
        std::printf("%d calls, %d cached, %d errors in %.1f s; wrote %s/{report.md,report.json,curve.svg,records.jsonl%s}\n",
                    stats.calls, stats.cached, stats.errors, stats.seconds, o.out.c_str(), report.sweep ? ",outcomes.jsonl" : "");
        return 0;
    } catch (const ConfigError& e) {
        std::cerr << "switchyard: config error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: eval run: " << e.what() << "\n";
        return 1;
    }
}

int cmd_eval_offline(const EvalOfflineOptions& o) {
    try {
        OutcomeTable t = read_outcomes(o.outcomes, o.small, o.large);
        Report report;
        report.title = "Switchyard offline sweep: " + fs::path(o.outcomes).filename().string();
        report.notes.push_back(std::to_string(t.rows.size()) + " prompts from `" + o.outcomes + "`; no model was run.");
        report.sweep = sweep(t);
        report.table = t;
        const auto& s = *report.sweep;
        std::vector<PlotPoint> points = {{"always-small (" + t.small + ")", 0, s.small_quality},
                                         {"always-large (" + t.large + ")", 1, s.large_quality},
                                         {"oracle", s.oracle_share, s.oracle_quality}};
        write_reports(o.out, report, points);
        std::printf("%d prompts: small %s %.3f, large %s %.3f, oracle %.3f at %.1f%% large\n", s.n, t.small.c_str(), s.small_quality,
                    t.large.c_str(), s.large_quality, s.oracle_quality, 100 * s.oracle_share);
        if (s.gap) std::printf("APGR %.3f; 50%% of the gap at %.1f%% large calls, 80%% at %.1f%%\n", s.apgr, 100 * s.cpt50, 100 * s.cpt80);
        else std::printf("the large model is not better here: PGR/APGR undefined\n");
        std::printf("%zu thresholds swept; wrote %s/{report.md,report.json,curve.svg}\n", s.curve.size(), o.out.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: eval offline: " << e.what() << "\n";
        return 1;
    }
}

int cmd_eval_from_log(const CommonOptions& common, const EvalFromLogOptions& o) {
    try {
        Config cfg = load_config(common.config);
        if (cfg.log_path.empty() && !cfg.store.enabled()) throw std::runtime_error(common.config + " has no log.path or store: there is no request log to read");
        auto store = open_store(cfg);
        Store& log = *store;
        FromLogOptions fo;
        fo.checker = o.checker;
        fo.judge_model = o.judge_model;
        int skipped = 0;
        auto cases = cases_from_log(log, fo, skipped);
        write_dataset(o.out, cases);
        std::printf("wrote %zu cases to %s", cases.size(), o.out.c_str());
        if (skipped) std::printf(" (%d corrections skipped: their prompts were not logged; set log.content: true)", skipped);
        std::printf("\n");
        return 0;
    } catch (const ConfigError& e) {
        std::cerr << "switchyard: config error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: eval from-log: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace switchyard::cli
