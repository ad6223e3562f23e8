// The chat request path as every front end enters it: /v1/chat/completions (api/routed_chat.cpp),
// /v1/responses, /v1/messages. Each translates its request into a chat-completions body and calls
// run_chat_path, which hands it to the router (routes and model names alike: a model name is a
// one-tier route; rules, cascades, sessions and the response cache apply), then translates the
// outcome back. The log fields, metrics and headers of an outcome are written here, once.
#pragma once

#include "api/server_context.h"
#include "router/router.h"
#include "wire/responses_format.h"

#include <map>
#include <string>

namespace switchyard::api {

using json = nlohmann::json;

// Headers (X-Switchyard-Task, -Local-Only, -Max-Cost, -Latency, -Session, -Cache) and the
// caller's named key as the router reads them.
router::RequestContext request_context(const Request& req, const ApiKeySpec* key);

// Runs a chat-completions body whose "model" is a route or a model name. With `sink` and
// body["stream"] true, chunks reach the sink as they are generated; otherwise (or when the
// answer had to be buffered for a cascade check or came from the cache) out.result holds it.
asio::awaitable<router::RouteOutcome> run_chat_path(ServerContext& ctx, RequestRecord& rec, const json& body,
                                                    const router::RequestContext& rc, const providers::ChunkSink* sink,
                                                    router::RouteProgress& progress);

// The access-log / request-log fields, token and cache metrics, and time to first token of an outcome.
void record_outcome(ServerContext& ctx, RequestRecord& rec, const router::RouteOutcome& out, const router::RouteProgress& progress);
// x-request-id, x-switchyard-model, and for routes x-switchyard-request-id/route/tier/cost, plus
// x-switchyard-cache and x-switchyard-session-tier when they apply.
std::map<std::string, std::string> outcome_headers(const RequestRecord& rec, const router::RouteOutcome& out);
// The headers a translated stream (Responses, Messages) opens with, from the tier about to answer.
std::map<std::string, std::string> stream_start_headers(const RequestRecord& rec, const router::RouteProgress& progress);
// Gives rc a cancellation that a client disconnect triggers at once (streamed or not) and that
// also marks the stream closed (`open` = false); `open` must outlive the request.
void cancel_on_disconnect(Exchange& ex, router::RequestContext& rc, bool& open);
// Adds cache and session to a response's "switchyard" object.
void add_outcome_info(json& info, const router::RouteOutcome& out);

// The answer of a successful outcome in the translators' terms.
wire::ChatAnswer chat_answer(const router::RouteOutcome& out);
// The provider's error as the client sees it: a model name's (direct) error passes through
// unchanged (type, code, param, Retry-After); a route's names the route's failure.
ApiError outcome_error(const router::RouteOutcome& out);
// A whole answer as one chat chunk, for streams whose answer arrived buffered (cascade check, cache hit).
json replay_chunk(const router::RouteOutcome& out);
// Writes typed SSE events (Responses, Messages); false once the client is gone.
asio::awaitable<bool> write_events(Exchange& ex, const std::vector<json>& events);
// The same events as one string, for Exchange::end_stream (a stream's closing events).
std::string typed_events(const std::vector<json>& events);

}  // namespace switchyard::api
