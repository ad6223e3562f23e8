#include "wire/openai_format.h"

namespace switchyard::wire {

json bytes_of(const std::string& s) {
    json b = json::array();
    for (unsigned char c : s) b.push_back(static_cast<int>(c));
    return b;
}

json chat_logprobs(const std::vector<TokenLogprob>& lps) {
    json content = json::array();
    for (const auto& lp : lps) {
        json top = json::array();
        for (const auto& t : lp.top) top.push_back({{"token", t.token}, {"logprob", t.logprob}, {"bytes", bytes_of(t.token)}});
        content.push_back({{"token", lp.token}, {"logprob", lp.logprob}, {"bytes", bytes_of(lp.token)}, {"top_logprobs", top}});
    }
    return {{"content", content}};
}

// Legacy /v1/completions shape: parallel arrays.
void append_text_logprobs(json& acc, const std::vector<TokenLogprob>& lps, std::size_t& offset) {
    for (const auto& lp : lps) {
        acc["tokens"].push_back(lp.token);
        acc["token_logprobs"].push_back(lp.logprob);
        json top = json::object();
        for (const auto& t : lp.top) top[t.token] = t.logprob;
        acc["top_logprobs"].push_back(top);
        acc["text_offset"].push_back(offset);
        offset += lp.token.size();
    }
}

json usage_json(const Usage& u) {
    json j = {{"prompt_tokens", u.prompt_tokens}, {"completion_tokens", u.completion_tokens},
              {"total_tokens", u.prompt_tokens + u.completion_tokens},
              {"prompt_tokens_details", {{"cached_tokens", u.cached_prompt_tokens}}}};
    // Speculative decoding (models[].speculative): OpenAI's fields for predicted-output tokens.
    if (u.draft_tokens > 0)
        j["completion_tokens_details"] = {{"accepted_prediction_tokens", u.accepted_draft_tokens},
                                          {"rejected_prediction_tokens", u.draft_tokens - u.accepted_draft_tokens}};
    return j;
}

json tool_calls_json(const std::vector<ToolCall>& calls) {
    json arr = json::array();
    for (const auto& c : calls)
        arr.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
    return arr;
}

json delta_json(const ChatDelta& d) {
    json delta = json::object();
    if (d.tool_call_index >= 0) {
        json fn = json::object();
        if (!d.tool_call_name.empty()) fn["name"] = d.tool_call_name;
        fn["arguments"] = d.tool_call_arguments;
        json tc = {{"index", d.tool_call_index}, {"function", fn}};
        if (!d.tool_call_id.empty()) { tc["id"] = d.tool_call_id; tc["type"] = "function"; }
        delta["tool_calls"] = json::array({tc});
    }
    if (!d.content.empty()) delta["content"] = d.content;
    return delta;
}

json completion_envelope(const std::string& id, const std::string& object, long long created, const std::string& model,
                         json choice) {
    json choices = json::array();
    if (!choice.is_null()) choices.push_back(std::move(choice));
    return {{"id", id}, {"object", object}, {"created", created}, {"model", model},
            {"system_fingerprint", "switchyard"}, {"choices", std::move(choices)}};
}

json empty_text_logprobs() {
    return {{"tokens", json::array()}, {"token_logprobs", json::array()}, {"top_logprobs", json::array()}, {"text_offset", json::array()}};
}

}  // namespace switchyard::wire
