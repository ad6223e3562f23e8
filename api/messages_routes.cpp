// POST /v1/messages (the Anthropic Messages API) and POST /v1/messages/count_tokens.
// The request is translated into a chat-completions body (wire/messages_format.h) and runs
// through the chat request path (api/chat_path.h); the answer comes back as a Message, or as
// the event stream message_start ... message_stop. Errors use Anthropic's shape
// {"type": "error", "error": {"type", "message"}} with the same statuses as the OpenAI API.
#include "api/chat_path.h"
#include "wire/request_parsing.h"
#include "wire/messages_format.h"

namespace switchyard::api {
namespace {

// JSON literals stay out of coroutines (GCC 12 miscompiles braced json initialisers in them).
std::string count_body(int tokens) { return json{{"input_tokens", tokens}}.dump(); }

asio::awaitable<void> send_anthropic_error(Exchange& ex, RequestRecord& rec, const ApiError& err) {
    rec.status = err.status;
    rec.fields["error"] = err.message;
    std::map<std::string, std::string> headers{{"x-request-id", rec.id}, {"request-id", rec.id}};
    if (err.retry_after > 0) headers["Retry-After"] = std::to_string(err.retry_after);
    co_await respond_json(ex, err.status, wire::anthropic_error(err.status, err.message).dump(), headers);
}

// Parses and validates; throws ApiError.
wire::MessagesRequest parse(const Request& req, bool count_only) {
    json body = parse_body(req.body());
    wire::MessagesRequest m = count_only ? wire::parse_count_tokens_request(body) : wire::parse_messages_request(body);
    (void)parse_chat_request(m.chat, SamplingDefaults{});   // the chat path's checks, before anything runs
    return m;
}

asio::awaitable<void> handle_messages(ServerContext& ctx, const Request& req, Exchange& ex) {
    RequestRecord rec(ctx, "/v1/messages", req, ex);
    std::optional<ApiError> failure = check_auth(ctx, req);
    wire::MessagesRequest m;
    if (!failure) {
        try {
            if (ctx.draining) throw ApiError::make(503, "server_error", "shutting_down", "The server is shutting down", "", 2);
            m = parse(req, false);
        } catch (const ApiError& e) {
            failure = e;
        }
    }
    if (failure) { co_await send_anthropic_error(ex, rec, *failure); co_return; }
    const std::string requested = m.chat["model"].get<std::string>();
    rec.fields["model_requested"] = requested;
    if (ctx.log_content) rec.prompt = m.chat["messages"].dump();
    router::RequestContext rc = request_context(req, rec.key);

    wire::MessagesStream enc(rec.id, requested);
    router::RouteProgress progress;
    bool started = false, open = true;
    providers::ChunkSink sink = [&](json& chunk) -> asio::awaitable<bool> {
        if (!open) co_return false;
        if (rec.ttft_s < 0) rec.ttft_s = rec.elapsed();
        if (!started) {
            started = true;
            rec.status = 200;
            std::map<std::string, std::string> h = stream_start_headers(rec, progress);
            h["request-id"] = rec.id;
            open = co_await ex.begin_stream(h);
            enc.set_model(progress.tier ? progress.tier->model : chunk.value("model", requested));
            std::vector<json> first = enc.start();
            if (open) open = co_await write_events(ex, first);
        }
        std::vector<json> evs = enc.feed(chunk);
        if (open && !evs.empty()) open = co_await write_events(ex, evs);
        co_return open;
    };
    // A client that goes away stops the generation at once, streamed or not.
    cancel_on_disconnect(ex, rc, open);
    router::RouteOutcome out = co_await run_chat_path(ctx, rec, m.chat, rc, m.stream ? &sink : nullptr, progress);
    record_outcome(ctx, rec, out, progress);
    if (!out.ok) {
        ApiError err = outcome_error(out);
        if (!started) { co_await send_anthropic_error(ex, rec, err); co_return; }
        rec.status = out.status;
        if (open) {
            std::vector<json> evs = enc.fail(err.status, err.message);
            std::string closing = typed_events(evs);
            co_await ex.end_stream(std::move(closing));
        }
        co_return;
    }
    wire::ChatAnswer a = chat_answer(out);
    auto headers = outcome_headers(rec, out);
    headers["request-id"] = rec.id;
    const std::string stop_sequence = out.result.stop_sequence;
    if (!m.stream) {
        rec.status = 200;
        co_await respond_json(ex, 200, wire::message_object(rec.id, out.model, a, stop_sequence).dump(), headers);
        co_return;
    }
    if (!started) {
        started = true;
        rec.status = 200;
        open = co_await ex.begin_stream(headers);
        enc.set_model(out.model);
        std::vector<json> first = enc.start();
        json chunk = replay_chunk(out);
        std::vector<json> body = enc.feed(chunk);
        first.insert(first.end(), body.begin(), body.end());
        if (open) open = co_await write_events(ex, first);
    }
    if (!open) { rec.status = 499; co_return; }
    std::vector<json> last = enc.finish(a, stop_sequence);
    std::string closing = typed_events(last);
    co_await ex.end_stream(std::move(closing));
}

// The local model that would read the prompt: the model itself, or for a route its first local
// tier (remote tiers count with their own tokenizers, which this server does not have).
std::string counting_model(const ServerContext& ctx, const std::string& name) {
    if (!ctx.router || !ctx.router->has_route(name)) return name;
    for (const auto& t : ctx.router->policy(name)->route().tiers)
        if (t.provider == "local") return t.model;
    throw ApiError::make(400, "invalid_request_error", "model_not_supported",
                         "Route '" + name + "' has no local tier, so its tokens cannot be counted here", "model");
}

asio::awaitable<void> handle_count_tokens(ServerContext& ctx, const Request& req, Exchange& ex) {
    RequestRecord rec(ctx, "/v1/messages/count_tokens", req, ex);
    std::optional<ApiError> failure = check_auth(ctx, req);
    int tokens = 0;
    if (!failure) {
        try {
            wire::MessagesRequest m = parse(req, true);
            std::string model = counting_model(ctx, m.chat["model"].get<std::string>());
            rec.fields["model_requested"] = m.chat["model"];
            auto count = [&ctx, &m, &model] {
                ModelLease lease = ctx.pool.acquire(model);
                ChatRequest cr = parse_chat_request(m.chat, lease->spec().sampling);
                return lease->count_chat_tokens(cr.input);
            };
            tokens = co_await ctx.offload(count);
            rec.fields["model"] = model;
            rec.fields["prompt_tokens"] = tokens;
        } catch (const ApiError& e) {
            failure = e;
        } catch (const EngineError& e) {
            failure = ApiError::from_engine(e);
        }
    }
    if (failure) { co_await send_anthropic_error(ex, rec, *failure); co_return; }
    rec.status = 200;
    std::map<std::string, std::string> headers{{"x-request-id", rec.id}, {"request-id", rec.id}};
    co_await respond_json(ex, 200, count_body(tokens), headers);
}

}  // namespace

void register_messages_routes(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::post, "/v1/messages", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await handle_messages(ctx, req, ex);
    });
    http.route(http::verb::post, "/v1/messages/count_tokens", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await handle_count_tokens(ctx, req, ex);
    });
}

}  // namespace switchyard::api
