#include "pipeline/text_template.h"

#include "pipeline/node_type.h"

#include <algorithm>
#include <cctype>

namespace switchyard::pipeline {

namespace {

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\n") - b + 1);
}

std::vector<std::string> split_path(const std::string& expr) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        auto dot = expr.find('.', start);
        parts.push_back(expr.substr(start, dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return parts;
}

// Calls on_var(expression) for each {{...}} and on_text for the text between them.
template <class OnText, class OnVar>
void scan(const std::string& text, OnText on_text, OnVar on_var) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto open = text.find("{{", pos);
        if (open == std::string::npos) {
            on_text(text.substr(pos));
            return;
        }
        on_text(text.substr(pos, open - pos));
        auto close = text.find("}}", open + 2);
        if (close == std::string::npos) throw NodeError("template: '{{' at offset " + std::to_string(open) + " is never closed");
        auto expr = trim(text.substr(open + 2, close - open - 2));
        if (expr.empty()) throw NodeError("template: empty '{{}}' at offset " + std::to_string(open));
        on_var(expr);
        pos = close + 2;
    }
}

std::string as_text(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); })) {
        std::string out;
        for (const auto& e : v) out += (out.empty() ? "" : "\n") + e.get<std::string>();
        return out;
    }
    return v.dump();
}

}  // namespace

std::vector<std::string> template_variables(const std::string& text) {
    std::vector<std::string> names;
    scan(text, [](const std::string&) {}, [&](const std::string& expr) {
        auto root = split_path(expr).front();
        if (std::find(names.begin(), names.end(), root) == names.end()) names.push_back(root);
    });
    return names;
}

std::string render_template(const std::string& text, const std::map<std::string, json>& vars) {
    std::string out;
    scan(text, [&](const std::string& t) { out += t; }, [&](const std::string& expr) {
        auto path = split_path(expr);
        auto it = vars.find(path[0]);
        if (it == vars.end()) throw NodeError("template uses {{" + expr + "}} but there is no input '" + path[0] + "'");
        const json* v = &it->second;
        for (std::size_t i = 1; i < path.size(); ++i) {
            const auto& key = path[i];
            // Up to 9 digits: longer numbers cannot index a list and would overflow std::stoul.
            const bool index = !key.empty() && key.size() <= 9 &&
                               std::all_of(key.begin(), key.end(), [](unsigned char ch) { return std::isdigit(ch); });
            if (v->is_object() && v->contains(key)) v = &(*v)[key];
            else if (v->is_array() && index && std::stoul(key) < v->size()) v = &(*v)[std::stoul(key)];
            else throw NodeError("template: {{" + expr + "}}: '" + key + "' not found in " + v->dump().substr(0, 200));
        }
        out += as_text(*v);
    });
    return out;
}

}  // namespace switchyard::pipeline
