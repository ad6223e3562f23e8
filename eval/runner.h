// `eval run`: sends every case to every policy through the Router, with bounded concurrency,
// a progress bar and the resume cache. A policy names a configured route, or a model ("small",
// "large" baselines), which becomes a one-tier route built in memory, so every answer takes
// the same path and carries the same tier/cost/latency fields. Links the router (not HTTP-free),
// so it is compiled into the executable, not into switchyard_eval.
#pragma once

#include "config/config.h"
#include "eval/dataset.h"
#include "eval/metrics.h"
#include "eval/result_cache.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::router { struct RouteOutcome; }

namespace switchyard::eval {

struct PolicySpec {
    std::string label;    // how reports name it ("small", "large", "auto")
    std::string target;   // a route, a model (name or alias), or PROVIDER/MODEL
    std::string route;    // filled by resolve_policies: the route name requests use
    std::string identity; // filled by resolve_policies: what answers, for the resume cache
};

// "LABEL=TARGET", or just TARGET (then the label is the target). Throws std::invalid_argument.
PolicySpec parse_policy(const std::string& arg);

// Resolves each policy (and each judge model the cases name) against the config, adding one-tier
// routes for model targets to `config.routes`. Throws std::runtime_error naming unknown targets.
void resolve_policies(Config& config, std::vector<PolicySpec>& policies, std::vector<PolicySpec>& judges);

struct RunOptions {
    int concurrency = 2;
    int max_tokens = 0;                                     // > 0: overrides every case's max_tokens
    int seed = 7;                                           // sent with every request, for repeatable sampling
    std::map<std::string, std::pair<double, double>> prices;  // model -> USD per 1M (input, output), for unpriced local tiers
    bool progress = true;
};

struct RunStats {
    int calls = 0, cached = 0, errors = 0, judge_calls = 0;
    double seconds = 0;
};

// The pool, a blocking pool, an io_context on its own thread and the router: the same setup as
// router::StandalonePipelineHost, because a route call must run as a coroutine on a strand.
class EvalHost {
public:
    explicit EvalHost(const Config& config);
    ~EvalHost();
    // Blocks until the route answers. Not to be called from the host's io thread.
    router::RouteOutcome chat(const json& request);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

std::vector<Record> run_eval(EvalHost& host, const std::vector<EvalCase>& cases, const std::vector<PolicySpec>& policies,
                             const std::vector<PolicySpec>& judges, const RunOptions& options, ResultCache* cache,
                             RunStats& stats);

}  // namespace switchyard::eval
