// POST /v1/responses (the OpenAI Responses API) and GET / DELETE /v1/responses/{id}.
// The request is translated into a chat-completions body (wire/responses_format.h) and runs
// through the chat request path (api/chat_path.h: routes, cascades, sessions, cache, logging);
// the outcome is translated back, streamed as Responses events when asked. Stored responses
// (store: true, the default) carry their conversation, so previous_response_id continues it,
// and the chain is the conversation's session: it stays on the highest tier it reached.
#include "api/chat_path.h"
#include "wire/request_parsing.h"
#include "store/response_store.h"

#include <ctime>

namespace switchyard::api {
namespace {

// JSON literals stay out of coroutines (GCC 12 miscompiles braced json initialisers in them).
std::string deleted_body(const std::string& id) { return json{{"id", id}, {"object", "response.deleted"}, {"deleted", true}}.dump(); }

asio::awaitable<void> store_response(ServerContext& ctx, const StoredResponse& s) {
    auto job = [&ctx, &s] { ctx.responses->put(s); return true; };
    co_await ctx.offload(job);
}

asio::awaitable<void> handle_responses(ServerContext& ctx, const Request& req, Exchange& ex) {
    RequestRecord rec(ctx, "/v1/responses", req, ex);
    std::optional<ApiError> failure = check_auth(ctx, req);
    wire::ResponsesRequest r;
    json chat;
    json history = json::array();
    std::string chain_session;
    if (!failure) {
        try {
            if (ctx.draining) throw ApiError::make(503, "server_error", "shutting_down", "The server is shutting down", "", 2);
            json body = parse_body(req.body());
            r = wire::parse_responses_request(body);
            if (!r.previous_response_id.empty()) {
                const std::string& id = r.previous_response_id;
                auto lookup = [&ctx, &id] { return ctx.responses->get(id); };
                std::optional<StoredResponse> prev = co_await ctx.offload(lookup);
                if (!prev || prev->api_key != rec.api_key_fingerprint)
                    throw ApiError::make(404, "not_found_error", "previous_response_not_found",
                                         "Previous response with id '" + id + "' not found.", "previous_response_id");
                history = json::parse(prev->messages, nullptr, false);
                if (!history.is_array()) history = json::array();
                chain_session = prev->session;
            }
            chat = wire::responses_chat_body(r, history);
            (void)parse_chat_request(chat, SamplingDefaults{});   // the chat path's checks, before anything runs
        } catch (const ApiError& e) {
            failure = e;
        }
    }
    if (failure) { co_await send_error(ex, rec, *failure); co_return; }

    const std::string requested = chat["model"].get<std::string>();
    rec.fields["model_requested"] = requested;
    if (ctx.log_content) rec.prompt = chat["messages"].dump();
    router::RequestContext rc = request_context(req, rec.key);
    // The session: an explicit key, else the previous_response_id chain (its first response's id).
    std::string session = router::session_of(chat, rc.session);
    if (session.empty()) session = chain_session.empty() ? (r.store ? rec.id : "") : chain_session;
    rc.session = session;

    const long long created = static_cast<long long>(std::time(nullptr));
    wire::ResponseIds ids;
    ids.response = rec.id;
    ids.message = "msg_" + rec.id.substr(5);
    wire::ResponsesStream enc(r, ids, requested, created);
    router::RouteProgress progress;
    bool started = false, open = true;
    providers::ChunkSink sink = [&](json& chunk) -> asio::awaitable<bool> {
        if (!open) co_return false;
        if (rec.ttft_s < 0) rec.ttft_s = rec.elapsed();
        if (!started) {
            started = true;
            rec.status = 200;
            std::map<std::string, std::string> h = stream_start_headers(rec, progress);
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
    router::RouteOutcome out = co_await run_chat_path(ctx, rec, chat, rc, r.stream ? &sink : nullptr, progress);
    record_outcome(ctx, rec, out, progress);
    if (!out.ok) {
        ApiError err = outcome_error(out);
        if (!started) { co_await send_error(ex, rec, err); co_return; }
        rec.status = out.status;
        if (open) {
            std::vector<json> evs = enc.fail(err.code, err.message);
            std::string closing = typed_events(evs);
            co_await ex.end_stream(std::move(closing));
        }
        co_return;
    }
    wire::ChatAnswer a = chat_answer(out);
    StoredResponse stored;
    if (r.store) {
        json conversation = history;
        for (const auto& m : r.messages) conversation.push_back(m);
        conversation.push_back(wire::assistant_message(a));
        stored.id = rec.id;
        stored.ts = static_cast<double>(created);
        stored.api_key = rec.api_key_fingerprint;
        stored.session = session;
        stored.messages = conversation.dump();
    }
    auto headers = outcome_headers(rec, out);
    if (!r.stream) {
        json output = wire::response_output(a, ids);
        json resp = wire::response_object(r, out.model, created, output, &a, a.finish_reason == "length" ? "incomplete" : "completed");
        resp["id"] = rec.id;
        if (r.store) {
            stored.response = resp.dump();
            co_await store_response(ctx, stored);   // before answering: the client may continue at once
        }
        rec.status = 200;
        co_await respond_json(ex, 200, resp.dump(), headers);
        co_return;
    }
    if (!started) {
        // Buffered (cascade check, redaction, cache hit): replay the answer as a stream.
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
    enc.set_model(out.model);
    std::vector<json> last = enc.finish(a);
    if (r.store) {
        stored.response = last.back()["response"].dump();
        co_await store_response(ctx, stored);
    }
    std::string closing = typed_events(last);
    co_await ex.end_stream(std::move(closing));
}

// GET / DELETE /v1/responses/{id}: only the key that created a response may see or delete it.
asio::awaitable<void> handle_stored(ServerContext& ctx, const Request& req, Exchange& ex, bool remove) {
    RequestRecord rec(ctx, "/v1/responses/{id}", req, ex);
    if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
    std::string id(req.target());
    if (auto q = id.find('?'); q != std::string::npos) id.resize(q);
    id = id.substr(std::string("/v1/responses/").size());
    auto lookup = [&ctx, &id] { return ctx.responses->get(id); };
    std::optional<StoredResponse> found;
    if (id.find('/') == std::string::npos) found = co_await ctx.offload(lookup);
    if (!found || found->api_key != rec.api_key_fingerprint) {
        ApiError err = ApiError::make(404, "not_found_error", "response_not_found", "Response with id '" + id + "' not found.", "response_id");
        co_await send_error(ex, rec, err);
        co_return;
    }
    rec.status = 200;
    if (remove) {
        auto erase = [&ctx, &id] { return ctx.responses->remove(id); };
        co_await ctx.offload(erase);
        co_await respond_json(ex, 200, deleted_body(id));
        co_return;
    }
    co_await respond_json(ex, 200, found->response);
}

}  // namespace

void register_responses_routes(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::post, "/v1/responses", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await handle_responses(ctx, req, ex);
    });
    http.route_prefix(http::verb::get, "/v1/responses/", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await handle_stored(ctx, req, ex, false);
    });
    http.route_prefix(http::verb::delete_, "/v1/responses/", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await handle_stored(ctx, req, ex, true);
    });
}

}  // namespace switchyard::api
