// embed: one embedding vector for a text (map over a list to embed many).
#include "pipeline/nodes/nodes.h"

namespace switchyard::pipeline::nodes {

NodeType embed_node() {
    NodeType t;
    t.name = "embed";
    t.description = "Embeds a text with an embedding model";
    t.params = {{"model", ParamKind::string, true, true, "embedding model"}};
    t.signature = [](const json&) {
        NodeSignature s;
        s.inputs = {{"text", ValueType::of(ValueKind::text)}};
        s.outputs = {{"embedding", ValueType::of(ValueKind::embedding)}};
        return s;
    };
    t.run = [](NodeContext& ctx) {
        auto vectors = ctx.services.embed(ctx.string_param("model"), {ctx.text_input("text")});
        if (vectors.size() != 1) throw NodeError("embedding model returned " + std::to_string(vectors.size()) + " vectors for 1 text");
        return NodeOutputs{{"embedding", json(vectors[0])}};
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
