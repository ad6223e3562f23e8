#include "wire/mcp_format.h"

#include <array>

namespace switchyard::wire {

namespace {

constexpr std::array<const char*, 4> kVersions{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};   // newest first

// JSON Schema for a pipeline value type ("text", "json", "list<text>", "embedding", "image", "document").
json schema_of(const std::string& type) {
    if (type == "text") return {{"type", "string"}};
    if (type == "embedding") return {{"type", "array"}, {"items", {{"type", "number"}}}};
    if (type.rfind("list", 0) == 0) {
        json s = {{"type", "array"}};
        auto lt = type.find('<');
        if (lt != std::string::npos) s["items"] = schema_of(type.substr(lt + 1, type.size() - lt - 2));
        return s;
    }
    if (type == "image") return {{"type", "object"}, {"description", "{\"path\": file} or {\"base64\": bytes, \"mime\": type}"}};
    if (type == "document") return {{"type", "object"}, {"description", "{\"source\", \"pages\": [{\"page\", \"text\"}], \"text\"}"}};
    return json::object();   // json / any: every value
}

}  // namespace

McpMessageKind classify_mcp_message(const json& msg) {
    if (!msg.is_object() || msg.value("jsonrpc", "") != "2.0") return McpMessageKind::invalid;
    const bool has_id = msg.contains("id") && (msg["id"].is_string() || msg["id"].is_number_integer());
    if (msg.contains("method")) {
        if (!msg["method"].is_string()) return McpMessageKind::invalid;
        if (msg.contains("params") && !msg["params"].is_object()) return McpMessageKind::invalid;
        if (!msg.contains("id")) return McpMessageKind::notification;
        return has_id ? McpMessageKind::request : McpMessageKind::invalid;
    }
    if (has_id && (msg.contains("result") || msg.contains("error"))) return McpMessageKind::response;
    return McpMessageKind::invalid;
}

bool supported_protocol_version(const std::string& version) {
    for (const char* v : kVersions) if (version == v) return true;
    return false;
}

std::string negotiate_protocol_version(const std::string& requested) {
    return supported_protocol_version(requested) ? requested : kVersions[0];
}

json jsonrpc_result(const json& id, json result) { return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}; }

json jsonrpc_error(const json& id, int code, const std::string& message) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

json mcp_initialize_result(const std::string& version, const std::string& server_version) {
    return {{"protocolVersion", version},
            {"capabilities", {{"tools", {{"listChanged", false}}}}},
            {"serverInfo", {{"name", "switchyard"}, {"title", "Switchyard pipelines"}, {"version", server_version}}},
            {"instructions", "Each tool runs one Switchyard pipeline (local models and tools) on this machine and returns its outputs, "
                              "or, for a route tool, asks that model route and returns the answer."}};
}

json pipeline_tool(const json& d) {
    json props = json::object();
    json required = json::array();
    if (d.contains("inputs") && d["inputs"].is_object())
        for (auto it = d["inputs"].begin(); it != d["inputs"].end(); ++it) {
            json s = schema_of(it.value().value("type", "json"));
            if (it.value().contains("default")) s["default"] = it.value()["default"];
            props[it.key()] = s;
            if (it.value().value("required", false)) required.push_back(it.key());
        }
    json schema = {{"type", "object"}, {"properties", props}};
    if (!required.empty()) schema["required"] = required;
    std::string description = d.value("description", "");
    if (d.contains("outputs") && d["outputs"].is_array() && !d["outputs"].empty()) {
        std::string outs;
        for (const auto& o : d["outputs"]) outs += (outs.empty() ? "" : ", ") + o.get<std::string>();
        description += (description.empty() ? "" : " ") + std::string("(outputs: ") + outs + ")";
    }
    return {{"name", d.value("id", "")}, {"title", d.value("id", "")}, {"description", description}, {"inputSchema", schema}};
}

json pipeline_call_result(const json& run) {
    if (!run.value("ok", false)) {
        std::string why = run.value("cancelled", false) ? "the run was cancelled" : run.value("error", std::string("unknown error"));
        return {{"content", json::array({{{"type", "text"}, {"text", "Pipeline failed: " + why}}})}, {"isError", true}};
    }
    json outputs = run.contains("outputs") && run["outputs"].is_object() ? run["outputs"] : json::object();
    // One text output reads as itself; several as a JSON object.
    std::string text = outputs.size() == 1 && outputs.begin().value().is_string() ? outputs.begin().value().get<std::string>() : outputs.dump();
    return {{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"structuredContent", outputs}, {"isError", false}};
}

json route_tool(const std::string& name, const std::string& tiers) {
    json schema = {{"type", "object"},
                   {"properties", {{"prompt", {{"type", "string"}, {"description", "The message to answer"}}},
                                   {"system", {{"type", "string"}, {"description", "An optional system prompt"}}},
                                   {"max_tokens", {{"type", "integer"}, {"minimum", 1}, {"description", "At most this many tokens in the answer"}}}}},
                   {"required", json::array({"prompt"})}};
    json out = {{"type", "object"},
                {"properties", {{"answer", {{"type", "string"}}}, {"model", {{"type", "string"}}}, {"tier", {{"type", "string"}}}}},
                {"required", json::array({"answer", "model"})}};
    std::string description = "Ask Switchyard's model route '" + name + "'" + (tiers.empty() ? "" : " (tiers: " + tiers + ")") +
                              ": the prompt goes to the tier its routing picks, and the answer comes back as text.";
    return {{"name", name}, {"title", "Route " + name}, {"description", description}, {"inputSchema", schema}, {"outputSchema", out}};
}

json route_call_body(const std::string& route, const json& arguments, std::string& error) {
    error.clear();
    if (!arguments.contains("prompt") || !arguments["prompt"].is_string() || arguments["prompt"].get<std::string>().empty()) {
        error = "'prompt' is required (a non-empty string)";
        return nullptr;
    }
    json messages = json::array();
    if (arguments.contains("system")) {
        if (!arguments["system"].is_string()) { error = "'system' must be a string"; return nullptr; }
        messages.push_back({{"role", "system"}, {"content", arguments["system"]}});
    }
    messages.push_back({{"role", "user"}, {"content", arguments["prompt"]}});
    json body = {{"model", route}, {"messages", messages}};
    if (arguments.contains("max_tokens")) {
        if (!arguments["max_tokens"].is_number_integer() || arguments["max_tokens"].get<long long>() < 1) {
            error = "'max_tokens' must be a positive integer";
            return nullptr;
        }
        body["max_tokens"] = arguments["max_tokens"];
    }
    for (const auto& [k, v] : arguments.items())
        if (k != "prompt" && k != "system" && k != "max_tokens") { error = "unknown argument '" + k + "' (prompt, system, max_tokens)"; return nullptr; }
    return body;
}

json route_call_result(const std::string& answer, const std::string& model, const std::string& tier) {
    json structured = {{"answer", answer}, {"model", model}};
    if (!tier.empty()) structured["tier"] = tier;
    return {{"content", json::array({{{"type", "text"}, {"text", answer}}})}, {"structuredContent", structured}, {"isError", false}};
}

}  // namespace switchyard::wire
