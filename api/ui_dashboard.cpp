// The dashboard's data, under /ui/api/ (same keys as the API):
//   GET /ui/api/events      SSE: one event per finished API request (the live feed); a comment
//                           line every 15 s keeps proxies from closing the stream
//   GET /ui/api/requests    the latest requests from the SQLite log (the feed's backlog)
//   GET /ui/api/request?id= one logged request with its routing trace
//   GET /ui/api/stats?window=SECONDS  per route and tier: requests, tokens, cost, feedback and
//                           savings against always-large; per model: latency p50/p95, TTFT, tok/s
//   GET /ui/api/status      models loaded, memory against the budget, queues, routes, bumps
//   GET /ui/api/eval[?file=NAME.svg]  eval reports under <config dir>/eval/results
// Tier bumps are listed and reset through the API's own /v1/route/bumps.
#include "api/event_bus.h"
#include "api/pipeline_host.h"
#include "api/ui_support.h"
#include "router/router.h"
#include "store/request_stats.h"

#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>

namespace switchyard::api {

// The endpoints the live feed shows: model calls and ratings, not listings or the UI's own calls.
static bool shown_in_feed(const std::string& endpoint) {
    return endpoint == "/v1/chat/completions" || endpoint == "/v1/completions" || endpoint == "/v1/embeddings" ||
           endpoint == "/v1/pipelines/{name}/run" || endpoint == "/v1/feedback";
}

nlohmann::json feed_event(const RequestRecord& rec, int status, double latency_s) {
    if (!shown_in_feed(rec.route)) return nullptr;
    const nlohmann::json& f = rec.fields;
    nlohmann::json e = {{"ts", std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()},
              {"id", rec.id}, {"key", rec.api_key_fingerprint}, {"endpoint", rec.route}, {"status", status},
              {"latency_ms", latency_s * 1000}, {"ttft_ms", rec.ttft_s >= 0 ? rec.ttft_s * 1000 : -1.0}};
    for (const char* k : {"model", "model_requested", "route_name", "tier", "task_class", "finish_reason", "error"})
        if (f.contains(k) && f[k].is_string()) e[k] = f[k];
    for (const char* k : {"prompt_tokens", "completion_tokens", "escalations", "cost", "trace", "models_tried"})
        if (f.contains(k)) e[k] = f[k];
    return e;
}

namespace ui {
namespace {

namespace fs = std::filesystem;

json entry_json(const RequestLogEntry& e) {
    auto parsed = [](const std::string& s) {
        json j = json::parse(s, nullptr, false);
        return j.is_discarded() ? json::array() : j;
    };
    return {{"id", e.id}, {"ts", e.ts}, {"key", e.api_key}, {"endpoint", e.endpoint}, {"model_requested", e.model_requested},
            {"model", e.model}, {"route_name", e.route}, {"tier", e.tier}, {"task_class", e.task_class}, {"status", e.status},
            {"prompt_tokens", e.prompt_tokens}, {"completion_tokens", e.completion_tokens}, {"latency_ms", e.latency_ms},
            {"ttft_ms", e.ttft_ms}, {"cost", e.cost}, {"escalations", e.escalations}, {"trace", parsed(e.trace)},
            {"models_tried", parsed(e.models_tried)}, {"finish_reason", e.finish_reason}, {"error", e.error}};
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return -1;
    double rank = p * (sorted.size() - 1);
    std::size_t lo = static_cast<std::size_t>(std::floor(rank)), hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

// USD per 1M tokens of a tier (local tiers are free).
std::pair<double, double> tier_price(const Config& config, const TierSpec& tier) {
    if (tier.provider == "local") return {0, 0};
    const auto* p = config.find_provider(tier.provider);
    return p ? std::make_pair(p->price_input, p->price_output) : std::make_pair(0.0, 0.0);
}

json stats_json(const Config& config, const LogStats& s, double window) {
    json routes = json::object();
    json direct = json::array();
    for (const auto& t : s.tiers) {
        json row = {{"tier", t.tier}, {"model", t.model}, {"requests", t.requests}, {"errors", t.errors},
                    {"prompt_tokens", t.prompt_tokens}, {"completion_tokens", t.completion_tokens}, {"cost", t.cost},
                    {"up", t.up}, {"down", t.down}};
        if (t.route.empty()) { direct.push_back(std::move(row)); continue; }
        json& r = routes[t.route];
        if (r.is_null()) {
            r = {{"route", t.route}, {"requests", 0}, {"cost", 0.0}, {"cost_if_large", 0.0}, {"up", 0}, {"down", 0},
                 {"tiers", json::array()}};
            const RouteSpec* spec = config.find_route(t.route);
            if (spec && !spec->tiers.empty()) {
                r["large_tier"] = spec->tiers.back().name;
                json order = json::array();
                for (const auto& tier : spec->tiers) order.push_back(tier.name);
                r["tier_order"] = order;
            }
        }
        // What these requests would have cost on the route's largest tier, at the same token counts.
        if (const RouteSpec* spec = config.find_route(t.route); spec && !spec->tiers.empty()) {
            auto [in, out] = tier_price(config, spec->tiers.back());
            r["cost_if_large"] = r["cost_if_large"].get<double>() + (t.prompt_tokens * in + t.completion_tokens * out) / 1e6;
        }
        r["requests"] = r["requests"].get<long long>() + t.requests;
        r["cost"] = r["cost"].get<double>() + t.cost;
        r["up"] = r["up"].get<long long>() + t.up;
        r["down"] = r["down"].get<long long>() + t.down;
        r["tiers"].push_back(std::move(row));
    }
    json route_list = json::array();
    for (auto& [name, r] : routes.items()) {
        r["savings"] = r["cost_if_large"].get<double>() - r["cost"].get<double>();
        route_list.push_back(r);
    }
    json models = json::array();
    for (const auto& m : s.models)
        models.push_back({{"model", m.model}, {"requests", m.requests},
                          {"latency_p50_ms", percentile(m.latency_ms, 0.5)}, {"latency_p95_ms", percentile(m.latency_ms, 0.95)},
                          {"ttft_p50_ms", percentile(m.ttft_ms, 0.5)}, {"ttft_p95_ms", percentile(m.ttft_ms, 0.95)},
                          {"tokens_per_s", m.generation_s > 0 ? m.completion_tokens / m.generation_s : -1.0}});
    return {{"window_s", window}, {"since", s.since}, {"requests", s.requests}, {"errors", s.errors}, {"cost", s.cost},
            {"routes", route_list}, {"direct", direct}, {"models", models}};
}

json status_json(ServerContext& ctx) {
    const Config& config = ctx.pool.config();
    json models = json::array();
    for (const auto& m : ctx.pool.status())
        models.push_back({{"name", m.name}, {"kind", m.kind}, {"loaded", m.loaded}, {"memory_bytes", m.memory_bytes},
                          {"file_bytes", m.file_bytes}, {"active", m.active}, {"queued", m.queued}});
    json routes = json::array();
    for (const auto& r : config.routes) {
        json tiers = json::array();
        for (const auto& t : r.tiers) tiers.push_back({{"name", t.name}, {"provider", t.provider}, {"model", t.model}});
        routes.push_back({{"name", r.name}, {"tiers", tiers}});
    }
    json pipelines = json::array();
    if (ctx.pipelines)
        for (const auto& [name, def] : ctx.pipelines->all()) pipelines.push_back(name);
    return {{"models", models}, {"memory_in_use", ctx.pool.memory_in_use()}, {"memory_budget", config.memory_budget_bytes},
            {"routes", routes}, {"pipelines", pipelines}, {"request_log", ctx.request_log != nullptr},
            {"live_subscribers", ctx.events ? ctx.events->subscribers() : 0}};
}

// Eval reports: the SVG curves by name, and report.json's summary (its notes are left out:
// they name local paths).
json eval_json(const ServerContext& ctx) {
    fs::path dir = config_dir(ctx) / "eval" / "results";
    json out = {{"svgs", json::array()}, {"report", nullptr}};
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".svg") out["svgs"].push_back(entry.path().filename().string());
    std::ifstream in(dir / "report.json");
    if (in) {
        json report = json::parse(in, nullptr, false);
        if (report.is_object()) {
            report.erase("notes");
            report.erase("per_class");
            out["report"] = report;
        }
    }
    return out;
}

// One SVG from the eval folder, by plain file name only.
std::optional<std::string> eval_svg(const ServerContext& ctx, const std::string& name) {
    if (name.empty() || name.find_first_of("/\\") != std::string::npos || name.front() == '.' ||
        fs::path(name).extension() != ".svg")
        return std::nullopt;
    std::ifstream in(config_dir(ctx) / "eval" / "results" / name, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string list_of(json data) { return json{{"object", "list"}, {"data", std::move(data)}}.dump(); }
std::string sse_comment(const std::string& text) { return ": " + text + "\n\n"; }
std::string dropped_event(std::size_t n) { return "data: " + json{{"dropped", n}}.dump() + "\n\n"; }
std::string data_event(const json& e) { return "data: " + e.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n"; }

asio::awaitable<void> events_stream(ServerContext& ctx, const Request& req, Exchange& ex) {
    RequestRecord rec(ctx, "/ui/api/events", req, ex);
    if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
    if (!ctx.events) { co_await send_error(ex, rec, ApiError::make(503, "server_error", "no_event_bus", "Live events are off")); co_return; }
    auto sub = ctx.events->subscribe(co_await asio::this_coro::executor);
    ex.on_disconnect([sub] { sub->close(); });
    rec.status = 200;
    bool open = co_await ex.begin_stream();
    if (open) open = co_await ex.write_stream(sse_comment("switchyard live requests"));
    while (open && !ctx.draining && !sub->closed()) {
        auto events = co_await sub->next(std::chrono::seconds(15));
        if (std::size_t dropped = sub->take_dropped(); dropped && open) open = co_await ex.write_stream(dropped_event(dropped));
        std::string batch;
        for (const auto& e : events) batch += data_event(e);
        if (batch.empty()) batch = sse_comment("ping");
        if (open) open = co_await ex.write_stream(std::move(batch));
    }
    if (open) co_await ex.end_stream();
}

}  // namespace

void register_ui_dashboard(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::get, "/ui/api/events", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await events_stream(ctx, req, ex);
    });

    http.route(http::verb::get, "/ui/api/requests", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/ui/api/requests", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        int limit = 50;
        if (auto l = query_param(req.target(), "limit")) limit = std::clamp(std::atoi(l->c_str()), 1, 500);
        auto read = [&ctx, limit] {
            json data = json::array();
            if (!ctx.request_log) return list_of(data);
            LogFilter filter;
            filter.limit = limit * 2;
            for (const auto& e : ctx.request_log->query(filter)) {
                if (!shown_in_feed(e.endpoint)) continue;
                if (static_cast<int>(data.size()) < limit) data.push_back(entry_json(e));
            }
            return list_of(data);
        };
        std::string body = co_await ctx.offload(read);
        rec.status = 200;
        co_await respond_json(ex, 200, body);
    });

    http.route(http::verb::get, "/ui/api/request", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/ui/api/request", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        std::string id = query_param(req.target(), "id").value_or("");
        auto read = [&ctx, &id]() -> std::string {
            if (!ctx.request_log || id.empty()) return "";
            ctx.request_log->flush();   // a request that just ended may still be queued
            auto e = ctx.request_log->find(id);
            return e ? entry_json(*e).dump() : "";
        };
        std::string body = co_await ctx.offload(read);
        if (body.empty()) {
            co_await send_error(ex, rec, ApiError::make(404, "not_found_error", "request_not_found", "No logged request '" + id + "'", "id"));
            co_return;
        }
        rec.status = 200;
        co_await respond_json(ex, 200, body);
    });

    http.route(http::verb::get, "/ui/api/stats", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/ui/api/stats", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        double window = 3600;
        if (auto w = query_param(req.target(), "window")) window = std::atof(w->c_str());
        if (!(window > 0)) window = 3600;
        std::string error;
        auto read = [&ctx, window, &error]() -> std::string {
            if (!ctx.request_log) { error = "The dashboard's statistics need the request log: set log.path (or store) in the config"; return ""; }
            try {
                double now = static_cast<double>(std::time(nullptr));
                return stats_json(ctx.pool.config(), ctx.request_log->log_stats(now - window), window).dump();
            } catch (const std::exception& e) {
                error = e.what();
                return "";
            }
        };
        std::string body = co_await ctx.offload(read);
        if (!error.empty()) { co_await send_error(ex, rec, ApiError::make(503, "server_error", "stats_unavailable", error)); co_return; }
        rec.status = 200;
        co_await respond_json(ex, 200, body);
    });

    http.route(http::verb::get, "/ui/api/status", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/ui/api/status", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        std::string body = status_json(ctx).dump();
        rec.status = 200;
        co_await respond_json(ex, 200, body);
    });

    http.route(http::verb::get, "/ui/api/eval", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/ui/api/eval", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        auto file = query_param(req.target(), "file");
        if (!file) {
            auto read = [&ctx] { return eval_json(ctx).dump(); };
            std::string body = co_await ctx.offload(read);
            rec.status = 200;
            co_await respond_json(ex, 200, body);
            co_return;
        }
        auto read = [&ctx, &file] { return eval_svg(ctx, *file); };
        auto svg = co_await ctx.offload(read);
        if (!svg) { co_await send_error(ex, rec, ApiError::make(404, "not_found_error", "report_not_found", "No eval report '" + *file + "'", "file")); co_return; }
        rec.status = 200;
        std::map<std::string, std::string> headers{{"X-Content-Type-Options", "nosniff"},
                                                   {"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"}};
        co_await ex.respond(200, "image/svg+xml", std::move(*svg), headers);
    });
}

}  // namespace ui
}  // namespace switchyard::api
