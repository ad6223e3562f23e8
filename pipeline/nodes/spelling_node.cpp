// spelling: deterministic spelling and typography fixes. Small local models rewrite text rather
// than correct it (a 270M model asked to fix "recieve" tends to answer with a different
// sentence), so a proofreading pipeline fixes known misspellings from a table first and lets
// the models work on structure. Whole words only, the case of each word kept (Teh -> The).
// With typography on (the default): repeated words ("the the"), spaces before punctuation,
// runs of spaces, a lower-case letter starting a sentence, and a lone "i".
#include "pipeline/nodes/nodes.h"

#include <cctype>

namespace switchyard::pipeline::nodes {

namespace {

// Bytes >= 0x80 count as letters so UTF-8 words are never split.
bool word_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalpha(u) || u >= 0x80 || c == '\'';
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The replacement in the case pattern of the original: UPPER, Capitalised or as written.
std::string with_case_of(const std::string& original, std::string replacement) {
    auto upper = [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; };
    bool all_upper = original.size() > 1;
    for (char c : original)
        if (std::isalpha(static_cast<unsigned char>(c)) && !upper(c)) all_upper = false;
    if (all_upper) {
        for (auto& c : replacement) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (!original.empty() && upper(original[0]) && !replacement.empty()) {
        replacement[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(replacement[0])));
    }
    return replacement;
}

struct Token {
    std::string text;
    bool word = false;
};

std::vector<Token> tokenize(const std::string& s) {
    std::vector<Token> out;
    for (std::size_t i = 0; i < s.size();) {
        const bool w = word_char(s[i]);
        std::size_t j = i;
        while (j < s.size() && word_char(s[j]) == w) ++j;
        out.push_back({s.substr(i, j - i), w});
        i = j;
    }
    return out;
}

std::string typography(const std::vector<Token>& tokens, json& fixes) {
    std::string out;
    std::string last_word;
    bool sentence_start = true;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        Token t = tokens[i];
        if (t.word) {
            // "the the": drop the second when only spaces separate them.
            if (!last_word.empty() && lower(t.text) == lower(last_word) && !out.empty() && out.back() == ' ') {
                fixes.push_back({{"from", last_word + " " + t.text}, {"to", last_word}});
                out.pop_back();
                continue;
            }
            if (t.text == "i") t.text = "I";
            if (sentence_start && std::islower(static_cast<unsigned char>(t.text[0])))
                t.text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(t.text[0])));
            out += t.text;
            last_word = t.text;
            sentence_start = false;
            continue;
        }
        std::string sep;
        for (char c : t.text) {
            if (c == ' ' || c == '\t') {
                if (sep.empty() || (sep.back() != ' ' && sep.back() != '\n')) sep += ' ';
            } else {
                // No space before , . ; : ! ?
                if ((c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?') && !sep.empty() && sep.back() == ' ') sep.pop_back();
                if ((c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?') && sep.empty() && !out.empty() && out.back() == ' ')
                    out.pop_back();
                sep += c;
            }
        }
        for (char c : sep) {
            if (c == '.' || c == '!' || c == '?' || c == '\n') sentence_start = true;
            else if (c != ' ' && c != '"' && c != '\'' && c != '(') sentence_start = false;
            if (c != ' ') last_word.clear();
        }
        out += sep;
    }
    return out;
}

}  // namespace

NodeType spelling_node() {
    NodeType t;
    t.name = "spelling";
    t.description = "Fixes misspellings from a table (whole words, case kept) and common typography slips";
    t.params = {{"words", ParamKind::object, true, false, "misspelling -> correction, e.g. {recieve: receive}"},
                {"typography", ParamKind::boolean, false, false, "also fix repeated words, spacing, sentence capitals (default true)"}};
    t.signature = [](const json&) {
        NodeSignature s;
        s.inputs = {{"text", ValueType::of(ValueKind::text)}};
        s.outputs = {{"text", ValueType::of(ValueKind::text)}, {"fixes", ValueType::list_of(ValueKind::json)}};
        return s;
    };
    t.check = [](const json& params, const std::vector<std::string>&, const ProblemSink& problem) {
        if (!params.contains("words")) return;
        for (const auto& [from, to] : params["words"].items())
            if (!to.is_string() || from.empty() || tokenize(from).size() != 1 || !tokenize(from)[0].word)
                problem("words", "'" + from + "' must be a single word mapped to a string");
    };
    t.run = [](NodeContext& ctx) {
        std::map<std::string, std::string> table;
        for (const auto& [from, to] : ctx.params["words"].items()) table[lower(from)] = to.get<std::string>();
        auto tokens = tokenize(ctx.text_input("text"));
        json fixes = json::array();
        for (auto& tok : tokens) {
            if (!tok.word) continue;
            auto it = table.find(lower(tok.text));
            if (it == table.end()) continue;
            auto fixed = with_case_of(tok.text, it->second);
            fixes.push_back({{"from", tok.text}, {"to", fixed}});
            tok.text = fixed;
        }
        std::string text;
        if (ctx.params.value("typography", true)) {
            text = typography(tokens, fixes);
        } else {
            for (const auto& tok : tokens) text += tok.text;
        }
        return NodeOutputs{{"text", text}, {"fixes", fixes}};
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
