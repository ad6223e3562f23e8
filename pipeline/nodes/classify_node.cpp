// classify: picks one label for a text. Two methods:
//  - llm (default): the chat model answers {"label": ...} constrained by a JSON schema enum, so
//    it can only name a real label;
//  - embedding: the label whose description embeds nearest (cosine) to the text. No generation,
//    so it is fast and deterministic, and good when labels are topics.
// labels: a list of names, or a mapping of name -> description (the description is what the
// model reads / what gets embedded).
#include "pipeline/nodes/chat_support.h"
#include "pipeline/nodes/nodes.h"

#include <cmath>

namespace switchyard::pipeline::nodes {

namespace {

std::vector<std::pair<std::string, std::string>> labels_of(const json& labels) {
    std::vector<std::pair<std::string, std::string>> out;
    if (labels.is_array())
        for (const auto& l : labels) out.emplace_back(l.get<std::string>(), l.get<std::string>());
    else
        for (const auto& [name, description] : labels.items()) out.emplace_back(name, description.get<std::string>());
    return out;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty()) throw NodeError("embedding sizes differ (" + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + ")");
    double dot = 0, na = 0, nb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        dot += double(a[i]) * b[i];
        na += double(a[i]) * a[i];
        nb += double(b[i]) * b[i];
    }
    return na == 0 || nb == 0 ? 0 : dot / std::sqrt(na * nb);
}

NodeOutputs classify_by_embedding(NodeContext& ctx, const std::vector<std::pair<std::string, std::string>>& labels) {
    std::vector<std::string> texts{ctx.text_input("text")};
    for (const auto& [name, description] : labels) texts.push_back(description);
    auto vectors = ctx.services.embed(ctx.string_param("model"), texts);
    if (vectors.size() != texts.size()) throw NodeError("embedding model returned " + std::to_string(vectors.size()) + " vectors for " + std::to_string(texts.size()) + " texts");
    json scores = json::object();
    std::string best;
    double best_score = -2;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        double s = cosine(vectors[0], vectors[i + 1]);
        scores[labels[i].first] = s;
        if (s > best_score) best_score = s, best = labels[i].first;
    }
    return {{"label", best}, {"scores", scores}};
}

NodeOutputs classify_by_llm(NodeContext& ctx, const std::vector<std::pair<std::string, std::string>>& labels) {
    json names = json::array();
    std::string listing;
    for (const auto& [name, description] : labels) {
        names.push_back(name);
        listing += "- " + name + (description != name ? ": " + description : "") + "\n";
    }
    json schema = {{"type", "object"},
                   {"properties", {{"label", {{"type", "string"}, {"enum", names}}}}},
                   {"required", {"label"}},
                   {"additionalProperties", false}};
    std::string system = ctx.string_param("system", "Classify the text into exactly one of the labels. Answer with JSON.");
    std::string user = ctx.string_param("instructions", "Which label fits the text best?") + "\n\nLabels:\n" + listing +
                       "\nText:\n" + ctx.text_input("text");
    auto answer = answer_json(ctx.services.chat(chat_request(ctx, system, user, schema, 0.0)));
    if (!answer.contains("label") || !answer["label"].is_string()) throw NodeError("model answer has no label: " + answer.dump());
    std::string label = answer["label"];
    json scores = json::object();
    bool known = false;
    for (const auto& [name, description] : labels) {
        scores[name] = name == label ? 1.0 : 0.0;
        known = known || name == label;
    }
    if (!known) throw NodeError("model answered label '" + label + "', which is not one of the labels");
    return {{"label", label}, {"scores", scores}};
}

}  // namespace

NodeType classify_node() {
    NodeType t;
    t.name = "classify";
    t.description = "Picks one label for a text, by a constrained LLM answer or by embedding similarity";
    t.params = chat_params();
    t.params.push_back({"labels", ParamKind::any, true, false, "list of labels, or mapping label -> description"});
    t.params.push_back({"method", ParamKind::string, false, false, "llm (default) or embedding"});
    t.params.push_back({"instructions", ParamKind::string, false, false, "what the labels mean, in words (llm)"});
    t.signature = [](const json&) {
        NodeSignature s;
        s.inputs = {{"text", ValueType::of(ValueKind::text)}};
        s.outputs = {{"label", ValueType::of(ValueKind::text)}, {"scores", ValueType::of(ValueKind::json)}};
        return s;
    };
    t.check = [](const json& params, const std::vector<std::string>&, const ProblemSink& problem) {
        const json& labels = params.value("labels", json());
        bool list_ok = labels.is_array() && !labels.empty() && std::all_of(labels.begin(), labels.end(), [](const json& l) { return l.is_string(); });
        bool map_ok = labels.is_object() && !labels.empty() && std::all_of(labels.begin(), labels.end(), [](const json& l) { return l.is_string(); });
        if (params.contains("labels") && !list_ok && !map_ok)
            problem("labels", "expected a non-empty list of labels or a mapping label -> description");
        auto method = params.value("method", std::string("llm"));
        if (method != "llm" && method != "embedding") problem("method", "must be 'llm' or 'embedding', got '" + method + "'");
    };
    t.run = [](NodeContext& ctx) {
        auto labels = labels_of(ctx.params["labels"]);
        return ctx.string_param("method", "llm") == "embedding" ? classify_by_embedding(ctx, labels) : classify_by_llm(ctx, labels);
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
