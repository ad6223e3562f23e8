// template: renders text from its inputs, e.g. to build a prompt or join results for output.
#include "pipeline/nodes/nodes.h"
#include "pipeline/text_template.h"

#include <algorithm>

namespace switchyard::pipeline::nodes {

// Shared with llm: every {{variable}} must be a wired input, found before the run.
void check_template_variables(const json& params, const std::string& key, const std::vector<std::string>& wired,
                              const ProblemSink& problem) {
    if (!params.contains(key) || !params[key].is_string()) return;
    try {
        for (const auto& var : template_variables(params[key].get<std::string>()))
            if (std::find(wired.begin(), wired.end(), var) == wired.end())
                problem(key, "uses {{" + var + "}} but no input '" + var + "' is wired (add `inputs: {" + var + ": ...}`)");
    } catch (const std::exception& e) {
        problem(key, e.what());
    }
}

NodeType template_node() {
    NodeType t;
    t.name = "template";
    t.description = "Fills {{variables}} in a text from the node's inputs";
    t.params = {{"template", ParamKind::string, true, false, "text with {{input}} / {{input.field}} placeholders"}};
    t.signature = [](const json&) {
        NodeSignature s;
        s.outputs = {{"text", ValueType::of(ValueKind::text)}};
        s.accepts_extra_inputs = true;
        return s;
    };
    t.check = [](const json& params, const std::vector<std::string>& wired, const ProblemSink& problem) {
        check_template_variables(params, "template", wired, problem);
    };
    t.run = [](NodeContext& ctx) {
        return NodeOutputs{{"text", render_template(ctx.string_param("template"), ctx.inputs)}};
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
