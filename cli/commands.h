// The subcommands of the `switchyard` binary. Each returns a process exit code.
#pragma once

#include <string>
#include <vector>

namespace switchyard {
struct Config;
struct ModelSpec;
}

namespace switchyard::cli {

struct CommonOptions {
    std::string config = "switchyard.yaml";
};

int cmd_serve(const CommonOptions& common, const std::string& host, int port);
int cmd_run(const CommonOptions& common, const std::string& model, const std::string& prompt,
            const std::string& system, int max_tokens, double temperature, bool raw);
int cmd_models(const CommonOptions& common, const std::string& url);

struct LogsOptions {
    int status = 0;
    std::string model;
    std::string since;   // duration, e.g. 1h
    bool errors = false;
    int limit = 50;
    bool json = false;
};
int cmd_logs(const CommonOptions& common, const LogsOptions& options);
int cmd_feedback_export(const CommonOptions& common, const std::string& out);

struct RouterTrainOptions {
    std::string examples;      // JSONL of {"prompt", "class"}
    std::string out;           // index file to write
    std::string embed_model;   // "" = all-minilm-l6-v2, else the first embedding model
    std::string test;          // optional held-out JSONL: report accuracy and confusions
    int k = 7;
};
int cmd_router_train(const CommonOptions& common, const RouterTrainOptions& options);
int cmd_router_classify(const CommonOptions& common, const std::string& index, const std::string& prompt, int k);

struct RouterFitOptions {
    std::vector<std::string> outcomes;   // outcome tables / records from `eval run`
    std::vector<std::string> datasets;   // eval datasets giving the rows' prompts by id
    bool from_log = false;               // also rated requests from the config's request log
    std::string small, large;            // model (or policy label) names in the tables
    double target_quality = -1;          // fraction of always-large quality
    double max_large_share = -1;
    double val_fraction = 0.5;           // of the rows with both tiers' outcomes
    double good_score = 1.0;             // absolute label: cheap score >= this
    std::string label = "auto";          // relative | absolute | auto
    std::string embed_model;
    std::string out;
};
int cmd_router_fit(const CommonOptions& common, const RouterFitOptions& options);
// --embed-model if given; else all-minilm-l6-v2 when configured; else the first embedding model.
const ModelSpec& embedding_model(const Config& cfg, const std::string& wanted);

struct PipelineRunOptions {
    std::string file;
    std::vector<std::string> inputs;        // NAME=VALUE, parsed by the input's declared type
    std::vector<std::string> input_files;   // NAME=PATH: file contents, or a folder
    bool json = false;                      // one JSON object (outputs, node timings) on stdout
    bool no_cache = false;
    std::string cache_dir;                  // "" = ~/.cache/switchyard/pipelines
    bool no_progress = false;
    int parallel = 2;                       // nodes running at once
};
int cmd_pipeline_run(const CommonOptions& common, const PipelineRunOptions& options);
int cmd_pipeline_check(const CommonOptions& common, const std::string& file);
int cmd_pipeline_nodes(bool json);

// `switchyard eval` (eval/README.md).
struct EvalRunOptions {
    std::string dataset;                 // JSONL cases
    std::vector<std::string> policies;   // LABEL=ROUTE_OR_MODEL
    std::string reference = "large";     // the always-large policy: quality fractions and the sweep
    std::string small = "small";         // the always-small policy: the sweep's cheap side
    int concurrency = 2;
    int limit = 0;                       // > 0: that many cases, classes taken in turn
    int max_tokens = 0;                  // > 0: overrides every case's max_tokens
    std::vector<std::string> prices;     // MODEL=IN:OUT, USD per 1M tokens, for unpriced local models
    std::string cache_dir;               // "" = ~/.cache/switchyard/eval
    bool no_cache = false;
    bool no_progress = false;
    std::string out = "eval-out";
};
int cmd_eval_run(const CommonOptions& common, const EvalRunOptions& options);
struct EvalOfflineOptions {
    std::string outcomes;                // JSONL table of per-prompt outcomes
    std::string small, large;            // model names in the table ("" = from its meta line or cost)
    std::string out = "eval-out";
};
int cmd_eval_offline(const EvalOfflineOptions& options);
struct EvalFromLogOptions {
    std::string out;                     // dataset JSONL to write
    std::string checker = "normalized";
    std::string judge_model;
};
int cmd_eval_from_log(const CommonOptions& common, const EvalFromLogOptions& options);

}  // namespace switchyard::cli
