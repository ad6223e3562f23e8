// Switchyard's stable C++ surface: the router, the one path of every chat and text completion.
//   StandaloneRouter(config)   pool + providers + router on a private io thread
//   host.run(openai_chat_body) -> RouteOutcome   blocks; "model" is a route, a model or an alias
//   router::Router::run(...)   the coroutine form, for callers with their own Boost.Asio io_context
//   RouteOutcome               ok, result (content, tool_calls, usage, response), tier, model, cost, trace
// Streaming, cancellation and text completions: RequestContext (endpoint, cancel) and a
// providers::ChunkSink receiving OpenAI chunks (see router/router.h).
#pragma once

#include "router/router.h"
#include "router/standalone_router.h"

namespace switchyard::api_v1 {
using switchyard::router::RequestContext;
using switchyard::router::RouteOutcome;
using switchyard::router::Router;
using switchyard::router::StandaloneRouter;
using switchyard::router::run_route_blocking;
}  // namespace switchyard::api_v1
