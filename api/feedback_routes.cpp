// POST /v1/feedback, and the tier bumps feedback causes: GET /v1/route/bumps lists them,
// DELETE /v1/route/bumps[?route=R&class=C] undoes them (all, one route's, or one class's).
#include "wire/request_parsing.h"
#include "api/server_context.h"
#include "router/router.h"

#include <chrono>
#include <ctime>

namespace switchyard::api {
namespace {

using json = nlohmann::json;

// Sub-second: ratings and resets of the same second must keep their order (shared windows).
double now_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json bump_json(const router::TierBump& b) {
    return {{"route", b.route}, {"class", b.task_class}, {"from_tier", b.from_tier}, {"tier", b.to_tier},
            {"down_rate", b.down_rate}, {"ratings", b.ratings}, {"since", b.ts}};
}

// One query parameter, percent-decoded ("" when absent).
std::string query_param(std::string_view target, const std::string& name) {
    auto q = target.find('?');
    if (q == std::string_view::npos) return "";
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        auto eq = pair.find('=');
        if (pair.substr(0, eq) == name && eq != std::string_view::npos) {
            std::string out;
            std::string_view v = pair.substr(eq + 1);
            for (std::size_t i = 0; i < v.size(); ++i) {
                if (v[i] == '+') out += ' ';
                else if (v[i] == '%' && i + 2 < v.size()) { out += static_cast<char>(std::stoi(std::string(v.substr(i + 1, 2)), nullptr, 16)); i += 2; }
                else out += v[i];
            }
            return out;
        }
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return "";
}

Feedback parse_feedback(const ServerContext& ctx, const Request& req) {
    json body = parse_body(req.body());
    if (!ctx.request_log) throw ApiError::make(400, "invalid_request_error", "feedback_disabled", "Feedback needs the request log: set log.path in the config");
    if (!body.contains("request_id") || !body["request_id"].is_string())
        throw ApiError::bad_request("'request_id' (a string from the x-request-id header) is required", "request_id");
    if (!body.contains("rating") || (body["rating"] != "up" && body["rating"] != "down"))
        throw ApiError::bad_request("'rating' must be 'up' or 'down'", "rating");
    if (body.contains("correction") && !body["correction"].is_null() && !body["correction"].is_string())
        throw ApiError::bad_request("'correction' must be a string", "correction");
    Feedback fb;
    fb.request_id = body["request_id"].get<std::string>();
    fb.rating = body["rating"].get<std::string>();
    if (body.contains("correction") && body["correction"].is_string()) fb.correction = body["correction"].get<std::string>();
    fb.ts = now_seconds();
    return fb;
}

// Stores the rating; when it is about a routed answer, counts it towards that route's bumps.
// Blocking (SQLite): runs on the blocking pool. Returns an error message for unknown ids.
std::string store_feedback(ServerContext& ctx, const Feedback& fb, std::optional<router::TierBump>& bump) {
    try { ctx.request_log->add_feedback(fb); } catch (const std::invalid_argument& e) { return e.what(); }
    if (!ctx.router) return "";
    auto entry = ctx.request_log->find(fb.request_id);
    if (!entry || entry->route.empty() || entry->tier.empty()) return "";
    const auto* policy = ctx.router->policy(entry->route);
    if (!policy) return "";
    std::optional<std::vector<bool>> shared_window;  // every replica's ratings, this one included
    if (ctx.request_log->shared())
        shared_window = ctx.request_log->recent_ratings(entry->route, entry->task_class, entry->tier, policy->route().feedback.window);
    bump = ctx.router->bumps().rate(policy->route(), entry->task_class, entry->tier, fb.rating == "down", fb.ts,
                                    shared_window ? &*shared_window : nullptr);
    if (bump) {
        ctx.request_log->record_bump({bump->route, bump->task_class, bump->from_tier, bump->to_tier, bump->down_rate, bump->ratings, bump->ts, 0});
        json line = bump_json(*bump);
        line["event"] = "tier_bump";
        ctx.log.write(line);
    }
    return "";
}

// Response bodies are built outside the coroutines: GCC 12 miscompiles braced json literals in them.
std::string feedback_answer(const Feedback& fb, const std::optional<router::TierBump>& bump) {
    json body = {{"object", "feedback"}, {"request_id", fb.request_id}, {"rating", fb.rating}};
    if (bump) body["tier_bump"] = bump_json(*bump);
    return body.dump();
}

std::string bumps_list(ServerContext& ctx) {
    json data = json::array();
    if (ctx.router)
        for (const auto& b : ctx.router->bumps().list()) data.push_back(bump_json(b));
    return json{{"object", "list"}, {"data", data}}.dump();
}

std::string reset_done(ServerContext& ctx, const std::string& route, const std::string& cls, int removed) {
    ctx.log.write({{"event", "tier_bump_reset"}, {"route", route}, {"class", cls}, {"removed", removed}});
    return json{{"object", "tier_bump_reset"}, {"removed", removed}}.dump();
}

}  // namespace

void register_feedback_routes(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::post, "/v1/feedback", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/v1/feedback", req, ex);
        std::optional<ApiError> failure = check_auth(ctx, req);
        Feedback fb;
        if (!failure) {
            try { fb = parse_feedback(ctx, req); } catch (const ApiError& e) { failure = e; }
        }
        std::optional<router::TierBump> bump;
        if (!failure) {
            auto store = [&ctx, &fb, &bump] { return store_feedback(ctx, fb, bump); };
            std::string missing = co_await ctx.offload(store);
            if (!missing.empty()) failure = ApiError::make(404, "not_found_error", "request_not_found", "Feedback for an " + missing, "request_id");
        }
        if (failure) { co_await send_error(ex, rec, *failure); co_return; }
        rec.status = 200;
        co_await respond_json(ex, 200, feedback_answer(fb, bump));
    });

    http.route(http::verb::get, "/v1/route/bumps", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/v1/route/bumps", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        rec.status = 200;
        co_await respond_json(ex, 200, bumps_list(ctx));
    });

    http.route(http::verb::delete_, "/v1/route/bumps", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/v1/route/bumps", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        if (auto err = check_admin(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        std::string route = query_param(req.target(), "route"), cls = query_param(req.target(), "class");
        if (!route.empty() && (!ctx.router || !ctx.router->policy(route))) {
            co_await send_error(ex, rec, ApiError::make(404, "not_found_error", "route_not_found", "No route named '" + route + "'", "route"));
            co_return;
        }
        auto reset = [&ctx, &route, &cls] {
            // The store first: a shared store's sync must not bring back what is reset here.
            if (ctx.request_log) ctx.request_log->reset_bumps(route, cls, now_seconds());
            return ctx.router ? ctx.router->bumps().reset(route, cls) : 0;
        };
        int removed = co_await ctx.offload(reset);
        rec.status = 200;
        co_await respond_json(ex, 200, reset_done(ctx, route, cls, removed));
    });
}

}  // namespace switchyard::api
