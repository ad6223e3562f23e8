// Pipelines over HTTP: GET /v1/pipelines lists them, POST /v1/pipelines/{name}/run runs one
// (a JSON result, or SSE progress, token and result events with "stream": true), and a
// pipeline name works as a model in /v1/chat/completions (the last user message is its main
// text input; the first output is the answer).
#include "wire/event_channel.h"
#include "api/pipeline_host.h"
#include "pipeline/confinement.h"
#include "wire/request_parsing.h"
#include "api/server_context.h"
#include "wire/sse.h"

#include <ctime>

namespace switchyard::api {
namespace {

using json = nlohmann::json;
using JsonQueue = AsyncQueue<json>;

json describe(const pipeline::PipelineDefinition& def) {
    json inputs = json::object();
    for (const auto& in : def.inputs) {
        json d = {{"type", pipeline::to_string(in.type)}, {"required", !in.default_value.has_value()}};
        if (in.default_value) d["default"] = *in.default_value;
        inputs[in.name] = d;
    }
    json outputs = json::array();
    for (const auto& [name, wire] : def.outputs) outputs.push_back(name);
    return {{"id", def.name}, {"object", "pipeline"}, {"description", def.description}, {"inputs", inputs},
            {"outputs", outputs}, {"nodes", def.nodes.size()}};
}

// The input a chat message feeds: the first text input without a default, else the first text input.
const pipeline::InputDecl* main_text_input(const pipeline::PipelineDefinition& def) {
    const pipeline::InputDecl* any = nullptr;
    for (const auto& in : def.inputs) {
        if (in.type.kind != pipeline::ValueKind::text) continue;
        if (!in.default_value) return &in;
        if (!any) any = &in;
    }
    return any;
}

std::string last_user_text(const json& body) {
    std::string text;
    if (body.contains("messages") && body["messages"].is_array())
        for (const auto& m : body["messages"]) {
            if (!m.is_object() || m.value("role", "") != "user" || !m.contains("content")) continue;
            const json& c = m["content"];
            text.clear();
            if (c.is_string()) text = c.get<std::string>();
            else if (c.is_array())
                for (const auto& part : c)
                    if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string())
                        text += part["text"].get<std::string>();
        }
    return text;
}

std::string problems_text(const pipeline::PipelineError& e) {
    std::string msg;
    for (const auto& p : e.problems) msg += (msg.empty() ? "" : "; ") + p;
    return msg.empty() ? e.what() : msg;
}

std::string output_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Chat-completion shapes, built outside the coroutines (GCC 12 miscompiles braced json literals in them).
struct ChunkHead {
    std::string id;
    long long created;
    std::string model;
};

json chunk(const ChunkHead& h, json delta, json finish) {
    return {{"id", h.id}, {"object", "chat.completion.chunk"}, {"created", h.created}, {"model", h.model},
            {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish)}}})}};
}
std::string role_chunk(const ChunkHead& h) { return chunk(h, {{"role", "assistant"}, {"content", ""}}, nullptr).dump(); }
std::string content_chunk(const ChunkHead& h, const std::string& text) { return chunk(h, {{"content", text}}, nullptr).dump(); }

json run_info(const ChunkHead& h, const json& result) {
    return {{"pipeline", h.model}, {"outputs", result.value("outputs", json::object())}, {"nodes", result.value("nodes", json::array())}};
}
std::string final_chunk(const ChunkHead& h, const json& result) {
    json last = chunk(h, json::object(), "stop");
    last["switchyard"] = run_info(h, result);
    return last.dump();
}
std::string chat_response(const ChunkHead& h, const std::string& answer, const json& result) {
    json message = {{"role", "assistant"}, {"content", answer}};
    json choice = {{"index", 0}, {"message", message}, {"finish_reason", "stop"}, {"logprobs", nullptr}};
    return json{{"id", h.id}, {"object", "chat.completion"}, {"created", h.created}, {"model", h.model},
                {"choices", json::array({choice})}, {"usage", {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}}},
                {"switchyard", run_info(h, result)}}.dump();
}

// The run's result as the body of a successful POST /v1/pipelines/{name}/run.
std::string run_body(json result, const std::string& name) {
    result.erase("event");
    result["object"] = "pipeline.run";
    result["pipeline"] = name;
    return result.dump();
}
std::string failed_run_body(const ApiError& err, const json& result) {
    json body = err.body();
    body["run"] = result;
    return body.dump();
}
std::string result_event(json result, const std::string& name) {
    result["object"] = "pipeline.run";
    result["pipeline"] = name;
    result["event"] = "result";
    return result.dump();
}

ApiError run_failed(const json& result) {
    const std::string error = result.value("error", std::string("unknown error"));
    // A file or host the run may not touch (pipeline/confinement.h): the caller's input is refused.
    if (pipeline::is_access_denied(error))
        return ApiError::make(403, "permission_error", "access_denied", "Pipeline refused: " + error);
    ApiError e = ApiError::make(500, "server_error", result.value("cancelled", false) ? "pipeline_cancelled" : "pipeline_failed",
                                "Pipeline failed: " + result.value("error", std::string("unknown error")));
    return e;
}

// Starts the run and hands its events to `on_event` as they come; returns the result event.
// (Coroutine parameters are references to the caller's named locals: GCC 12 mishandles
// by-value coroutine parameters built from temporaries.)
template <class OnEvent>
asio::awaitable<json> run_and_relay(ServerContext& ctx, Exchange& ex, const pipeline::PipelineDefinition& def, json& inputs,
                                    OnEvent& on_event) {
    auto queue = std::make_shared<JsonQueue>(co_await asio::this_coro::executor);
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    ex.on_disconnect([cancel] { cancel->store(true); });  // a client that leaves stops the run
    ctx.pipelines->start(def, std::move(inputs), cancel, [queue](json ev) { queue->push(std::move(ev)); });
    for (;;) {
        auto events = co_await queue->next();
        for (auto& ev : events) {
            if (ev.value("event", "") == "result") co_return ev;
            if (!cancel->load()) co_await on_event(ev);
        }
    }
}

asio::awaitable<void> handle_run(ServerContext& ctx, const Request& req, Exchange& ex) {
    RequestRecord rec(ctx, "/v1/pipelines/{name}/run", req, ex);
    std::string target(req.target());
    std::string name = target.substr(std::string("/v1/pipelines/").size());
    name = name.substr(0, name.find('?'));
    const std::string suffix = "/run";
    std::optional<ApiError> failure = check_auth(ctx, req);
    const pipeline::PipelineDefinition* def = nullptr;
    json inputs;
    bool stream = false;
    if (!failure && (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix))
        failure = ApiError::make(404, "invalid_request_error", "unknown_url", "Unknown URL: POST " + target + " (use /v1/pipelines/{name}/run)");
    if (!failure) {
        name = name.substr(0, name.size() - suffix.size());
        rec.fields["model_requested"] = name;
        def = ctx.pipelines ? ctx.pipelines->find(name) : nullptr;
        if (!def) failure = ApiError::make(404, "not_found_error", "pipeline_not_found", "No pipeline named '" + name + "'", "name");
    }
    if (!failure) {
        try {
            json body = parse_body(req.body());
            if (body.contains("stream") && !body["stream"].is_boolean()) throw ApiError::bad_request("'stream' must be a boolean", "stream");
            stream = body.value("stream", false);
            inputs = pipeline::resolve_inputs(*def, body.contains("inputs") ? body["inputs"] : json::object());
        } catch (const ApiError& e) {
            failure = e;
        } catch (const pipeline::PipelineError& e) {
            failure = ApiError::bad_request(problems_text(e), "inputs");
        }
    }
    if (failure) { co_await send_error(ex, rec, *failure); co_return; }
    rec.fields["model"] = name;
    bool open = true;
    if (stream) open = co_await ex.begin_stream();
    auto relay = [&](const json& ev) -> asio::awaitable<void> {
        if (stream && open) open = co_await ex.write_stream(sse_event(ev.dump()));
    };
    json result = co_await run_and_relay(ctx, ex, *def, inputs, relay);
    const bool ok = result.value("ok", false);
    rec.status = ok || stream ? 200 : run_failed(result).status;
    if (!ok) rec.fields["error"] = result.value("error", "");
    if (stream) {
        std::string last;   // named: GCC 12 double-destroys a ?: temporary inside co_await
        if (open) last = sse_event(result_event(result, name)) + sse_done();
        co_await ex.end_stream(std::move(last));
        co_return;
    }
    if (!ok) {
        ApiError err = run_failed(result);
        co_await respond_json(ex, err.status, failed_run_body(err, result));
        co_return;
    }
    co_await respond_json(ex, 200, run_body(result, name));
}

}  // namespace

std::string list_body(const json& data) { return json{{"object", "list"}, {"data", data}}.dump(); }

json pipeline_descriptions(const ServerContext& ctx) {
    json data = json::array();
    if (ctx.pipelines)
        for (const auto& [name, def] : ctx.pipelines->all()) data.push_back(describe(def));
    return data;
}

asio::awaitable<json> run_pipeline(ServerContext& ctx, Exchange& ex, const std::string& name, json& inputs) {
    const pipeline::PipelineDefinition* def = ctx.pipelines ? ctx.pipelines->find(name) : nullptr;
    if (!def) throw ApiError::make(404, "not_found_error", "pipeline_not_found", "No pipeline named '" + name + "'", "name");
    json resolved;
    try {
        resolved = pipeline::resolve_inputs(*def, inputs);
    } catch (const pipeline::PipelineError& e) {
        throw ApiError::bad_request(problems_text(e), "inputs");
    }
    auto ignore = [](const json&) -> asio::awaitable<void> { co_return; };
    co_return co_await run_and_relay(ctx, ex, *def, resolved, ignore);
}

bool is_pipeline(const ServerContext& ctx, const std::string& model) { return ctx.pipelines && ctx.pipelines->find(model); }

json pipeline_models(const ServerContext& ctx) {
    json data = json::array();
    if (!ctx.pipelines) return data;
    for (const auto& [name, def] : ctx.pipelines->all())
        data.push_back({{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "switchyard"},
                        {"switchyard", {{"kind", "pipeline"}, {"description", def.description}}}});
    return data;
}

asio::awaitable<void> handle_pipeline_chat(ServerContext& ctx, const Request& req, Exchange& ex, const json& body) {
    RequestRecord rec(ctx, "/v1/chat/completions", req, ex);
    if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
    const std::string name = body["model"].get<std::string>();
    const auto& def = *ctx.pipelines->find(name);
    rec.fields["model_requested"] = name;
    rec.fields["model"] = name;
    const bool stream = body.value("stream", false);
    json inputs = body.contains("metadata") && body["metadata"].is_object() && body["metadata"].contains("inputs") &&
                          body["metadata"]["inputs"].is_object() ? body["metadata"]["inputs"] : json::object();
    const auto* main = main_text_input(def);
    const std::string text = last_user_text(body);
    if (ctx.log_content) rec.prompt = text;
    if (main && !inputs.contains(main->name)) inputs[main->name] = text;
    std::optional<ApiError> failure;
    try {
        if (text.empty() && main) throw ApiError::bad_request("A pipeline model needs a user message (it becomes input '" + main->name + "')", "messages");
        inputs = pipeline::resolve_inputs(def, inputs);
    } catch (const ApiError& e) {
        failure = e;
    } catch (const pipeline::PipelineError& e) {
        failure = ApiError::bad_request(problems_text(e) + " (give other inputs as metadata.inputs)", "metadata");
    }
    if (failure) { co_await send_error(ex, rec, *failure); co_return; }
    const ChunkHead head{random_id("chatcmpl-"), static_cast<long long>(std::time(nullptr)), name};
    std::map<std::string, std::string> headers{{"x-switchyard-request-id", head.id}};
    bool open = true, streamed_any = false;
    if (stream) {
        open = co_await ex.begin_stream(headers);
        if (open) open = co_await ex.write_stream(sse_event(role_chunk(head)));
    }
    auto relay = [&](const json& ev) -> asio::awaitable<void> {
        if (!stream || !open || ev.value("event", "") != "token") co_return;
        streamed_any = true;
        open = co_await ex.write_stream(sse_event(content_chunk(head, ev.value("text", ""))));
    };
    json result = co_await run_and_relay(ctx, ex, def, inputs, relay);
    const bool ok = result.value("ok", false);
    std::string answer;
    if (ok && result.contains("outputs") && result["outputs"].is_object() && !result["outputs"].empty())
        answer = output_text(result["outputs"].begin().value());
    if (ctx.log_content) rec.answer = answer;
    if (!ok) {
        ApiError err = run_failed(result);
        rec.fields["error"] = err.message;
        if (stream) {
            rec.status = 200;  // the stream had started; the error travels as an event
            std::string last;   // named: GCC 12 double-destroys a ?: temporary inside co_await
            if (open) last = sse_event(err.body().dump()) + sse_done();
            co_await ex.end_stream(std::move(last));
        } else {
            co_await send_error(ex, rec, err);
        }
        co_return;
    }
    rec.status = 200;
    if (stream) {
        if (open && !streamed_any && !answer.empty()) open = co_await ex.write_stream(sse_event(content_chunk(head, answer)));
        std::string last;   // named: GCC 12 double-destroys a ?: temporary inside co_await
        if (open) last = sse_event(final_chunk(head, result)) + sse_done();
        co_await ex.end_stream(std::move(last));
        co_return;
    }
    co_await respond_json(ex, 200, chat_response(head, answer, result), headers);
}

void register_pipeline_routes(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::get, "/v1/pipelines", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/v1/pipelines", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        json data = json::array();
        if (ctx.pipelines)
            for (const auto& [name, def] : ctx.pipelines->all()) data.push_back(describe(def));
        rec.status = 200;
        co_await respond_json(ex, 200, list_body(data));
    });
    http.route_prefix(http::verb::post, "/v1/pipelines/", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await handle_run(ctx, req, ex);
    });
}

}  // namespace switchyard::api
