// switch: routes a payload to one of several named outputs depending on a value (typically a
// classify label). Only the taken case's output is produced; nodes wired to the other cases are
// skipped, and so are their dependents. Matching ignores case and surrounding spaces.
#include "pipeline/nodes/nodes.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace switchyard::pipeline::nodes {

namespace {

std::string normalised(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r\n\"'");
    if (b == std::string::npos) return "";
    auto e = s.find_last_not_of(" \t\r\n\"'.");
    std::string out = s.substr(b, e - b + 1);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

}  // namespace

NodeType switch_node() {
    NodeType t;
    t.name = "switch";
    t.description = "Passes its data input to the output named like its value; the other outputs' nodes are skipped";
    t.params = {{"cases", ParamKind::string_list, true, false, "the possible values; each becomes an output port"},
                {"default", ParamKind::string, false, false, "case taken when the value matches none (else the node fails)"}};
    t.mappable = false;
    t.signature = [](const json& params) {
        NodeSignature s;
        s.inputs = {{"value", ValueType::of(ValueKind::text)}, {"data", ValueType::of(ValueKind::any), false}};
        s.outputs = {{"selected", ValueType::of(ValueKind::text)}};
        for (const auto& c : params.value("cases", json::array())) s.outputs.push_back({c.get<std::string>(), ValueType::of(ValueKind::any)});
        return s;
    };
    t.check = [](const json& params, const std::vector<std::string>&, const ProblemSink& problem) {
        const auto cases = params.value("cases", json::array());
        if (cases.empty()) problem("cases", "needs at least one case");
        std::set<std::string> seen;
        for (const auto& c : cases) {
            std::string name = c.get<std::string>();
            if (name.empty() || name == "selected" || name.find('.') != std::string::npos)
                problem("cases", "case '" + name + "' cannot be an output name (empty, 'selected' or contains '.')");
            if (!seen.insert(normalised(name)).second) problem("cases", "case '" + name + "' is listed twice");
        }
        if (params.contains("default") && !seen.count(normalised(params["default"].get<std::string>())))
            problem("default", "'" + params["default"].get<std::string>() + "' is not one of the cases");
    };
    t.run = [](NodeContext& ctx) {
        const std::string value = ctx.text_input("value");
        std::string taken;
        for (const auto& c : ctx.params["cases"])
            if (normalised(c.get<std::string>()) == normalised(value)) taken = c.get<std::string>();
        if (taken.empty()) {
            if (!ctx.params.contains("default"))
                throw NodeError("value '" + value + "' matches no case (cases: " + ctx.params["cases"].dump() + ") and there is no default");
            for (const auto& c : ctx.params["cases"])
                if (normalised(c.get<std::string>()) == normalised(ctx.string_param("default"))) taken = c.get<std::string>();
        }
        return NodeOutputs{{"selected", taken}, {taken, ctx.has_input("data") ? ctx.input("data") : json(value)}};
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
