#include "router/checks.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace switchyard::router {

bool looks_like_refusal(const std::string& text) {
    std::string t;
    for (char c : text.substr(0, 200)) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    static const char* openers[] = {"i'm sorry", "i am sorry", "sorry, i", "i can't", "i cannot", "i can not",
                                    "i'm unable", "i am unable", "as an ai", "i won't", "i will not"};
    auto first = t.find_first_not_of(" \n\t\"'");
    if (first == std::string::npos) return false;
    t = t.substr(first);
    return std::any_of(std::begin(openers), std::end(openers), [&](const char* o) { return t.rfind(o, 0) == 0; });
}

CheckResult check_answer(const CascadeSpec& spec, const providers::ProviderResult& r, bool wants_json) {
    CheckResult c;
    if (!r.token_logprobs.empty()) {
        double sum = 0, mn = 0;
        for (float lp : r.token_logprobs) { sum += lp; mn = std::min<double>(mn, lp); }
        c.mean_logprob = sum / r.token_logprobs.size();
        c.min_logprob = mn;
    }
    auto escalate = [&](std::string why) { c.accept = false; c.reason = std::move(why); return c; };
    const bool has_tool_calls = r.tool_calls.is_array() && !r.tool_calls.empty();
    if (spec.check_empty && !has_tool_calls) {
        bool blank = std::all_of(r.content.begin(), r.content.end(), [](unsigned char ch) { return std::isspace(ch); });
        if (blank) return escalate("empty answer");
    }
    if (spec.check_refusal && looks_like_refusal(r.content)) return escalate("refusal");
    if (spec.check_json && wants_json && !has_tool_calls) {
        auto parsed = nlohmann::json::parse(r.content, nullptr, false);
        if (parsed.is_discarded() || !parsed.is_object()) return escalate("invalid JSON for a JSON response_format");
    }
    if (r.finish_reason == "length" && wants_json) return escalate("JSON answer cut off at max_tokens");
    char buf[128];
    if (!r.token_logprobs.empty() && c.mean_logprob < spec.min_mean_logprob) {
        std::snprintf(buf, sizeof buf, "mean token logprob %.3f below %.3f", c.mean_logprob, spec.min_mean_logprob);
        return escalate(buf);
    }
    if (!r.token_logprobs.empty() && c.min_logprob < spec.min_token_logprob) {
        std::snprintf(buf, sizeof buf, "minimum token logprob %.3f below %.3f", c.min_logprob, spec.min_token_logprob);
        return escalate(buf);
    }
    return c;
}

}  // namespace switchyard::router
