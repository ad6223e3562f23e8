#include "eval/checkers.h"

#include "wire/verdict_request.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace switchyard::eval {

std::string normalize(const std::string& text) {
    std::string out;
    bool space = false;
    for (unsigned char ch : text) {
        if (std::isspace(ch)) { space = !out.empty(); continue; }
        if (space) out += ' ';
        space = false;
        out += static_cast<char>(std::tolower(ch));
    }
    // Quotes, brackets and trailing punctuation are formatting, not content ("Paris." == "paris").
    auto strip = [](char c) { return std::strchr("\"'`*.!?,;: ", c) != nullptr; };
    while (!out.empty() && strip(out.back())) out.pop_back();
    std::size_t b = 0;
    while (b < out.size() && std::strchr("\"'`* ", out[b])) ++b;
    return out.substr(b);
}

namespace {
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
// Exactly three digits at `at`, not followed by a fourth: a thousands group after a comma.
bool is_group(const std::string& t, std::size_t at) {
    return at + 3 <= t.size() && digit(t[at]) && digit(t[at + 1]) && digit(t[at + 2]) && (at + 3 == t.size() || !digit(t[at + 3]));
}
}  // namespace

std::vector<double> numbers_in(const std::string& text) {
    std::vector<double> out;
    std::size_t i = 0;
    while (i < text.size()) {
        const bool neg = text[i] == '-' && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])) &&
                         (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1])));
        if (!neg && !std::isdigit(static_cast<unsigned char>(text[i]))) { ++i; continue; }
        std::size_t j = neg ? i + 1 : i;
        std::string digits = neg ? "-" : "";
        // Thousands separators only between digit groups: "1,234" is one number, "3, 4" two.
        while (j < text.size()) {
            const char c = text[j];
            if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
            else if (c == ',' && digits.find('.') == std::string::npos && is_group(text, j + 1))
                ;  // skip the separator
            else if (c == '.' && j + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[j + 1])) &&
                     digits.find('.') == std::string::npos) digits += c;
            else break;
            ++j;
        }
        // An exponent only when it is complete ("2.5e3"; "5 eggs" stays 5).
        if (j + 1 < text.size() && (text[j] == 'e' || text[j] == 'E') && std::isdigit(static_cast<unsigned char>(text[j + 1]))) {
            std::size_t k = j + 1;
            while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
            if (k == text.size() || !std::isalpha(static_cast<unsigned char>(text[k]))) {
                digits += text.substr(j, k - j);
                j = k;
            }
        }
        out.push_back(std::strtod(digits.c_str(), nullptr));
        i = j;
    }
    return out;
}

std::optional<json> json_in(const std::string& text) {
    json whole = json::parse(text, nullptr, false);
    if (!whole.is_discarded() && (whole.is_object() || whole.is_array())) return whole;
    for (auto [open, close] : {std::pair{'{', '}'}, std::pair{'[', ']'}}) {
        const auto b = text.find(open), e = text.rfind(close);
        if (b == std::string::npos || e == std::string::npos || e < b) continue;
        json part = json::parse(text.substr(b, e - b + 1), nullptr, false);
        if (!part.is_discarded()) return part;
    }
    return std::nullopt;
}

namespace {

CheckResult pass(bool ok, std::string detail) { return {ok ? 1.0 : 0.0, std::move(detail)}; }

// Strings compare normalised, numbers with a little slack for float formatting, the rest exactly.
bool same_value(const json& want, const json& got) {
    if (want.is_string() && got.is_string()) return normalize(want.get<std::string>()) == normalize(got.get<std::string>());
    if (want.is_number() && got.is_number()) return std::fabs(want.get<double>() - got.get<double>()) <= 1e-9 * std::max(1.0, std::fabs(want.get<double>()));
    if (want.is_number() && got.is_string()) {
        auto n = numbers_in(got.get<std::string>());
        return n.size() == 1 && same_value(want, json(n[0]));
    }
    if (want.is_array() && got.is_array()) {
        if (want.size() != got.size()) return false;
        for (std::size_t i = 0; i < want.size(); ++i) if (!same_value(want[i], got[i])) return false;
        return true;
    }
    if (want.is_object() && got.is_object()) {
        for (const auto& [k, v] : want.items()) if (!got.contains(k) || !same_value(v, got[k])) return false;
        return true;
    }
    return want == got;
}

// "a.b.0" walks objects and arrays.
const json* field(const json& doc, const std::string& path) {
    const json* cur = &doc;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto dot = path.find('.', start);
        const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (cur->is_object() && cur->contains(key)) cur = &(*cur)[key];
        else if (cur->is_array() && !key.empty() && std::all_of(key.begin(), key.end(), ::isdigit) && std::stoul(key) < cur->size()) cur = &(*cur)[std::stoul(key)];
        else return nullptr;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return cur;
}

}  // namespace

CheckResult check(const Reference& ref, const std::string& answer) {
    const std::string& c = ref.checker;
    if (c == "exact") return pass(answer == ref.answer.get<std::string>(), "exact match");
    if (c == "normalized") {
        const std::string want = normalize(ref.answer.get<std::string>()), got = normalize(answer);
        return pass(want == got, want == got ? "match" : "got '" + got.substr(0, 80) + "'");
    }
    if (c == "regex") {
        RE2 re(ref.answer.get<std::string>());
        if (!re.ok()) return pass(false, "bad pattern: " + re.error());
        return pass(RE2::PartialMatch(answer, re), "pattern " + ref.answer.get<std::string>());
    }
    if (c == "numeric") {
        const double want = ref.answer.get<double>();
        const auto nums = numbers_in(answer);
        if (nums.empty()) return pass(false, "no number in answer");
        auto close = [&](double x) { return std::fabs(x - want) <= ref.tolerance + 1e-9 * std::max(1.0, std::fabs(want)); };
        bool ok = ref.pick == "any" ? std::any_of(nums.begin(), nums.end(), close) : close(ref.pick == "last" ? nums.back() : nums.front());
        return pass(ok, "numbers " + json(nums).dump().substr(0, 60));
    }
    if (c == "json_fields") {
        auto doc = json_in(answer);
        if (!doc) return pass(false, "answer has no JSON");
        int hit = 0;
        std::string missed;
        for (const auto& [path, want] : ref.answer.items()) {
            const json* got = field(*doc, path);
            if (got && same_value(want, *got)) ++hit;
            else missed += (missed.empty() ? "" : ",") + path;
        }
        return {double(hit) / ref.answer.size(), missed.empty() ? "all fields" : "wrong: " + missed};
    }
    if (c == "contains_all") {
        const std::string got = normalize(answer);
        std::string missing;
        for (const auto& s : ref.answer) {
            const std::string want = normalize(s.is_string() ? s.get<std::string>() : s.dump());
            if (got.find(want) == std::string::npos) missing += (missing.empty() ? "" : ",") + want;
        }
        return pass(missing.empty(), missing.empty() ? "all present" : "missing: " + missing);
    }
    throw std::logic_error("checker '" + c + "' needs a model; the runner grades it");
}

json judge_request(const EvalCase& c, const std::string& answer) {
    std::string ask = "You grade answers. Task given to an assistant:\n\"\"\"\n" + prompt_text(c) + "\n\"\"\"\n";
    if (!c.reference.answer.is_null())
        ask += "Reference answer:\n\"\"\"\n" + (c.reference.answer.is_string() ? c.reference.answer.get<std::string>() : c.reference.answer.dump()) + "\n\"\"\"\n";
    ask += "Assistant's answer:\n\"\"\"\n" + answer + "\n\"\"\"\n";
    ask += "Rubric: " + (c.reference.rubric.empty() ? std::string("the answer is correct and complete.") : c.reference.rubric) +
           "\nReply with one word: PASS or FAIL.";
    wire::VerdictQuestion q;
    q.model = c.reference.judge_model;
    q.prompt = std::move(ask);
    q.yes = "PASS";
    q.no = "FAIL";
    q.max_tokens = 16;
    return wire::verdict_request(q);
}

std::optional<double> parse_verdict(const std::string& reply) {
    std::string up;
    for (char ch : reply) up += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const auto p = up.find("PASS"), f = up.find("FAIL");
    if (p != std::string::npos || f != std::string::npos) return (p < f) ? 1.0 : 0.0;
    if (const auto s = up.find("SCORE"); s != std::string::npos) {
        auto n = numbers_in(up.substr(s));
        if (!n.empty() && n[0] >= 1 && n[0] <= 5) return (n[0] - 1) / 4;
    }
    return std::nullopt;
}

}  // namespace switchyard::eval
