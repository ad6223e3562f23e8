// chunk: splits a text into overlapping pieces for embedding and retrieval.
// by: words (size and overlap in words, a cheap stand-in for tokens: about 0.75 words per token
// for English) or sentences (size and overlap in sentences, so no sentence is ever cut).
#include "pipeline/nodes/nodes.h"

#include <cctype>
#include <sstream>

namespace switchyard::pipeline::nodes {

namespace {

std::vector<std::string> split_words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

// A sentence ends at . ! or ? followed by whitespace, or at a blank line (headings, list items).
std::vector<std::string> split_sentences(const std::string& text) {
    std::vector<std::string> sentences;
    std::string current;
    auto flush = [&] {
        auto words = split_words(current);
        std::string joined;
        for (const auto& w : words) joined += (joined.empty() ? "" : " ") + w;
        if (!joined.empty()) sentences.push_back(joined);
        current.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        current += c;
        const bool at_end = i + 1 == text.size();
        const bool next_space = !at_end && std::isspace(static_cast<unsigned char>(text[i + 1]));
        if ((c == '.' || c == '!' || c == '?') && (at_end || next_space)) flush();
        else if (c == '\n' && !at_end && text[i + 1] == '\n') flush();
    }
    flush();
    return sentences;
}

std::vector<std::string> windows(const std::vector<std::string>& units, std::size_t size, std::size_t overlap) {
    std::vector<std::string> chunks;
    const std::size_t step = size - overlap;
    for (std::size_t start = 0; start < units.size(); start += step) {
        std::string chunk;
        for (std::size_t i = start; i < std::min(units.size(), start + size); ++i) chunk += (chunk.empty() ? "" : " ") + units[i];
        chunks.push_back(chunk);
        if (start + size >= units.size()) break;
    }
    return chunks;
}

}  // namespace

std::vector<std::string> chunk_text(const std::string& text, const std::string& by, std::size_t size, std::size_t overlap) {
    return windows(by == "sentences" ? split_sentences(text) : split_words(text), size, overlap);
}

NodeType chunk_node() {
    NodeType t;
    t.name = "chunk";
    t.description = "Splits text into overlapping chunks of words or sentences";
    t.params = {{"by", ParamKind::string, false, false, "words (default) or sentences"},
                {"size", ParamKind::integer, false, false, "units per chunk (default 200 words / 5 sentences)"},
                {"overlap", ParamKind::integer, false, false, "units shared by neighbouring chunks (default 20 words / 1 sentence)"}};
    t.signature = [](const json&) {
        NodeSignature s;
        s.inputs = {{"text", ValueType::of(ValueKind::text)}};
        s.outputs = {{"chunks", ValueType::list_of(ValueKind::text)}};
        return s;
    };
    t.check = [](const json& params, const std::vector<std::string>&, const ProblemSink& problem) {
        auto by = params.value("by", std::string("words"));
        if (by != "words" && by != "sentences") problem("by", "must be 'words' or 'sentences', got '" + by + "'");
        const bool sentences = by == "sentences";
        long long size = params.value("size", sentences ? 5 : 200), overlap = params.value("overlap", sentences ? 1 : 20);
        if (size < 1) problem("size", "must be at least 1");
        if (overlap < 0 || overlap >= size) problem("overlap", "must be at least 0 and less than size (" + std::to_string(size) + ")");
    };
    t.run = [](NodeContext& ctx) {
        auto by = ctx.string_param("by", "words");
        const bool sentences = by == "sentences";
        auto size = ctx.int_param("size", sentences ? 5 : 200), overlap = ctx.int_param("overlap", sentences ? 1 : 20);
        if (size < 1 || overlap < 0 || overlap >= size) throw NodeError("chunk: need size >= 1 and 0 <= overlap < size");
        return NodeOutputs{{"chunks", json(chunk_text(ctx.text_input("text"), by, size, overlap))}};
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
