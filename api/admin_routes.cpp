// POST /v1/admin/specialists: hot-loads a promoted specialist (a model distilled for one task
// class, `switchyard distil promote --url`) into the running server: the model joins the pool,
// the route gets its tier and rule (config/specialists.h), and the overlay file named by the
// config's `specialists:` key records it, so a restart keeps it. GET lists what was promoted.
// Only with `specialists:` configured; POST needs the admin role when keys are set (it loads a
// model and rewrites the overlay); files only from models_dir or the overlay's folder, symlinks
// resolved; responses name files, never absolute paths.
#include "wire/request_parsing.h"
#include "api/server_context.h"
#include "config/specialists.h"
#include "router/router.h"

#include <algorithm>
#include <filesystem>
#include <mutex>

namespace switchyard::api {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

std::mutex overlay_mu;  // one promotion at a time: read-modify-write of the overlay file

ApiError disabled() {
    return ApiError::make(404, "not_found_error", "specialists_disabled",
                          "Hot-loading specialists is off: set `specialists: FILE` in the config");
}

std::string text_field(const json& body, const char* name, bool required) {
    if (!body.contains(name) || body[name].is_null()) {
        if (required) throw ApiError::bad_request(std::string("'") + name + "' (a string) is required", name);
        return "";
    }
    if (!body[name].is_string() || body[name].get<std::string>().empty())
        throw ApiError::bad_request(std::string("'") + name + "' must be a non-empty string", name);
    return body[name].get<std::string>();
}

json specialist_json(const Specialist& s, const RouteSpec& route) {
    json tiers = json::array();
    for (const auto& t : route.tiers) tiers.push_back({{"name", t.name}, {"model", t.model}});
    return {{"object", "specialist"}, {"route", s.route}, {"class", s.task_class}, {"model", s.model},
            {"file", s.file.filename().string()}, {"tier", s.tier.empty() ? "distil-" + s.task_class : s.tier}, {"tiers", tiers}};
}

// Blocking (files, the pool's lock): runs on the blocking pool. Returns the response body.
std::string promote(ServerContext& ctx, const json& body) {
    const Config& cfg = ctx.pool.config();
    if (cfg.specialists_path.empty()) throw disabled();
    Specialist s;
    s.route = text_field(body, "route", true);
    s.task_class = text_field(body, "class", true);
    s.model = text_field(body, "model", true);
    s.file = text_field(body, "file", true);
    s.tier = text_field(body, "tier", false);
    s.manifest = text_field(body, "manifest", false);
    const ModelSpec spec = specialist_model(s, cfg);
    if (!inside_roots(cfg, spec.file))
        throw ApiError::bad_request("'file' " + s.file.string() + " is outside the model folders: it must resolve (symlinks "
                                    "included) to a file under models_dir or the folder of the specialists file", "file");
    if (!fs::is_regular_file(spec.file)) throw ApiError::bad_request("no model file " + spec.file.filename().string(), "file");
    if (!ctx.router) throw ApiError::make(404, "not_found_error", "route_not_found", "No route named '" + s.route + "'", "route");
    std::lock_guard lock(overlay_mu);
    const auto* policy = ctx.router->policy(s.route);
    if (!policy) throw ApiError::make(404, "not_found_error", "route_not_found", "No route named '" + s.route + "'", "route");
    RouteSpec route;
    try {
        route = route_with_specialist(policy->route(), s);
    } catch (const ConfigError& e) {
        throw ApiError::bad_request(e.what(), "class");
    }
    std::vector<Specialist> list;
    try { list = read_specialists(cfg.specialists_path); } catch (const ConfigError& e) {
        throw ApiError::make(500, "server_error", "specialists_unreadable", "The specialists file is invalid: " + std::string(e.what()));
    }
    const bool known = std::any_of(list.begin(), list.end(), [&](const Specialist& o) {
        return o.model == s.model && specialist_model(o, cfg).file == spec.file;
    });
    if (ctx.pool.has_model(s.model) && !known)
        throw ApiError::make(409, "invalid_request_error", "model_exists", "A model named '" + s.model + "' already exists", "model");
    if (!ctx.pool.has_model(s.model)) ctx.pool.add_model(spec);
    ctx.router->install_route(route, cfg);
    std::erase_if(list, [&](const Specialist& o) { return o.route == s.route && o.task_class == s.task_class; });
    list.push_back(s);
    write_specialists(cfg.specialists_path, list);
    json line = specialist_json(s, route);
    line["event"] = "specialist_promoted";
    ctx.log.write(line);
    return specialist_json(s, route).dump();
}

std::string listing(ServerContext& ctx) {
    const Config& cfg = ctx.pool.config();
    if (cfg.specialists_path.empty()) throw disabled();
    json data = json::array();
    for (const auto& s : read_specialists(cfg.specialists_path)) {
        const auto* policy = ctx.router ? ctx.router->policy(s.route) : nullptr;
        data.push_back(specialist_json(s, policy ? policy->route() : RouteSpec{}));
    }
    return json{{"object", "list"}, {"data", data}}.dump();
}

}  // namespace

void register_admin_routes(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::post, "/v1/admin/specialists", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/v1/admin/specialists", req, ex);
        std::optional<ApiError> failure = check_auth(ctx, req);
        if (!failure) failure = check_admin(ctx, req);
        std::string answer;
        if (!failure) {
            auto job = [&ctx, &req]() -> std::pair<std::string, std::optional<ApiError>> {
                try { return {promote(ctx, parse_body(req.body())), std::nullopt}; }
                catch (const ApiError& e) { return {"", e}; }
                catch (const std::exception& e) {
                    return {"", ApiError::make(500, "server_error", "promotion_failed", std::string("Promotion failed: ") + e.what())};
                }
            };
            auto result = co_await ctx.offload(job);
            answer = std::move(result.first);
            failure = std::move(result.second);
        }
        if (failure) { co_await send_error(ex, rec, *failure); co_return; }
        rec.status = 200;
        co_await respond_json(ex, 200, answer);
    });

    http.route(http::verb::get, "/v1/admin/specialists", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/v1/admin/specialists", req, ex);
        std::optional<ApiError> failure = check_auth(ctx, req);
        std::string answer;
        if (!failure) {
            auto job = [&ctx]() -> std::pair<std::string, std::optional<ApiError>> {
                try { return {listing(ctx), std::nullopt}; }
                catch (const ApiError& e) { return {"", e}; }
                catch (const std::exception& e) { return {"", ApiError::make(500, "server_error", "specialists_unreadable", e.what())}; }
            };
            auto result = co_await ctx.offload(job);
            answer = std::move(result.first);
            failure = std::move(result.second);
        }
        if (failure) { co_await send_error(ex, rec, *failure); co_return; }
        rec.status = 200;
        co_await respond_json(ex, 200, answer);
    });
}

}  // namespace switchyard::api
