#include "pipeline/node_type.h"

#include "pipeline/nodes/nodes.h"

namespace switchyard::pipeline {

std::string to_string(ParamKind k) {
    switch (k) {
        case ParamKind::string: return "a string";
        case ParamKind::integer: return "an integer";
        case ParamKind::number: return "a number";
        case ParamKind::boolean: return "true or false";
        case ParamKind::string_list: return "a list of strings";
        case ParamKind::object: return "a mapping";
        case ParamKind::any: return "any value";
    }
    return "?";
}

const PortSpec* NodeSignature::input(const std::string& name) const {
    for (const auto& p : inputs)
        if (p.name == name) return &p;
    return nullptr;
}

const PortSpec* NodeSignature::output(const std::string& name) const {
    for (const auto& p : outputs)
        if (p.name == name) return &p;
    return nullptr;
}

const ParamSpec* NodeType::param(const std::string& key) const {
    for (const auto& p : params)
        if (p.name == key) return &p;
    return nullptr;
}

const nlohmann::json& NodeContext::input(const std::string& port) const {
    auto it = inputs.find(port);
    if (it == inputs.end()) throw NodeError("input '" + port + "' has no value");
    return it->second;
}

std::string NodeContext::text_input(const std::string& port) const {
    const auto& v = input(port);
    if (!v.is_string()) throw NodeError("input '" + port + "' must be text, got " + v.dump().substr(0, 100));
    return v.get<std::string>();
}

std::string NodeContext::string_param(const std::string& key, const std::string& fallback) const {
    if (!params.contains(key) || params[key].is_null()) return fallback;
    if (!params[key].is_string()) throw NodeError("param '" + key + "' must be a string");
    return params[key].get<std::string>();
}

long long NodeContext::int_param(const std::string& key, long long fallback) const {
    if (!params.contains(key) || params[key].is_null()) return fallback;
    if (!params[key].is_number_integer()) throw NodeError("param '" + key + "' must be an integer");
    return params[key].get<long long>();
}

double NodeContext::number_param(const std::string& key, double fallback) const {
    if (!params.contains(key) || params[key].is_null()) return fallback;
    if (!params[key].is_number()) throw NodeError("param '" + key + "' must be a number");
    return params[key].get<double>();
}

std::filesystem::path NodeContext::path_param(const std::string& key) const {
    std::filesystem::path p = string_param(key);
    if (p.empty()) throw NodeError("param '" + key + "' is required");
    return p.is_absolute() || base_dir.empty() ? p : base_dir / p;
}

void NodeRegistry::add(NodeType type) {
    auto name = type.name;
    types_[name] = std::move(type);
}

const NodeType* NodeRegistry::find(const std::string& name) const {
    auto it = types_.find(name);
    return it == types_.end() ? nullptr : &it->second;
}

std::vector<std::string> NodeRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& [name, type] : types_) out.push_back(name);
    return out;
}

std::string NodeRegistry::names_joined() const {
    std::string s;
    for (const auto& n : names()) s += (s.empty() ? "" : ", ") + n;
    return s;
}

nlohmann::json NodeRegistry::describe() const {
    auto ports = [](const std::vector<PortSpec>& list, bool with_required) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& p : list) {
            nlohmann::json port = {{"name", p.name}, {"type", to_string(p.type)}};
            if (with_required) port["required"] = p.required;
            out.push_back(std::move(port));
        }
        return out;
    };
    nlohmann::json types = nlohmann::json::array();
    for (const auto& [name, type] : types_) {
        nlohmann::json params = nlohmann::json::array();
        for (const auto& p : type.params)
            params.push_back({{"name", p.name}, {"kind", to_string(p.kind)}, {"required", p.required},
                              {"model", p.names_model}, {"description", p.description}});
        NodeSignature sig = type.signature(nlohmann::json::object());
        nlohmann::json entry = {{"name", name}, {"description", type.description}, {"params", params},
                                {"inputs", ports(sig.inputs, true)}, {"outputs", ports(sig.outputs, false)},
                                {"extra_inputs", sig.accepts_extra_inputs}, {"mappable", type.mappable}};
        if (name == "switch") entry["note"] = "one more output per case, named like the case";
        if (name == "llm") entry["note"] = "a json output is added when params.json_schema is set";
        types.push_back(std::move(entry));
    }
    return types;
}

const NodeRegistry& builtin_nodes() {
    static const NodeRegistry registry = [] {
        NodeRegistry r;
        for (auto& type : nodes::all_builtin_node_types()) r.add(std::move(type));
        return r;
    }();
    return registry;
}

}  // namespace switchyard::pipeline
