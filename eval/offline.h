// Offline router evaluation, as RouterBench and RouteLLM do it: from a table of precomputed
// per-prompt outcomes of each model (score, tokens, cost, latency) and a per-prompt router score,
// any threshold's quality and cost is a lookup, so a full sweep takes milliseconds.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace switchyard::eval {

using json = nlohmann::json;

struct ModelOutcome {
    double score = 0, cost = 0, latency_ms = 0;
    int prompt_tokens = 0, completion_tokens = 0;
};

struct OutcomeRow {
    std::string id, task_class;
    std::map<std::string, ModelOutcome> models;
    // Higher = more in need of the large model (e.g. minus the small answer's mean logprob, or a
    // classifier's probability). NaN when unknown: such rows stay on the small model.
    double router_score = std::numeric_limits<double>::quiet_NaN();
};

struct OutcomeTable {
    std::string small, large;
    // true: the score is only known after the small model answered (a cascade), so an escalated
    // request pays for, and waits on, both models; false: a pre-routing score, one model per request.
    bool cascade = false;
    std::string score_name;      // what router_score is, for reports ("-mean_logprob(small)")
    std::vector<OutcomeRow> rows;
};

// JSONL: an optional first line {"meta": {"small","large","cascade","score"}}, then one row per
// prompt {"id","class","router_score","outcomes": {MODEL: {"score","cost","latency_ms",...}}}.
// Without meta (or with empty names) small/large must be given, or two models are told apart
// by total cost (cheaper = small). Throws std::runtime_error with file:line.
OutcomeTable read_outcomes(const std::filesystem::path& file, const std::string& small = "", const std::string& large = "");
void write_outcomes(const std::filesystem::path& file, const OutcomeTable& table);

struct CurvePoint {
    double threshold = 0;        // route to large when router_score >= threshold (+inf: never)
    double large_share = 0;      // share of requests that reached the large model
    double quality = 0;          // mean score
    double pgr = 0;              // performance gap recovered: (quality - small) / (large - small)
    double cost = 0;             // total USD
    double latency_mean_ms = 0;
};

struct SweepResult {
    int n = 0;
    double small_quality = 0, large_quality = 0, small_cost = 0, large_cost = 0;
    double oracle_quality = 0, oracle_share = 0;   // large only where it beats small
    bool gap = false;            // large_quality > small_quality: PGR, APGR and CPT are defined
    double apgr = 0;             // area under PGR over large share in [0, 1]
    double cpt50 = -1, cpt80 = -1;   // smallest large share reaching 50% / 80% PGR; -1 = never
    std::vector<CurvePoint> curve;   // by increasing large share
};

// Throws std::runtime_error when a row lacks an outcome for the small or large model.
SweepResult sweep(const OutcomeTable& table);
json sweep_to_json(const SweepResult& r, const OutcomeTable& table);

}  // namespace switchyard::eval
