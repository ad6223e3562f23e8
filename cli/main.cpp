// `switchyard`: serve the OpenAI-compatible API, run a prompt or a pipeline, list models, pull model files.
#include "cli/commands.h"
#include "cli/pull.h"
#include "engine/cpu_threads.h"

#include <CLI/CLI.hpp>
#include <curl/curl.h>

#include <iostream>

using namespace switchyard::cli;

int main(int argc, char** argv) {
    // Before anything else: may re-execute the program so libgomp starts with a short spin (engine/cpu_threads.h).
    switchyard::apply_default_omp_wait_policy(argv);
    CLI::App app{"Switchyard: small local models by default, large models when needed.\n"
                 "OpenAI-compatible server and CLI over llama.cpp."};
    app.set_version_flag("--version", "switchyard 0.1.0");
    app.require_subcommand(1);
    CommonOptions common;
    app.add_option("-c,--config", common.config, "YAML config file")->capture_default_str();

    auto* serve = app.add_subcommand("serve", "Serve the OpenAI-compatible HTTP API");
    std::string host;
    int port = -1;
    serve->add_option("--host", host, "Override server.host");
    serve->add_option("-p,--port", port, "Override server.port (0 = any free port)");

    auto* run = app.add_subcommand("run", "Run one prompt on a model and stream the answer to the terminal");
    std::string model, prompt, system;
    int max_tokens = 0;
    double temperature = -1;
    bool raw = false;
    run->add_option("model", model, "Model name or alias")->required();
    run->add_option("prompt", prompt, "The prompt")->required();
    run->add_option("-s,--system", system, "System message");
    run->add_option("-n,--max-tokens", max_tokens, "Maximum tokens to generate (default: the model's)");
    run->add_option("-t,--temperature", temperature, "Sampling temperature (default: the model's)");
    run->add_flag("--raw", raw, "Send the prompt as is, without the chat template");

    auto* models = app.add_subcommand("models", "List configured models, or what a running server has loaded");
    std::string url;
    models->add_option("--url", url, "Base URL of a running server, e.g. http://127.0.0.1:8080");
    std::string models_key_env;
    models->add_option("--api-key-env", models_key_env, "Variable holding the server's API key (with --url)");

    auto* pull = app.add_subcommand("pull", "Download a model file (URL or hf:owner/repo/file[@rev]) with resume and SHA-256 check");
    PullOptions popt;
    std::string dest = "models";
    bool no_progress = false;
    pull->add_option("source", popt.source, "https://... or hf:owner/repo/path/file.gguf[@revision]")->required();
    pull->add_option("-d,--dir", dest, "Destination folder")->capture_default_str();
    pull->add_option("--sha256", popt.expected_sha256, "Expected SHA-256 (hex)");
    pull->add_option("-o,--output", popt.output_name, "File name to save as");
    pull->add_flag("--no-progress", no_progress, "Do not draw a progress bar");

    auto* logs = app.add_subcommand("logs", "Show logged requests (needs log.path in the config)");
    LogsOptions lopt;
    logs->add_option("--status", lopt.status, "Only this HTTP status");
    logs->add_option("--model", lopt.model, "Only this model (or requested name)");
    logs->add_option("--since", lopt.since, "Only the last DURATION, e.g. 30m, 2h");
    logs->add_flag("--errors", lopt.errors, "Only failed requests (status >= 400)");
    logs->add_option("-n,--limit", lopt.limit, "Most recent N")->capture_default_str();
    logs->add_flag("--json", lopt.json, "One JSON object per line");

    auto* feedback = app.add_subcommand("feedback", "Work with user feedback");
    feedback->require_subcommand(1);
    auto* fexport = feedback->add_subcommand("export", "Write down-rated answers with corrections as JSONL chat pairs for fine-tuning");
    std::string export_out;
    fexport->add_option("-o,--out", export_out, "Output file (default: stdout)");

    auto* routercmd = app.add_subcommand("router", "Train and try the learned router classifier");
    routercmd->require_subcommand(1);
    auto* rtrain = routercmd->add_subcommand("train", "Embed labelled prompts and write a classifier index");
    RouterTrainOptions topt;
    rtrain->add_option("--examples", topt.examples, "JSONL file, one {\"prompt\": ..., \"class\": ...} per line")->required();
    rtrain->add_option("--out", topt.out, "Index file to write (JSON)")->required();
    rtrain->add_option("--embed-model", topt.embed_model, "Embedding model (default: all-minilm-l6-v2, else the first embedding model)");
    rtrain->add_option("--test", topt.test, "Held-out JSONL file: print accuracy and a confusion summary");
    rtrain->add_option("-k", topt.k, "Neighbours that vote (for --test)")->capture_default_str();
    auto* rclassify = routercmd->add_subcommand("classify", "Classify one prompt with a trained index");
    std::string index_path, cprompt;
    int ck = 7;
    rclassify->add_option("--index", index_path, "Index file from `router train`")->required();
    rclassify->add_option("prompt", cprompt, "The prompt")->required();
    rclassify->add_option("-k", ck, "Neighbours that vote")->capture_default_str();

    auto* pipelinecmd = app.add_subcommand("pipeline", "Run and check YAML pipelines (pipeline/examples/)");
    pipelinecmd->require_subcommand(1);
    auto* prun = pipelinecmd->add_subcommand("run", "Run a pipeline: streams the final text, then outputs and node timings");
    PipelineRunOptions plopt;
    prun->add_option("file", plopt.file, "Pipeline YAML file")->required();
    prun->add_option("--input", plopt.inputs, "NAME=VALUE (text as is; json and list inputs as JSON)");
    prun->add_option("--input-file", plopt.input_files, "NAME=PATH: the file's contents, or a folder");
    prun->add_flag("--json", plopt.json, "Print one JSON object: outputs, node statuses and timings");
    prun->add_flag("--no-cache", plopt.no_cache, "Run every node (neither read nor write the node cache)");
    prun->add_option("--cache-dir", plopt.cache_dir, "Node cache folder (default: ~/.cache/switchyard/pipelines)");
    prun->add_flag("--no-progress", plopt.no_progress, "Do not draw a progress bar");
    prun->add_option("--parallel", plopt.parallel, "Nodes running at once")->capture_default_str()->check(CLI::PositiveNumber);
    auto* pcheck = pipelinecmd->add_subcommand("check", "Validate a pipeline file (types, wiring, model names) without loading models");
    std::string check_file;
    pcheck->add_option("file", check_file, "Pipeline YAML file")->required();
    auto* pnodes = pipelinecmd->add_subcommand("nodes", "List node types with their params and ports");
    bool nodes_json = false;
    pnodes->add_flag("--json", nodes_json, "As JSON");

    // `eval`: the evaluation harness (eval/README.md).
    auto* evalcmd = app.add_subcommand("eval", "Evaluate routing: quality, cost and latency of policies on a dataset");
    evalcmd->require_subcommand(1);
    auto* erun = evalcmd->add_subcommand("run", "Run a dataset through several policies side by side and write reports");
    EvalRunOptions eopt;
    erun->add_option("--dataset", eopt.dataset, "JSONL dataset (eval/datasets/*.jsonl)")->required();
    erun->add_option("--policy", eopt.policies, "LABEL=ROUTE_OR_MODEL (repeat), e.g. small=gemma large=gemma-large auto=smart")->required();
    erun->add_option("--reference", eopt.reference, "Policy that quality fractions are relative to (always-large)")->capture_default_str();
    erun->add_option("--small", eopt.small, "Always-small policy: with --reference, gives the cascade threshold sweep")->capture_default_str();
    erun->add_option("--concurrency", eopt.concurrency, "Requests in flight")->capture_default_str()->check(CLI::PositiveNumber);
    erun->add_option("--limit", eopt.limit, "Only N cases, task classes taken in turn");
    erun->add_option("--max-tokens", eopt.max_tokens, "Override every case's max_tokens");
    erun->add_option("--price", eopt.prices, "MODEL=IN:OUT USD per 1M tokens for an unpriced local model (repeat)");
    erun->add_option("--cache-dir", eopt.cache_dir, "Resume cache folder (default: ~/.cache/switchyard/eval)");
    erun->add_flag("--no-cache", eopt.no_cache, "Neither read nor write the resume cache");
    erun->add_flag("--no-progress", eopt.no_progress, "Do not draw a progress bar");
    erun->add_option("--out", eopt.out, "Report folder")->capture_default_str();
    auto* eoff = evalcmd->add_subcommand("offline", "Sweep router thresholds over precomputed per-prompt outcomes (no models run)");
    EvalOfflineOptions oopt;
    eoff->add_option("--outcomes", oopt.outcomes, "JSONL outcomes table (e.g. outcomes.jsonl from eval run)")->required();
    eoff->add_option("--small", oopt.small, "Small model's name in the table");
    eoff->add_option("--large", oopt.large, "Large model's name in the table");
    eoff->add_option("--out", oopt.out, "Report folder")->capture_default_str();
    auto* efrom = evalcmd->add_subcommand("from-log", "Write a dataset from down-rated logged answers that have corrections");
    EvalFromLogOptions fopt;
    efrom->add_option("-o,--out", fopt.out, "Dataset JSONL to write")->required();
    efrom->add_option("--checker", fopt.checker, "normalized, contains_all or judge")->capture_default_str();
    efrom->add_option("--judge-model", fopt.judge_model, "Model or route that grades (with --checker judge)");

    auto* rfit = routercmd->add_subcommand("fit", "Learn when the cheaper tier is good enough from per-prompt outcomes; write a router file");
    RouterFitOptions fitopt;
    rfit->add_option("--outcomes", fitopt.outcomes, "Outcome table or records.jsonl from `switchyard eval run` (repeatable; merged by case id)");
    rfit->add_option("--dataset", fitopt.datasets, "Dataset JSONL the outcomes were measured on (gives each row's prompt; repeatable)");
    rfit->add_flag("--from-log", fitopt.from_log, "Also learn from rated requests in the config's request log (up = good, down or corrected = not)");
    rfit->add_option("--small", fitopt.small, "Name of the cheaper tier in the tables (default: the table's meta)");
    rfit->add_option("--large", fitopt.large, "Name of the larger tier in the tables (default: the table's meta)");
    rfit->add_option("--target-quality", fitopt.target_quality, "Keep this fraction of always-large quality (out-of-fold, e.g. 0.97)");
    rfit->add_option("--max-large-share", fitopt.max_large_share, "Send at most this share of prompts to the larger tier (out-of-fold)");
    rfit->add_option("--folds", fitopt.folds, "Cross-validation folds: out-of-fold probabilities choose the weight decay and the threshold")->capture_default_str();
    rfit->add_option("--features", fitopt.features, "Router input: the prompt's embedding, its hashed word n-grams (no model), or auto (the better by cross-validated AUC)")
        ->check(CLI::IsMember({"auto", "embedding", "hashed"}))->capture_default_str();
    rfit->add_option("--l2", fitopt.l2, "Weight decay (default: the best of 0.1 ... 0.00001 by cross-validated AUC)");
    rfit->add_option("--label", fitopt.label, "relative (cheap score >= large score), absolute (cheap score >= --good-score) or auto")
        ->check(CLI::IsMember({"auto", "relative", "absolute"}))->capture_default_str();
    rfit->add_option("--good-score", fitopt.good_score, "Score that counts as good enough for the absolute label")->capture_default_str();
    rfit->add_option("--embed-model", fitopt.embed_model, "Embedding model (default: all-minilm-l6-v2, else the first embedding model)");
    rfit->add_option("-o,--out", fitopt.out, "Router file to write (JSON; a route names it in its router: block)")->required();
    // `distil`: specialise a small model on one task class from the large tier's answers (distil/README.md).
    auto* distilcmd = app.add_subcommand("distil", "Fine-tune a small model on one task class from the large tier's answers, evaluate it, promote it");
    DistilOptions dopt;
    auto add_gate_options = [](CLI::App* cmd, DistilPromoteOptions& p) {
        cmd->add_option("--route", p.route, "Route that gets the specialist's tier and rule");
        cmd->add_option("--min-fraction", p.min_fraction, "Share of the large tier's held-out quality the specialist must reach")
            ->capture_default_str()->check(CLI::Range(0.01, 1.5));
        cmd->add_option("--min-heldout", p.min_heldout, "Fewest held-out cases the gate accepts")->capture_default_str();
        cmd->add_option("--url", p.url, "Running server to hot-load into (POST /v1/admin/specialists); default: the config's specialists file");
        cmd->add_option("--api-key-env", p.api_key_env, "Variable holding the server's API key (with --url)");
    };
    distilcmd->add_option("--class", dopt.task_class, "Task class to specialise (classifier class, metadata.task, or a dataset's class); required");
    distilcmd->add_option("--dataset", dopt.datasets, "Prompts of the class, eval dataset JSONL (repeat)");
    distilcmd->add_flag("--from-log", dopt.from_log, "Also learn from the request log: accepted large-tier answers and corrections");
    distilcmd->add_option("--labels", dopt.labels, "teacher: the large tier answers the dataset prompts (kept if their reference accepts them); "
                                                   "reference: the datasets' own checked references")->capture_default_str();
    distilcmd->add_option("--teacher", dopt.teacher, "The large tier: labels, and the quality to match")->capture_default_str();
    distilcmd->add_option("--base", dopt.base, "Small chat model to fine-tune: a configured model or a GGUF path")->capture_default_str();
    distilcmd->add_option("-o,--out", dopt.out, "Output folder (default distil/out/CLASS)");
    distilcmd->add_option("--heldout", dopt.heldout, "Share of prompts held out for evaluation")->capture_default_str();
    distilcmd->add_option("--steps", dopt.steps, "Optimizer steps (overrides --epochs)");
    distilcmd->add_option("--epochs", dopt.epochs, "Passes over the training set")->capture_default_str();
    distilcmd->add_option("--lr", dopt.lr, "AdamW learning rate")->capture_default_str();
    distilcmd->add_option("--batch", dopt.batch, "Examples per step")->capture_default_str()->check(CLI::PositiveNumber);
    distilcmd->add_option("--micro-batch", dopt.micro_batch, "Examples per forward pass (bounds memory)")->capture_default_str()->check(CLI::PositiveNumber);
    distilcmd->add_option("--max-len", dopt.max_len, "Tokens per example")->capture_default_str()->check(CLI::PositiveNumber);
    distilcmd->add_option("--threads", dopt.threads, "CPU threads for training")->capture_default_str()->check(CLI::PositiveNumber);
    distilcmd->add_option("--checkpoint-every", dopt.checkpoint_every, "Steps between checkpoints (0 = none)")->capture_default_str();
    distilcmd->add_flag("--resume", dopt.resume, "Continue from the output folder's checkpoint");
    distilcmd->add_option("--quant", dopt.quant, "llama-quantize type of the result (Q8_0, Q4_K_M, F16, ...)")->capture_default_str();
    distilcmd->add_option("--limit", dopt.limit, "Only the first N prompts of the class");
    distilcmd->add_option("--concurrency", dopt.concurrency, "Requests in flight while labelling and scoring")->capture_default_str()->check(CLI::PositiveNumber);
    distilcmd->add_option("--cache-dir", dopt.cache_dir, "Answer cache (default ~/.cache/switchyard/eval, shared with eval run)");
    distilcmd->add_flag("--no-eval", dopt.no_eval, "Skip the held-out comparison (then nothing can be promoted)");
    distilcmd->add_flag("--no-progress", dopt.no_progress, "Do not draw progress");
    distilcmd->add_flag("--promote", dopt.promote, "Promote the result when it passes the gate (needs --route)");
    add_gate_options(distilcmd, dopt.promotion);
    auto* dpromote = distilcmd->add_subcommand("promote", "Gate a distilled model against the large tier and add it to a route");
    DistilPromoteOptions popt2;
    dpromote->add_option("--manifest", popt2.manifest, "manifest.json written by distil")->required();
    dpromote->add_option("--outcomes", popt2.outcomes, "Outcome table to gate on (default: the manifest's held-out table)");
    dpromote->add_option("--candidate", popt2.candidate, "The specialist's name in the table")->capture_default_str();
    dpromote->add_option("--reference", popt2.reference, "The large tier's name in the table")->capture_default_str();
    add_gate_options(dpromote, popt2);

    CLI11_PARSE(app, argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    if (*serve) return cmd_serve(common, host, port);
    if (*run) return cmd_run(common, model, prompt, system, max_tokens, temperature, raw);
    if (*models) return cmd_models(common, url, models_key_env);
    if (*logs) return cmd_logs(common, lopt);
    if (*fexport) return cmd_feedback_export(common, export_out);
    if (*rtrain) return cmd_router_train(common, topt);
    if (*prun) return cmd_pipeline_run(common, plopt);
    if (*pcheck) return cmd_pipeline_check(common, check_file);
    if (*pnodes) return cmd_pipeline_nodes(nodes_json);
    if (*rclassify) return cmd_router_classify(common, index_path, cprompt, ck);
    if (*rfit) return cmd_router_fit(common, fitopt);
    if (*erun) return cmd_eval_run(common, eopt);
    if (*eoff) return cmd_eval_offline(oopt);
    if (*efrom) return cmd_eval_from_log(common, fopt);
    if (*dpromote) return cmd_distil_promote(common, popt2);
    if (*distilcmd) {
        if (dopt.promote && dopt.promotion.route.empty()) { std::cerr << "switchyard: distil: --promote needs --route\n"; return 2; }
        return cmd_distil(common, dopt);
    }
    if (*pull) {
        popt.dest_dir = dest;
        popt.show_progress = !no_progress;
        try {
            auto r = switchyard::cli::pull(popt);
            std::cout << (r.already_present ? "already present: " : "saved: ") << r.path.string() << " (" << r.bytes << " bytes"
                      << (r.sha256.empty() ? "" : ", sha256 " + r.sha256) << (r.resumed ? ", resumed" : "") << ")\n";
        } catch (const std::exception& e) {
            std::cerr << "switchyard: pull failed: " << e.what() << "\n";
            return 1;
        }
        return 0;
    }
    return 0;
}
