// /v1/chat/completions for route names (model: "auto", ...) and POST /v1/route/explain.
// Streams live from the tier that answers, or, when a cascade must check an answer first,
// replays the accepted answer as chunks (documented in README "Routing").
#include "api/chat_path.h"
#include "api/openai_format.h"
#include "api/request_parsing.h"
#include "api/server_context.h"
#include "api/sse.h"
#include "router/router.h"

#include <cstdio>
#include <ctime>

namespace switchyard::api {
namespace {

// Upstream finish and usage chunks are dropped: Switchyard sends its own at the end, once.
bool forwardable(json& chunk) {
    if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) return false;
    auto& choice = chunk["choices"][0];
    bool has_delta = choice.contains("delta") && choice["delta"].is_object() &&
                     (choice["delta"].contains("content") || choice["delta"].contains("tool_calls"));
    choice["finish_reason"] = nullptr;
    chunk.erase("usage");
    return has_delta;
}

}  // namespace

asio::awaitable<void> handle_routed(ServerContext& ctx, const Request& req, Exchange& ex, const json& body) {
    RequestRecord rec(ctx, "/v1/chat/completions", req);
    if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
    const std::string route_name = body["model"].get<std::string>();
    rec.fields["model_requested"] = route_name;
    rec.fields["route_name"] = route_name;
    if (ctx.log_content && body.contains("messages")) rec.prompt = body["messages"].dump();
    const bool stream = body.value("stream", false);
    const bool include_usage = stream && body.contains("stream_options") && body["stream_options"].is_object() &&
                               body["stream_options"].value("include_usage", false);
    const long long created = static_cast<long long>(std::time(nullptr));
    router::RequestContext rc = request_context(req, rec.key);
    router::RouteProgress progress;
    bool started = false, open = true;
    auto headers = [&](const router::RouteProgress& p) {
        std::map<std::string, std::string> h{{"x-request-id", rec.id}, {"x-switchyard-request-id", rec.id}, {"x-switchyard-route", route_name}};
        if (p.tier) { h["x-switchyard-model"] = p.tier->model; h["x-switchyard-tier"] = p.tier->name; }
        if (!p.cache.empty()) h["x-switchyard-cache"] = p.cache;
        return h;
    };
    auto chunk_base = [&](const std::string& model) {
        return json{{"id", rec.id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model}, {"system_fingerprint", "switchyard"}};
    };
    providers::ChunkSink sink = [&](json& chunk) -> asio::awaitable<bool> {
        if (!open) co_return false;
        if (!forwardable(chunk)) co_return true;
        if (rec.ttft_s < 0) rec.ttft_s = rec.elapsed();
        if (!started) {
            started = true;
            rec.status = 200;
            auto h = headers(progress);
            open = co_await ex.begin_stream(h);
            json first = chunk_base(progress.tier ? progress.tier->model : route_name);
            first["choices"] = json::array({{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr}, {"finish_reason", nullptr}}});
            if (open) open = co_await ex.write_stream(sse_event(first.dump()));
        }
        chunk["id"] = rec.id;
        if (progress.tier) chunk["model"] = progress.tier->model;
        if (open) open = co_await ex.write_stream(sse_event(chunk.dump()));
        co_return open;
    };
    ex.on_disconnect([&open] { open = false; });
    router::RouteOutcome out = co_await run_chat_path(ctx, rec, body, rc, stream ? &sink : nullptr, progress);
    record_outcome(ctx, rec, out, route_name);

    json usage = {{"prompt_tokens", out.result.prompt_tokens}, {"completion_tokens", out.result.completion_tokens},
                  {"total_tokens", out.result.prompt_tokens + out.result.completion_tokens}};
    json info = {{"route", route_name}, {"tier", out.tier}, {"model", out.model}, {"task_class", out.task_class}, {"escalations", out.escalations},
                 {"cost", out.cost}, {"models_tried", out.models_tried}};
    if (!out.cache.empty()) info["cache"] = out.cache;
    if (!out.session.empty()) info["session"] = {{"key", out.session}, {"tier_before", out.session_tier}};
    if (!out.ok) {
        ApiError err = ApiError::make(out.status, out.status >= 500 ? "server_error" : "invalid_request_error", out.error_code, out.error);
        if (!started) { co_await send_error(ex, rec, err); co_return; }
        rec.status = out.status;
        rec.fields["error"] = out.error;
        if (open) {
            co_await ex.write_stream(sse_event(err.body().dump()));
            co_await ex.write_stream(sse_done());
            co_await ex.end_stream();
        }
        co_return;
    }
    auto h = outcome_headers(rec, out, route_name);
    if (!stream) {
        json resp = out.result.response.is_object() && out.result.response.contains("choices") ? out.result.response : json::object();
        if (resp.empty()) {
            json msg = {{"role", "assistant"}, {"content", out.result.content}};
            if (!out.result.tool_calls.empty()) msg["tool_calls"] = out.result.tool_calls;
            resp = {{"object", "chat.completion"}, {"created", created},
                    {"choices", json::array({{{"index", 0}, {"message", msg}, {"logprobs", nullptr}, {"finish_reason", out.result.finish_reason}}})}};
        }
        resp["id"] = rec.id;
        resp["model"] = out.model;
        resp["usage"] = usage;
        resp["switchyard"] = info;
        rec.status = 200;
        co_await respond_json(ex, 200, resp.dump(), h);
        co_return;
    }
    if (!started) {
        // The answer was buffered (cascade check or PII restore): replay it as a stream.
        started = true;
        rec.status = 200;
        open = co_await ex.begin_stream(h);
        json c = chunk_base(out.model);
        c["choices"] = json::array({{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", out.result.content}}}, {"logprobs", nullptr}, {"finish_reason", nullptr}}});
        if (!out.result.tool_calls.empty()) {
            json calls = out.result.tool_calls;
            for (std::size_t i = 0; i < calls.size(); ++i) calls[i]["index"] = i;
            c["choices"][0]["delta"]["tool_calls"] = calls;
        }
        if (open) open = co_await ex.write_stream(sse_event(c.dump()));
    }
    if (!open) { rec.status = 499; co_return; }
    json fin = chunk_base(out.model);
    fin["choices"] = json::array({{{"index", 0}, {"delta", json::object()}, {"logprobs", nullptr}, {"finish_reason", out.result.finish_reason.empty() ? "stop" : out.result.finish_reason}}});
    co_await ex.write_stream(sse_event(fin.dump()));
    if (include_usage) {
        json u = chunk_base(out.model);
        u["choices"] = json::array();
        u["usage"] = usage;
        u["switchyard"] = info;
        co_await ex.write_stream(sse_event(u.dump()));
    }
    co_await ex.write_stream(sse_done());
    co_await ex.end_stream();
}

void register_route_routes(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::post, "/v1/route/explain", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/v1/route/explain", req);
        std::optional<ApiError> failure = check_auth(ctx, req);
        json result;
        if (!failure) {
            try {
                json body = parse_body(req.body());
                std::string model = require_model(body);
                if (!ctx.router || !ctx.router->has_route(model)) {
                    const ModelSpec* spec = ctx.pool.config().find_model(model);
                    if (!spec) throw ApiError::make(404, "not_found_error", "model_not_found", "'" + model + "' is neither a route nor a model", "model");
                    result = {{"route", nullptr}, {"model", spec->name}, {"trace", json::array({{{"step", "direct"}, {"why", "a model name, not a route"}}})}};
                } else {
                    // A route with a classifier embeds the prompt: blocking work, off the I/O thread.
                    router::RequestContext rc = request_context(req, rec.key);
                    auto explain = [&ctx, &body, &rc] { return ctx.router->explain(body, rc); };
                    result = co_await ctx.offload(explain);
                }
            } catch (const ApiError& e) {
                failure = e;
            }
        }
        if (failure) { co_await send_error(ex, rec, *failure); co_return; }
        rec.status = 200;
        co_await respond_json(ex, 200, result.dump());
    });
}

}  // namespace switchyard::api
