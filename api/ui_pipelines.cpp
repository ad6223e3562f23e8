// The pipeline editor's endpoints, under /ui/api/ (same keys as the API):
//   GET  /ui/api/nodes           the node library (what `switchyard pipeline nodes --json` prints)
//   GET  /ui/api/pipelines       the configured pipeline files (paths relative to the config's folder)
//   GET  /ui/api/pipeline?id=N   one file's YAML text
//   PUT  /ui/api/pipeline?id=N   {yaml}: checked like `pipeline check`, then written in place
//                                (atomically) only when it passes; only configured files, by index
//   POST /ui/api/pipeline/check  {yaml, id?}: problems (line, node, field) and each node's ports
//   POST /ui/api/pipeline/run    {yaml, id?, inputs, from?}: runs the YAML as given (unsaved edits
//                                too) with the server's models and node cache; SSE progress with
//                                each node's outputs, then the result. `from` re-runs that node and
//                                everything downstream, reusing cached results upstream.
// Saved edits reach /v1/pipelines/{name} at the next server start (running definitions are never
// swapped under a run).
#include "wire/event_channel.h"
#include "api/pipeline_host.h"
#include "pipeline/confinement.h"
#include "wire/request_parsing.h"
#include "wire/sse.h"
#include "api/ui_support.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <unistd.h>

namespace switchyard::api::ui {
namespace {

namespace fs = std::filesystem;
using pipeline::PipelineDefinition;

const fs::path* configured_file(const ServerContext& ctx, const std::optional<std::string>& id) {
    const auto& files = ctx.pool.config().pipelines.files;
    if (!id || id->empty() || id->size() > 6 || id->find_first_not_of("0123456789") != std::string::npos) return nullptr;
    std::size_t i = std::stoul(*id);
    return i < files.size() ? &files[i] : nullptr;
}

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.filename().string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// "SOURCE:LINE: node 'x': params.key: what" -> {line, node, field, message, text}.
json problem_json(const std::string& source, const std::string& text) {
    static const std::regex shape(R"(^(?::(\d+))?: (?:node '([^']+)'(?:: ((?:params|inputs|map)(?:\.[^:]+)?))?|outputs\.([^:]+)|([a-z]+)): (.*)$)");
    json p = {{"text", text}, {"message", text}};
    std::string rest = text.rfind(source, 0) == 0 ? text.substr(source.size()) : text;
    std::smatch m;
    if (!std::regex_match(rest, m, shape)) return p;
    if (m[1].matched) p["line"] = std::stoi(m[1].str());
    if (m[2].matched) p["node"] = m[2].str();
    if (m[3].matched) p["field"] = m[3].str();
    if (m[4].matched) p["output"] = m[4].str();
    p["message"] = m[6].str();
    return p;
}

json ports_json(const std::vector<pipeline::PortSpec>& ports, const PipelineDefinition& def, const std::string& node_id, bool outputs) {
    json out = json::array();
    for (const auto& p : ports) {
        json port = {{"name", p.name}, {"type", pipeline::to_string(p.type)}};
        if (!outputs) port["required"] = p.required;
        if (outputs)
            if (auto t = pipeline::output_type(def, pipeline::builtin_nodes(), node_id, p.name)) port["type"] = pipeline::to_string(*t);
        out.push_back(std::move(port));
    }
    return out;
}

struct Analysis {
    json body;
    bool ok = false;
    std::shared_ptr<PipelineDefinition> def;   // when the YAML parsed
};

// Parses and checks YAML the way `switchyard pipeline check` does; describes each node's ports
// for these params (a switch's cases, an llm's json output, a mapped node's lists).
Analysis analyse(const ServerContext& ctx, const std::string& yaml, const std::string& source, const fs::path& base_dir) {
    Analysis a;
    json problems = json::array();
    json nodes = json::object();
    try {
        a.def = std::make_shared<PipelineDefinition>(pipeline::parse_pipeline(yaml, source, base_dir));
        auto known = [&ctx](const std::string& m) { return ctx.pool.config().find_model(m) || ctx.pool.config().find_route(m); };
        for (const auto& p : pipeline::check_pipeline(*a.def, pipeline::builtin_nodes(), known)) problems.push_back(problem_json(source, p));
        // This YAML came over HTTP: the files its params name stay under its folder or the roots.
        for (const auto& p : pipeline::check_param_paths(*a.def, ctx.pool.config().pipelines.roots)) problems.push_back(problem_json(source, p));
        for (const auto& n : a.def->nodes) {
            const auto* type = pipeline::builtin_nodes().find(n.type);
            if (!type) continue;
            pipeline::NodeSignature sig;
            try { sig = type->signature(n.params); } catch (const std::exception&) { sig = type->signature(json::object()); }
            nodes[n.id] = {{"type", n.type}, {"line", n.line}, {"inputs", ports_json(sig.inputs, *a.def, n.id, false)},
                           {"outputs", ports_json(sig.outputs, *a.def, n.id, true)}, {"extra_inputs", sig.accepts_extra_inputs}};
        }
    } catch (const pipeline::PipelineError& e) {
        for (const auto& p : e.problems) problems.push_back(problem_json(source, p));
        if (e.problems.empty()) problems.push_back(problem_json(source, e.what()));
    } catch (const std::exception& e) {
        problems.push_back(problem_json(source, e.what()));
    }
    a.ok = problems.empty() && a.def;
    a.body = {{"ok", a.ok}, {"problems", problems}, {"nodes", nodes}};
    if (a.def) a.body["name"] = a.def->name;
    return a;
}

// Values as the editor shows them: long texts cut, long lists shortened, embeddings summarised.
json preview(const json& v, int depth = 0) {
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        return s.size() > 4000 ? json(s.substr(0, 4000) + "… (" + std::to_string(s.size()) + " characters)") : v;
    }
    if (v.is_array()) {
        if (v.size() > 16 && std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_number(); }))
            return "[" + std::to_string(v.size()) + " numbers]";
        if (depth >= 6) return "[" + std::to_string(v.size()) + " items]";
        json out = json::array();
        for (std::size_t i = 0; i < v.size() && i < 50; ++i) out.push_back(preview(v[i], depth + 1));
        if (v.size() > 50) out.push_back("… " + std::to_string(v.size() - 50) + " more");
        return out;
    }
    if (v.is_object()) {
        if (depth >= 6) return "{" + std::to_string(v.size()) + " keys}";
        json out = json::object();
        for (const auto& [k, e] : v.items()) out[k] = preview(e, depth + 1);
        return out;
    }
    return v;
}

// The node and everything that reads from it, directly or not.
std::set<std::string> downstream(const PipelineDefinition& def, const std::string& from) {
    std::set<std::string> out{from};
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& n : def.nodes)
            for (const auto& [port, wire] : n.inputs)
                if (wire.from == pipeline::Wire::From::node_output && out.count(wire.node) && out.insert(n.id).second) grew = true;
    }
    return out;
}

std::string write_atomically(const fs::path& file, const std::string& text) {
    fs::path tmp = file;
    tmp += ".ui-" + std::to_string(::getpid()) + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return "cannot write next to " + file.filename().string();
        out << text;
        out.flush();
        if (!out) { std::error_code ec; fs::remove(tmp, ec); return "cannot write " + file.filename().string(); }
    }
    std::error_code ec;
    auto perms = fs::status(file, ec).permissions();
    if (!ec) fs::permissions(tmp, perms, ec);
    fs::rename(tmp, file, ec);
    if (ec) { fs::remove(tmp, ec); return "cannot replace " + file.filename().string() + ": " + ec.message(); }
    return "";
}

std::string list_body(json data) { return json{{"object", "list"}, {"data", std::move(data)}}.dump(); }

json pipelines_list(const ServerContext& ctx) {
    json data = json::array();
    const auto& files = ctx.pool.config().pipelines.files;
    for (std::size_t i = 0; i < files.size(); ++i) {
        json entry = {{"id", std::to_string(i)}, {"file", display_path(ctx, files[i])}, {"name", files[i].stem().string()}};
        try {
            auto def = pipeline::load_pipeline_file(files[i]);
            entry["name"] = def.name;
            entry["description"] = def.description;
        } catch (const std::exception&) {
            entry["broken"] = true;
        }
        data.push_back(std::move(entry));
    }
    json models = json::array();
    for (const auto& m : ctx.pool.config().models) {
        const char* kind = m.kind == ModelKind::chat ? "chat" : "embedding";
        models.push_back({{"name", m.name}, {"kind", kind}});
        for (const auto& alias : m.aliases) models.push_back({{"name", alias}, {"kind", std::string(kind) + ", alias of " + m.name}});
    }
    for (const auto& r : ctx.pool.config().routes) models.push_back({{"name", r.name}, {"kind", "route"}});
    return {{"object", "list"}, {"data", data}, {"models", models}};
}

struct RunRequest {
    std::shared_ptr<const PipelineDefinition> def;
    json inputs;
};

// Builds the definition to run; throws ApiError (with the problems) when it cannot run.
RunRequest prepare_run(const ServerContext& ctx, const json& body) {
    if (!body.contains("yaml") || !body["yaml"].is_string()) throw ApiError::bad_request("'yaml' (the pipeline's text) is required", "yaml");
    auto id = body.contains("id") && body["id"].is_string() ? std::optional<std::string>(body["id"].get<std::string>()) : std::nullopt;
    const fs::path* file = configured_file(ctx, id);
    if (id && !file) throw ApiError::make(404, "not_found_error", "pipeline_not_found", "No configured pipeline file " + *id, "id");
    std::string source = file ? display_path(ctx, *file) : "new-pipeline.yaml";
    Analysis a = analyse(ctx, body["yaml"].get<std::string>(), source, file ? file->parent_path() : config_dir(ctx));
    if (!a.ok) {
        std::string msg;
        for (const auto& p : a.body["problems"]) msg += (msg.empty() ? "" : "; ") + p["text"].get<std::string>();
        throw ApiError::bad_request("The pipeline does not pass the checks: " + msg, "yaml");
    }
    if (body.contains("from") && body["from"].is_string() && !body["from"].get<std::string>().empty()) {
        const std::string from = body["from"].get<std::string>();
        if (!a.def->node(from)) throw ApiError::bad_request("No node '" + from + "' to run from", "from");
        // Upstream nodes answer from the content cache; this node and its dependents run again.
        const std::set<std::string> again = downstream(*a.def, from);
        for (auto& n : a.def->nodes)
            if (again.count(n.id)) n.cache = false;
    }
    RunRequest r;
    try {
        r.inputs = pipeline::resolve_inputs(*a.def, body.contains("inputs") ? body["inputs"] : json::object());
    } catch (const pipeline::PipelineError& e) {
        std::string msg;
        for (const auto& p : e.problems) msg += (msg.empty() ? "" : "; ") + p;
        throw ApiError::bad_request(msg.empty() ? e.what() : msg, "inputs");
    }
    r.def = a.def;
    return r;
}

std::string event_text(json ev) {
    if (ev.contains("outputs")) ev["outputs"] = preview(ev["outputs"]);
    return sse_event(ev.dump(-1, ' ', false, json::error_handler_t::replace));
}

asio::awaitable<void> run_stream(ServerContext& ctx, const Request& req, Exchange& ex) {
    RequestRecord rec(ctx, "/ui/api/pipeline/run", req, ex);
    std::optional<ApiError> failure = require_admin(ctx, req);
    RunRequest run;
    if (!failure && !ctx.pipelines)
        failure = ApiError::make(400, "invalid_request_error", "pipelines_disabled", "Running pipelines needs pipelines.files in the config");
    if (!failure) {
        try { run = prepare_run(ctx, parse_body(req.body())); } catch (const ApiError& e) { failure = e; }
    }
    if (failure) { co_await send_error(ex, rec, *failure); co_return; }
    rec.fields["model"] = run.def->name;
    auto queue = std::make_shared<AsyncQueue<json>>(co_await asio::this_coro::executor);
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    ex.on_disconnect([cancel] { cancel->store(true); });
    rec.status = 200;
    bool open = co_await ex.begin_stream();
    ctx.pipelines->start(run.def, std::move(run.inputs), cancel, [queue](json ev) { queue->push(std::move(ev)); }, true);
    for (bool done = false; !done;) {
        auto events = co_await queue->next();
        for (auto& ev : events) {
            done = done || ev.value("event", "") == "result";
            if (done && !ev.value("ok", false)) rec.fields["error"] = ev.value("error", "");
            if (open && !cancel->load()) open = co_await ex.write_stream(event_text(std::move(ev)));
        }
    }
    if (open) {
        std::string last = sse_done();
        co_await ex.end_stream(std::move(last));
    }
}

asio::awaitable<void> save(ServerContext& ctx, const Request& req, Exchange& ex) {
    RequestRecord rec(ctx, "/ui/api/pipeline", req, ex);
    std::optional<ApiError> failure = require_admin(ctx, req);
    const fs::path* file = configured_file(ctx, query_param(req.target(), "id"));
    std::string yaml;
    if (!failure && !file) failure = ApiError::make(404, "not_found_error", "pipeline_not_found", "Only configured pipeline files can be saved (pipelines.files, by id)", "id");
    if (!failure) {
        try {
            json body = parse_body(req.body());
            if (!body.contains("yaml") || !body["yaml"].is_string()) throw ApiError::bad_request("'yaml' (the pipeline's text) is required", "yaml");
            yaml = body["yaml"].get<std::string>();
        } catch (const ApiError& e) { failure = e; }
    }
    if (failure) { co_await send_error(ex, rec, *failure); co_return; }
    std::string answer, error;
    int status = 200;
    auto work = [&] {
        Analysis a = analyse(ctx, yaml, display_path(ctx, *file), file->parent_path());
        if (!a.ok) {
            status = 422;
            json body = ApiError::make(422, "invalid_request_error", "pipeline_invalid", "Not saved: the pipeline does not pass the checks", "yaml").body();
            body["problems"] = a.body["problems"];
            answer = body.dump();
            return status;
        }
        error = write_atomically(*file, yaml);
        if (error.empty()) answer = json{{"object", "pipeline.saved"}, {"file", display_path(ctx, *file)}, {"name", a.def->name}, {"bytes", yaml.size()}}.dump();
        return status;
    };
    co_await ctx.offload(work);
    if (!error.empty()) { co_await send_error(ex, rec, ApiError::make(500, "server_error", "write_failed", error)); co_return; }
    rec.status = status;
    if (status != 200) rec.fields["error"] = "pipeline_invalid";
    co_await respond_json(ex, status, answer);
}

}  // namespace

void register_ui_pipelines(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::get, "/ui/api/nodes", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/ui/api/nodes", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        rec.status = 200;
        co_await respond_json(ex, 200, list_body(pipeline::builtin_nodes().describe()));
    });

    http.route(http::verb::get, "/ui/api/pipelines", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/ui/api/pipelines", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        auto list = [&ctx] { return pipelines_list(ctx).dump(); };
        std::string body = co_await ctx.offload(list);
        rec.status = 200;
        co_await respond_json(ex, 200, body);
    });

    http.route(http::verb::get, "/ui/api/pipeline", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/ui/api/pipeline", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        auto id = query_param(req.target(), "id");
        const fs::path* file = configured_file(ctx, id);
        if (!file) { co_await send_error(ex, rec, ApiError::make(404, "not_found_error", "pipeline_not_found", "No configured pipeline file with that id", "id")); co_return; }
        std::string error;
        auto read = [&] {
            try { return json{{"id", *id}, {"file", display_path(ctx, *file)}, {"yaml", read_text(*file)}}.dump(); }
            catch (const std::exception& e) { error = e.what(); return std::string(); }
        };
        std::string body = co_await ctx.offload(read);
        if (!error.empty()) { co_await send_error(ex, rec, ApiError::make(500, "server_error", "read_failed", error)); co_return; }
        rec.status = 200;
        co_await respond_json(ex, 200, body);
    });

    http.route(http::verb::put, "/ui/api/pipeline", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await save(ctx, req, ex);
    });

    http.route(http::verb::post, "/ui/api/pipeline/check", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/ui/api/pipeline/check", req, ex);
        std::optional<ApiError> failure = check_auth(ctx, req);
        json body;
        if (!failure) {
            try {
                body = parse_body(req.body());
                if (!body.contains("yaml") || !body["yaml"].is_string()) throw ApiError::bad_request("'yaml' (the pipeline's text) is required", "yaml");
            } catch (const ApiError& e) { failure = e; }
        }
        if (failure) { co_await send_error(ex, rec, *failure); co_return; }
        auto id = body.contains("id") && body["id"].is_string() ? std::optional<std::string>(body["id"].get<std::string>()) : std::nullopt;
        const fs::path* file = configured_file(ctx, id);
        auto work = [&] {
            return analyse(ctx, body["yaml"].get<std::string>(), file ? display_path(ctx, *file) : "new-pipeline.yaml",
                           file ? file->parent_path() : config_dir(ctx)).body.dump();
        };
        std::string answer = co_await ctx.offload(work);
        rec.status = 200;
        co_await respond_json(ex, 200, answer);
    });

    http.route(http::verb::post, "/ui/api/pipeline/run", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await run_stream(ctx, req, ex);
    });
}

}  // namespace switchyard::api::ui

namespace switchyard::api {

void register_ui_routes(HttpServer& http, ServerContext& ctx) {
    ui::register_ui_dashboard(http, ctx);
    ui::register_ui_pipelines(http, ctx);
    ui::register_ui_static(http, ctx);
}

}  // namespace switchyard::api
