// /mcp: the Model Context Protocol over the streamable HTTP transport, so agent tools can call
// Switchyard's pipelines (OCR -> RAG over private documents, proofreading, triage) as tools, and,
// when `mcp.routes` lists them, its routes (a prompt in, the routed model's answer out, through
// the same chat path as /v1/chat/completions: rules, cascades, cache, log).
// POST carries one JSON-RPC message: initialize, ping, tools/list (every configured pipeline
// with a JSON Schema of its inputs), tools/call (runs the pipeline, returns its outputs as text
// and structuredContent); notifications get 202. Answers are plain JSON (the transport allows
// it; nothing here streams server-initiated messages, so GET answers 405). The same API keys as
// the rest of the API apply, and an Origin other than localhost is refused (DNS rebinding).
#include "api/chat_path.h"
#include "api/server_context.h"
#include "wire/mcp_format.h"

#include <deque>
#include <mutex>
#include <unordered_set>

namespace switchyard::api {
namespace {

using json = nlohmann::json;
using wire::jsonrpc_error;
using wire::jsonrpc_result;
namespace rpc = wire::jsonrpc;

// Session ids handed out by initialize (bounded; the oldest are forgotten first).
class McpSessions {
public:
    std::string open() {
        std::string id = random_id("mcp-");
        std::lock_guard lock(mu_);
        ids_.insert(id);
        order_.push_back(id);
        while (order_.size() > 10000) { ids_.erase(order_.front()); order_.pop_front(); }
        return id;
    }
    bool known(const std::string& id) const { std::lock_guard lock(mu_); return ids_.count(id) > 0; }
    bool close(const std::string& id) { std::lock_guard lock(mu_); return ids_.erase(id) > 0; }
private:
    mutable std::mutex mu_;
    std::unordered_set<std::string> ids_;
    std::deque<std::string> order_;
};

bool origin_allowed(const Request& req) {
    auto it = req.find(http::field::origin);
    if (it == req.end()) return true;
    std::string origin(it->value());
    auto scheme = origin.find("://");
    if (scheme == std::string::npos) return false;
    std::string host = origin.substr(scheme + 3);
    if (host.rfind("[::1]", 0) == 0) return true;
    host = host.substr(0, host.find_first_of(":/"));
    return host == "localhost" || host == "127.0.0.1";
}

std::string header(const Request& req, const char* name) {
    auto it = req.find(name);
    return it == req.end() ? "" : std::string(it->value());
}

// JSON literals stay out of coroutines (GCC 12 miscompiles braced json initialisers in them).
json tool_failure(const std::string& message) {
    return {{"content", json::array({{{"type", "text"}, {"text", message}}})}, {"isError", true}};
}

json tools_list(const ServerContext& ctx) {
    json tools = json::array();
    for (const auto& d : pipeline_descriptions(ctx)) tools.push_back(wire::pipeline_tool(d));
    for (const auto& [name, tiers] : ctx.mcp_routes)
        if (!is_pipeline(ctx, name)) tools.push_back(wire::route_tool(name, tiers));   // a pipeline keeps its name
    return {{"tools", tools}};
}

bool is_route_tool(const ServerContext& ctx, const std::string& name) {
    if (is_pipeline(ctx, name)) return false;
    for (const auto& r : ctx.mcp_routes) if (r.first == name) return true;
    return false;
}

// tools/call of a route tool: the arguments become a chat request through the chat path.
asio::awaitable<json> call_route(ServerContext& ctx, const Request& req, Exchange& ex, RequestRecord& rec, const std::string& name,
                                 const json& arguments) {
    std::string why;
    json chat = wire::route_call_body(name, arguments, why);
    if (!why.empty()) co_return tool_failure("Invalid arguments for route tool '" + name + "': " + why);
    router::RequestContext rc = request_context(req, rec.key);
    router::RouteProgress progress;
    bool open = true;
    cancel_on_disconnect(ex, rc, open);   // an agent that hangs up stops the generation
    router::RouteOutcome out = co_await run_chat_path(ctx, rec, chat, rc, nullptr, progress);
    record_outcome(ctx, rec, out, progress);
    if (!out.ok) co_return tool_failure("Route '" + name + "' failed: " + outcome_error(out).message);
    co_return wire::route_call_result(out.result.content, out.model, out.tier);
}

asio::awaitable<void> reply(Exchange& ex, RequestRecord& rec, int status, const json& body, const std::map<std::string, std::string>& extra = {}) {
    rec.status = status;
    std::map<std::string, std::string> headers = extra;
    headers["x-request-id"] = rec.id;
    if (body.contains("error")) rec.fields["error"] = body["error"].value("message", "");
    co_await respond_json(ex, status, body.dump(), headers);
}

asio::awaitable<void> handle_post(ServerContext& ctx, McpSessions& sessions, const Request& req, Exchange& ex) {
    RequestRecord rec(ctx, "/mcp", req, ex);
    if (!origin_allowed(req)) {
        json body = jsonrpc_error(nullptr, rpc::invalid_request, "Origin '" + header(req, "Origin") + "' is not allowed (only localhost origins)");
        co_await reply(ex, rec, 403, body);
        co_return;
    }
    if (auto err = check_auth(ctx, req)) {
        co_await send_error(ex, rec, *err);
        co_return;
    }
    const std::string version = header(req, "MCP-Protocol-Version");
    if (!version.empty() && !wire::supported_protocol_version(version)) {
        json body = jsonrpc_error(nullptr, rpc::invalid_request, "Unsupported MCP-Protocol-Version '" + version + "'");
        co_await reply(ex, rec, 400, body);
        co_return;
    }
    const std::string session = header(req, "Mcp-Session-Id");
    if (!session.empty() && !sessions.known(session)) {
        json body = jsonrpc_error(nullptr, rpc::invalid_request, "Unknown or expired Mcp-Session-Id; initialize again");
        co_await reply(ex, rec, 404, body);
        co_return;
    }
    json msg = json::parse(req.body(), nullptr, false);
    if (msg.is_discarded()) {
        json body = jsonrpc_error(nullptr, rpc::parse_error, "Parse error: the body is not JSON");
        co_await reply(ex, rec, 400, body);
        co_return;
    }
    auto kind = wire::classify_mcp_message(msg);
    if (kind == wire::McpMessageKind::invalid) {
        json body = jsonrpc_error(msg.is_object() && msg.contains("id") ? msg["id"] : json(nullptr), rpc::invalid_request,
                                  msg.is_array() ? "Batches are not supported: send one JSON-RPC message per request"
                                                 : "Invalid JSON-RPC 2.0 message");
        co_await reply(ex, rec, 400, body);
        co_return;
    }
    if (kind != wire::McpMessageKind::request) {   // notifications and responses: accepted, nothing to say
        rec.fields["mcp_method"] = msg.value("method", "");
        rec.status = 202;
        std::map<std::string, std::string> headers{{"x-request-id", rec.id}};
        co_await ex.respond(202, "application/json", "", headers);
        co_return;
    }
    const json id = msg["id"];
    const std::string method = msg["method"].get<std::string>();
    const json params = msg.value("params", json::object());
    rec.fields["mcp_method"] = method;
    std::map<std::string, std::string> headers;
    json body;
    if (method == "initialize") {
        std::string wanted = params.contains("protocolVersion") && params["protocolVersion"].is_string() ? params["protocolVersion"].get<std::string>() : "";
        body = jsonrpc_result(id, wire::mcp_initialize_result(wire::negotiate_protocol_version(wanted), SWITCHYARD_VERSION));
        headers["Mcp-Session-Id"] = sessions.open();
    } else if (method == "ping") {
        body = jsonrpc_result(id, json(json::object()));
    } else if (method == "tools/list") {
        body = jsonrpc_result(id, tools_list(ctx));
    } else if (method == "tools/call") {
        if (!params.contains("name") || !params["name"].is_string()) {
            body = jsonrpc_error(id, rpc::invalid_params, "tools/call needs params.name (a tool name)");
        } else if (params.contains("arguments") && !params["arguments"].is_object()) {
            body = jsonrpc_error(id, rpc::invalid_params, "tools/call params.arguments must be an object");
        } else {
            const std::string name = params["name"].get<std::string>();
            rec.fields["model_requested"] = name;
            rec.fields["model"] = name;
            json inputs = params.value("arguments", json::object());
            std::optional<ApiError> failure;
            json run;
            const bool route = is_route_tool(ctx, name);
            try {
                if (route) run = co_await call_route(ctx, req, ex, rec, name, inputs);
                else run = co_await run_pipeline(ctx, ex, name, inputs);
            } catch (const ApiError& e) {
                failure = e;
            }
            if (route && !failure) body = jsonrpc_result(id, run);
            else if (failure && failure->status == 404) body = jsonrpc_error(id, rpc::invalid_params, "Unknown tool: " + name);
            else if (failure) body = jsonrpc_result(id, tool_failure(failure->message));
            else {
                if (!run.value("ok", false)) rec.fields["error"] = run.value("error", "");
                body = jsonrpc_result(id, wire::pipeline_call_result(run));
            }
        }
    } else {
        body = jsonrpc_error(id, rpc::method_not_found, "Method not found: " + method);
    }
    if (ex.client_gone()) { rec.status = 499; co_return; }
    co_await reply(ex, rec, 200, body, headers);
}

}  // namespace

void register_mcp_routes(HttpServer& http, ServerContext& ctx) {
    auto sessions = std::make_shared<McpSessions>();
    http.route(http::verb::post, "/mcp", [&ctx, sessions](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        co_await handle_post(ctx, *sessions, req, ex);
    });
    http.route(http::verb::get, "/mcp", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/mcp", req, ex);
        json body = jsonrpc_error(nullptr, rpc::invalid_request, "This server sends no server-initiated messages: use POST");
        std::map<std::string, std::string> allow{{"Allow", "POST, DELETE"}};
        co_await reply(ex, rec, 405, body, allow);
    });
    http.route(http::verb::delete_, "/mcp", [&ctx, sessions](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        RequestRecord rec(ctx, "/mcp", req, ex);
        if (auto err = check_auth(ctx, req)) { co_await send_error(ex, rec, *err); co_return; }
        rec.status = sessions->close(header(req, "Mcp-Session-Id")) ? 200 : 404;
        std::map<std::string, std::string> headers{{"x-request-id", rec.id}};
        co_await ex.respond(rec.status, "application/json", "", headers);
    });
}

}  // namespace switchyard::api
