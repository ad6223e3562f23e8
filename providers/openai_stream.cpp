#include "providers/openai_stream.h"

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <climits>
#include <cstdint>

namespace switchyard::providers {

namespace {

// Token counts from an upstream, clamped to [0, INT_MAX] (a negative or huge count is its bug,
// not a reason for ours).
int int_field(const json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_number_integer()) return 0;
    if (it->is_number_unsigned()) return static_cast<int>(std::min<std::uint64_t>(it->get<std::uint64_t>(), INT_MAX));
    return static_cast<int>(std::clamp<std::int64_t>(it->get<std::int64_t>(), 0, INT_MAX));
}

void read_usage(const json& obj, ProviderResult& r) {
    auto u = obj.find("usage");
    if (u == obj.end() || !u->is_object()) return;
    r.prompt_tokens = int_field(*u, "prompt_tokens");
    r.completion_tokens = int_field(*u, "completion_tokens");
}

void read_logprobs(const json& choice, ProviderResult& r) {
    auto lp = choice.find("logprobs");
    if (lp == choice.end() || !lp->is_object()) return;
    auto content = lp->find("content");
    if (content == lp->end() || !content->is_array()) return;
    for (const auto& tok : *content)
        if (tok.is_object() && tok.contains("logprob") && tok["logprob"].is_number())
            // Clamped: a double beyond float's range does not convert (undefined behaviour).
            r.token_logprobs.push_back(static_cast<float>(
                std::clamp(tok["logprob"].get<double>(), -double(FLT_MAX), double(FLT_MAX))));
}

void read_finish_reason(const json& choice, ProviderResult& r) {
    auto fr = choice.find("finish_reason");
    if (fr != choice.end() && fr->is_string()) r.finish_reason = fr->get<std::string>();
}

const json* first_choice(const json& obj) {
    auto c = obj.find("choices");
    if (c == obj.end() || !c->is_array() || c->empty() || !(*c)[0].is_object()) return nullptr;
    return &(*c)[0];
}

std::string string_field(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

constexpr std::size_t kMaxToolCalls = 128;

// Tool calls stream as fragments keyed by "index": the first carries id, type and name, later
// ones carry pieces of the JSON arguments, which are concatenated in order.
void merge_tool_call_deltas(const json& deltas, json& calls) {
    std::size_t position = 0;
    for (const auto& d : deltas) {
        if (!d.is_object()) continue;
        std::size_t index = d.contains("index") && d["index"].is_number_unsigned() ? d["index"].get<std::size_t>() : position;
        ++position;
        // An index is a position in a short list; a huge one would make us allocate that many.
        if (index >= kMaxToolCalls) continue;
        while (calls.size() <= index)
            calls.push_back(json{{"id", ""}, {"type", "function"}, {"function", {{"name", ""}, {"arguments", ""}}}});
        json& call = calls[index];
        if (auto id = string_field(d, "id"); !id.empty()) call["id"] = id;
        if (auto type = string_field(d, "type"); !type.empty()) call["type"] = type;
        auto fn = d.find("function");
        if (fn == d.end() || !fn->is_object()) continue;
        auto name = string_field(*fn, "name");
        std::string& have = call["function"]["name"].get_ref<std::string&>();
        // Some servers repeat the full name in every fragment; others never split it. Append
        // only what is new.
        if (!name.empty() && name != have) have += name;
        call["function"]["arguments"].get_ref<std::string&>() += string_field(*fn, "arguments");
    }
}

}  // namespace

void accumulate_chunk(const json& chunk, ProviderResult& r) {
    if (!chunk.is_object()) return;
    read_usage(chunk, r);
    const json* choice = first_choice(chunk);
    if (!choice) return;  // e.g. the usage-only chunk at the end
    auto delta = choice->find("delta");
    if (delta != choice->end() && delta->is_object()) {
        r.content += string_field(*delta, "content");
        auto tc = delta->find("tool_calls");
        if (tc != delta->end() && tc->is_array()) merge_tool_call_deltas(*tc, r.tool_calls);
    }
    read_finish_reason(*choice, r);
    read_logprobs(*choice, r);
}

bool read_completion(json completion, ProviderResult& r, std::string& why) {
    const json* choice = completion.is_object() ? first_choice(completion) : nullptr;
    if (!choice) {
        why = "no choices[0] in the response";
        return false;
    }
    auto msg = choice->find("message");
    if (msg == choice->end() || !msg->is_object()) {
        why = "no choices[0].message in the response";
        return false;
    }
    r.content = string_field(*msg, "content");  // null when the model only called tools
    auto tc = msg->find("tool_calls");
    r.tool_calls = tc != msg->end() && tc->is_array() ? *tc : json::array();
    read_finish_reason(*choice, r);
    read_logprobs(*choice, r);
    read_usage(completion, r);
    r.response = std::move(completion);   // last: choice and msg point into it
    return true;
}

std::string upstream_error_message(const std::string& body, json& error_body) {
    json parsed = json::parse(body, nullptr, false);
    if (parsed.is_object()) {
        auto err = parsed.find("error");
        if (err != parsed.end() && err->is_object()) {
            error_body = *err;
            auto m = err->find("message");
            return m != err->end() && m->is_string() ? m->get<std::string>() : err->dump();
        }
        if (err != parsed.end() && err->is_string()) {
            error_body = json{{"message", *err}};
            return err->get<std::string>();
        }
        for (const char* key : {"message", "detail"}) {
            auto m = parsed.find(key);
            if (m == parsed.end()) continue;
            error_body = parsed;
            return m->is_string() ? m->get<std::string>() : m->dump();
        }
    }
    // Not JSON (a proxy's HTML page, a plain-text panic): keep a readable prefix.
    std::string text = body.substr(0, 300);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    return text.empty() ? "(empty body)" : text;
}

}  // namespace switchyard::providers
