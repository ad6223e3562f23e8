#include "wire/responses_format.h"

namespace switchyard::wire {

namespace {

bool has(const json& j, const char* key) { return j.contains(key) && !j.at(key).is_null(); }

std::string type_name(const json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "a boolean";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_array()) return "an array";
    return "an object";
}

// `where` "" = a top-level field.
std::string str(const json& obj, const char* key, const std::string& where, bool required = true) {
    const std::string path = where.empty() ? std::string(key) : where + "." + key;
    if (!has(obj, key)) {
        if (required) reject(path, "'" + path + "' is required");
        return "";
    }
    if (!obj.at(key).is_string()) reject(path, "'" + path + "' must be a string, got " + type_name(obj.at(key)));
    return obj.at(key).get<std::string>();
}

// Text of a content value: a string, or parts of type input_text / output_text / text / refusal.
std::string content_text(const json& c, const std::string& where) {
    if (c.is_string()) return c.get<std::string>();
    if (!c.is_array()) reject(where, "'" + where + "' must be a string or an array of content parts");
    std::string text;
    for (std::size_t i = 0; i < c.size(); ++i) {
        const json& part = c[i];
        std::string pw = where + "[" + std::to_string(i) + "]";
        std::string type = part.is_object() && part.contains("type") && part["type"].is_string() ? part["type"].get<std::string>() : "";
        if (type == "input_text" || type == "output_text" || type == "text") {
            if (!text.empty()) text += "\n";
            text += str(part, "text", pw);
        } else if (type == "refusal") {
            text += str(part, "refusal", pw);
        } else if (type == "input_image" || type == "input_file" || type == "input_audio") {
            reject(pw, "content part type '" + type + "' is not supported: the models behind this server read text only");
        } else {
            reject(pw + ".type", "'" + pw + ".type' must be 'input_text' or 'output_text', got '" + type + "'");
        }
    }
    return text;
}

void add_input_item(const json& item, const std::string& where, json& messages) {
    if (!item.is_object()) reject(where, "'" + where + "' must be an object");
    std::string type = has(item, "type") ? str(item, "type", where) : (item.contains("role") ? "message" : "");
    if (type == "message") {
        std::string role = str(item, "role", where);
        if (role == "developer") role = "system";
        if (role != "user" && role != "assistant" && role != "system")
            reject(where + ".role", "'" + where + ".role' must be user, assistant, system or developer, got '" + role + "'");
        if (!item.contains("content")) reject(where + ".content", "'" + where + ".content' is required");
        messages.push_back({{"role", role}, {"content", content_text(item["content"], where + ".content")}});
    } else if (type == "function_call") {
        std::string call_id = str(item, "call_id", where);
        std::string name = str(item, "name", where);
        std::string args = has(item, "arguments") ? (item["arguments"].is_string() ? item["arguments"].get<std::string>() : item["arguments"].dump()) : "{}";
        json call = {{"id", call_id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", args}}}};
        // Consecutive calls belong to one assistant turn.
        if (!messages.empty() && messages.back().value("role", "") == "assistant") {
            json& last = messages.back();
            if (!last.contains("tool_calls")) last["tool_calls"] = json::array();
            last["tool_calls"].push_back(call);
        } else {
            messages.push_back({{"role", "assistant"}, {"content", ""}, {"tool_calls", json::array({call})}});
        }
    } else if (type == "function_call_output") {
        std::string call_id = str(item, "call_id", where);
        if (!item.contains("output")) reject(where + ".output", "'" + where + ".output' is required");
        std::string output = item["output"].is_string() ? item["output"].get<std::string>() : content_text(item["output"], where + ".output");
        messages.push_back({{"role", "tool"}, {"tool_call_id", call_id}, {"content", output}});
    } else if (type == "reasoning") {
        // Reasoning items of another model's answer carry nothing these models can use.
    } else if (type.empty()) {
        reject(where + ".type", "'" + where + "' needs a 'type' (message, function_call, function_call_output) or a 'role'");
    } else {
        reject(where + ".type", "input item type '" + type + "' is not supported (message, function_call, function_call_output)");
    }
}

json chat_tools(const json& tools) {
    if (!tools.is_array()) reject("tools", "'tools' must be an array");
    json out = json::array();
    for (std::size_t i = 0; i < tools.size(); ++i) {
        const json& t = tools[i];
        std::string where = "tools[" + std::to_string(i) + "]";
        if (!t.is_object()) reject(where, "'" + where + "' must be an object");
        std::string type = str(t, "type", where);
        if (type != "function") reject(where + ".type", "tool type '" + type + "' is not supported: only 'function' tools (hosted tools run at OpenAI)");
        json fn = {{"name", str(t, "name", where)}};
        if (has(t, "description")) fn["description"] = str(t, "description", where);
        if (has(t, "parameters")) {
            if (!t["parameters"].is_object()) reject(where + ".parameters", "'" + where + ".parameters' must be a JSON Schema object");
            fn["parameters"] = t["parameters"];
        }
        out.push_back({{"type", "function"}, {"function", fn}});
    }
    return out;
}

json chat_tool_choice(const json& tc) {
    if (tc.is_string()) {
        std::string s = tc.get<std::string>();
        if (s != "auto" && s != "none" && s != "required") reject("tool_choice", "'tool_choice' must be 'auto', 'none', 'required' or {\"type\": \"function\", \"name\": ...}");
        return s;
    }
    if (tc.is_object() && tc.value("type", "") == "function" && tc.contains("name") && tc["name"].is_string())
        return {{"type", "function"}, {"function", {{"name", tc["name"]}}}};
    reject("tool_choice", "'tool_choice' must be 'auto', 'none', 'required' or {\"type\": \"function\", \"name\": ...}");
}

json chat_response_format(const json& text) {
    if (!text.is_object()) reject("text", "'text' must be an object");
    if (!has(text, "format")) return nullptr;
    const json& f = text["format"];
    if (!f.is_object()) reject("text.format", "'text.format' must be an object");
    std::string type = str(f, "type", "text.format");
    if (type == "text") return nullptr;
    if (type == "json_object") return {{"type", "json_object"}};
    if (type == "json_schema") {
        if (!has(f, "schema") || !f["schema"].is_object()) reject("text.format.schema", "'text.format.schema' must be a JSON Schema object");
        json js = {{"name", has(f, "name") ? str(f, "name", "text.format") : std::string("response")}, {"schema", f["schema"]}};
        if (has(f, "strict")) js["strict"] = f["strict"];
        return {{"type", "json_schema"}, {"json_schema", js}};
    }
    reject("text.format.type", "'text.format.type' must be 'text', 'json_object' or 'json_schema', got '" + type + "'");
}

json usage_of(const ChatAnswer& a) {
    return {{"input_tokens", a.prompt_tokens}, {"input_tokens_details", {{"cached_tokens", a.cached_tokens}}},
            {"output_tokens", a.completion_tokens}, {"output_tokens_details", {{"reasoning_tokens", 0}}},
            {"total_tokens", a.prompt_tokens + a.completion_tokens}};
}

json text_part(const std::string& text) {
    return {{"type", "output_text"}, {"text", text}, {"annotations", json::array()}, {"logprobs", json::array()}};
}

json message_item(const std::string& id, const std::string& text, const std::string& status) {
    json content = status == "in_progress" ? json::array() : json::array({text_part(text)});
    return {{"type", "message"}, {"id", id}, {"status", status}, {"role", "assistant"}, {"content", content}};
}

json call_item(const std::string& id, const std::string& call_id, const std::string& name, const std::string& args, const std::string& status) {
    return {{"type", "function_call"}, {"id", id}, {"call_id", call_id}, {"name", name}, {"arguments", args}, {"status", status}};
}

}  // namespace

std::string ResponseIds::call_id(std::size_t i) {
    while (calls.size() <= i) calls.push_back("fc_" + response.substr(response.find('_') + 1) + "_" + std::to_string(calls.size()));
    return calls[i];
}

ResponsesRequest parse_responses_request(const json& body) {
    ResponsesRequest r;
    if (!has(body, "model") || !body["model"].is_string() || body["model"].get<std::string>().empty())
        reject("model", "'model' is required: a model, route or alias name");
    r.chat["model"] = body["model"];
    for (const char* unsupported : {"background", "conversation", "prompt"})
        if (has(body, unsupported) && body[unsupported] != false)
            reject(unsupported, std::string("'") + unsupported + "' is not supported by this server");
    if (has(body, "instructions")) r.instructions = str(body, "instructions", "");
    if (has(body, "input")) {
        const json& in = body["input"];
        if (in.is_string()) r.messages.push_back({{"role", "user"}, {"content", in.get<std::string>()}});
        else if (in.is_array())
            for (std::size_t i = 0; i < in.size(); ++i) add_input_item(in[i], "input[" + std::to_string(i) + "]", r.messages);
        else reject("input", "'input' must be a string or an array of input items, got " + type_name(in));
    }
    if (has(body, "previous_response_id")) r.previous_response_id = str(body, "previous_response_id", "");
    if (r.messages.empty() && r.previous_response_id.empty()) reject("input", "'input' is required (a string or a non-empty array of items)");
    if (has(body, "store")) {
        if (!body["store"].is_boolean()) reject("store", "'store' must be a boolean");
        r.store = body["store"].get<bool>();
    }
    if (has(body, "stream")) {
        if (!body["stream"].is_boolean()) reject("stream", "'stream' must be a boolean");
        r.stream = body["stream"].get<bool>();
    }
    if (has(body, "max_output_tokens")) {
        const json& m = body["max_output_tokens"];
        if (!m.is_number_integer() || m.get<long long>() < 1) reject("max_output_tokens", "'max_output_tokens' must be a positive integer");
        r.chat["max_tokens"] = m;
    }
    // Sampling fields keep their chat-completions names and are validated by the chat parser.
    for (const char* k : {"temperature", "top_p", "seed", "top_k", "min_p", "stop", "presence_penalty", "frequency_penalty", "repeat_penalty"})
        if (has(body, k)) r.chat[k] = body[k];
    if (has(body, "tools")) {
        json tools = chat_tools(body["tools"]);
        if (!tools.empty()) r.chat["tools"] = tools;
    }
    if (has(body, "tool_choice")) r.chat["tool_choice"] = chat_tool_choice(body["tool_choice"]);
    if (has(body, "text")) {
        json rf = chat_response_format(body["text"]);
        if (!rf.is_null()) r.chat["response_format"] = rf;
    }
    if (has(body, "metadata")) {
        if (!body["metadata"].is_object()) reject("metadata", "'metadata' must be an object");
        r.chat["metadata"] = body["metadata"];
    }
    for (const char* k : {"instructions", "max_output_tokens", "metadata", "parallel_tool_calls", "previous_response_id", "temperature",
                          "top_p", "tool_choice", "tools", "text", "truncation", "user", "reasoning"})
        if (body.contains(k)) r.echo[k] = body[k];
    return r;
}

json responses_chat_body(const ResponsesRequest& r, const json& history) {
    json body = r.chat;
    json messages = json::array();
    if (!r.instructions.empty()) messages.push_back({{"role", "system"}, {"content", r.instructions}});
    if (history.is_array()) for (const auto& m : history) messages.push_back(m);
    for (const auto& m : r.messages) messages.push_back(m);
    body["messages"] = messages;
    if (r.stream) body["stream"] = true;
    return body;
}

json response_output(const ChatAnswer& a, ResponseIds& ids) {
    json output = json::array();
    if (!a.content.empty() || a.tool_calls.empty()) output.push_back(message_item(ids.message, a.content, "completed"));
    for (std::size_t i = 0; i < a.tool_calls.size(); ++i) {
        const json& tc = a.tool_calls[i];
        const json fn = tc.value("function", json::object());
        std::string call_id = tc.value("id", "");
        if (call_id.empty()) call_id = "call_" + ids.call_id(i).substr(3);
        output.push_back(call_item(ids.call_id(i), call_id, fn.value("name", ""), fn.value("arguments", "{}"), "completed"));
    }
    return output;
}

json assistant_message(const ChatAnswer& a) {
    json m = {{"role", "assistant"}, {"content", a.content}};
    if (!a.tool_calls.empty()) m["tool_calls"] = a.tool_calls;
    return m;
}

json response_object(const ResponsesRequest& r, const std::string& model, long long created_at, const json& output,
                     const ChatAnswer* a, const std::string& status) {
    json resp = {{"object", "response"}, {"created_at", created_at}, {"status", status}, {"model", model}, {"output", output},
                 {"error", nullptr}, {"incomplete_details", nullptr}, {"instructions", nullptr}, {"max_output_tokens", nullptr},
                 {"metadata", json::object()}, {"parallel_tool_calls", true}, {"previous_response_id", nullptr},
                 {"temperature", nullptr}, {"top_p", nullptr}, {"tool_choice", "auto"}, {"tools", json::array()},
                 {"text", {{"format", {{"type", "text"}}}}}, {"truncation", "disabled"}, {"user", nullptr},
                 {"reasoning", {{"effort", nullptr}, {"summary", nullptr}}}, {"store", r.store}, {"usage", nullptr}};
    for (auto it = r.echo.begin(); it != r.echo.end(); ++it)
        if (!it.value().is_null()) resp[it.key()] = it.value();
    if (status == "incomplete") resp["incomplete_details"] = {{"reason", "max_output_tokens"}};
    if (a) resp["usage"] = usage_of(*a);
    return resp;
}

// ---- streaming ------------------------------------------------------------------------------

ResponsesStream::ResponsesStream(const ResponsesRequest& r, ResponseIds& ids, std::string model, long long created_at)
    : req_(r), ids_(ids), model_(std::move(model)), created_at_(created_at) {}

json ResponsesStream::event(const std::string& type, json fields) {
    fields["type"] = type;
    fields["sequence_number"] = seq_++;
    return fields;
}

std::vector<json> ResponsesStream::start() {
    json resp = response_object(req_, model_, created_at_, json::array(), nullptr, "in_progress");
    resp["id"] = ids_.response;
    return {event("response.created", {{"response", resp}}), event("response.in_progress", {{"response", resp}})};
}

void ResponsesStream::close_items(std::vector<json>& out) {
    for (auto& it : items_) {
        if (!it.open) continue;
        it.open = false;
        json item;
        if (it.kind == "message") {
            out.push_back(event("response.output_text.done", {{"item_id", it.id}, {"output_index", it.output_index}, {"content_index", 0},
                                                              {"text", it.text}, {"logprobs", json::array()}}));
            out.push_back(event("response.content_part.done", {{"item_id", it.id}, {"output_index", it.output_index}, {"content_index", 0},
                                                               {"part", text_part(it.text)}}));
            item = message_item(it.id, it.text, "completed");
        } else {
            out.push_back(event("response.function_call_arguments.done", {{"item_id", it.id}, {"output_index", it.output_index},
                                                                          {"name", it.name}, {"arguments", it.text}}));
            item = call_item(it.id, it.call_id, it.name, it.text, "completed");
        }
        out.push_back(event("response.output_item.done", {{"output_index", it.output_index}, {"item", item}}));
        output_.push_back(item);
    }
}

std::vector<json> ResponsesStream::feed(const json& chunk) {
    std::vector<json> out;
    if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) return out;
    const json& delta = chunk["choices"][0].value("delta", json::object());
    if (delta.contains("content") && delta["content"].is_string() && !delta["content"].get<std::string>().empty()) {
        std::string text = delta["content"].get<std::string>();
        if (items_.empty() || !items_.back().open || items_.back().kind != "message") {
            close_items(out);
            Item it;
            it.kind = "message";
            // A second message item (text after a tool call) gets its own id.
            it.id = ids_.message + (items_.empty() ? "" : "_" + std::to_string(items_.size()));
            it.output_index = items_.size();
            out.push_back(event("response.output_item.added", {{"output_index", it.output_index}, {"item", message_item(it.id, "", "in_progress")}}));
            out.push_back(event("response.content_part.added", {{"item_id", it.id}, {"output_index", it.output_index}, {"content_index", 0},
                                                                {"part", text_part("")}}));
            items_.push_back(it);
        }
        Item& it = items_.back();
        it.text += text;
        out.push_back(event("response.output_text.delta", {{"item_id", it.id}, {"output_index", it.output_index}, {"content_index", 0},
                                                           {"delta", text}, {"logprobs", json::array()}}));
    }
    if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
        for (const auto& tc : delta["tool_calls"]) {
            int index = tc.value("index", 0);
            const json fn = tc.value("function", json::object());
            Item* found = nullptr;
            for (auto& it : items_) if (it.kind == "function_call" && it.chat_index == index) found = &it;
            if (!found) {
                if (!items_.empty() && items_.back().kind == "message") close_items(out);
                Item it;
                it.kind = "function_call";
                it.chat_index = index;
                std::size_t n_calls = 0;
                for (const auto& x : items_) n_calls += x.kind == "function_call";
                it.id = ids_.call_id(n_calls);
                it.call_id = tc.value("id", "");
                if (it.call_id.empty()) it.call_id = "call_" + it.id.substr(3);
                it.name = fn.value("name", "");
                it.output_index = items_.size();
                out.push_back(event("response.output_item.added", {{"output_index", it.output_index},
                                                                   {"item", call_item(it.id, it.call_id, it.name, "", "in_progress")}}));
                items_.push_back(it);
                found = &items_.back();
            }
            std::string args = fn.contains("arguments") && fn["arguments"].is_string() ? fn["arguments"].get<std::string>() : "";
            if (!args.empty()) {
                found->text += args;
                out.push_back(event("response.function_call_arguments.delta", {{"item_id", found->id}, {"output_index", found->output_index}, {"delta", args}}));
            }
        }
    }
    return out;
}

std::vector<json> ResponsesStream::finish(const ChatAnswer& a) {
    std::vector<json> out;
    if (items_.empty()) {
        // Nothing was said: an empty message, as the non-streamed response has.
        json empty = {{"choices", json::array({{{"delta", {{"content", " "}}}}})}};
        out = feed(empty);
        items_.back().text.clear();
        out.pop_back();  // no delta for the placeholder
    }
    close_items(out);
    const std::string status = a.finish_reason == "length" ? "incomplete" : "completed";
    json resp = response_object(req_, model_, created_at_, output_, &a, status);
    resp["id"] = ids_.response;
    out.push_back(event(status == "incomplete" ? "response.incomplete" : "response.completed", {{"response", resp}}));
    return out;
}

std::vector<json> ResponsesStream::fail(const std::string& code, const std::string& message) {
    std::vector<json> out;
    out.push_back(event("error", {{"code", code}, {"message", message}, {"param", nullptr}}));
    json resp = response_object(req_, model_, created_at_, output_, nullptr, "failed");
    resp["id"] = ids_.response;
    resp["error"] = {{"code", code}, {"message", message}};
    out.push_back(event("response.failed", {{"response", resp}}));
    return out;
}

std::string sse_typed_event(const json& ev) {
    return "event: " + ev.value("type", std::string("message")) + "\ndata: " + ev.dump() + "\n\n";
}

}  // namespace switchyard::wire
