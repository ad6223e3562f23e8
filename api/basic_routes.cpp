// GET /v1/models, GET /v1/models/{id}, POST /v1/embeddings, GET /health, GET /metrics.
#include "wire/request_parsing.h"
#include "api/server_context.h"
#include "providers/fleet_provider.h"
#include "router/router.h"

namespace switchyard::api {
namespace {

std::string base64_floats(const std::vector<float>& v) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto* p = reinterpret_cast<const unsigned char*>(v.data());  // little-endian float32, as OpenAI encodes
    std::size_t n = v.size() * sizeof(float);
    std::string out;
    out.reserve((n + 2) / 3 * 4);
    for (std::size_t i = 0; i < n; i += 3) {
        unsigned a = p[i], b = i + 1 < n ? p[i + 1] : 0, c = i + 2 < n ? p[i + 2] : 0;
        unsigned triple = (a << 16) | (b << 8) | c;
        out += tbl[(triple >> 18) & 63];
        out += tbl[(triple >> 12) & 63];
        out += i + 1 < n ? tbl[(triple >> 6) & 63] : '=';
        out += i + 2 < n ? tbl[triple & 63] : '=';
    }
    return out;
}

// Absolute paths tell a caller about the machine (user names, folder layout): the file is shown
// relative to models_dir (its name alone when outside it) unless server.expose_paths is set.
std::string shown_path(const ServerContext& ctx, const std::string& file) {
    if (ctx.expose_paths) return file;
    std::filesystem::path p(file);
    auto rel = p.lexically_relative(ctx.pool.config().models_dir);
    if (!rel.empty() && *rel.begin() != "..") return rel.string();
    return p.filename().string();
}

json model_json(const ServerContext& ctx, const ModelStatus& m) {
    return {{"id", m.name}, {"object", "model"}, {"created", 0}, {"owned_by", "switchyard"},
            {"switchyard", {{"kind", m.kind}, {"aliases", m.aliases}, {"loaded", m.loaded}, {"file", shown_path(ctx, m.file)},
                            {"file_bytes", m.file_bytes}, {"memory_bytes", m.memory_bytes}, {"active", m.active},
                            {"queued", m.queued}}}};
}

// Routes are model names too (virtual ones): listed so clients can discover "auto", "smart".
json route_json(const RouteSpec& r) {
    json tiers = json::array();
    for (const auto& t : r.tiers) tiers.push_back({{"name", t.name}, {"provider", t.provider}, {"model", t.model}});
    return {{"id", r.name}, {"object", "model"}, {"created", 0}, {"owned_by", "switchyard"},
            {"switchyard", {{"kind", "route"}, {"tiers", tiers}, {"local_only", r.local_only}}}};
}

// Ready while not draining. A store that is away does not make the replica unready: its
// writes queue and are retried, and the counters here show it.
json health_body(ServerContext& ctx) {
    if (ctx.draining) return json{{"status", "shutting_down"}};
    int loaded = 0;
    for (const auto& m : ctx.pool.status()) loaded += m.loaded;
    json body = {{"status", "ok"}, {"models_loaded", loaded}};
    if (ctx.request_log) {
        auto s = ctx.request_log->stats();
        body["store"] = {{"kind", s.kind}, {"connected", s.connected}, {"queued", s.queued}, {"written", s.written},
                         {"dropped", s.dropped}, {"retries", s.retries}};
    }
    return body;
}

// Per-endpoint counters of the providers that are fleets.
std::string fleet_metrics(ServerContext& ctx) {
    std::vector<const providers::FleetProvider*> fleets;
    if (ctx.router)
        for (const auto& spec : ctx.pool.config().providers)
            if (auto* f = dynamic_cast<const providers::FleetProvider*>(ctx.router->provider(spec.name))) fleets.push_back(f);
    return providers::fleet_metrics(fleets);
}

}  // namespace

void register_basic_routes(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::get, "/health", [&ctx](const Request&, Exchange& ex) -> asio::awaitable<void> {
        std::string body = health_body(ctx).dump();
        co_await respond_json(ex, ctx.draining ? 503 : 200, body);
    });

    http.route(http::verb::get, "/metrics", [&ctx](const Request&, Exchange& ex) -> asio::awaitable<void> {
        std::string text = ctx.metrics.render(ctx.pool) + fleet_metrics(ctx);
        co_await ex.respond(200, "text/plain; version=0.0.4", text);
    });

    http.route(http::verb::get, "/v1/models", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/v1/models", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        json data = json::array();
        for (const auto& m : ctx.pool.status()) data.push_back(model_json(ctx, m));
        // The router's copy of each route: a promoted specialist (POST /v1/admin/specialists) changes its tiers.
        for (const auto& r : ctx.pool.config().routes) {
            const auto* live = ctx.router ? ctx.router->policy(r.name) : nullptr;
            data.push_back(route_json(live ? live->route() : r));
        }
        for (auto& p : pipeline_models(ctx)) data.push_back(std::move(p));
        rec.status = 200;
        json body = {{"object", "list"}, {"data", data}};
        co_await respond_json(ex, 200, body.dump());
    });

    http.route_prefix(http::verb::get, "/v1/models/", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/v1/models/{id}", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        std::string path(req.target());
        std::string id = path.substr(std::string("/v1/models/").size());
        std::string name;   // configured or added at run time (a hot-loaded specialist); aliases resolve
        if (!ctx.pool.has_model(id, &name)) {
            co_await send_error(ex, rec, ApiError::make(404, "not_found_error", "model_not_found", "The model '" + id + "' does not exist", "model"));
            co_return;
        }
        for (const auto& m : ctx.pool.status()) {
            if (m.name != name) continue;
            rec.status = 200;
            co_await respond_json(ex, 200, model_json(ctx, m).dump());
        }
    });

    http.route(http::verb::post, "/v1/embeddings", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/v1/embeddings", req, ex);
        std::optional<ApiError> failure = check_auth(ctx, req);
        json resp;
        if (!failure) {
            try {
                EmbeddingRequest r = parse_embedding_request(parse_body(req.body()));
                rec.fields["model"] = r.model;
                auto embed = [&ctx, &r] {
                    ModelLease lease = ctx.pool.acquire(r.model);
                    int tokens = 0;
                    auto vectors = lease->embed(r.inputs, tokens);
                    return std::make_tuple(lease->spec().name, std::move(vectors), tokens);
                };
                auto result = co_await ctx.offload(embed);
                auto& [name, vectors, tokens] = result;
                json data = json::array();
                for (std::size_t i = 0; i < vectors.size(); ++i) {
                    json e = r.base64 ? json(base64_floats(vectors[i])) : json(vectors[i]);
                    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", std::move(e)}});
                }
                resp = {{"object", "list"}, {"data", data}, {"model", name}, {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
                rec.fields["model"] = name;
                rec.fields["prompt_tokens"] = tokens;
                ctx.metrics.tokens(name, tokens, 0);
            } catch (const ApiError& e) {
                failure = e;
            } catch (const EngineError& e) {
                failure = ApiError::from_engine(e);
            }
        }
        if (failure) { co_await send_error(ex, rec, *failure); co_return; }
        rec.status = 200;
        std::map<std::string, std::string> headers{{"x-request-id", rec.id}};
        co_await respond_json(ex, 200, resp.dump(), headers);
    });
}

}  // namespace switchyard::api
