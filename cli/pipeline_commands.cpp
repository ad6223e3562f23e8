// `switchyard pipeline run | check | nodes`: run a YAML pipeline on the configured models (and
// routes) from the terminal, validate one without loading any model, list the node types.
#include "cli/commands.h"

#include "config/config.h"
#include "pipeline/confinement.h"
#include "pipeline/pipeline.h"
#include "router/pipeline_services.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

namespace switchyard::cli {
namespace {

namespace fs = std::filesystem;
namespace pl = switchyard::pipeline;
using json = nlohmann::json;

// Set from the SIGINT handler: a lock-free atomic store is async-signal-safe. The executor polls
// it between nodes and map elements, and model calls poll it between tokens.
std::atomic<bool> g_cancel{false};

extern "C" void on_sigint(int) {
    if (g_cancel.exchange(true)) std::_Exit(130);   // a second Ctrl-C does not wait for the current node
}

int print_problems(const std::vector<std::string>& problems) {
    for (const auto& p : problems) std::cerr << p << "\n";
    return 2;
}

fs::path default_cache_dir() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "switchyard" / "pipelines";
    if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "switchyard" / "pipelines";
    return fs::temp_directory_path() / "switchyard-pipelines";
}

// Model and route names from the config alone, so `check` and the pre-run check load no model.
pl::KnownModel config_models(const Config& cfg) {
    return [&cfg](const std::string& name) { return cfg.find_model(name) != nullptr || cfg.find_route(name) != nullptr; };
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::pair<std::string, std::string> split_assignment(const std::string& arg, const char* flag) {
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) throw std::runtime_error(std::string(flag) + " expects NAME=VALUE, got '" + arg + "'");
    return {arg.substr(0, eq), arg.substr(eq + 1)};
}

// --input NAME=VALUE: text stays text; other types are JSON, except that a bare path is fine
// for an image and plain text for a document.
json value_from_arg(const pl::ValueType& type, const std::string& v, const std::string& name) {
    if (type.kind == pl::ValueKind::text || type.kind == pl::ValueKind::any) return v;
    json parsed = json::parse(v, nullptr, false);
    if (!parsed.is_discarded()) return parsed;
    if (type.kind == pl::ValueKind::image) return {{"path", fs::absolute(v).string()}};
    if (type.kind == pl::ValueKind::document) return {{"source", ""}, {"pages", {{{"page", 1}, {"text", v}}}}, {"text", v}};
    throw std::runtime_error("--input " + name + ": " + pl::to_string(type) + " values are JSON, and '" + v + "' is not");
}

json document_from_file(const fs::path& p) {
    auto text = read_text(p);
    return {{"source", p.string()}, {"pages", {{{"page", 1}, {"text", text}}}}, {"text", text}};
}

// --input-file NAME=PATH. A folder becomes its absolute path for a text input (what the files
// node lists) or its sorted files for a list input; a file becomes its contents, parsed as JSON
// for json inputs and as one element per line for lists (unless it holds a JSON array).
json value_from_file(const pl::ValueType& type, const std::string& path, const std::string& name) {
    const fs::path p = fs::absolute(path).lexically_normal();
    std::error_code ec;
    if (!fs::exists(p, ec)) throw std::runtime_error("--input-file " + name + ": " + p.string() + " does not exist");
    const bool dir = fs::is_directory(p, ec);
    using K = pl::ValueKind;
    if (type.kind == K::image && !dir) return {{"path", p.string()}};
    if (type.kind == K::document && !dir) return document_from_file(p);
    if (type.kind == K::list && dir) {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(p))
            if (e.is_regular_file() && !e.path().filename().string().starts_with(".")) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        json out = json::array();
        for (const auto& f : files) {
            if (type.element == K::image) out.push_back({{"path", f.string()}});
            else if (type.element == K::document) out.push_back(document_from_file(f));
            else out.push_back(f.string());
        }
        return out;
    }
    if (dir) {
        if (type.kind == K::text || type.kind == K::any) return p.string();
        throw std::runtime_error("--input-file " + name + ": " + p.string() + " is a folder, which cannot be a " + pl::to_string(type));
    }
    const std::string text = read_text(p);
    if (type.kind == K::text || type.kind == K::any) return text;
    json parsed = json::parse(text, nullptr, false);
    if (type.kind == K::list && (parsed.is_discarded() || !parsed.is_array())) {
        json lines = json::array();
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) lines.push_back(line);
        return lines;
    }
    if (parsed.is_discarded()) throw std::runtime_error("--input-file " + name + ": " + p.string() + " is not valid JSON");
    return parsed;
}

json parse_inputs(const pl::PipelineDefinition& def, const PipelineRunOptions& o) {
    json given = json::object();
    auto declared = [&](const std::string& name) -> const pl::InputDecl& {
        const pl::InputDecl* in = def.input(name);
        if (!in) {
            std::string known;
            for (const auto& i : def.inputs) known += (known.empty() ? "" : ", ") + i.name;
            throw std::runtime_error("the pipeline has no input '" + name + "' (inputs: " + (known.empty() ? "none" : known) + ")");
        }
        return *in;
    };
    for (const auto& arg : o.inputs) {
        auto [name, value] = split_assignment(arg, "--input");
        given[name] = value_from_arg(declared(name).type, value, name);
    }
    for (const auto& arg : o.input_files) {
        auto [name, path] = split_assignment(arg, "--input-file");
        given[name] = value_from_file(declared(name).type, path, name);
    }
    return given;
}

// One status line on stderr, redrawn in place: nodes done / total, the running nodes and the
// progress of a mapped one. Stops drawing for good once tokens stream to the same terminal.
class ProgressBar {
public:
    ProgressBar(bool enabled, int total) : enabled_(enabled), total_(total) {}
    void on_event(const pl::ProgressEvent& e) {
        std::lock_guard lock(mu_);
        using Kind = pl::ProgressEvent::Kind;
        if (e.kind == Kind::node_started) running_[e.node_id] = "";
        if (e.kind == Kind::element_finished) running_[e.node_id] = std::to_string(++elements_[e.node_id]) + "/" + std::to_string(e.total);
        if (e.kind == Kind::node_finished) {
            running_.erase(e.node_id);
            ++done_;
        }
        draw();
    }
    // Called before anything else is written to the terminal.
    void suspend() {
        std::lock_guard lock(mu_);
        clear();
        enabled_ = false;
    }
    void finish() { suspend(); }
private:
    void clear() {
        if (enabled_ && drawn_) std::fputs("\r\033[K", stderr), std::fflush(stderr);
        drawn_ = false;
    }
    void draw() {
        if (!enabled_) return;
        constexpr int width = 24;
        const int filled = total_ ? width * done_ / total_ : width;
        std::string line = "\r\033[K[" + std::string(filled, '#') + std::string(width - filled, '.') + "] " +
                           std::to_string(done_) + "/" + std::to_string(total_) + " nodes";
        for (const auto& [id, elems] : running_) line += "  " + id + (elems.empty() ? "" : " " + elems);
        if (line.size() > 160) line = line.substr(0, 157) + "...";
        std::fputs(line.c_str(), stderr);
        std::fflush(stderr);
        drawn_ = true;
    }
    std::mutex mu_;
    bool enabled_;
    bool drawn_ = false;
    int total_;
    int done_ = 0;
    std::map<std::string, std::string> running_;   // id -> "i/n" for mapped nodes
    std::map<std::string, int> elements_;
};

std::string format_ms(double ms) {
    char buf[32];
    if (ms < 1000) std::snprintf(buf, sizeof buf, "%.0f ms", ms);
    else std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000);
    return buf;
}

void print_timings(const pl::RunResult& r) {
    std::fprintf(stderr, "\n%-22s %-12s %-10s %10s  %s\n", "node", "type", "status", "time", "detail");
    for (const auto& n : r.nodes) {
        std::string detail;
        if (n.elements >= 0) detail = std::to_string(n.elements) + " elements, " + std::to_string(n.cached_elements) + " cached";
        if (!n.message.empty()) detail += (detail.empty() ? "" : "; ") + n.message;
        if (detail.size() > 100) detail = detail.substr(0, 97) + "...";
        std::fprintf(stderr, "%-22s %-12s %-10s %10s  %s\n", n.id.c_str(), n.type.c_str(), pl::to_string(n.status).c_str(),
                     n.started_ms < 0 ? "-" : format_ms(n.duration_ms).c_str(), detail.c_str());
    }
    std::fprintf(stderr, "total %s\n", format_ms(r.duration_ms).c_str());
}

void print_outputs(const pl::PipelineDefinition& def, const pl::RunResult& r, const std::string& streamed_output) {
    const bool headers = def.outputs.size() > 1;
    for (const auto& [name, wire] : def.outputs) {
        if (name == streamed_output) continue;
        const json& v = r.outputs.contains(name) ? r.outputs[name] : json(nullptr);
        if (headers) std::cout << "== " << name << " ==\n";
        if (v.is_string()) std::cout << v.get<std::string>() << "\n";
        else std::cout << v.dump(2) << "\n";
    }
    std::cout.flush();
}

}  // namespace

int cmd_pipeline_check(const CommonOptions& common, const std::string& file) {
    try {
        auto def = pl::load_pipeline_file(file);
        std::optional<Config> cfg;
        try {
            cfg = load_config(common.config);
        } catch (const std::exception& e) {
            std::cerr << "switchyard: warning: model names not checked: " << e.what() << "\n";
        }
        auto problems = pl::check_pipeline(def, pl::builtin_nodes(), cfg ? config_models(*cfg) : pl::KnownModel{});
        if (!problems.empty()) return print_problems(problems);
        std::cout << "ok: " << def.name << " (" << def.nodes.size() << " nodes)\n";
        return 0;
    } catch (const pl::PipelineError& e) {
        return print_problems(e.problems);
    } catch (const std::exception& e) {
        std::cerr << "switchyard: pipeline check: " << e.what() << "\n";
        return 2;
    }
}

int cmd_pipeline_run(const CommonOptions& common, const PipelineRunOptions& o) {
    pl::PipelineDefinition def;
    json inputs;
    Config cfg;
    try {
        def = pl::load_pipeline_file(o.file);
        cfg = load_config(common.config);
        // Everything that can be wrong with the file is reported before any model loads.
        auto problems = pl::check_pipeline(def, pl::builtin_nodes(), config_models(cfg));
        if (!problems.empty()) return print_problems(problems);
        inputs = pl::resolve_inputs(def, parse_inputs(def, o));
    } catch (const pl::PipelineError& e) {
        return print_problems(e.problems);
    } catch (const ConfigError& e) {
        std::cerr << "switchyard: config error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: pipeline run: " << e.what() << "\n";
        return 2;
    }

    std::unique_ptr<pl::NodeCache> cache;
    if (!o.no_cache) cache = std::make_unique<pl::NodeCache>(o.cache_dir.empty() ? default_cache_dir() : fs::path(o.cache_dir));

    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);

    ProgressBar bar(!o.json && !o.no_progress && ::isatty(STDERR_FILENO), static_cast<int>(def.nodes.size()));
    pl::RunOptions options;
    options.parallelism = std::max(1, o.parallel);
    options.cache = cache.get();
    options.cancel = &g_cancel;
    options.on_progress = [&bar](const pl::ProgressEvent& e) { bar.on_event(e); };
    // On the command line the user names the inputs: file inputs may lie under the working
    // folder, pipelines.roots and the folders given with --input-file; http nodes follow the config.
    pl::AccessRules access;
    access.confine_files = true;
    access.roots = cfg.pipelines.roots;
    access.roots.push_back(fs::current_path());
    for (const auto& arg : o.input_files) {
        std::error_code ec;
        fs::path p = arg.substr(arg.find('=') + 1);
        if (fs::is_directory(p, ec)) access.roots.push_back(fs::absolute(p));
    }
    access.roots_setting = "pipelines.roots (or run from a folder that contains it, or name the folder with --input-file)";
    access.restrict_http = true;
    access.http_hosts = cfg.pipelines.http_hosts;
    access.http_allow_private = cfg.pipelines.http_allow_private;
    options.access = &access;
    if (cfg.store.enabled()) options.store_url = cfg.store.url;

    // The first output streams when it is the text of an unmapped node (what the executor
    // streams by default); it is then not printed again at the end.
    std::string streamed_output;
    std::mutex out_mu;
    bool header_done = false;
    if (!o.json && !def.outputs.empty()) {
        const auto& [name, wire] = def.outputs.front();
        const pl::NodeDecl* node = wire.from == pl::Wire::From::node_output ? def.node(wire.node) : nullptr;
        if (node && node->map_port.empty() && wire.name == "text") {
            streamed_output = name;
            options.stream_node = node->id;
            options.on_token = [&](const std::string&, const std::string& piece) {
                std::lock_guard lock(out_mu);
                if (!header_done) {
                    bar.suspend();
                    if (def.outputs.size() > 1) std::cout << "== " << name << " ==\n";
                    header_done = true;
                }
                std::cout << piece << std::flush;
            };
        }
    }

    std::optional<router::StandalonePipelineHost> host;
    pl::RunResult result;
    try {
        host.emplace(cfg);
        pl::Executor executor(pl::builtin_nodes(), host->services());
        result = executor.run(def, inputs, options);
    } catch (const pl::PipelineError& e) {
        bar.finish();
        return print_problems(e.problems);
    } catch (const std::exception& e) {
        bar.finish();
        std::cerr << "switchyard: pipeline run: " << e.what() << "\n";
        return 1;
    }
    bar.finish();
    signal(SIGINT, SIG_DFL);

    if (o.json) {
        std::cout << pl::to_json(result).dump(2) << "\n";
    } else {
        if (header_done) std::cout << "\n";
        // Streamed text that never arrived (the node failed or was skipped) is printed as usual.
        if (!header_done) streamed_output.clear();
        if (result.ok) print_outputs(def, result, streamed_output);
        print_timings(result);
    }
    if (result.cancelled) {
        std::cerr << "switchyard: pipeline cancelled\n";
        return 130;
    }
    if (!result.ok) {
        std::cerr << "switchyard: pipeline failed: " << result.error << "\n";
        return 1;
    }
    return 0;
}

int cmd_pipeline_nodes(bool as_json) {
    const json types = pl::builtin_nodes().describe();
    if (as_json) {
        std::cout << types.dump(2) << "\n";
        return 0;
    }
    for (const auto& t : types) {
        std::cout << t["name"].get<std::string>() << ": " << t["description"].get<std::string>()
                  << (t["mappable"].get<bool>() ? "" : " (cannot be mapped)") << "\n";
        for (const auto& p : t["params"])
            std::cout << "  param  " << p["name"].get<std::string>() << " (" << p["kind"].get<std::string>()
                      << (p["required"].get<bool>() ? ", required" : "") << (p["model"].get<bool>() ? ", model" : "")
                      << ")  " << p["description"].get<std::string>() << "\n";
        for (const auto& p : t["inputs"])
            std::cout << "  in     " << p["name"].get<std::string>() << ": " << p["type"].get<std::string>()
                      << (p["required"].get<bool>() ? "" : " (optional)") << "\n";
        if (t["extra_inputs"].get<bool>()) std::cout << "  in     any other name: template variables\n";
        for (const auto& p : t["outputs"])
            std::cout << "  out    " << p["name"].get<std::string>() << ": " << p["type"].get<std::string>() << "\n";
        if (t.contains("note")) std::cout << "  note   " << t["note"].get<std::string>() << "\n";
    }
    return 0;
}

}  // namespace switchyard::cli
