#include "wire/messages_format.h"

#include <algorithm>

namespace switchyard::wire {

namespace {

bool has(const json& j, const char* key) { return j.contains(key) && !j.at(key).is_null(); }

std::string text_of_blocks(const json& c, const std::string& where) {
    if (c.is_string()) return c.get<std::string>();
    if (!c.is_array()) reject(where, "'" + where + "' must be a string or an array of content blocks");
    std::string text;
    for (std::size_t i = 0; i < c.size(); ++i) {
        const json& b = c[i];
        std::string bw = where + "[" + std::to_string(i) + "]";
        if (!b.is_object() || b.value("type", "") != "text" || !b.contains("text") || !b["text"].is_string())
            reject(bw, "'" + bw + "' must be a text block {\"type\": \"text\", \"text\": ...}");
        if (!text.empty()) text += "\n";
        text += b["text"].get<std::string>();
    }
    return text;
}

// One Anthropic message into chat messages: tool results become tool messages (before the
// user's text), tool_use blocks become the assistant's tool_calls.
void add_message(const json& m, const std::string& where, json& out) {
    if (!m.is_object()) reject(where, "'" + where + "' must be an object");
    if (!m.contains("role") || !m["role"].is_string()) reject(where + ".role", "'" + where + ".role' is required");
    std::string role = m["role"].get<std::string>();
    if (role != "user" && role != "assistant") reject(where + ".role", "'" + where + ".role' must be 'user' or 'assistant', got '" + role + "'");
    if (!m.contains("content")) reject(where + ".content", "'" + where + ".content' is required");
    const json& c = m["content"];
    if (c.is_string()) { out.push_back({{"role", role}, {"content", c}}); return; }
    if (!c.is_array()) reject(where + ".content", "'" + where + ".content' must be a string or an array of content blocks");
    std::string text;
    json calls = json::array();
    for (std::size_t i = 0; i < c.size(); ++i) {
        const json& b = c[i];
        std::string bw = where + ".content[" + std::to_string(i) + "]";
        std::string type = b.is_object() && b.contains("type") && b["type"].is_string() ? b["type"].get<std::string>() : "";
        if (type == "text") {
            if (!b.contains("text") || !b["text"].is_string()) reject(bw + ".text", "'" + bw + ".text' must be a string");
            if (!text.empty()) text += "\n";
            text += b["text"].get<std::string>();
        } else if (type == "tool_use") {
            if (role != "assistant") reject(bw, "tool_use blocks belong in assistant messages");
            if (!b.contains("id") || !b["id"].is_string() || !b.contains("name") || !b["name"].is_string())
                reject(bw, "'" + bw + "' needs a string 'id' and 'name'");
            json input = b.contains("input") ? b["input"] : json::object();
            calls.push_back({{"id", b["id"]}, {"type", "function"}, {"function", {{"name", b["name"]}, {"arguments", input.dump()}}}});
        } else if (type == "tool_result") {
            if (role != "user") reject(bw, "tool_result blocks belong in user messages");
            if (!b.contains("tool_use_id") || !b["tool_use_id"].is_string()) reject(bw + ".tool_use_id", "'" + bw + ".tool_use_id' is required");
            std::string result = has(b, "content") ? text_of_blocks(b["content"], bw + ".content") : "";
            if (b.value("is_error", false)) result = "Error: " + result;
            out.push_back({{"role", "tool"}, {"tool_call_id", b["tool_use_id"]}, {"content", result}});
        } else if (type == "thinking" || type == "redacted_thinking") {
            // Another model's reasoning: nothing these models can use.
        } else if (type == "image" || type == "document") {
            reject(bw, "content block type '" + type + "' is not supported: the models behind this server read text only");
        } else {
            reject(bw + ".type", "content block type '" + type + "' is not supported (text, tool_use, tool_result)");
        }
    }
    if (role == "assistant") {
        json msg = {{"role", "assistant"}, {"content", text}};
        if (!calls.empty()) msg["tool_calls"] = calls;
        out.push_back(msg);
    } else if (!text.empty() || out.empty() || out.back().value("role", "") != "tool") {
        out.push_back({{"role", "user"}, {"content", text}});
    }
}

MessagesRequest parse_common(const json& body, bool need_max_tokens) {
    MessagesRequest r;
    if (!has(body, "model") || !body["model"].is_string() || body["model"].get<std::string>().empty())
        reject("model", "model: field required (a model, route or alias name)");
    r.chat["model"] = body["model"];
    if (need_max_tokens) {
        if (!has(body, "max_tokens")) reject("max_tokens", "max_tokens: field required");
        if (!body["max_tokens"].is_number_integer() || body["max_tokens"].get<long long>() < 1)
            reject("max_tokens", "max_tokens: must be a positive integer");
        r.chat["max_tokens"] = body["max_tokens"];
    }
    json messages = json::array();
    if (has(body, "system")) messages.push_back({{"role", "system"}, {"content", text_of_blocks(body["system"], "system")}});
    if (!has(body, "messages") || !body["messages"].is_array() || body["messages"].empty())
        reject("messages", "messages: must be a non-empty array");
    for (std::size_t i = 0; i < body["messages"].size(); ++i) add_message(body["messages"][i], "messages[" + std::to_string(i) + "]", messages);
    r.chat["messages"] = messages;
    if (has(body, "stop_sequences")) {
        const json& s = body["stop_sequences"];
        if (!s.is_array()) reject("stop_sequences", "stop_sequences: must be an array of strings");
        for (const auto& x : s) {
            if (!x.is_string() || x.get<std::string>().empty()) reject("stop_sequences", "stop_sequences: must be an array of non-empty strings");
            r.stop_sequences.push_back(x.get<std::string>());
        }
        if (!r.stop_sequences.empty()) r.chat["stop"] = r.stop_sequences;
    }
    for (const char* k : {"temperature", "top_p", "top_k"})
        if (has(body, k)) r.chat[k] = body[k];
    if (has(body, "stream")) {
        if (!body["stream"].is_boolean()) reject("stream", "stream: must be a boolean");
        r.stream = body["stream"].get<bool>();
        if (r.stream) r.chat["stream"] = true;
    }
    if (has(body, "tools")) {
        if (!body["tools"].is_array()) reject("tools", "tools: must be an array");
        json tools = json::array();
        for (std::size_t i = 0; i < body["tools"].size(); ++i) {
            const json& t = body["tools"][i];
            std::string tw = "tools[" + std::to_string(i) + "]";
            if (!t.is_object()) reject(tw, tw + ": must be an object");
            std::string type = t.value("type", "custom");
            if (type != "custom") reject(tw + ".type", tw + ".type: server tool '" + type + "' is not supported (client tools with input_schema only)");
            if (!t.contains("name") || !t["name"].is_string()) reject(tw + ".name", tw + ".name: field required");
            if (!t.contains("input_schema") || !t["input_schema"].is_object()) reject(tw + ".input_schema", tw + ".input_schema: field required (a JSON Schema object)");
            json fn = {{"name", t["name"]}, {"parameters", t["input_schema"]}};
            if (t.contains("description") && t["description"].is_string()) fn["description"] = t["description"];
            tools.push_back({{"type", "function"}, {"function", fn}});
        }
        if (!tools.empty()) r.chat["tools"] = tools;
    }
    if (has(body, "tool_choice")) {
        const json& tc = body["tool_choice"];
        std::string type = tc.is_object() ? tc.value("type", "") : "";
        if (type == "auto") r.chat["tool_choice"] = "auto";
        else if (type == "any") r.chat["tool_choice"] = "required";
        else if (type == "none") r.chat["tool_choice"] = "none";
        else if (type == "tool" && tc.contains("name") && tc["name"].is_string())
            r.chat["tool_choice"] = {{"type", "function"}, {"function", {{"name", tc["name"]}}}};
        else reject("tool_choice", "tool_choice: must be {\"type\": \"auto\" | \"any\" | \"none\"} or {\"type\": \"tool\", \"name\": ...}");
    }
    if (has(body, "metadata")) {
        if (!body["metadata"].is_object()) reject("metadata", "metadata: must be an object");
        r.chat["metadata"] = body["metadata"];
    }
    return r;
}

}  // namespace

MessagesRequest parse_messages_request(const json& body) { return parse_common(body, true); }
MessagesRequest parse_count_tokens_request(const json& body) { return parse_common(body, false); }

// As Anthropic counts: input_tokens leaves out the prompt tokens read from the cache (the KV
// cache here), which are cache_read_input_tokens; the prompt is the sum. A client (or another
// Switchyard with `api: anthropic`) that adds them up gets the whole prompt, once.
json usage_object(const ChatAnswer& a) {
    const int cached = std::min(std::max(a.cached_tokens, 0), a.prompt_tokens);
    return {{"input_tokens", a.prompt_tokens - cached}, {"output_tokens", a.completion_tokens},
            {"cache_creation_input_tokens", 0}, {"cache_read_input_tokens", cached}};
}

std::string stop_reason(const ChatAnswer& a, const std::string& stop_sequence) {
    if (!a.tool_calls.empty() || a.finish_reason == "tool_calls") return "tool_use";
    if (a.finish_reason == "length") return "max_tokens";
    if (!stop_sequence.empty()) return "stop_sequence";
    return "end_turn";
}

json messages_content(const ChatAnswer& a) {
    json content = json::array();
    if (!a.content.empty()) content.push_back({{"type", "text"}, {"text", a.content}});
    for (const auto& tc : a.tool_calls) {
        const json fn = tc.value("function", json::object());
        json input = json::parse(fn.value("arguments", "{}"), nullptr, false);
        if (!input.is_object()) input = json::object();
        content.push_back({{"type", "tool_use"}, {"id", tc.value("id", "")}, {"name", fn.value("name", "")}, {"input", input}});
    }
    return content;
}

json message_object(const std::string& id, const std::string& model, const ChatAnswer& a, const std::string& stop_sequence) {
    return {{"id", id}, {"type", "message"}, {"role", "assistant"}, {"model", model}, {"content", messages_content(a)},
            {"stop_reason", stop_reason(a, stop_sequence)}, {"stop_sequence", stop_sequence.empty() ? json(nullptr) : json(stop_sequence)},
            {"usage", usage_object(a)}};
}

json anthropic_error(int status, const std::string& message) {
    std::string type = status == 400 ? "invalid_request_error" : status == 401 ? "authentication_error" : status == 403 ? "permission_error"
                     : status == 404 ? "not_found_error" : status == 413 ? "request_too_large" : status == 429 ? "rate_limit_error"
                     : status == 503 || status == 529 ? "overloaded_error" : status < 500 ? "invalid_request_error" : "api_error";
    return {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}};
}

// ---- streaming ------------------------------------------------------------------------------

std::vector<json> MessagesStream::start() {
    json msg = {{"id", id_}, {"type", "message"}, {"role", "assistant"}, {"model", model_}, {"content", json::array()},
                {"stop_reason", nullptr}, {"stop_sequence", nullptr},
                {"usage", {{"input_tokens", 0}, {"output_tokens", 0}, {"cache_creation_input_tokens", 0}, {"cache_read_input_tokens", 0}}}};
    return {{{"type", "message_start"}, {"message", msg}}, {{"type", "ping"}}};
}

void MessagesStream::close_block(std::vector<json>& out) {
    if (open_kind.empty()) return;
    out.push_back({{"type", "content_block_stop"}, {"index", blocks_ - 1}});
    open_kind.clear();
    open_tool_index = -1;
}

std::vector<json> MessagesStream::feed(const json& chunk) {
    std::vector<json> out;
    if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) return out;
    const json& delta = chunk["choices"][0].value("delta", json::object());
    if (delta.contains("content") && delta["content"].is_string() && !delta["content"].get<std::string>().empty()) {
        if (open_kind != "text") {
            close_block(out);
            out.push_back({{"type", "content_block_start"}, {"index", blocks_++}, {"content_block", {{"type", "text"}, {"text", ""}}}});
            open_kind = "text";
        }
        out.push_back({{"type", "content_block_delta"}, {"index", blocks_ - 1}, {"delta", {{"type", "text_delta"}, {"text", delta["content"]}}}});
    }
    if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
        for (const auto& tc : delta["tool_calls"]) {
            int index = tc.value("index", 0);
            const json fn = tc.value("function", json::object());
            if (open_kind != "tool_use" || open_tool_index != index) {
                close_block(out);
                json block = {{"type", "tool_use"}, {"id", tc.value("id", "toolu_" + id_.substr(4) + "_" + std::to_string(index))},
                              {"name", fn.value("name", "")}, {"input", json::object()}};
                out.push_back({{"type", "content_block_start"}, {"index", blocks_++}, {"content_block", block}});
                open_kind = "tool_use";
                open_tool_index = index;
            }
            std::string args = fn.contains("arguments") && fn["arguments"].is_string() ? fn["arguments"].get<std::string>() : "";
            if (!args.empty())
                out.push_back({{"type", "content_block_delta"}, {"index", blocks_ - 1}, {"delta", {{"type", "input_json_delta"}, {"partial_json", args}}}});
        }
    }
    return out;
}

std::vector<json> MessagesStream::finish(const ChatAnswer& a, const std::string& stop_sequence) {
    std::vector<json> out;
    close_block(out);
    out.push_back({{"type", "message_delta"},
                   {"delta", {{"stop_reason", stop_reason(a, stop_sequence)}, {"stop_sequence", stop_sequence.empty() ? json(nullptr) : json(stop_sequence)}}},
                   {"usage", usage_object(a)}});
    out.push_back({{"type", "message_stop"}});
    return out;
}

std::vector<json> MessagesStream::fail(int status, const std::string& message) {
    std::vector<json> out;
    close_block(out);
    out.push_back(anthropic_error(status, message));
    return out;
}

}  // namespace switchyard::wire
