// The chat request path as the other API front ends enter it (/v1/responses, /v1/messages,
// /mcp): they translate their request into a chat-completions body and call run_chat_path,
// which goes where /v1/chat/completions goes (the router for route names, with rules,
// cascades, sessions and the response cache; the local provider for plain model names),
// then translate the outcome back. This file is the one place that decides that path, so when
// every model name becomes a one-tier route only run_chat_path changes.
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
// answer had to be buffered for a cascade check or a cache hit) out.result holds the whole answer.
asio::awaitable<router::RouteOutcome> run_chat_path(ServerContext& ctx, RequestRecord& rec, const json& body,
                                                    const router::RequestContext& rc, const providers::ChunkSink* sink,
                                                    router::RouteProgress& progress);

// The access-log / request-log fields and the token metrics of an outcome.
void record_outcome(ServerContext& ctx, RequestRecord& rec, const router::RouteOutcome& out, const std::string& requested);
// x-request-id, x-switchyard-route/tier/model/cost/cache/session for an outcome.
std::map<std::string, std::string> outcome_headers(const RequestRecord& rec, const router::RouteOutcome& out, const std::string& requested);

// The answer of a successful outcome in the translators' terms.
wire::ChatAnswer chat_answer(const router::RouteOutcome& out);
// A failed outcome as an API error (status, type, code, message).
ApiError outcome_error(const router::RouteOutcome& out);
// A translator's rejection as an API error.
ApiError wire_error(const wire::WireError& e);
// A whole answer as one chat chunk, for streams whose answer arrived buffered (cascade check, cache hit).
json replay_chunk(const router::RouteOutcome& out);
// Writes typed SSE events (Responses, Messages); false once the client is gone.
asio::awaitable<bool> write_events(Exchange& ex, const std::vector<json>& events);

}  // namespace switchyard::api
