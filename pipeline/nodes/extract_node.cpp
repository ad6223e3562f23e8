// extract: structured data out of text, the answer forced into a JSON schema by the model's
// grammar (response_format json_schema), so the output is always parseable.
#include "pipeline/nodes/chat_support.h"
#include "pipeline/nodes/nodes.h"

namespace switchyard::pipeline::nodes {

NodeType extract_node() {
    NodeType t;
    t.name = "extract";
    t.description = "Extracts fields from text into JSON following a schema";
    t.params = chat_params();
    t.params.push_back({"schema", ParamKind::object, true, false, "JSON schema of the result"});
    t.params.push_back({"instructions", ParamKind::string, false, false, "what to extract, in words"});
    t.signature = [](const json&) {
        NodeSignature s;
        s.inputs = {{"text", ValueType::of(ValueKind::text)}};
        s.outputs = {{"json", ValueType::of(ValueKind::json)}};
        return s;
    };
    t.check = [](const json& params, const std::vector<std::string>&, const ProblemSink& problem) {
        if (params.contains("schema") && !params["schema"].contains("type"))
            problem("schema", "a JSON schema needs a 'type' (e.g. object with properties)");
    };
    t.run = [](NodeContext& ctx) {
        std::string system = ctx.string_param("system", "Extract the requested information from the text. Answer with JSON only.");
        std::string user = ctx.string_param("instructions", "Extract the data described by the schema.") +
                           "\n\nSchema: " + ctx.params["schema"].dump() + "\n\nText:\n" + ctx.text_input("text");
        auto response = ctx.services.chat(chat_request(ctx, system, user, ctx.params["schema"], 0.0));
        return NodeOutputs{{"json", answer_json(response)}};
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
