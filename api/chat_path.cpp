#include "api/chat_path.h"

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
    if (auto it = req.find("X-Switchyard-Cache"); it != req.end()) rc.cache_bypass = it->value() == "bypass" || it->value() == "no-cache" || it->value() == "off";
    rc.key = key;
    if (rc.key && rc.key->local_only) rc.local_only = true;
    return rc;
}

asio::awaitable<router::RouteOutcome> run_chat_path(ServerContext& ctx, RequestRecord& rec, const json& body,
                                                    const router::RequestContext& rc, const providers::ChunkSink* sink,
                                                    router::RouteProgress& progress) {
    const std::string name = body.value("model", "");
    if (ctx.router && ctx.router->has_route(name)) co_return co_await ctx.router->run(body, rc, sink, progress);
    router::RouteOutcome out;
    if (is_pipeline(ctx, name)) {
        out.status = 400;
        out.error_code = "model_not_supported";
        out.error = "'" + name + "' is a pipeline: run it with POST /v1/pipelines/" + name + "/run, /v1/chat/completions or the MCP tool";
        co_return out;
    }
    // A plain model name: the local pool, as /v1/chat/completions serves it.
    providers::Provider* local = ctx.local;
    if (!local) {
        out.status = 500;
        out.error_code = "internal_error";
        out.error = "no local provider";
        co_return out;
    }
    json call = body;
    call.erase("metadata");
    providers::ProviderResult r = co_await local->chat(call, sink);
    out.models_tried.push_back(name);
    if (r.status >= 400) {
        out.status = r.status;
        out.error = r.error;
        out.error_code = r.error_body.is_object() ? r.error_body.value("code", "") : "";
        if (out.error_code.empty()) out.error_code = r.status >= 500 ? "server_error" : "invalid_request";
        out.result = std::move(r);
        co_return out;
    }
    out.ok = true;
    out.model = r.response.is_object() ? r.response.value("model", name) : name;
    out.provider = "local";
    out.trace = json::array({{{"step", "direct"}, {"why", "a model name, not a route"}}});
    out.result = std::move(r);
    co_return out;
}

void record_outcome(ServerContext& ctx, RequestRecord& rec, const router::RouteOutcome& out, const std::string& requested) {
    rec.fields["model_requested"] = requested;
    if (!out.route.empty()) rec.fields["route_name"] = out.route;
    rec.fields["model"] = out.model.empty() ? requested : out.model;
    rec.fields["tier"] = out.tier;
    rec.fields["task_class"] = out.task_class;
    rec.fields["trace"] = out.trace;
    rec.fields["models_tried"] = out.models_tried;
    rec.fields["escalations"] = out.escalations;
    rec.fields["cost"] = out.cost;
    rec.fields["prompt_tokens"] = out.result.prompt_tokens;
    rec.fields["completion_tokens"] = out.result.completion_tokens;
    rec.fields["finish_reason"] = out.result.finish_reason;
    if (!out.cache.empty()) rec.fields["cache"] = out.cache;
    if (!out.session.empty()) rec.fields["session_tier"] = out.session_tier;
    if (!out.ok) rec.fields["error"] = out.error;
    if (ctx.log_content) rec.answer = out.result.content;
    if (out.ok && out.cache != "hit") ctx.metrics.tokens(out.model, out.result.prompt_tokens, out.result.completion_tokens);
    if (!out.cache.empty()) ctx.metrics.cache(out.cache);
}

std::map<std::string, std::string> outcome_headers(const RequestRecord& rec, const router::RouteOutcome& out, const std::string& requested) {
    std::map<std::string, std::string> h{{"x-request-id", rec.id}, {"x-switchyard-request-id", rec.id}};
    if (!out.route.empty()) h["x-switchyard-route"] = out.route;
    if (!out.model.empty()) h["x-switchyard-model"] = out.model;
    if (!out.tier.empty()) h["x-switchyard-tier"] = out.tier;
    if (out.ok) h["x-switchyard-cost"] = cost_text(out.cost);
    if (!out.cache.empty()) h["x-switchyard-cache"] = out.cache;
    if (!out.session.empty()) h["x-switchyard-session-tier"] = out.session_tier;
    return h;
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
    std::string type = out.status == 404 ? "not_found_error" : out.status == 429 ? "rate_limit_error"
                     : out.status >= 500 ? "server_error" : "invalid_request_error";
    return ApiError::make(out.status, type, out.error_code, out.error);
}

ApiError wire_error(const wire::WireError& e) {
    return ApiError::make(e.status, e.status == 404 ? "not_found_error" : "invalid_request_error", e.code, e.message, e.param);
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

asio::awaitable<bool> write_events(Exchange& ex, const std::vector<json>& events) {
    for (const auto& ev : events)
        if (!co_await ex.write_stream(wire::sse_typed_event(ev))) co_return false;
    co_return true;
}

}  // namespace switchyard::api
