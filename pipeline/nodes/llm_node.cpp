// llm: one chat completion from a prompt template; optionally constrained to a JSON schema.
// Temperature defaults to 0: pipelines are batch jobs whose results are cached, so the same
// inputs should give the same answer.
#include "pipeline/nodes/chat_support.h"
#include "pipeline/nodes/nodes.h"
#include "pipeline/text_template.h"

namespace switchyard::pipeline::nodes {

void check_template_variables(const json& params, const std::string& key, const std::vector<std::string>& wired,
                              const ProblemSink& problem);

NodeType llm_node() {
    NodeType t;
    t.name = "llm";
    t.description = "Asks a chat model (or route) with a prompt template; text output, plus json with json_schema";
    t.params = chat_params();
    t.params.push_back({"prompt", ParamKind::string, true, false, "user message with {{input}} placeholders"});
    t.params.push_back({"json_schema", ParamKind::object, false, false, "answer must follow this JSON schema (adds a json output)"});
    t.signature = [](const json& params) {
        NodeSignature s;
        s.outputs = {{"text", ValueType::of(ValueKind::text)}};
        if (params.contains("json_schema")) s.outputs.push_back({"json", ValueType::of(ValueKind::json)});
        s.accepts_extra_inputs = true;
        return s;
    };
    t.check = [](const json& params, const std::vector<std::string>& wired, const ProblemSink& problem) {
        check_template_variables(params, "prompt", wired, problem);
        check_template_variables(params, "system", wired, problem);
    };
    t.run = [](NodeContext& ctx) {
        const json schema = ctx.params.contains("json_schema") ? ctx.params["json_schema"] : json(nullptr);
        auto request = chat_request(ctx, render_template(ctx.string_param("system"), ctx.inputs),
                                    render_template(ctx.string_param("prompt"), ctx.inputs), schema, 0.0);
        ChatStreamOptions stream{ctx.on_token, &ctx.cancelled};
        auto response = ctx.on_token ? ctx.services.chat_stream(request, stream) : ctx.services.chat(request);
        NodeOutputs out{{"text", answer_text(response)}};
        if (!schema.is_null()) out["json"] = answer_json(response);
        return out;
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
