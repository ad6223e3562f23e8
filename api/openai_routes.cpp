// POST /v1/chat/completions and POST /v1/completions: validate, lease the model, submit to its
// scheduler, then either stream events as SSE chunks or collect them into one response.
#include "api/event_channel.h"
#include "api/openai_format.h"
#include "api/request_parsing.h"
#include "api/server_context.h"
#include "api/sse.h"
#include "router/router.h"

#include <ctime>

namespace switchyard::api {
namespace {

const ApiError kShutdownError = ApiError::make(503, "server_error", "shutting_down", "The server is shutting down; generation was cut short", "", 2);

struct Call {
    bool chat = true;
    std::string model;
    bool stream = false;
    bool include_usage = false;
    bool logprobs = false;
    bool echo = false;
    std::string echo_prompt;
};

asio::awaitable<void> run_generation(ServerContext& ctx, RequestRecord& rec, Exchange& ex, Call call,
                                     std::shared_ptr<EventChannel> chan, std::shared_ptr<GenerationHandle> handle) {
    ex.on_disconnect([handle] { handle->cancel(); });
    const std::string id = rec.id;
    const long long created = static_cast<long long>(std::time(nullptr));
    const std::string object = call.chat ? (call.stream ? "chat.completion.chunk" : "chat.completion")
                                         : "text_completion";
    auto chunk = [&](json choice) {
        return json{{"id", id}, {"object", object}, {"created", created}, {"model", call.model},
                    {"system_fingerprint", "switchyard"}, {"choices", json::array({std::move(choice)})}};
    };
    std::map<std::string, std::string> headers{{"x-request-id", id}, {"x-switchyard-model", call.model}};

    bool open = true;
    if (call.stream) {
        rec.status = 200;
        open = co_await ex.begin_stream(headers);
        if (open && call.chat) {
            json first = {{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr}, {"finish_reason", nullptr}};
            open = co_await ex.write_stream(sse_event(chunk(first).dump()));
        }
        if (open && call.echo) {
            json echo = {{"index", 0}, {"text", call.echo_prompt}, {"logprobs", nullptr}, {"finish_reason", nullptr}};
            open = co_await ex.write_stream(sse_event(chunk(echo).dump()));
        }
        if (!open) handle->cancel();
    }

    std::string text;
    json text_lp = {{"tokens", json::array()}, {"token_logprobs", json::array()}, {"top_logprobs", json::array()}, {"text_offset", json::array()}};
    std::size_t text_offset = call.echo ? call.echo_prompt.size() : 0;
    std::vector<TokenLogprob> all_lps;
    for (bool finished = false; !finished;) {
        auto events = co_await chan->next();
        for (auto& ev : events) {
            if (ev.type == GenerationEvent::Type::delta) {
                if (rec.ttft_s < 0) { rec.ttft_s = rec.elapsed(); ctx.metrics.first_token(call.model, rec.ttft_s); }
                if (!call.stream) {
                    text += ev.text;
                    append_text_logprobs(text_lp, ev.logprobs, text_offset);
                    all_lps.insert(all_lps.end(), ev.logprobs.begin(), ev.logprobs.end());
                    continue;
                }
                if (!open) continue;
                if (call.chat) {
                    bool lp_sent = false;
                    for (const auto& d : ev.chat_deltas) {
                        json c = {{"index", 0}, {"delta", delta_json(d)}, {"finish_reason", nullptr},
                                  {"logprobs", call.logprobs && !lp_sent ? chat_logprobs(ev.logprobs) : json(nullptr)}};
                        lp_sent = true;
                        if (!(open = co_await ex.write_stream(sse_event(chunk(c).dump())))) break;
                    }
                    if (open && call.logprobs && !lp_sent && !ev.logprobs.empty()) {
                        json c = {{"index", 0}, {"delta", json::object()}, {"finish_reason", nullptr}, {"logprobs", chat_logprobs(ev.logprobs)}};
                        open = co_await ex.write_stream(sse_event(chunk(c).dump()));
                    }
                } else {
                    json lp = nullptr;
                    if (call.logprobs) {
                        lp = {{"tokens", json::array()}, {"token_logprobs", json::array()}, {"top_logprobs", json::array()}, {"text_offset", json::array()}};
                        append_text_logprobs(lp, ev.logprobs, text_offset);
                    }
                    json c = {{"index", 0}, {"text", ev.text}, {"logprobs", lp}, {"finish_reason", nullptr}};
                    open = co_await ex.write_stream(sse_event(chunk(c).dump()));
                }
                if (!open) handle->cancel();  // client went away: stop generating now, wait for the done event
                continue;
            }
            finished = true;
            if (ev.type == GenerationEvent::Type::error) {
                ApiError err = ApiError::make(500, "server_error", "generation_failed", "Generation failed: " + ev.error);
                rec.fields["error"] = ev.error;
                if (!call.stream) { co_await send_error(ex, rec, err); break; }
                if (open) {
                    co_await ex.write_stream(sse_event(err.body().dump()));
                    co_await ex.write_stream(sse_done());
                    co_await ex.end_stream();
                }
                rec.status = 500;
                break;
            }
            // done
            if (ctx.log_content) rec.answer = call.chat ? ev.full_text : text;
            ctx.metrics.tokens(call.model, ev.usage.prompt_tokens, ev.usage.completion_tokens);
            rec.fields["prompt_tokens"] = ev.usage.prompt_tokens;
            rec.fields["completion_tokens"] = ev.usage.completion_tokens;
            rec.fields["cached_tokens"] = ev.usage.cached_prompt_tokens;
            rec.fields["finish_reason"] = ev.finish_reason;
            const bool cut_by_server = ev.finish_reason == "cancelled" && !ex.client_gone() && ctx.draining;
            if (ev.finish_reason == "cancelled" && ex.client_gone()) { rec.status = 499; break; }  // nginx's "client closed request"
            if (call.stream) {
                if (!open) break;
                if (cut_by_server) {
                    co_await ex.write_stream(sse_event(kShutdownError.body().dump()));
                } else {
                    json fin = call.chat ? json{{"index", 0}, {"delta", json::object()}, {"logprobs", nullptr}, {"finish_reason", ev.finish_reason}}
                                         : json{{"index", 0}, {"text", ""}, {"logprobs", nullptr}, {"finish_reason", ev.finish_reason}};
                    co_await ex.write_stream(sse_event(chunk(fin).dump()));
                    if (call.include_usage) {
                        json u = chunk(nullptr);
                        u["choices"] = json::array();
                        u["usage"] = usage_json(ev.usage);
                        co_await ex.write_stream(sse_event(u.dump()));
                    }
                }
                co_await ex.write_stream(sse_done());
                co_await ex.end_stream();
                break;
            }
            if (cut_by_server) { co_await send_error(ex, rec, kShutdownError); break; }
            json choice;
            if (call.chat) {
                json msg = {{"role", "assistant"}, {"content", ev.full_text}};
                if (!ev.tool_calls.empty()) {
                    msg["tool_calls"] = tool_calls_json(ev.tool_calls);
                    if (ev.full_text.empty()) msg["content"] = nullptr;
                }
                choice = {{"index", 0}, {"message", msg}, {"logprobs", call.logprobs ? chat_logprobs(all_lps) : json(nullptr)},
                          {"finish_reason", ev.finish_reason}};
            } else {
                choice = {{"index", 0}, {"text", (call.echo ? call.echo_prompt : "") + text},
                          {"logprobs", call.logprobs ? text_lp : json(nullptr)}, {"finish_reason", ev.finish_reason}};
            }
            json resp = chunk(choice);
            resp["usage"] = usage_json(ev.usage);
            rec.status = 200;
            co_await ex.respond(200, "application/json", resp.dump(), headers);
            break;
        }
    }
}

// Shared front half of both endpoints; `start` turns the validated body into a submitted generation.
// `parsed`: the body when the caller already parsed it (null: parse here, with the precise error).
template <class Start>
asio::awaitable<void> handle_generation(ServerContext& ctx, const Request& req, Exchange& ex, const char* route, bool chat,
                                        const json* parsed, Start start) {
    RequestRecord rec(ctx, route, req);
    std::optional<ApiError> failure = check_auth(ctx, req);
    std::shared_ptr<EventChannel> chan;
    std::shared_ptr<GenerationHandle> handle;
    ModelLease lease;
    Call call;
    call.chat = chat;
    if (!failure) {
        try {
            if (ctx.draining) throw ApiError::make(503, "server_error", "shutting_down", "The server is shutting down", "", 2);
            json body = parsed ? *parsed : parse_body(req.body());
            call.model = require_model(body);
            rec.fields["model"] = call.model;
            rec.fields["model_requested"] = call.model;
            if (ctx.log_content) rec.prompt = body.contains("messages") ? body["messages"].dump() : body.value("prompt", std::string());
            auto acquire = [&ctx, &call] { return ctx.pool.acquire(call.model); };
            lease = co_await ctx.offload(acquire);
            call.model = lease->spec().name;
            rec.fields["model"] = call.model;
            chan = std::make_shared<EventChannel>(co_await asio::this_coro::executor);
            auto submit = [&] { return start(body, *lease, chan, call); };
            handle = co_await ctx.offload(submit);
        } catch (const ApiError& e) {
            failure = e;
        } catch (const EngineError& e) {
            failure = ApiError::from_engine(e);
        }
    }
    if (failure) {
        co_await send_error(ex, rec, *failure);
        co_return;
    }
    co_await run_generation(ctx, rec, ex, call, chan, handle);
}

}  // namespace

void register_openai_routes(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::post, "/v1/chat/completions", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        // Parsed once here: route names ("auto", ...) go through the router, model names keep the direct path.
        // Pipeline names run their pipeline.
        // parse_body's limits (nesting depth) apply here too; its error is given by the direct path below.
        json peek;
        if (ctx.router || ctx.pipelines) try { peek = parse_body(req.body()); } catch (const ApiError&) {}
        if (peek.is_object() && peek.contains("model") && peek["model"].is_string() && !ctx.draining) {
            const std::string name = peek["model"].get<std::string>();
            if (ctx.router && ctx.router->has_route(name)) {
                co_await handle_routed(ctx, req, ex, peek);
                co_return;
            }
            if (is_pipeline(ctx, name)) {
                co_await handle_pipeline_chat(ctx, req, ex, peek);
                co_return;
            }
        }
        co_await handle_generation(ctx, req, ex, "/v1/chat/completions", true, peek.is_object() ? &peek : nullptr,
            [](const json& body, LoadedModel& model, std::shared_ptr<EventChannel> chan, Call& call) {
                ChatRequest r = parse_chat_request(body, model.spec().sampling);
                call.stream = r.stream;
                call.include_usage = r.include_usage;
                call.logprobs = r.logprobs;
                return model.generate_chat(r.input, r.sampling, chan->sink());
            });
    });
    http.route(http::verb::post, "/v1/completions", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await handle_generation(ctx, req, ex, "/v1/completions", false, nullptr,
            [](const json& body, LoadedModel& model, std::shared_ptr<EventChannel> chan, Call& call) {
                CompletionRequest r = parse_completion_request(body, model.spec().sampling);
                call.stream = r.stream;
                call.include_usage = r.include_usage;
                call.logprobs = r.logprobs >= 0;
                call.echo = r.echo;
                call.echo_prompt = r.prompt;
                return model.generate_text(r.prompt, r.json_schema, r.sampling, chan->sink());
            });
    });
}

}  // namespace switchyard::api
