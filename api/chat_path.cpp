#include "api/chat_path.h"

#include <algorithm>
#include <cstdio>

namespace switchyard::api {

namespace {
std::string cost_text(double usd) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.8f", usd);
    return buf;
}
}  // namespace

router::RequestContext request_context(const Request& req, const ApiKeySpec* key) {
    router::RequestContext rc;
    if (auto it = req.find("X-Switchyard-Task"); it != req.end()) rc.task_header = std::string(it->value());
    if (auto it = req.find("X-Switchyard-Local-Only"); it != req.end()) rc.local_only = it->value() == "true" || it->value() == "1";
    if (auto it = req.find("X-Switchyard-Max-Cost"); it != req.end()) rc.max_cost = router::parse_usd(std::string(it->value()));
    if (auto it = req.find("X-Switchyard-Latency"); it != req.end()) rc.latency = std::string(it->value());
    if (auto it = req.find("X-Switchyard-Session"); it != req.end()) rc.session = std::string(it->value());
    if (auto it = req.find("X-Switchyard-Cache"); it != req.end()) {
        rc.cache_bypass = it->value() == "bypass" || it->value() == "no-cache" || it->value() == "off";
        rc.cache_exact_only = it->value() == "exact";
    }
    rc.key = key;
    if (rc.key && rc.key->local_only) rc.local_only = true;
    return rc;
}

asio::awaitable<router::RouteOutcome> run_chat_path(ServerContext& ctx, RequestRecord& rec, const json& body,
                                                    const router::RequestContext& rc, const providers::ChunkSink* sink,
                                                    router::RouteProgress& progress) {
    const std::string name = body.value("model", "");
    if (is_pipeline(ctx, name) && !ctx.router->has_route(name)) {
        router::RouteOutcome out;
        out.status = 400;
        out.error_code = "model_not_supported";
        out.error = "'" + name + "' is a pipeline: run it with POST /v1/pipelines/" + name + "/run, /v1/chat/completions or its MCP tool";
        co_return out;
    }
    co_return co_await ctx.router->run(body, rc, sink, progress);
}

void record_outcome(ServerContext& ctx, RequestRecord& rec, const router::RouteOutcome& out, const router::RouteProgress& progress) {
    const std::string requested = rec.fields.value("model_requested", std::string());
    rec.fields["model"] = !out.model.empty() ? out.model : progress.tier ? progress.tier->model : requested;
    if (!out.direct) {
        rec.fields["route_name"] = out.route.empty() ? requested : out.route;
        rec.fields["tier"] = out.tier;
        rec.fields["task_class"] = out.task_class;
        rec.fields["trace"] = out.trace;
        rec.fields["models_tried"] = out.models_tried;
        rec.fields["escalations"] = out.escalations;
        rec.fields["cost"] = out.cost;
    }
    rec.fields["prompt_tokens"] = out.result.prompt_tokens;
    rec.fields["completion_tokens"] = out.result.completion_tokens;
    rec.fields["cached_tokens"] = out.result.cached_tokens;
    rec.fields["finish_reason"] = out.result.finish_reason;
    if (!out.cache.empty()) rec.fields["cache"] = out.cache;
    if (!out.session.empty()) rec.fields["session_tier"] = out.session_tier;
    if (!out.ok) rec.fields["error"] = out.error;
    if (ctx.log_content) rec.answer = out.result.content;
    if (!out.cache.empty()) ctx.metrics.cache(out.cache);
    if (!out.ok || out.cache == "hit" || out.cache == "semantic_hit") return;   // a cache hit generated nothing
    ctx.metrics.tokens(out.model, out.result.prompt_tokens, out.result.completion_tokens);
    if (rec.ttft_s < 0 && out.result.ttft_ms >= 0) {   // not streamed: when the provider saw its first token
        rec.ttft_s = std::max(0.0, rec.elapsed() - (out.result.latency_ms - out.result.ttft_ms) / 1000);
        ctx.metrics.first_token(out.model, rec.ttft_s);
    }
}

std::map<std::string, std::string> stream_start_headers(const RequestRecord& rec, const router::RouteProgress& progress) {
    std::map<std::string, std::string> h{{"x-request-id", rec.id}, {"x-switchyard-request-id", rec.id}};
    if (progress.tier) { h["x-switchyard-model"] = progress.tier->model; h["x-switchyard-tier"] = progress.tier->name; }
    if (!progress.cache.empty()) h["x-switchyard-cache"] = progress.cache;
    return h;
}

void cancel_on_disconnect(Exchange& ex, router::RequestContext& rc, bool& open) {
    if (!rc.cancel) rc.cancel = std::make_shared<providers::Cancellation>();
    ex.on_disconnect([&open, cancel = rc.cancel] { open = false; cancel->cancel(); });
}

std::map<std::string, std::string> outcome_headers(const RequestRecord& rec, const router::RouteOutcome& out) {
    std::map<std::string, std::string> h{{"x-request-id", rec.id}, {"x-switchyard-model", out.model}};
    if (!out.direct) {
        h["x-switchyard-request-id"] = rec.id;
        h["x-switchyard-route"] = out.route;
        h["x-switchyard-tier"] = out.tier;
        h["x-switchyard-cost"] = cost_text(out.cost);
    }
    if (!out.cache.empty()) h["x-switchyard-cache"] = out.cache;
    if (!out.session.empty()) h["x-switchyard-session-tier"] = out.session_tier;
    return h;
}

void add_outcome_info(json& info, const router::RouteOutcome& out) {
    if (!out.cache.empty()) info["cache"] = out.cache;
    if (!out.session.empty()) info["session"] = {{"key", out.session}, {"tier_before", out.session_tier}};
}

wire::ChatAnswer chat_answer(const router::RouteOutcome& out) {
    wire::ChatAnswer a;
    a.content = out.result.content;
    a.tool_calls = out.result.tool_calls.is_array() ? out.result.tool_calls : json::array();
    a.finish_reason = out.result.finish_reason;
    a.prompt_tokens = out.result.prompt_tokens;
    a.completion_tokens = out.result.completion_tokens;
    const json& r = out.result.response;
    if (r.is_object() && r.contains("usage") && r["usage"].is_object() && r["usage"].contains("prompt_tokens_details") &&
        r["usage"]["prompt_tokens_details"].is_object())
        a.cached_tokens = r["usage"]["prompt_tokens_details"].value("cached_tokens", 0);
    return a;
}

ApiError outcome_error(const router::RouteOutcome& out) {
    const json& body = out.result.error_body;
    if (out.direct && body.is_object() && body.contains("message") && body["message"].is_string()) {
        auto str = [&](const char* k) { return body.contains(k) && body[k].is_string() ? body[k].get<std::string>() : std::string(); };
        return ApiError::make(out.status, str("type").empty() ? (out.status >= 500 ? "server_error" : "invalid_request_error") : str("type"),
                              str("code"), str("message"), str("param"), out.result.retry_after);
    }
    return ApiError::make(out.status, out.status >= 500 ? "server_error" : "invalid_request_error", out.error_code, out.error);
}

json replay_chunk(const router::RouteOutcome& out) {
    json delta = {{"content", out.result.content}};
    if (out.result.tool_calls.is_array() && !out.result.tool_calls.empty()) {
        json calls = out.result.tool_calls;
        for (std::size_t i = 0; i < calls.size(); ++i) calls[i]["index"] = i;
        delta["tool_calls"] = calls;
    }
    return {{"choices", json::array({{{"index", 0}, {"delta", delta}}})}};
}

std::string typed_events(const std::vector<json>& events) {
    std::string out;
    for (const auto& ev : events) out += wire::sse_typed_event(ev);
    return out;
}

asio::awaitable<bool> write_events(Exchange& ex, const std::vector<json>& events) {
    for (const auto& ev : events)
        if (!co_await ex.write_stream(wire::sse_typed_event(ev))) co_return false;
    co_return true;
}

}  // namespace switchyard::api
