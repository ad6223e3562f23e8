// Per-answer records and what is reported about them: quality, quality as a fraction of the
// reference policy (always-large), share of requests per tier, cost, latency percentiles.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace switchyard::eval {

using json = nlohmann::json;

// One case answered under one policy.
struct Record {
    std::string case_id, task_class, policy;
    std::string tier;            // route tier that answered
    std::string model;           // model that answered
    bool ok = true;              // false: the request failed (scored 0)
    std::string error;
    std::string answer;
    double score = 0;            // checker score, 0..1
    std::string detail;          // checker's note
    double cost = 0;             // USD, every attempt and the judge excluded
    double latency_ms = 0;
    int prompt_tokens = 0, completion_tokens = 0;
    int escalations = 0;
    double mean_logprob = 0;     // of the answer's tokens; has_logprob says whether known
    bool has_logprob = false;
    bool cached = false;         // served from the resume cache
};

json record_to_json(const Record& r);
Record record_from_json(const json& j);

struct Summary {
    std::string policy;
    std::string task_class;      // "" = all classes
    int n = 0, errors = 0;
    double quality = 0;          // mean score
    double quality_fraction = -1;  // quality / reference policy's quality on the same cases; -1 = undefined
    double large_share = 0;      // share of answers from a large-tier model
    std::map<std::string, double> tier_share;
    double total_cost = 0, cost_per_request = 0;
    double p50_ms = 0, p95_ms = 0;
};

// Linear interpolation between closest ranks (numpy's default); 0 for an empty list.
double percentile(std::vector<double> values, double p);

// One summary per policy over all classes, then per policy and class (sorted by class).
// `reference`: the always-large policy's name ("" = no quality fraction); `large_models`: the
// models that count as large-tier calls.
std::vector<Summary> summarize(const std::vector<Record>& records, const std::string& reference,
                               const std::set<std::string>& large_models);
json summary_to_json(const Summary& s);

}  // namespace switchyard::eval
