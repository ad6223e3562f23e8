#include "wire/anthropic_upstream.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <ctime>

namespace switchyard::wire {

namespace {

bool has(const json& j, const char* key) { return j.is_object() && j.contains(key) && !j.at(key).is_null(); }

std::string str(const json& j, const char* key) {
    return has(j, key) && j.at(key).is_string() ? j.at(key).get<std::string>() : std::string();
}

int count(const json& obj, const char* key) {
    if (!has(obj, key) || !obj.at(key).is_number_integer()) return 0;
    const json& v = obj.at(key);
    if (v.is_number_unsigned()) return static_cast<int>(std::min<std::uint64_t>(v.get<std::uint64_t>(), INT_MAX));
    return static_cast<int>(std::clamp<std::int64_t>(v.get<std::int64_t>(), 0, INT_MAX));
}

// The text of a chat message's content (a string, or text parts), for system prompts and tool results.
bool plain_text(const json& content, std::string& out) {
    if (content.is_null()) return true;
    if (content.is_string()) { out = content.get<std::string>(); return true; }
    if (!content.is_array()) return false;
    for (const auto& p : content) {
        if (!p.is_object() || str(p, "type") != "text") return false;
        if (!out.empty()) out += "\n";
        out += str(p, "text");
    }
    return true;
}

// An image_url part as an image block: a data: URL as base64, anything else as a URL source.
json image_block(const json& part) {
    std::string url = part.contains("image_url") && part["image_url"].is_object() ? str(part["image_url"], "url")
                                                                                  : str(part, "image_url");
    if (url.rfind("data:", 0) == 0) {
        auto semi = url.find(';'), comma = url.find(',');
        if (semi != std::string::npos && comma != std::string::npos && semi < comma && url.compare(semi, 8, ";base64,") == 0)
            return {{"type", "image"}, {"source", {{"type", "base64"}, {"media_type", url.substr(5, semi - 5)}, {"data", url.substr(comma + 1)}}}};
        return nullptr;
    }
    if (url.empty()) return nullptr;
    return {{"type", "image"}, {"source", {{"type", "url"}, {"url", url}}}};
}

// Content blocks of a user or assistant message. False with `why` for a part Messages cannot carry.
bool content_blocks(const json& content, const std::string& where, json& blocks, std::string& why) {
    if (content.is_null()) return true;
    if (content.is_string()) {
        // Anthropic refuses empty text blocks.
        if (!content.get<std::string>().empty()) blocks.push_back({{"type", "text"}, {"text", content}});
        return true;
    }
    if (!content.is_array()) { why = where + ": content must be a string or an array of parts"; return false; }
    for (std::size_t i = 0; i < content.size(); ++i) {
        const json& p = content[i];
        const std::string type = str(p, "type");
        if (type == "text") {
            if (!str(p, "text").empty()) blocks.push_back({{"type", "text"}, {"text", str(p, "text")}});
        } else if (type == "image_url") {
            json img = image_block(p);
            if (img.is_null()) { why = where + "[" + std::to_string(i) + "]: an image must be an http(s) URL or a base64 data: URL"; return false; }
            blocks.push_back(std::move(img));
        } else {
            why = where + "[" + std::to_string(i) + "]: content part type '" + type + "' cannot be sent to an Anthropic endpoint";
            return false;
        }
    }
    return true;
}

// Appends blocks as a turn of `role`, merged into the previous turn when that has the same role
// (Messages alternates user and assistant; chat may send two user messages in a row).
void add_turn(json& messages, const std::string& role, json blocks) {
    if (blocks.empty()) return;
    if (!messages.empty() && messages.back()["role"] == role) {
        for (auto& b : blocks) messages.back()["content"].push_back(std::move(b));
        return;
    }
    messages.push_back({{"role", role}, {"content", std::move(blocks)}});
}

json usage_of(int input, int output, int cache_read) {
    return {{"prompt_tokens", input}, {"completion_tokens", output}, {"total_tokens", input + output},
            {"prompt_tokens_details", {{"cached_tokens", cache_read}}}};
}

}  // namespace

std::optional<json> chat_to_anthropic(const json& chat, std::string& why) {
    if (!chat.is_object()) { why = "the request must be a JSON object"; return std::nullopt; }
    json out = json::object();
    if (has(chat, "model")) out["model"] = chat["model"];
    if (has(chat, "n") && chat["n"] != 1) { why = "n: an Anthropic endpoint answers one choice per request (n must be 1)"; return std::nullopt; }
    if (has(chat, "response_format")) {
        const std::string type = str(chat["response_format"], "type");
        if (type != "text" && !type.empty()) {
            why = "response_format: '" + type + "' cannot be enforced by an Anthropic endpoint (use a local or OpenAI-compatible tier)";
            return std::nullopt;
        }
    }
    int max_tokens = kAnthropicDefaultMaxTokens;
    for (const char* k : {"max_tokens", "max_completion_tokens"})
        if (has(chat, k) && chat[k].is_number_integer()) max_tokens = chat[k].get<int>();
    out["max_tokens"] = max_tokens;

    std::string system;
    json messages = json::array();
    const json& msgs = has(chat, "messages") ? chat["messages"] : json::array();
    if (!msgs.is_array()) { why = "messages: must be an array"; return std::nullopt; }
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        const json& m = msgs[i];
        const std::string where = "messages[" + std::to_string(i) + "]";
        const std::string role = str(m, "role");
        const json content = m.is_object() && m.contains("content") ? m["content"] : json(nullptr);
        if (role == "system" || role == "developer") {
            std::string text;
            if (!plain_text(content, text)) { why = where + ": a system message must be text"; return std::nullopt; }
            if (!system.empty()) system += "\n\n";
            system += text;
        } else if (role == "user") {
            json blocks = json::array();
            if (!content_blocks(content, where + ".content", blocks, why)) return std::nullopt;
            add_turn(messages, "user", std::move(blocks));
        } else if (role == "assistant") {
            json blocks = json::array();
            if (!content_blocks(content, where + ".content", blocks, why)) return std::nullopt;
            if (has(m, "tool_calls") && m["tool_calls"].is_array()) {
                for (const auto& tc : m["tool_calls"]) {
                    const json fn = tc.is_object() ? tc.value("function", json::object()) : json::object();
                    json input = json::parse(str(fn, "arguments").empty() ? "{}" : str(fn, "arguments"), nullptr, false);
                    if (!input.is_object()) { why = where + ".tool_calls: arguments must be a JSON object"; return std::nullopt; }
                    blocks.push_back({{"type", "tool_use"}, {"id", str(tc, "id")}, {"name", str(fn, "name")}, {"input", input}});
                }
            }
            add_turn(messages, "assistant", std::move(blocks));
        } else if (role == "tool") {
            std::string text;
            if (!plain_text(content, text)) { why = where + ": a tool message must be text"; return std::nullopt; }
            json block = {{"type", "tool_result"}, {"tool_use_id", str(m, "tool_call_id")}, {"content", text}};
            add_turn(messages, "user", json::array({block}));
        } else {
            why = where + ".role: '" + role + "' cannot be sent to an Anthropic endpoint";
            return std::nullopt;
        }
    }
    if (messages.empty()) { why = "messages: an Anthropic endpoint needs at least one user or assistant message"; return std::nullopt; }
    if (!system.empty()) out["system"] = system;
    out["messages"] = std::move(messages);

    if (has(chat, "stop")) {
        json stops = chat["stop"].is_string() ? json::array({chat["stop"]}) : chat["stop"];
        if (stops.is_array() && !stops.empty()) out["stop_sequences"] = stops;
    }
    // Anthropic's temperature range is [0, 1]; OpenAI's is [0, 2]. Above 1 means "as random as
    // it gets" in both, so it is clamped rather than refused.
    if (has(chat, "temperature") && chat["temperature"].is_number()) out["temperature"] = std::min(1.0, chat["temperature"].get<double>());
    for (const char* k : {"top_p", "top_k"})
        if (has(chat, k)) out[k] = chat[k];
    if (has(chat, "stream") && chat["stream"].is_boolean() && chat["stream"].get<bool>()) out["stream"] = true;
    if (has(chat, "user") && chat["user"].is_string()) out["metadata"] = {{"user_id", chat["user"]}};

    if (has(chat, "tools") && chat["tools"].is_array() && !chat["tools"].empty()) {
        json tools = json::array();
        for (const auto& t : chat["tools"]) {
            const json fn = t.is_object() ? t.value("function", json::object()) : json::object();
            if (str(fn, "name").empty()) { why = "tools: each tool needs function.name"; return std::nullopt; }
            json tool = {{"name", fn["name"]},
                         {"input_schema", has(fn, "parameters") ? fn["parameters"] : json{{"type", "object"}, {"properties", json::object()}}}};
            if (has(fn, "description")) tool["description"] = fn["description"];
            tools.push_back(std::move(tool));
        }
        out["tools"] = std::move(tools);
    }
    if (has(chat, "tool_choice")) {
        const json& tc = chat["tool_choice"];
        json choice;
        if (tc == "auto") choice = {{"type", "auto"}};
        else if (tc == "none") choice = {{"type", "none"}};
        else if (tc == "required") choice = {{"type", "any"}};
        else if (tc.is_object() && tc.contains("function") && !str(tc["function"], "name").empty())
            choice = {{"type", "tool"}, {"name", tc["function"]["name"]}};
        else { why = "tool_choice: must be 'auto', 'none', 'required' or a named function"; return std::nullopt; }
        if (has(chat, "parallel_tool_calls") && chat["parallel_tool_calls"] == false && choice["type"] != "none")
            choice["disable_parallel_tool_use"] = true;
        out["tool_choice"] = std::move(choice);
    }
    return out;
}

std::string finish_reason_of(const std::string& stop_reason) {
    if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") return "length";
    if (stop_reason == "tool_use") return "tool_calls";
    if (stop_reason == "refusal") return "content_filter";
    return "stop";  // end_turn, stop_sequence, pause_turn
}

std::optional<json> anthropic_to_completion(const json& message, std::string& stop_sequence, std::string& why) {
    if (!message.is_object() || str(message, "type") != "message" || !has(message, "content") || !message["content"].is_array()) {
        why = "not an Anthropic message (type 'message' with a content array)";
        return std::nullopt;
    }
    std::string text;
    json calls = json::array();
    for (const auto& b : message["content"]) {
        const std::string type = str(b, "type");
        if (type == "text") text += str(b, "text");
        else if (type == "tool_use")
            calls.push_back({{"id", str(b, "id")}, {"type", "function"},
                             {"function", {{"name", str(b, "name")}, {"arguments", (has(b, "input") ? b["input"] : json::object()).dump()}}}});
        // thinking blocks: the model's reasoning, not part of the answer.
    }
    json msg = {{"role", "assistant"}, {"content", text.empty() && !calls.empty() ? json(nullptr) : json(text)}};
    if (!calls.empty()) msg["tool_calls"] = calls;
    stop_sequence = str(message, "stop_sequence");
    const json u = has(message, "usage") ? message["usage"] : json::object();
    // Anthropic's input_tokens leaves out the tokens read from or written to its prompt cache.
    const int cache_read = count(u, "cache_read_input_tokens");
    const int input = count(u, "input_tokens") + cache_read + count(u, "cache_creation_input_tokens");
    return json{{"id", str(message, "id")}, {"object", "chat.completion"}, {"created", static_cast<long long>(std::time(nullptr))},
                {"model", str(message, "model")},
                {"choices", json::array({{{"index", 0}, {"message", msg}, {"finish_reason", finish_reason_of(str(message, "stop_reason"))},
                                          {"logprobs", nullptr}}})},
                {"usage", usage_of(input, count(u, "output_tokens"), cache_read)}};
}

json anthropic_error_to_openai(const json& body) {
    const json* e = &body;
    if (has(body, "error") && body["error"].is_object()) e = &body["error"];
    if (!e->is_object() || !has(*e, "message")) return nullptr;
    const std::string type = str(*e, "type");
    const std::string openai_type = type == "authentication_error" || type == "permission_error" || type == "not_found_error" ||
                                            type == "invalid_request_error" || type == "request_too_large"
                                        ? "invalid_request_error"
                                    : type == "rate_limit_error" ? "rate_limit_error"
                                                                 : "server_error";
    return {{"message", (*e)["message"].is_string() ? (*e)["message"] : json((*e)["message"].dump())}, {"type", openai_type},
            {"code", type.empty() ? json(nullptr) : json(type)}, {"param", nullptr}};
}

// ---- streaming ------------------------------------------------------------------------------

json AnthropicStreamDecoder::chunk(json delta, const json& finish_reason) const {
    return {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", model_},
            {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish_reason}}})}};
}

std::vector<json> AnthropicStreamDecoder::feed(const json& event) {
    std::vector<json> out;
    const std::string type = str(event, "type");
    if (type == "message_start") {
        const json m = has(event, "message") ? event["message"] : json::object();
        if (!str(m, "id").empty()) id_ = str(m, "id");
        model_ = str(m, "model");
        created_ = static_cast<long long>(std::time(nullptr));
        const json u = has(m, "usage") ? m["usage"] : json::object();
        cache_read_ = count(u, "cache_read_input_tokens");
        input_tokens_ = count(u, "input_tokens") + cache_read_ + count(u, "cache_creation_input_tokens");
        output_tokens_ = count(u, "output_tokens");
        out.push_back(chunk({{"role", "assistant"}, {"content", ""}}));
    } else if (type == "content_block_start") {
        const int index = count(event, "index");
        const json b = has(event, "content_block") ? event["content_block"] : json::object();
        if (index >= 0 && index < 4096) {   // an index is a position in a short list
            if (block_tool_.size() <= static_cast<std::size_t>(index)) block_tool_.resize(index + 1, -1);
            if (str(b, "type") == "tool_use") {
                const int t = tool_calls_++;
                block_tool_[index] = t;
                // Servers send the input as deltas after an empty object; one that sends it whole here is relayed as is.
                std::string args = has(b, "input") && b["input"].is_object() && !b["input"].empty() ? b["input"].dump() : "";
                out.push_back(chunk({{"tool_calls", json::array({{{"index", t}, {"id", str(b, "id")}, {"type", "function"},
                                                                  {"function", {{"name", str(b, "name")}, {"arguments", args}}}}})}}));
            } else if (str(b, "type") == "text" && !str(b, "text").empty()) {
                out.push_back(chunk({{"content", str(b, "text")}}));
            }
        }
    } else if (type == "content_block_delta") {
        const int index = count(event, "index");
        const json d = has(event, "delta") ? event["delta"] : json::object();
        const std::string dt = str(d, "type");
        if (dt == "text_delta" && !str(d, "text").empty()) {
            out.push_back(chunk({{"content", str(d, "text")}}));
        } else if (dt == "input_json_delta" && static_cast<std::size_t>(index) < block_tool_.size() && block_tool_[index] >= 0) {
            const std::string part = str(d, "partial_json");
            if (!part.empty())
                out.push_back(chunk({{"tool_calls", json::array({{{"index", block_tool_[index]}, {"function", {{"arguments", part}}}}})}}));
        }   // thinking and signature deltas are not part of the answer
    } else if (type == "message_delta") {
        const json d = has(event, "delta") ? event["delta"] : json::object();
        const json u = has(event, "usage") ? event["usage"] : json::object();
        output_tokens_ = std::max(output_tokens_, count(u, "output_tokens"));
        // Newer servers repeat the input counts here; the larger count wins.
        const int read = std::max(cache_read_, count(u, "cache_read_input_tokens"));
        input_tokens_ = std::max(input_tokens_, count(u, "input_tokens") + read + count(u, "cache_creation_input_tokens"));
        cache_read_ = read;
        stop_sequence_ = str(d, "stop_sequence");
        out.push_back(chunk(json::object(), finish_reason_of(str(d, "stop_reason"))));
        json usage = chunk(json::object());
        usage["choices"] = json::array();
        usage["usage"] = usage_of(input_tokens_, output_tokens_, cache_read_);
        out.push_back(std::move(usage));
    } else if (type == "message_stop") {
        done_ = true;
    } else if (type == "error") {
        error_ = event;
    }   // ping, content_block_stop and event types added later: nothing to relay
    return out;
}

}  // namespace switchyard::wire
