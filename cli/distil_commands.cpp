// `switchyard distil`: specialise a small model on one task class (distil/README.md).
// Gathers labelled examples (the large tier's answers, corrections), splits them, trains in the
// training virtualenv (distil/train.py, the only Python step), converts and quantises with the
// pinned llama.cpp, scores base / specialised / large on the held-out split and writes the
// manifest. `--promote` then runs the gate (cli/distil_promote.cpp).
#include "cli/commands.h"

#include "config/config.h"
#include "config/specialists.h"
#include "distil/base_model.h"
#include "distil/gate.h"
#include "distil/training_set.h"
#include "eval/checkers.h"
#include "eval/dataset.h"
#include "eval/metrics.h"
#include "eval/offline.h"
#include "eval/result_cache.h"
#include "eval/runner.h"
#include "store/request_log.h"

#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#ifndef SWITCHYARD_SOURCE_DIR
#define SWITCHYARD_SOURCE_DIR "."
#endif
#ifndef SWITCHYARD_LLAMA_SRC_DIR
#define SWITCHYARD_LLAMA_SRC_DIR ""
#endif
#ifndef SWITCHYARD_LLAMA_BUILD_DIR
#define SWITCHYARD_LLAMA_BUILD_DIR ""
#endif

namespace switchyard::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace switchyard::distil;

namespace {

struct DistilError : std::runtime_error {
    int status;
    DistilError(int s, const std::string& m) : std::runtime_error(m), status(s) {}
};

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}
// Overridable so an installed binary can point at a checkout: SWITCHYARD_SOURCE_DIR, SWITCHYARD_LLAMA_SRC/BUILD.
fs::path source_dir() { return env_or("SWITCHYARD_SOURCE_DIR", SWITCHYARD_SOURCE_DIR); }
fs::path llama_src() { return env_or("SWITCHYARD_LLAMA_SRC", SWITCHYARD_LLAMA_SRC_DIR); }
fs::path llama_build() { return env_or("SWITCHYARD_LLAMA_BUILD", SWITCHYARD_LLAMA_BUILD_DIR); }
fs::path venv_dir() { return env_or("SWITCHYARD_TRAIN_VENV", (source_dir() / ".venv-train").string()); }

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string sha256_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) EVP_DigestUpdate(ctx, buf, static_cast<std::size_t>(in.gcount()));
    unsigned char md[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) { out += hex[md[i] >> 4]; out += hex[md[i] & 15]; }
    return out;
}

// Runs a shell command, its output appended to `log`; throws with the log's tail on failure.
void run_logged(const std::string& what, const std::string& cmd, const fs::path& log) {
    const int rc = std::system((cmd + " >>" + quote(log.string()) + " 2>&1").c_str());
    if (rc != 0) {
        std::ifstream in(log);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        throw DistilError(1, what + " failed (exit " + std::to_string(WEXITSTATUS(rc)) + "); last lines of " + log.filename().string() +
                                 ":\n" + text.substr(text.size() > 1500 ? text.size() - 1500 : 0));
    }
}

// ---- examples ----------------------------------------------------------------------------

struct Gathered {
    std::vector<Example> examples;
    std::set<std::string> classes;               // every class the sources know
    int prompts = 0, rejected = 0, failed = 0;   // dataset prompts of the class; labels refused by the checker; errors
    LogHarvest log;
    json sources = json::object();
};

// The large tier answers every dataset prompt of the class (both splits: held-out answers are
// its score). A train-split answer becomes a label only if it passes the prompt's reference.
void label_with_teacher(const Config& cfg, const DistilOptions& o, std::vector<eval::EvalCase>& cases, Gathered& g,
                        eval::ResultCache* cache) {
    Config c = cfg;
    std::vector<eval::PolicySpec> policies = {{"large", o.teacher, "", ""}}, judges;
    eval::resolve_policies(c, policies, judges);
    eval::RunOptions ro;
    ro.concurrency = o.concurrency;
    ro.progress = !o.no_progress;
    eval::RunStats stats;
    std::fprintf(stderr, "labelling %zu prompts with the large tier (%s)...\n", cases.size(), o.teacher.c_str());
    std::vector<eval::Record> records;
    {
        eval::EvalHost host(c);
        records = eval::run_eval(host, cases, policies, judges, ro, cache, stats);
    }
    std::fprintf(stderr, "  %d model calls, %d from the cache, %d errors, %.1f s\n", stats.calls, stats.cached, stats.errors, stats.seconds);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& r = records[i];
        if (!r.ok) { ++g.failed; continue; }
        Example e;
        e.id = cases[i].id;
        e.task_class = cases[i].task_class;
        e.source = "teacher";
        e.messages = cases[i].messages;
        e.request = cases[i].request;
        e.reference = cases[i].reference;
        // Only answers the checker fully accepts are labels; held-out prompts keep their reference either way.
        if (r.score >= 1.0 - 1e-9) e.answer = r.answer;
        else ++g.rejected;
        g.examples.push_back(std::move(e));
    }
}

std::string reference_label(const eval::Reference& r) {
    if (r.answer.is_string()) return r.answer.get<std::string>();
    if (r.checker == "json_fields" || r.answer.is_object()) return r.answer.dump(-1, ' ', false);
    if (r.answer.is_number()) return r.answer.dump();
    return "";
}

Gathered gather(const Config& cfg, const DistilOptions& o, eval::ResultCache* cache) {
    Gathered g;
    std::vector<eval::EvalCase> cases;
    for (const auto& file : o.datasets) {
        int of_class = 0;
        for (auto& c : eval::read_dataset(file)) {
            g.classes.insert(c.task_class);
            if (c.task_class != o.task_class) continue;
            if (o.limit > 0 && static_cast<int>(cases.size()) >= o.limit) break;
            cases.push_back(std::move(c));
            ++of_class;
        }
        g.sources[fs::path(file).filename().string()] = of_class;
    }
    g.prompts = static_cast<int>(cases.size());
    if (!cases.empty() && o.labels == "teacher") {
        label_with_teacher(cfg, o, cases, g, cache);
    } else {
        for (const auto& c : cases) {
            Example e;
            e.id = c.id;
            e.task_class = c.task_class;
            e.source = "reference";
            e.messages = c.messages;
            e.request = c.request;
            e.reference = c.reference;
            e.answer = c.reference.checker == "judge" || c.reference.checker == "regex" ? "" : reference_label(c.reference);
            if (e.answer.empty()) ++g.rejected;
            g.examples.push_back(std::move(e));
        }
    }
    if (o.from_log) {
        if (cfg.log_path.empty()) throw DistilError(2, cfg.source.string() + " has no log.path: there is no request log to learn from");
        RequestLog log(cfg.log_path);
        std::set<std::string> teachers;
        if (const ModelSpec* m = cfg.find_model(o.teacher)) teachers.insert(m->name);
        else teachers.insert(o.teacher);
        g.log = harvest_log(log, o.task_class, teachers);
        g.classes.insert(g.log.classes.begin(), g.log.classes.end());
        g.sources["log"] = {{"accepted", g.log.accepted}, {"corrections", g.log.corrections}, {"down_rated_without_correction", g.log.down_rated},
                            {"without_content", g.log.without_content}};
        for (auto& e : g.log.examples) g.examples.push_back(std::move(e));
    }
    return g;
}

// ---- training ----------------------------------------------------------------------------

struct TrainResult {
    int steps = 0;
    double train_seconds = 0, seconds_per_step = 0, seconds_per_epoch = 0, load_seconds = 0;
    double final_loss = NAN, first_loss = NAN;
    json losses = json::array();
};

void draw(const json& ev, bool tty) {
    const int step = ev.value("step", 0), steps = std::max(1, ev.value("steps", 1));
    const double secs = ev.value("seconds", 0.0), per = secs / std::max(1, step);
    char line[200];
    std::snprintf(line, sizeof line, "step %d/%d  loss %.4f  epoch %.2f  %.1f s/step  eta %.0f s", step, steps, ev.value("loss", 0.0),
                  ev.value("epoch", 0.0), per, per * (steps - step));
    if (tty) {
        const int width = 24, filled = width * step / steps;
        std::fprintf(stderr, "\r[%.*s%*s] %s ", filled, "########################", width - filled, "", line);
        if (step == steps) std::fprintf(stderr, "\n");
    } else {
        std::fprintf(stderr, "%s\n", line);
    }
    std::fflush(stderr);
}

TrainResult train(const DistilOptions& o, const fs::path& base_file, const fs::path& out, const fs::path& log) {
    const fs::path setup = source_dir() / "distil/setup_venv.sh";
    run_logged("creating the training virtualenv", "bash " + quote(setup.string()) + " " + quote(venv_dir().string()), log);
    std::string cmd = quote((venv_dir() / "bin/python").string()) + " " + quote((source_dir() / "distil/train.py").string()) +
                      " --base " + quote(base_file.string()) + " --train " + quote((out / "train.jsonl").string()) + " --out " +
                      quote(out.string()) + " --lr " + std::to_string(o.lr) + " --batch " + std::to_string(o.batch) +
                      " --micro-batch " + std::to_string(o.micro_batch) + " --max-len " + std::to_string(o.max_len) + " --threads " +
                      std::to_string(o.threads) + " --checkpoint-every " + std::to_string(o.checkpoint_every) +
                      (o.steps > 0 ? " --steps " + std::to_string(o.steps) : " --epochs " + std::to_string(o.epochs)) +
                      (o.resume ? " --resume" : "") + " 2>>" + quote(log.string());
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw DistilError(1, "cannot start the trainer");
    TrainResult r;
    json error;
    const bool tty = !o.no_progress && isatty(STDERR_FILENO);
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) {
        json ev = json::parse(buf, nullptr, false);
        if (!ev.is_object()) continue;
        const std::string kind = ev.value("event", "");
        if (kind == "start") {
            std::fprintf(stderr, "training %s on %d examples: %d steps (%d per epoch), loaded in %.0f s\n", base_file.filename().c_str(),
                         ev.value("examples", 0), ev.value("steps", 0), ev.value("steps_per_epoch", 0), ev.value("load_seconds", 0.0));
        } else if (kind == "resumed") {
            std::fprintf(stderr, "resuming from the checkpoint at step %d\n", ev.value("step", 0));
        } else if (kind == "step") {
            if (std::isnan(r.first_loss)) r.first_loss = ev.value("loss", 0.0);
            r.final_loss = ev.value("loss", 0.0);
            r.losses.push_back(ev.value("loss", 0.0));
            if (!o.no_progress) draw(ev, tty);
        } else if (kind == "done") {
            r.steps = ev.value("steps", 0);
            r.train_seconds = ev.value("train_seconds", 0.0);
            r.seconds_per_step = ev.value("seconds_per_step", 0.0);
            r.seconds_per_epoch = ev.value("seconds_per_epoch", 0.0);
            r.load_seconds = ev.value("load_seconds", 0.0);
        } else if (kind == "error") {
            error = ev;
        }
    }
    const int rc = pclose(p);
    if (error.is_object()) throw DistilError(error.value("kind", "") == "base" ? 2 : 1, "training failed: " + error.value("message", ""));
    if (rc != 0 || r.steps == 0)
        throw DistilError(1, "the trainer exited with status " + std::to_string(WEXITSTATUS(rc)) + "; see " + log.string() +
                                 " (interrupted? rerun with --resume to continue from the last checkpoint)");
    return r;
}

// HF folder -> F16 GGUF (convert_hf_to_gguf.py) -> the base's tokenizer metadata (copy_tokenizer.py)
// -> quantised GGUF (llama-quantize).
fs::path convert(const DistilOptions& o, const fs::path& base_file, const fs::path& out, const std::string& name, const fs::path& log) {
    const fs::path raw = out / "model.converted.gguf", f16 = out / "model.f16.gguf", final_file = out / (name + "." + o.quant + ".gguf");
    const fs::path script = llama_src() / "convert_hf_to_gguf.py", quantize = llama_build() / "bin/llama-quantize";
    if (!fs::exists(script)) throw DistilError(1, "no " + script.string() + ": run scripts/build-llama.sh (or set SWITCHYARD_LLAMA_SRC)");
    if (!fs::exists(quantize)) throw DistilError(1, "no " + quantize.string() + ": run scripts/build-llama.sh all (or set SWITCHYARD_LLAMA_BUILD)");
    std::fprintf(stderr, "converting to GGUF and quantising to %s...\n", o.quant.c_str());
    run_logged("convert_hf_to_gguf.py", quote((venv_dir() / "bin/python").string()) + " " + quote(script.string()) + " " +
                                            quote((out / "hf").string()) + " --outfile " + quote(raw.string()) + " --outtype f16", log);
    run_logged("copy_tokenizer.py", quote((venv_dir() / "bin/python").string()) + " " + quote((source_dir() / "distil/copy_tokenizer.py").string()) +
                                        " " + quote(base_file.string()) + " " + quote(raw.string()) + " " + quote(f16.string()), log);
    fs::remove(raw);
    run_logged("llama-quantize", quote(quantize.string()) + " " + quote(f16.string()) + " " + quote(final_file.string()) + " " + quote(o.quant), log);
    fs::remove(f16);
    return final_file;
}

// ---- evaluation on the held-out split ----------------------------------------------------

json evaluate(Config cfg, const DistilOptions& o, const std::vector<eval::EvalCase>& cases, const std::string& base_model,
              const std::string& specialised, const fs::path& out, eval::ResultCache* cache) {
    std::vector<eval::PolicySpec> policies = {{"base", base_model, "", ""}, {"specialised", specialised, "", ""}, {"large", o.teacher, "", ""}},
                                  judges;
    for (const auto& c : cases)
        if (c.reference.checker == "judge") throw DistilError(1, "held-out cases graded by a judge are not supported by distil");
    eval::resolve_policies(cfg, policies, judges);
    eval::RunOptions ro;
    ro.concurrency = o.concurrency;
    ro.progress = !o.no_progress;
    eval::RunStats stats;
    std::fprintf(stderr, "scoring base, specialised and large on %zu held-out cases...\n", cases.size());
    std::vector<eval::Record> records;
    {
        eval::EvalHost host(cfg);
        records = eval::run_eval(host, cases, policies, judges, ro, cache, stats);
    }
    eval::OutcomeTable table;
    table.small = "specialised";
    table.large = "large";
    std::map<std::string, std::size_t> row_of;
    json result = json::object();
    std::map<std::string, std::vector<double>> scores;
    std::map<std::string, double> tokens, ms;
    std::map<std::string, std::vector<double>> latencies;
    for (const auto& r : records) {
        auto [it, fresh] = row_of.try_emplace(r.case_id, table.rows.size());
        if (fresh) table.rows.push_back({r.case_id, r.task_class, {}});
        table.rows[it->second].models[r.policy] = {r.score, 0, r.latency_ms, r.prompt_tokens, r.completion_tokens};
        scores[r.policy].push_back(r.score);
        if (!r.cached) { tokens[r.policy] += r.completion_tokens; ms[r.policy] += r.latency_ms; }
        latencies[r.policy].push_back(r.latency_ms);
    }
    eval::write_outcomes(out / "heldout_outcomes.jsonl", table);
    {
        std::ofstream rec(out / "heldout_records.jsonl");
        for (const auto& r : records) rec << eval::record_to_json(r).dump() << "\n";
    }
    for (const auto& p : policies) {
        const auto& s = scores[p.label];
        double mean = 0;
        for (double x : s) mean += x;
        mean = s.empty() ? 0 : mean / s.size();
        const Interval ci = bootstrap_mean(s);
        json j = {{"model", p.target}, {"n", s.size()}, {"quality", mean}, {"ci95", {ci.lo, ci.hi}},
                  {"p50_ms", eval::percentile(latencies[p.label], 0.5)}};
        // Decode speed as the eval saw it (prompt processing and queueing included): completion tokens per wall second.
        if (ms[p.label] > 0) j["tokens_per_second"] = tokens[p.label] / (ms[p.label] / 1000.0);
        result[p.label] = j;
    }
    return {{"cases", cases.size()}, {"policies", result}, {"outcomes", "heldout_outcomes.jsonl"}, {"seconds", stats.seconds}};
}

// ---- the command -------------------------------------------------------------------------

void write_jsonl(const fs::path& p, const std::vector<json>& lines) {
    std::ofstream out(p);
    if (!out) throw DistilError(1, "cannot write " + p.string());
    for (const auto& l : lines) out << l.dump() << "\n";
}

std::string iso_now() {
    char buf[32];
    std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

int run_distil(const CommonOptions& common, const DistilOptions& o) {
    Config cfg = load_config(common.config);
    if (o.task_class.empty()) throw DistilError(2, "give the task class to specialise (--class)");
    if (o.datasets.empty() && !o.from_log) throw DistilError(2, "give at least one source: --dataset FILE and/or --from-log");
    if (o.labels != "teacher" && o.labels != "reference") throw DistilError(2, "--labels must be teacher or reference");
    if (o.heldout <= 0 || o.heldout >= 1) throw DistilError(2, "--heldout must be a fraction between 0 and 1");
    // The base, checked natively before anything slow starts.
    fs::path base_file;
    std::string base_name;
    if (const ModelSpec* m = cfg.find_model(o.base)) {
        base_file = m->file;
        base_name = m->name;
    } else if (fs::exists(o.base)) {
        base_file = fs::absolute(o.base);
        base_name = "distil-base";
        ModelSpec spec;
        spec.name = base_name;
        spec.file = base_file;
        spec.context_size = 1024;
        spec.sampling.temperature = 0;
        cfg.models.push_back(spec);
    } else {
        throw DistilError(2, "base model '" + o.base + "' is neither a configured model nor a file");
    }
    BaseModelInfo info;
    try { info = check_trainable(base_file); } catch (const std::exception& e) { throw DistilError(2, e.what()); }
    if (!cfg.find_model(o.teacher)) throw DistilError(2, "teacher '" + o.teacher + "' is not a configured model (the large tier to learn from)");

    const fs::path out = fs::absolute(o.out.empty() ? source_dir() / "distil/out" / o.task_class : fs::path(o.out));
    fs::create_directories(out);
    const fs::path log = out / "distil.log";
    std::unique_ptr<eval::ResultCache> cache;
    {
        fs::path dir = o.cache_dir;
        if (dir.empty()) dir = fs::path(env_or("HOME", ".")) / ".cache/switchyard/eval";
        cache = std::make_unique<eval::ResultCache>(dir);
    }

    // 1. Examples of the class, de-duplicated and split.
    Gathered g = gather(cfg, o, cache.get());
    const bool class_known = g.classes.count(o.task_class) > 0;
    if (!class_known) {
        std::string known;
        for (const auto& c : g.classes) known += (known.empty() ? "" : ", ") + c;
        throw DistilError(2, "unknown task class '" + o.task_class + "': the sources have " + (known.empty() ? "no classes" : known));
    }
    TrainingSet set = split(g.examples, o.heldout);
    if (set.train.empty()) {
        throw DistilError(2, "empty training set for class '" + o.task_class + "': " + std::to_string(g.prompts) + " dataset prompts, " +
                                 std::to_string(g.rejected) + " labels refused by their checker, " + std::to_string(g.failed) +
                                 " large-tier errors, " + std::to_string(g.log.accepted + g.log.corrections) + " usable log entries, " +
                                 std::to_string(set.heldout.size()) + " held out");
    }
    std::vector<json> train_lines, heldout_lines;
    for (const auto& e : set.train) train_lines.push_back(train_line(e));
    std::vector<eval::EvalCase> heldout;
    for (const auto& e : set.heldout) { heldout.push_back(heldout_case(e)); heldout_lines.push_back(eval::case_to_json(heldout.back())); }
    write_jsonl(out / "train.jsonl", train_lines);
    write_jsonl(out / "heldout.jsonl", heldout_lines);
    const std::string data_hash = sha256_file(out / "train.jsonl");
    std::fprintf(stderr, "class %s: %zu training examples, %zu held out, %d duplicates dropped, %d labels refused; data %s\n",
                 o.task_class.c_str(), set.train.size(), set.heldout.size(), set.duplicates, g.rejected, data_hash.substr(0, 12).c_str());

    // 2. Train, convert, quantise.
    std::string stem = info.architecture + "-" + o.task_class;
    if (const ModelSpec* m = cfg.find_model(o.base)) stem = m->name + "-" + o.task_class;
    const std::string model_name = stem + "-" + data_hash.substr(0, 8);
    TrainResult tr = train(o, base_file, out, log);
    const fs::path gguf = convert(o, base_file, out, model_name, log);
    fs::remove_all(out / "hf");
    fs::remove_all(out / "checkpoint");   // the model is final; a rerun starts from the base again
    std::fprintf(stderr, "wrote %s (%.1f MiB); %.1f s per step, %.0f s per epoch\n", gguf.filename().c_str(),
                 fs::file_size(gguf) / 1048576.0, tr.seconds_per_step, tr.seconds_per_epoch);

    // 3. The manifest, then the held-out comparison.
    json manifest = {
        {"object", "switchyard.distil.manifest"}, {"version", 1}, {"created", iso_now()}, {"class", o.task_class},
        {"base", {{"model", base_name}, {"file", base_file.filename().string()}, {"architecture", info.architecture}}},
        {"teacher", o.teacher}, {"labels", o.labels},
        {"model", {{"name", model_name}, {"file", gguf.filename().string()}, {"bytes", fs::file_size(gguf)}, {"quantization", o.quant}}},
        {"data", {{"hash", "sha256:" + data_hash}, {"train", set.train.size()}, {"heldout", set.heldout.size()},
                  {"duplicates", set.duplicates}, {"labels_refused", g.rejected}, {"teacher_errors", g.failed},
                  {"train_sources", set.train_sources}, {"sources", g.sources}, {"heldout_fraction", o.heldout},
                  {"files", {"train.jsonl", "heldout.jsonl"}}}},
        {"hyperparameters", {{"method", "full fine-tune, AdamW"}, {"lr", o.lr}, {"batch", o.batch}, {"micro_batch", o.micro_batch},
                             {"max_len", o.max_len}, {"steps", tr.steps}, {"epochs", o.steps > 0 ? json(nullptr) : json(o.epochs)},
                             {"threads", o.threads}, {"seed", 7}}},
        {"training", {{"seconds", tr.train_seconds}, {"seconds_per_step", tr.seconds_per_step}, {"seconds_per_epoch", tr.seconds_per_epoch},
                      {"load_seconds", tr.load_seconds}, {"first_loss", tr.first_loss}, {"final_loss", tr.final_loss}, {"losses", tr.losses}}}};
    if (!o.no_eval) {
        if (heldout.empty()) {
            manifest["eval"] = {{"cases", 0}, {"note", "no held-out cases: nothing to score"}};
        } else {
            Specialist s{"", o.task_class, model_name, gguf, "", ""};
            cfg.models.push_back(specialist_model(s, cfg));
            manifest["eval"] = evaluate(cfg, o, heldout, base_name, model_name, out, cache.get());
            const GateResult gr = gate(eval::read_outcomes(out / "heldout_outcomes.jsonl"), "specialised", "large", o.promotion.min_fraction,
                                       o.promotion.min_heldout);
            manifest["eval"]["gate"] = gate_json(gr);
            const auto& p = manifest["eval"]["policies"];
            for (const char* label : {"base", "specialised", "large"})
                std::printf("%-12s quality %.3f  95%% CI [%.3f, %.3f]  n=%d\n", label, p[label].value("quality", 0.0),
                            p[label]["ci95"][0].get<double>(), p[label]["ci95"][1].get<double>(), p[label].value("n", 0));
            std::printf("gate: %s\n", gr.why.c_str());
        }
    }
    {
        std::ofstream m(out / "manifest.json");
        m << manifest.dump(2) << "\n";
    }
    std::printf("wrote %s and %s\n", (out / gguf.filename()).c_str(), (out / "manifest.json").c_str());
    if (o.promote) {
        DistilPromoteOptions po = o.promotion;
        po.manifest = (out / "manifest.json").string();
        return cmd_distil_promote(common, po);
    }
    return 0;
}

}  // namespace

int cmd_distil(const CommonOptions& common, const DistilOptions& o) {
    try {
        return run_distil(common, o);
    } catch (const ConfigError& e) {
        std::cerr << "switchyard: config error: " << e.what() << "\n";
        return 2;
    } catch (const DistilError& e) {
        std::cerr << "switchyard: distil: " << e.what() << "\n";
        return e.status;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: distil: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace switchyard::cli
