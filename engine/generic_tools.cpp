#include "engine/generic_tools.h"

#include <json.h>

#include <random>

namespace switchyard {

ChatInput with_tool_instructions(const ChatInput& input) {
    std::string text = "You can call these tools:\n";
    for (const auto& t : input.tools) {
        text += "- " + t.name + (t.description.empty() ? "" : ": " + t.description) + "\n  parameters (JSON Schema): " +
                t.parameters_json + "\n";
    }
    text += input.tool_choice == "required"
        ? "Call exactly one tool. Answer only with a JSON object {\"name\": <tool name>, \"arguments\": {...}}."
        : "To call a tool, answer only with a JSON object {\"name\": <tool name>, \"arguments\": {...}}. "
          "Otherwise answer normally.";
    ChatInput out = input;
    out.tools.clear();
    out.tool_choice = "none";
    if (!out.messages.empty() && out.messages.front().role == "system") out.messages.front().content += "\n\n" + text;
    else out.messages.insert(out.messages.begin(), ChatMessage{"system", text, {}, {}, {}});
    // Earlier tool calls and results are shown as text so the model sees the conversation so far.
    for (auto& m : out.messages) {
        for (const auto& tc : m.tool_calls)
            m.content += (m.content.empty() ? "" : "\n") + std::string("{\"name\": \"") + tc.name + "\", \"arguments\": " + tc.arguments + "}";
        m.tool_calls.clear();
    }
    return out;
}

std::string tool_call_schema(const std::vector<ToolDefinition>& tools) {
    std::string any;
    for (const auto& t : tools) {
        common_json name = common_json::make(t.name);
        any += (any.empty() ? "" : ",") + std::string(R"({"type":"object","properties":{"name":{"const":)") + name.dump() +
               R"(},"arguments":)" + t.parameters_json + R"(},"required":["name","arguments"],"additionalProperties":false})";
    }
    return R"({"anyOf":[)" + any + "]}";
}

std::optional<ToolCall> parse_generic_tool_call(const std::string& text, const std::vector<ToolDefinition>& tools) {
    common_json j = common_json::parse_no_throw(text);
    if (!j.is_object() || !j.contains("name") || !j.at("name").is_string()) return std::nullopt;
    std::string name = j.at("name").get<std::string>();
    bool known = false;
    for (const auto& t : tools) known |= t.name == name;
    if (!known) return std::nullopt;
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string id = "call_";
    for (int i = 0; i < 24; ++i) id += "abcdefghijklmnopqrstuvwxyz0123456789"[rng() % 36];
    std::string args = j.contains("arguments") ? (j.at("arguments").is_string() ? j.at("arguments").get<std::string>() : j.at("arguments").dump()) : "{}";
    return ToolCall{id, name, args};
}

}  // namespace switchyard
