// The one path of POST /v1/chat/completions and POST /v1/completions, for route names
// (model: "auto", ...) and model names alike (a model name is a route with one tier), and
// POST /v1/route/explain. Streams live from the tier that answers, or, when a cascade must check
// an answer first, replays the accepted answer as chunks (documented in README "Routing").
// The chunks themselves come from the provider (providers/local_provider.cpp for local models);
// this file adds the role chunk when an upstream omits it, the final and usage chunks, headers,
// the access-log fields, and cancellation when the client goes away.
#include "api/chat_path.h"
#include "wire/openai_format.h"
#include "wire/request_parsing.h"
#include "api/server_context.h"
#include "wire/sse.h"
#include "router/router.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace switchyard::api {
namespace {

// Upstream finish and usage chunks are dropped: Switchyard sends its own at the end, once.
// Kept: the role chunk, content and tool-call deltas, logprobs-only chunks, and (text) any text.
bool forwardable(json& chunk, bool text) {
    if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) return false;
    auto& choice = chunk["choices"][0];
    bool keep;
    if (text) {
        keep = choice.contains("text") && choice["text"].is_string();
    } else {
        const bool has_delta = choice.contains("delta") && choice["delta"].is_object() &&
                               (choice["delta"].contains("content") || choice["delta"].contains("tool_calls") ||
                                choice["delta"].contains("role"));
        keep = has_delta || (choice.contains("logprobs") && choice["logprobs"].is_object());
    }
    choice["finish_reason"] = nullptr;
    chunk.erase("usage");
    return keep;
}

bool has_role(const json& chunk) {
    const json& choice = chunk["choices"][0];
    return choice.contains("delta") && choice["delta"].is_object() && choice["delta"].contains("role");
}

const ApiError kShutdownError = ApiError::make(503, "server_error", "shutting_down", "The server is shutting down; generation was cut short", "", 2);

}  // namespace

asio::awaitable<void> handle_routed(ServerContext& ctx, const Request& req, Exchange& ex, const json& body) {
    co_await handle_completion(ctx, req, ex, &body, providers::Endpoint::chat);
}

asio::awaitable<void> handle_completion(ServerContext& ctx, const Request& req, Exchange& ex, const json* parsed,
                                        providers::Endpoint endpoint) {
    const bool text = endpoint == providers::Endpoint::text;
    RequestRecord rec(ctx, text ? "/v1/completions" : "/v1/chat/completions", req, ex);
    json owned;
    std::optional<ApiError> failure = check_auth(ctx, req);
    if (!failure) {
        try {
            if (ctx.draining) throw ApiError::make(503, "server_error", "shutting_down", "The server is shutting down", "", 2);
            if (!parsed) owned = parse_body(req.body());   // the precise parse error, with its position
            require_model(parsed ? *parsed : owned);
        } catch (const ApiError& e) {
            failure = e;
        }
    }
    if (failure) { co_await send_error(ex, rec, *failure); co_return; }
    const json& body = parsed ? *parsed : owned;
    const std::string route_name = body["model"].get<std::string>();
    rec.fields["model_requested"] = route_name;
    if (ctx.log_content) rec.prompt = body.contains("messages") ? body["messages"].dump() : body.value("prompt", std::string());
    const bool stream = body.contains("stream") && body["stream"].is_boolean() && body["stream"].get<bool>();
    const bool include_usage = stream && body.contains("stream_options") && body["stream_options"].is_object() &&
                               body["stream_options"].value("include_usage", false);
    const long long created = static_cast<long long>(std::time(nullptr));
    const std::string object = text ? "text_completion" : "chat.completion.chunk";
    router::RequestContext rc = request_context(req, rec.key);
    rc.endpoint = endpoint;
    rc.raw_body = req.body();   // `parsed` is this text parsed (a remote tier is sent it with "model" replaced)
    rc.cancel = std::make_shared<providers::Cancellation>();
    router::RouteProgress progress;
    bool started = false, open = true;
    const bool direct = !ctx.router->has_route(route_name);
    if (!direct) rec.fields["route_name"] = route_name;
    // A model name answers with its own headers only; a route adds which tier answered and why.
    auto headers = [&](const router::RouteProgress& p) {
        std::map<std::string, std::string> h{{"x-request-id", rec.id}};
        if (!direct) { h["x-switchyard-request-id"] = rec.id; h["x-switchyard-route"] = route_name; }
        if (p.tier) { h["x-switchyard-model"] = p.tier->model; if (!direct) h["x-switchyard-tier"] = p.tier->name; }
        if (!p.cache.empty()) h["x-switchyard-cache"] = p.cache;
        return h;
    };
    auto chunk_base = [&](const std::string& model) {
        return json{{"id", rec.id}, {"object", object}, {"created", created}, {"model", model}, {"system_fingerprint", "switchyard"}};
    };
    auto served_model = [&] { return progress.tier ? progress.tier->model : route_name; };
    providers::ChunkSink sink = [&](json& chunk) -> asio::awaitable<bool> {
        if (!open) co_return false;
        if (!forwardable(chunk, text)) co_return true;
        if (!started) {
            started = true;
            rec.status = 200;
            auto h = headers(progress);
            open = co_await ex.begin_stream(h);
            if (!text && !has_role(chunk)) {   // an upstream that starts without the role chunk
                json first = chunk_base(served_model());
                first["choices"] = json::array({{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr}, {"finish_reason", nullptr}}});
                if (open) open = co_await ex.write_stream(sse_event(first.dump()));
            }
        }
        if (rec.ttft_s < 0 && (text || !has_role(chunk))) {
            rec.ttft_s = rec.elapsed();
            ctx.metrics.first_token(served_model(), rec.ttft_s);
        }
        chunk["id"] = rec.id;
        if (progress.tier) chunk["model"] = progress.tier->model;
        if (open) open = co_await ex.write_stream(sse_event(chunk.dump()));
        co_return open;
    };
    // A client that goes away stops the generation: at once (not at the next token), streamed or not.
    cancel_on_disconnect(ex, rc, open);
    router::RouteOutcome out = co_await run_chat_path(ctx, rec, body, rc, stream ? &sink : nullptr, progress);
    record_outcome(ctx, rec, out, progress);

    json usage = out.result.usage.is_object() ? out.result.usage
                 : json{{"prompt_tokens", out.result.prompt_tokens}, {"completion_tokens", out.result.completion_tokens},
                        {"total_tokens", out.result.prompt_tokens + out.result.completion_tokens}};
    json info = {{"route", route_name}, {"tier", out.tier}, {"model", out.model}, {"task_class", out.task_class}, {"escalations", out.escalations},
                 {"cost", out.cost}, {"models_tried", out.models_tried}};
    add_outcome_info(info, out);
    if (!out.ok) {
        ApiError err = outcome_error(out);
        if (!started) { co_await send_error(ex, rec, err); co_return; }
        rec.status = out.status;
        rec.fields["error"] = out.error;
        if (open) {
            std::string last = sse_event(err.body().dump()) + sse_done();
            co_await ex.end_stream(std::move(last));
        }
        co_return;
    }
    const bool cancelled = out.result.finish_reason == "cancelled";
    if (cancelled && ex.client_gone()) { rec.status = 499; co_return; }   // nginx's "client closed request"
    const bool cut_by_server = cancelled && ctx.draining;                // shutdown grace ran out
    auto h = outcome_headers(rec, out);
    if (!stream) {
        if (cut_by_server) { co_await send_error(ex, rec, kShutdownError); co_return; }
        json resp = out.result.response.is_object() && out.result.response.contains("choices") ? std::move(out.result.response) : json::object();
        if (resp.empty()) {
            json msg = {{"role", "assistant"}, {"content", out.result.content}};
            if (!out.result.tool_calls.empty()) msg["tool_calls"] = out.result.tool_calls;
            resp = {{"object", "chat.completion"}, {"created", created},
                    {"choices", json::array({{{"index", 0}, {"message", msg}, {"logprobs", nullptr}, {"finish_reason", out.result.finish_reason}}})}};
        }
        resp["id"] = rec.id;
        resp["model"] = out.model;
        resp["usage"] = usage;
        if (!direct) resp["switchyard"] = info;
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
        if (text) {
            c["choices"] = json::array({{{"index", 0}, {"text", out.result.content}, {"logprobs", nullptr}, {"finish_reason", nullptr}}});
        } else {
            c["choices"] = json::array({{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", out.result.content}}}, {"logprobs", nullptr}, {"finish_reason", nullptr}}});
            if (!out.result.tool_calls.empty()) {
                json calls = out.result.tool_calls;
                for (std::size_t i = 0; i < calls.size(); ++i) calls[i]["index"] = i;
                c["choices"][0]["delta"]["tool_calls"] = calls;
            }
        }
        if (open) open = co_await ex.write_stream(sse_event(c.dump()));
    }
    if (!open) { rec.status = 499; co_return; }
    // The closing events go out with the stream's end, after the request log recorded the entry.
    std::string last;
    if (cut_by_server) {
        last = sse_event(kShutdownError.body().dump());
    } else {
        json fin = chunk_base(out.model);
        const std::string finish = out.result.finish_reason.empty() ? "stop" : out.result.finish_reason;
        fin["choices"] = json::array({text ? json{{"index", 0}, {"text", ""}, {"logprobs", nullptr}, {"finish_reason", finish}}
                                           : json{{"index", 0}, {"delta", json::object()}, {"logprobs", nullptr}, {"finish_reason", finish}}});
        last = sse_event(fin.dump());
        if (include_usage) {
            json u = chunk_base(out.model);
            u["choices"] = json::array();
            u["usage"] = usage;
            if (!direct) u["switchyard"] = info;
            last += sse_event(u.dump());
        }
    }
    last += sse_done();
    co_await ex.end_stream(std::move(last));
}

void register_route_routes(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::post, "/v1/route/explain", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/v1/route/explain", req, ex);
        std::optional<ApiError> failure = check_auth(ctx, req);
        json result;
        if (!failure) {
            try {
                json body = parse_body(req.body());
                std::string model = require_model(body);
                if (!ctx.router || !ctx.router->has_route(model)) {
                    std::string name;   // configured, or added at run time (a hot-loaded specialist)
                    if (!ctx.pool.has_model(model, &name))
                        throw ApiError::make(404, "not_found_error", "model_not_found", "'" + model + "' is neither a route nor a model", "model");
                    result = {{"route", nullptr}, {"model", name}, {"trace", json::array({{{"step", "direct"}, {"why", "a model name, not a route"}}})}};
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
