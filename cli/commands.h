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
int cmd_models(const CommonOptions& common, const std::string& url, const std::string& api_key_env = "");

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
    int folds = 5;                       // cross-validation folds (decay and threshold)
    double l2 = 0;                       // weight decay; 0 = the best of a few by cross-validation
    std::string features = "auto";       // embedding | hashed | auto (the better by cross-validation)
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

// `switchyard distil` (distil/README.md): specialise a small model on one task class.
struct DistilPromoteOptions {
    std::string manifest;                // DIR/manifest.json from `distil`
    std::string route;                   // route that gets the specialist's tier and rule
    double min_fraction = 0.97;          // of the large tier's held-out quality
    int min_heldout = 10;                // fewer held-out cases: refused
    std::string outcomes;                // outcome table to gate on ("" = the manifest's)
    std::string candidate = "specialised", reference = "large";   // model names in that table
    std::string url;                     // running server: hot-load through POST /v1/admin/specialists
    std::string api_key_env;             // variable holding the server's key, for --url
};
struct DistilOptions {
    std::string task_class;
    std::vector<std::string> datasets;   // eval-format JSONL prompts (references optional for labels)
    bool from_log = false;               // the config's request log: accepted large answers, corrections
    std::string labels = "teacher";      // teacher (run the large tier) | reference (the datasets' checked references)
    std::string teacher = "large";       // model (name or alias) that labels and is compared with
    std::string base = "small";          // small chat model to fine-tune: a configured name, or a GGUF path
    std::string out;                     // output folder ("" = distil/out/<class>)
    double heldout = 0.2;
    int steps = 0;                       // > 0 overrides epochs
    double epochs = 3;
    double lr = 5e-5;
    int batch = 8, micro_batch = 4, max_len = 320, threads = 2, checkpoint_every = 20;
    bool resume = false;
    std::string quant = "Q8_0";
    int limit = 0;                       // > 0: only the first N prompts of the class
    int concurrency = 1;                 // large-tier / eval requests in flight
    std::string cache_dir;               // answer cache ("" = ~/.cache/switchyard/eval, shared with eval run)
    bool no_eval = false;
    bool no_progress = false;
    bool promote = false;
    DistilPromoteOptions promotion;
};
int cmd_distil(const CommonOptions& common, const DistilOptions& options);
int cmd_distil_promote(const CommonOptions& common, const DistilPromoteOptions& options);

}  // namespace switchyard::cli
