// POST /v1/chat/completions and POST /v1/completions. Both take one path, handle_completion
// (api/routed_chat.cpp): the router runs the request, whether "model" names a route or a model
// (a one-tier route); pipeline names in chat requests run their pipeline instead.
#include "api/server_context.h"
#include "wire/request_parsing.h"

namespace switchyard::api {

void register_openai_routes(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::post, "/v1/chat/completions", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        // Parsed once here when a pipeline could be named; a body that does not parse gets its
        // precise error from handle_completion.
        // parse_body's limits (nesting depth) apply here too.
        json peek;
        try { peek = parse_body(req.body()); } catch (const ApiError&) {}
        const json* body = peek.is_object() ? &peek : nullptr;
        if (body && ctx.pipelines && !ctx.draining && peek.contains("model") && peek["model"].is_string() &&
            is_pipeline(ctx, peek["model"].get<std::string>())) {
            co_await handle_pipeline_chat(ctx, req, ex, peek);
            co_return;
        }
        co_await handle_completion(ctx, req, ex, body, providers::Endpoint::chat);
    });
    http.route(http::verb::post, "/v1/completions", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await handle_completion(ctx, req, ex, nullptr, providers::Endpoint::text);
    });
}

}  // namespace switchyard::api
