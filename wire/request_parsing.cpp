#include "wire/request_parsing.h"

#include <cstdio>
#include <functional>

namespace switchyard::wire {
namespace {

constexpr int kMaxJsonDepth = 64;   // nesting levels of a request body

[[noreturn]] void bad(const std::string& param, const std::string& message) {
    throw ApiError::bad_request(message, param);
}

std::string type_name(const json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "a boolean";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_array()) return "an array";
    return "an object";
}

double number(const json& body, const char* key, double lo, double hi) {
    const json& v = body.at(key);
    if (!v.is_number()) bad(key, std::string("'") + key + "' must be a number, got " + type_name(v));
    double d = v.get<double>();
    if (d < lo || d > hi) {
        char range[96];
        std::snprintf(range, sizeof range, "' must be between %g and %g, got ", lo, hi);
        bad(key, std::string("'") + key + range + v.dump());
    }
    return d;
}

long long integer(const json& body, const char* key, long long lo, long long hi) {
    const json& v = body.at(key);
    if (!v.is_number_integer()) bad(key, std::string("'") + key + "' must be an integer, got " + v.dump());
    // Above LLONG_MAX the value would wrap to a negative number when read as long long.
    if (v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(hi))
        bad(key, std::string("'") + key + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + v.dump());
    long long i = v.get<long long>();
    if (i < lo || i > hi)
        bad(key, std::string("'") + key + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + std::to_string(i));
    return i;
}

bool boolean(const json& body, const char* key) {
    const json& v = body.at(key);
    if (!v.is_boolean()) bad(key, std::string("'") + key + "' must be a boolean, got " + type_name(v));
    return v.get<bool>();
}

bool has(const json& body, const char* key) { return body.contains(key) && !body.at(key).is_null(); }

// An optional string field ("" when absent or null). Reading a number or an object with
// json::value(key, "") threw json::type_error, which ended as a 500 (found by fuzz_chat_request).
std::string optional_string(const json& obj, const char* key, const std::string& where) {
    if (!obj.is_object() || !has(obj, key)) return "";
    const json& v = obj.at(key);
    if (!v.is_string()) bad(where, "'" + where + "' must be a string, got " + type_name(v));
    return v.get<std::string>();
}

// Fields shared by chat and completions.
void parse_sampling(const json& body, const SamplingDefaults& d, SamplingParams& s) {
    s.max_tokens = d.max_tokens;
    s.temperature = d.temperature;
    s.top_p = d.top_p;
    s.top_k = d.top_k;
    s.min_p = d.min_p;
    s.presence_penalty = d.presence_penalty;
    s.frequency_penalty = d.frequency_penalty;
    s.repeat_penalty = d.repeat_penalty;
    if (has(body, "max_tokens")) s.max_tokens = static_cast<int>(integer(body, "max_tokens", 1, 1 << 24));
    if (has(body, "max_completion_tokens")) s.max_tokens = static_cast<int>(integer(body, "max_completion_tokens", 1, 1 << 24));
    if (has(body, "temperature")) s.temperature = static_cast<float>(number(body, "temperature", 0, 2));
    if (has(body, "top_p")) s.top_p = static_cast<float>(number(body, "top_p", 0, 1));
    if (has(body, "top_k")) s.top_k = static_cast<int>(integer(body, "top_k", 0, 1 << 20));
    if (has(body, "min_p")) s.min_p = static_cast<float>(number(body, "min_p", 0, 1));
    if (has(body, "presence_penalty")) s.presence_penalty = static_cast<float>(number(body, "presence_penalty", -2, 2));
    if (has(body, "frequency_penalty")) s.frequency_penalty = static_cast<float>(number(body, "frequency_penalty", -2, 2));
    if (has(body, "repeat_penalty")) s.repeat_penalty = static_cast<float>(number(body, "repeat_penalty", 0, 10));
    if (has(body, "seed")) s.seed = static_cast<std::uint32_t>(integer(body, "seed", -(1ll << 62), 1ll << 62));
    if (has(body, "n") && integer(body, "n", 1, 128) != 1) bad("n", "only n=1 is supported");
    if (has(body, "stop")) {
        const json& st = body.at("stop");
        if (st.is_string()) s.stop.push_back(st.get<std::string>());
        else if (st.is_array()) {
            if (st.size() > 16) bad("stop", "'stop' accepts at most 16 sequences");
            for (const auto& x : st) {
                if (!x.is_string()) bad("stop", "'stop' must be a string or an array of strings");
                s.stop.push_back(x.get<std::string>());
            }
        } else bad("stop", "'stop' must be a string or an array of strings, got " + type_name(st));
    }
}

void parse_stream(const json& body, bool& stream, bool& include_usage) {
    if (has(body, "stream")) stream = boolean(body, "stream");
    if (has(body, "stream_options")) {
        const json& so = body.at("stream_options");
        if (!so.is_object()) bad("stream_options", "'stream_options' must be an object");
        if (!stream) bad("stream_options", "'stream_options' is only allowed when 'stream' is true");
        if (has(so, "include_usage")) include_usage = boolean(so, "include_usage");
    }
}

std::string message_content(const json& m, std::size_t i) {
    std::string where = "messages[" + std::to_string(i) + "].content";
    if (!m.contains("content") || m.at("content").is_null()) return "";
    const json& c = m.at("content");
    if (c.is_string()) return c.get<std::string>();
    if (!c.is_array()) bad(where, "'" + where + "' must be a string or an array of content parts");
    std::string text;
    for (const auto& part : c) {
        std::string type = part.is_object() && part.contains("type") && part["type"].is_string() ? part["type"].get<std::string>() : "";
        if (type == "text" && part.contains("text") && part["text"].is_string()) {
            if (!text.empty()) text += "\n";
            text += part["text"].get<std::string>();
        } else if (type == "image_url" || type == "input_audio" || type == "file") {
            bad(where, "content part type '" + type + "' is not supported by this model (text only)");
        } else {
            bad(where, "each content part in '" + where + "' needs type 'text' and a string 'text'");
        }
    }
    return text;
}

// A schema becomes a grammar the model thread must match on every token: bounded in size here;
// the grammar's own size and repetition counts are checked when it is built (engine/scheduler.cpp).
constexpr std::size_t kMaxSchemaBytes = 64 * 1024;

std::string checked_schema(std::string schema, const std::string& field) {
    if (schema.size() > kMaxSchemaBytes)
        bad(field, "'" + field + "' is " + std::to_string(schema.size()) + " bytes of JSON, over the limit of " + std::to_string(kMaxSchemaBytes));
    return schema;
}

std::string response_format_schema(const json& body) {
    if (!has(body, "response_format")) return "";
    const json& rf = body.at("response_format");
    if (!rf.is_object() || !rf.contains("type") || !rf["type"].is_string())
        bad("response_format", "'response_format' must be an object with a 'type'");
    std::string type = rf["type"].get<std::string>();
    if (type == "text") return "";
    if (type == "json_object") return R"({"type":"object"})";
    if (type == "json_schema") {
        if (!rf.contains("json_schema") || !rf["json_schema"].is_object())
            bad("response_format.json_schema", "'response_format.json_schema' must be an object with a 'schema'");
        const json& js = rf["json_schema"];
        if (!js.contains("schema") || !js["schema"].is_object())
            bad("response_format.json_schema.schema", "'response_format.json_schema.schema' must be a JSON Schema object");
        return js["schema"].empty() ? std::string(R"({"type":"object"})") : checked_schema(js["schema"].dump(), "response_format.json_schema.schema");
    }
    bad("response_format.type", "'response_format.type' must be 'text', 'json_object' or 'json_schema', got '" + type + "'");
}

}  // namespace

// The field of a body holding invalid UTF-8, as "messages[0].content" ("" if none is found).
// Only called for a body that failed to parse: its invalid bytes are replaced by U+FFFF (a
// noncharacter) and the parsed copy is searched for it.
std::string field_with_invalid_utf8(const std::string& body) {
    static const std::string marker = "\xEF\xBF\xBF";
    json copy = json::parse(replace_invalid_utf8(body, marker), nullptr, false);
    if (copy.is_discarded()) return "";
    std::function<std::string(const json&, const std::string&)> find = [&](const json& v, const std::string& path) -> std::string {
        if (v.is_string()) return v.get_ref<const std::string&>().find(marker) != std::string::npos ? path : "";
        if (v.is_array())
            for (std::size_t i = 0; i < v.size(); ++i)
                if (auto p = find(v[i], path + "[" + std::to_string(i) + "]"); !p.empty()) return p;
        if (v.is_object())
            for (const auto& [k, item] : v.items()) {
                std::string p = path.empty() ? k : path + "." + k;
                if (k.find(marker) != std::string::npos) return p;
                if (auto found = find(item, p); !found.empty()) return found;
            }
        return "";
    };
    return find(copy, "");
}

json parse_body(const std::string& body) {
    json j;
    try {
        // Deeply nested bodies are refused while parsing: later walks over the value (dump,
        // schema conversion) recurse, and 8 MiB of '[' would overflow the stack.
        j = json::parse(body, [](int depth, json::parse_event_t, json&) {
            if (depth > kMaxJsonDepth)
                throw ApiError::bad_request("The JSON body is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels", "", "invalid_json");
            return true;
        });
    } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers such as 1e400
        if (replace_invalid_utf8(body) != body) {
            std::string field = field_with_invalid_utf8(body);
            if (!field.empty()) throw ApiError::bad_request("'" + field + "' is not valid UTF-8 text", field, "invalid_request");
        }
        throw ApiError::bad_request(std::string("We could not parse the JSON body of your request: ") + e.what(), "", "invalid_json");
    }
    if (!j.is_object()) throw ApiError::bad_request("The request body must be a JSON object, got " + type_name(j), "", "invalid_json");
    return j;
}

std::string require_model(const json& body) {
    if (!has(body, "model")) bad("model", "you must provide a model parameter");
    if (!body["model"].is_string() || body["model"].get<std::string>().empty()) bad("model", "'model' must be a non-empty string");
    return body["model"].get<std::string>();
}

ChatRequest parse_chat_request(const json& body, const SamplingDefaults& defaults) {
    ChatRequest r;
    r.model = require_model(body);
    if (!has(body, "messages") || !body["messages"].is_array() || body["messages"].empty())
        bad("messages", "'messages' must be a non-empty array");
    const json& msgs = body["messages"];
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        const json& m = msgs[i];
        std::string where = "messages[" + std::to_string(i) + "]";
        if (!m.is_object()) bad(where, "'" + where + "' must be an object");
        if (!m.contains("role") || !m["role"].is_string()) bad(where + ".role", "'" + where + ".role' is required");
        ChatMessage cm;
        cm.role = m["role"].get<std::string>();
        if (cm.role == "developer") cm.role = "system";
        if (cm.role != "system" && cm.role != "user" && cm.role != "assistant" && cm.role != "tool")
            bad(where + ".role", "'" + where + ".role' must be one of system, developer, user, assistant, tool; got '" + cm.role + "'");
        cm.content = message_content(m, i);
        if (has(m, "name") && m["name"].is_string()) cm.name = m["name"].get<std::string>();
        if (cm.role == "tool") {
            if (!has(m, "tool_call_id") || !m["tool_call_id"].is_string()) bad(where + ".tool_call_id", "tool messages need a string 'tool_call_id'");
            cm.tool_call_id = m["tool_call_id"].get<std::string>();
        }
        if (cm.role == "assistant" && has(m, "tool_calls")) {
            if (!m["tool_calls"].is_array()) bad(where + ".tool_calls", "'" + where + ".tool_calls' must be an array");
            for (const auto& tc : m["tool_calls"]) {
                if (!tc.is_object() || !tc.contains("function") || !tc["function"].is_object() || !tc["function"].contains("name") ||
                    !tc["function"]["name"].is_string())
                    bad(where + ".tool_calls", "each tool call needs a 'function' with a string 'name'");
                const json& f = tc["function"];
                std::string args = f.contains("arguments") ? (f["arguments"].is_string() ? f["arguments"].get<std::string>() : f["arguments"].dump()) : "{}";
                cm.tool_calls.push_back({optional_string(tc, "id", where + ".tool_calls.id"), f["name"].get<std::string>(), args});
            }
        }
        r.input.messages.push_back(std::move(cm));
    }
    parse_sampling(body, defaults, r.sampling);
    parse_stream(body, r.stream, r.include_usage);
    if (has(body, "logprobs")) r.logprobs = boolean(body, "logprobs");
    if (has(body, "top_logprobs")) {
        int n = static_cast<int>(integer(body, "top_logprobs", 0, 20));
        if (!r.logprobs) bad("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
        r.sampling.top_logprobs = n;
    } else if (r.logprobs) {
        r.sampling.top_logprobs = 0;
    }
    r.input.json_schema = response_format_schema(body);

    if (has(body, "tools")) {
        if (!body["tools"].is_array()) bad("tools", "'tools' must be an array");
        for (std::size_t i = 0; i < body["tools"].size(); ++i) {
            const json& t = body["tools"][i];
            std::string where = "tools[" + std::to_string(i) + "]";
            if (!t.is_object() || !t.contains("type") || t["type"] != "function" || !t.contains("function") || !t["function"].is_object())
                bad(where, "'" + where + "' must be {\"type\": \"function\", \"function\": {...}}");
            const json& f = t["function"];
            if (!f.contains("name") || !f["name"].is_string() || f["name"].get<std::string>().empty())
                bad(where + ".function.name", "'" + where + ".function.name' is required");
            ToolDefinition def;
            def.name = f["name"].get<std::string>();
            def.description = optional_string(f, "description", where + ".function.description");
            def.parameters_json = f.contains("parameters") && f["parameters"].is_object() ? f["parameters"].dump() : R"({"type":"object","properties":{}})";
            r.input.tools.push_back(std::move(def));
        }
    }
    if (has(body, "tool_choice")) {
        const json& tc = body["tool_choice"];
        if (tc.is_string()) {
            r.input.tool_choice = tc.get<std::string>();
            if (r.input.tool_choice != "auto" && r.input.tool_choice != "none" && r.input.tool_choice != "required")
                bad("tool_choice", "'tool_choice' must be 'auto', 'none', 'required' or {\"type\":\"function\",...}");
        } else if (tc.is_object() && tc.contains("function") && tc["function"].is_object() && tc["function"].contains("name") &&
                   tc["function"]["name"].is_string()) {
            // A named function: offer only that tool and require a call.
            std::string name = tc["function"]["name"].get<std::string>();
            std::vector<ToolDefinition> only;
            for (const auto& t : r.input.tools) if (t.name == name) only.push_back(t);
            if (only.empty()) bad("tool_choice", "'tool_choice' names function '" + name + "' which is not in 'tools'");
            r.input.tools = std::move(only);
            r.input.tool_choice = "required";
        } else {
            bad("tool_choice", "'tool_choice' must be a string or {\"type\":\"function\",\"function\":{\"name\":...}}");
        }
        if (r.input.tools.empty() && r.input.tool_choice == "required") bad("tool_choice", "'tool_choice' is 'required' but no 'tools' were given");
    }
    if (!r.input.tools.empty() && r.input.tool_choice != "none" && !r.input.json_schema.empty())
        bad("response_format", "'response_format' with a JSON schema cannot be combined with 'tools'");
    return r;
}

CompletionRequest parse_completion_request(const json& body, const SamplingDefaults& defaults) {
    CompletionRequest r;
    r.model = require_model(body);
    if (!has(body, "prompt")) bad("prompt", "'prompt' is required");
    const json& p = body["prompt"];
    if (p.is_string()) r.prompt = p.get<std::string>();
    else if (p.is_array() && p.size() == 1 && p[0].is_string()) r.prompt = p[0].get<std::string>();
    else if (p.is_array()) bad("prompt", "'prompt' must be one string (batches of prompts and token arrays are not supported)");
    else bad("prompt", "'prompt' must be a string, got " + type_name(p));
    if (r.prompt.empty()) bad("prompt", "'prompt' must not be empty");
    parse_sampling(body, defaults, r.sampling);
    parse_stream(body, r.stream, r.include_usage);
    if (has(body, "echo")) r.echo = boolean(body, "echo");
    if (has(body, "logprobs")) {
        r.logprobs = static_cast<int>(integer(body, "logprobs", 0, 5));
        r.sampling.top_logprobs = r.logprobs;
    }
    if (has(body, "suffix")) bad("suffix", "'suffix' (fill-in-the-middle) is not supported");
    r.json_schema = response_format_schema(body);
    return r;
}

EmbeddingRequest parse_embedding_request(const json& body) {
    EmbeddingRequest r;
    r.model = require_model(body);
    if (!has(body, "input")) bad("input", "'input' is required");
    const json& in = body["input"];
    if (in.is_string()) r.inputs.push_back(in.get<std::string>());
    else if (in.is_array() && !in.empty()) {
        if (in.size() > 2048) bad("input", "'input' accepts at most 2048 items");
        for (const auto& x : in) {
            if (!x.is_string()) bad("input", "'input' must be a string or an array of strings (token arrays are not supported)");
            r.inputs.push_back(x.get<std::string>());
        }
    } else bad("input", "'input' must be a string or a non-empty array of strings");
    for (std::size_t i = 0; i < r.inputs.size(); ++i)
        if (r.inputs[i].empty()) bad("input", "input[" + std::to_string(i) + "] is empty");
    if (has(body, "encoding_format")) {
        const json& f = body["encoding_format"];
        if (f == "base64") r.base64 = true;
        else if (f != "float") bad("encoding_format", "'encoding_format' must be 'float' or 'base64'");
    }
    if (has(body, "dimensions")) bad("dimensions", "'dimensions' is not supported: local embedding models have a fixed size");
    return r;
}

}  // namespace switchyard::wire
