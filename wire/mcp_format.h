// The Model Context Protocol's JSON-RPC surface as Switchyard serves it (streamable HTTP
// transport, protocol revisions 2024-11-05 to 2025-11-25): message classification, version
// negotiation, results and errors, and pipelines (and, optionally, routes) described as tools. Pure; the HTTP side is
// api/mcp_routes.cpp. Written against the published schema (modelcontextprotocol.io), since no
// maintained C++ MCP server library is packaged for Debian.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace switchyard::wire {

using json = nlohmann::json;

namespace jsonrpc {
constexpr int parse_error = -32700;
constexpr int invalid_request = -32600;
constexpr int method_not_found = -32601;
constexpr int invalid_params = -32602;
constexpr int internal_error = -32603;
}  // namespace jsonrpc

enum class McpMessageKind { request, notification, response, invalid };
McpMessageKind classify_mcp_message(const json& msg);

// The revision to answer with: the client's when supported, else the newest supported.
std::string negotiate_protocol_version(const std::string& requested);
bool supported_protocol_version(const std::string& version);

json jsonrpc_result(const json& id, json result);
json jsonrpc_error(const json& id, int code, const std::string& message);

json mcp_initialize_result(const std::string& version, const std::string& server_version);

// A pipeline (as GET /v1/pipelines describes it: id, description, inputs {name: {type,
// required, default}}, outputs) as an MCP tool with a JSON Schema for its inputs.
json pipeline_tool(const json& description);

// A finished pipeline run ({"ok", "outputs", "error"}) as a tools/call result.
json pipeline_call_result(const json& run);

// A route (or model name) offered as a tool (`mcp.routes`): it takes a prompt (and optionally a
// system prompt and max_tokens) and answers with the model's text. `tiers` names the route's
// tiers for the description.
json route_tool(const std::string& name, const std::string& tiers);
// The chat body a route tool's arguments stand for; "" in `error` when they are valid, else why not.
json route_call_body(const std::string& route, const json& arguments, std::string& error);
// The answer as a tools/call result: the text, and structuredContent {answer, model, tier}.
json route_call_result(const std::string& answer, const std::string& model, const std::string& tier);

}  // namespace switchyard::wire
