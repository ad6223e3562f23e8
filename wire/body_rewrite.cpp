#include "wire/body_rewrite.h"

#include <nlohmann/json.hpp>

namespace switchyard::wire {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view s, std::size_t i) {
    while (i < s.size() && is_space(s[i])) ++i;
    return i;
}

// i at an opening quote; returns one past the closing quote, or npos. `escaped` reports a backslash.
std::size_t skip_string(std::string_view s, std::size_t i, bool* escaped = nullptr) {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') {
            if (escaped) *escaped = true;
            ++i;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

// i at a value's first byte; returns one past its last byte, or npos.
std::size_t skip_value(std::string_view s, std::size_t i) {
    if (i >= s.size()) return std::string_view::npos;
    if (s[i] == '"') return skip_string(s, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        for (; i < s.size(); ++i) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, i);
                if (i == std::string_view::npos) return i;
                --i;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return std::string_view::npos;
    }
    // A number or a literal: up to the next delimiter.
    std::size_t start = i;
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_space(s[i])) ++i;
    return i > start ? i : std::string_view::npos;
}

}  // namespace

std::optional<std::vector<TopLevelMember>> scan_top_level(std::string_view s) {
    std::vector<TopLevelMember> members;
    std::size_t i = skip_space(s, 0);
    if (i >= s.size() || s[i] != '{') return std::nullopt;
    i = skip_space(s, i + 1);
    if (i < s.size() && s[i] == '}') return skip_space(s, i + 1) == s.size() ? std::optional(members) : std::nullopt;
    for (;;) {
        if (i >= s.size() || s[i] != '"') return std::nullopt;
        bool escaped = false;
        std::size_t key_end = skip_string(s, i, &escaped);
        if (key_end == std::string_view::npos || escaped) return std::nullopt;
        TopLevelMember m;
        m.key = s.substr(i + 1, key_end - i - 2);
        i = skip_space(s, key_end);
        if (i >= s.size() || s[i] != ':') return std::nullopt;
        i = skip_space(s, i + 1);
        m.value_begin = i;
        m.value_end = skip_value(s, i);
        if (m.value_end == std::string_view::npos) return std::nullopt;
        members.push_back(m);
        i = skip_space(s, m.value_end);
        if (i >= s.size()) return std::nullopt;
        if (s[i] == '}') break;
        if (s[i] != ',') return std::nullopt;
        i = skip_space(s, i + 1);
    }
    if (skip_space(s, i + 1) != s.size()) return std::nullopt;
    return members;
}

std::optional<std::string> forward_body(std::string_view body, std::string_view model, bool add_include_usage) {
    auto members = scan_top_level(body);
    if (!members) return std::nullopt;
    const TopLevelMember* model_member = nullptr;
    for (const auto& m : *members) {
        if (m.key == "model") {
            if (model_member) return std::nullopt;   // duplicate: which one a parser keeps varies
            model_member = &m;
        } else if (m.key == "stream_options" && add_include_usage) {
            return std::nullopt;
        }
    }
    if (!model_member || body[model_member->value_begin] != '"') return std::nullopt;
    const std::string quoted = nlohmann::json(std::string(model)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    constexpr std::string_view kUsage = R"("stream_options":{"include_usage":true},)";
    std::string out;
    out.reserve(body.size() + quoted.size() + (add_include_usage ? kUsage.size() : 0));
    std::size_t pos = 0;
    if (add_include_usage) {
        const std::size_t brace = body.find('{') + 1;   // members non-empty: "model" follows
        out.append(body.substr(0, brace));
        out.append(kUsage);
        pos = brace;
    }
    out.append(body.substr(pos, model_member->value_begin - pos));
    out.append(quoted);
    out.append(body.substr(model_member->value_end));
    return out;
}

}  // namespace switchyard::wire
